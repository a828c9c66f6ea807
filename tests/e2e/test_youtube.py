"""End to end: YouTube comments, read by the Rasa server's poller from the fake YouTube
Data API and answered through the outbox (P5, P6, P7; scripts/fake_platforms.py).

Each test adds a comment to the fake channel, waits for the poller to find it, and
asserts the exact calls the fake received about it; then waits for more polls and
asserts that nothing was done twice.
"""

import json
import time
import urllib.request
import uuid
from datetime import datetime, timezone

import pytest

from tests.e2e.platforms import new_user, wait_for
from tests.e2e.test_staff_api import api, handoff_of

SETTLE = 3  # seconds to wait for any call that should not come


@pytest.fixture
def running(platforms_running):
    return platforms_running


def shape(call):
    """A YouTube call in short: what it did, and to which comment, thread or video."""
    query = {k: v[0] for k, v in call.query.items()}
    snippet = (call.body or {}).get("snippet") or {}
    if call.path == "v3/comments/setModerationStatus":
        ban = "+ban" if query.get("banAuthor") == "true" else ""
        return (query["moderationStatus"] + ban, query["id"])
    if call.path == "v3/comments":
        return ("reply", snippet["parentId"])
    return ("comment", snippet["videoId"])


def about(platforms, *ids):
    return [shape(c) for c in platforms.received("youtube") if shape(c)[1] in ids]


def text_of(platforms, kind, target):
    for call in platforms.received("youtube"):
        if shape(call) == (kind, target):
            snippet = call.body["snippet"]
            top = (snippet.get("topLevelComment") or {}).get("snippet") or {}
            return snippet.get("textOriginal") or top.get("textOriginal")
    return None


def polls_later(platforms, count=2, seconds=30):
    """Wait until the poller has read the channel `count` more times."""
    start = platforms.youtube_reads
    assert wait_for(lambda: platforms.youtube_reads >= start + count, seconds)


def post_comment(platforms, text, video=None):
    video = video or f"vid{uuid.uuid4().hex[:8]}"
    author, comment_id = f"UC{new_user()}", f"Ugx{uuid.uuid4().hex[:20]}"
    now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    handle = f"@tenant{uuid.uuid4().hex[:6]}"
    platforms.add_youtube_comment(video, comment_id, author, text, now, handle)
    return video, comment_id, handle


def test_a_comment_with_an_address_is_rejected_and_answered_in_public_with_no_detail(running):
    _, platforms, _ = running
    house = 10 + uuid.uuid4().int % 80
    video, cid, handle = post_comment(
        platforms, f"ceiling came down at {house} Acacia Avenue LS6 2AB, sort it out"
    )
    expected = [("heldForReview", cid), ("comment", video), ("rejected", cid)]
    assert wait_for(lambda: about(platforms, cid, video) == expected, 60), about(
        platforms, cid, video
    )
    notice = text_of(platforms, "comment", video)
    assert notice.startswith(handle + " ") and "private message" in notice
    assert "Acacia" not in notice and "LS6" not in notice and "2AB" not in notice
    # Later polls find nothing new: nothing is done twice.
    polls_later(platforms)
    time.sleep(SETTLE)
    assert about(platforms, cid, video) == expected


def test_a_question_in_a_comment_is_answered_in_its_thread(running):
    _, platforms, _ = running
    video, cid, _ = post_comment(platforms, "what are your opening hours?")
    assert wait_for(lambda: about(platforms, cid, video), 90)
    polls_later(platforms)
    time.sleep(SETTLE)
    answers = about(platforms, cid, video)
    assert answers and set(answers) == {("reply", cid)}, answers
    assert all(len(text_of(platforms, "reply", cid)) <= 10000 for _ in answers)


def test_abuse_in_a_comment_is_held_and_its_author_told_in_public(running):
    _, platforms, _ = running
    video, cid, handle = post_comment(platforms, "you lot are useless f***ing idiots")
    expected = [("heldForReview", cid), ("comment", video)]
    assert wait_for(lambda: about(platforms, cid, video) == expected, 60), about(
        platforms, cid, video
    )
    assert "social media rules" in text_of(platforms, "comment", video)
    polls_later(platforms)
    time.sleep(SETTLE)
    assert about(platforms, cid, video) == expected


def test_the_channel_says_it_is_on_and_how_its_last_poll_went(running):
    assistant, platforms, _ = running
    polls_later(platforms, count=1)
    with urllib.request.urlopen(f"{assistant.rasa_url}/webhooks/youtube/") as answer:
        health = json.loads(answer.read())
    assert health["status"] == "on" and health["last"]["pages"] >= 1
    assert "error" not in health["last"]


def test_an_unhappy_comment_goes_to_staff_whose_reply_goes_in_its_thread(running):
    assistant, platforms, _ = running
    video, cid, _ = post_comment(
        platforms, "still waiting 3 weeks for the damp to be sorted, shocking service"
    )
    conversation = next(
        f"youtube-public-{t['snippet']['topLevelComment']['snippet']['authorChannelId']['value']}"
        for t in platforms.youtube_threads
        if t["id"] == cid
    )
    assert wait_for(lambda: handoff_of(assistant, conversation) is not None, 60)
    assert wait_for(lambda: about(platforms, cid, video) == [("reply", cid)], 30)
    assert "look into it with you" in text_of(platforms, "reply", cid)
    path = f"/api/handoffs/{handoff_of(assistant, conversation)['id']}"
    assert api(assistant, "POST", f"{path}/take")[0] == 200
    reply = "Hi, this is Sam. Sorry about the wait: please call us and ask for me."
    status, replied = api(assistant, "POST", f"{path}/reply", {"text": reply})
    assert status == 200, replied
    assert wait_for(lambda: about(platforms, cid, video) == [("reply", cid)] * 2, 30)
    replies = [c for c in platforms.received("youtube") if shape(c) == ("reply", cid)]
    assert replies[-1].body["snippet"]["textOriginal"] == reply
