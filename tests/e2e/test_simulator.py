"""End to end: the local simulator shows a conversation without platform accounts."""

import os
import subprocess
import sys

import pytest

from bot.association import load_association
from scripts.processes import free_port
from scripts.simulate import simulator_env
from tests.helpers import ROOT, assistant_in

ASSOCIATION = load_association(ROOT / "association.yml")


@pytest.fixture(scope="module")
def running(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("simulator")
    fake_port = free_port()
    assistant = assistant_in(tmp, simulator_env(fake_port))
    with assistant:
        yield assistant, fake_port


def simulate(running, *args):
    assistant, fake_port = running
    env = {**os.environ, "SIMULATOR_PORT": str(fake_port), "RASA_PORT": str(assistant.rasa_port)}
    result = subprocess.run(
        [sys.executable, "-m", "scripts.simulate", *args, "--wait", "30"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=90,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_a_messenger_message_and_the_send_api_call_that_answers_it(running):
    output = simulate(running, "messenger", "hello")
    assert "200" in output
    assert "<- facebook POST   100000000000001/messages" in output
    assert ASSOCIATION.name in output


def test_an_x_mention_and_its_public_reply(running):
    output = simulate(running, "x-mention", "what are your opening hours", "--as", "777")
    assert "<- twitter  POST   /2/tweets" in output and "in_reply_to_tweet_id" in output


def test_interactive_mode_switches_surface(running):
    assistant, fake_port = running
    env = {**os.environ, "SIMULATOR_PORT": str(fake_port), "RASA_PORT": str(assistant.rasa_port)}
    result = subprocess.run(
        [sys.executable, "-m", "scripts.simulate", "--wait", "30"],
        cwd=ROOT,
        env=env,
        input="/x-dm\nhi there\n/quit\n",
        capture_output=True,
        text=True,
        timeout=90,
    )
    assert "/2/dm_conversations/with/5550001/messages" in result.stdout


def test_an_instagram_comment_with_a_phone_number_is_hidden_and_answered_privately(running):
    output = simulate(running, "instagram-comment", "leaking again, ring 07700 900123")
    assert "200" in output
    assert "<- instagram POST" in output and '"hide": true' in output
    assert '"comment_id"' in output  # the private reply to the comment


def test_a_youtube_comment_is_found_by_the_poller_and_held(running):
    output = simulate(running, "youtube-comment", "you lot are useless f***ing idiots")
    assert "on YouTube video" in output
    assert "<- youtube  POST   v3/comments/setModerationStatus" in output


def test_a_linkedin_comment_naming_staff_is_found_by_the_poller_and_deleted(running):
    staff = ASSOCIATION.moderation.rules.staff[0].name
    output = simulate(running, "linkedin-comment", f"{staff} never rang me back")
    assert "on LinkedIn post" in output
    assert "<- linkedin DELETE" in output
