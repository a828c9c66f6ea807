"""End to end, as an attacker: the REST channel cannot pass for a platform account (P4).

A tenant verifies on Messenger through the Facebook webhook (the fakes of
tests/e2e/platforms.py play Facebook). Someone who knows her page-scoped id and her
conversation's id then posts to the REST channel as her: they learn nothing about the
tenancy, and her conversation is untouched.
"""

import json
import time
import urllib.request

import pytest

from bot.handoff.conversations import RasaConversations
from scripts.fake_platforms import facebook_webhook
from tests.e2e.platforms import PAGE, message, new_user, sent_to, to_facebook, wait_for
from tests.helpers import demo_tenancies

ASKED = "what's your tenancy reference"  # the first security question
MARGARET = ("TEN-204817", "Margaret Thompson", "12/04/1958")
# What only someone verified for Margaret's tenancy may read (docs/staff.md, "Demo tenancies").
HERS = ("£123.45", "arrears", "£95.50", "R-30117", "TEN-204817", "Margaret", "204817")


@pytest.fixture(scope="module")
def running(platforms_running):
    assistant, platforms, _ = platforms_running
    demo_tenancies(assistant.extra_env["DATABASE_URL"])
    return assistant, platforms


class Messenger:
    """One person on Messenger: messages through the signed webhook, replies as the fake
    Graph API received them."""

    def __init__(self, running):
        self.assistant, self.platforms = running
        self.psid = new_user()

    def replies(self):
        return [call.body["message"]["text"] for call in sent_to(self.platforms, self.psid)]

    def say(self, text):
        before = len(self.replies())
        to_facebook(self.assistant, facebook_webhook(PAGE, messaging=[message(self.psid, text)]))
        assert wait_for(lambda: len(self.replies()) > before, 60), f"no reply to {text!r}"
        # The replies to one message go out together: wait until no more come.
        count = len(self.replies())
        while wait_for(lambda seen=count: len(self.replies()) > seen, 1.5):
            count = len(self.replies())
        return " ".join(self.replies()[before:])


def post_rest(assistant, body):
    request = urllib.request.Request(
        f"{assistant.rasa_url}/webhooks/rest/webhook",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=60) as answer:
        return " ".join(reply.get("text", "") for reply in json.loads(answer.read()))


def user_texts(assistant, conversation):
    tracker = RasaConversations(assistant.rasa_url, assistant.api_token).tracker(conversation)
    return [event["text"] for event in tracker["events"] if event["event"] == "user"]


def test_a_rest_caller_who_knows_a_verified_tenants_ids_learns_nothing(running):
    assistant, _ = running
    margaret = Messenger(running)
    assert ASKED in margaret.say("how much rent do i owe")
    margaret.say(MARGARET[0])
    margaret.say(MARGARET[1])
    assert "£123.45 in arrears" in margaret.say(MARGARET[2])  # verified, on Facebook
    conversation = f"facebook-private-{margaret.psid}"
    hers_before = user_texts(assistant, conversation)

    claimed = {"platform": "facebook", "surface": "private", "author_id": margaret.psid}
    said = []
    for sender in (conversation, margaret.psid):
        for text in ("how much rent do i owe", "when is the plumber coming for my tap"):
            body = {"sender": sender, "message": text, "input_channel": "facebook"}
            said.append(post_rest(assistant, {**body, "metadata": claimed}))
    for reply in said:
        assert not any(fragment in reply for fragment in HERS), reply
    assert ASKED in said[0]  # a stranger: asked to prove who they are, from the start

    # Her conversation has nothing the caller sent, and she is still verified in it.
    time.sleep(1)
    assert user_texts(assistant, conversation) == hers_before
    assert "£123.45 in arrears" in margaret.say("whats my rent balance now")
