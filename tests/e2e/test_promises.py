"""End to end: what the assistant says it passes on reaches the team it names (P6, P11).

Through the Facebook connector and the fake Graph API, with the real servers: a
compliment, antisocial behaviour told in private (directly, or after a public comment
moved there), and the explanation of a comment hidden for naming staff.
"""

import pytest

from bot.handoff.handoffs import HandoffRepository, Priority, Reason
from scripts.fake_platforms import facebook_webhook
from tests.e2e.platforms import PAGE, message, new_user, to_facebook, wait_for
from tests.e2e.test_public_threads import about, comment, new_comment_id, store, text_of

WAIT = 90


@pytest.fixture
def running(platforms_running):
    return platforms_running


def dm(running, psid, text):
    assistant, _, _ = running
    status, _, _ = to_facebook(assistant, facebook_webhook(PAGE, messaging=[message(psid, text)]))
    assert status == 200


def replies(platforms, psid):
    """The texts sent to `psid` in Messenger, in order."""
    return [
        call.body["message"]["text"]
        for call in platforms.received()
        if call.path.endswith("/messages") and (call.body.get("recipient") or {}).get("id") == psid
    ]


def replied(platforms, psid, words):
    return wait_for(lambda: any(words in text for text in replies(platforms, psid)), WAIT)


def handoffs_of(assistant, conversation_id):
    repository = HandoffRepository(store(assistant))
    return [h for h in repository.queue() if h.conversation.conversation_id == conversation_id]


def test_a_compliment_is_passed_on_and_the_tenant_is_still_answered(running):
    assistant, platforms, _ = running
    psid = new_user()
    dm(running, psid, "Dave the plumber was brilliant, please pass on my thanks")
    assert replied(platforms, psid, "Compliments go to our Customer Experience team")
    [handoff] = handoffs_of(assistant, f"facebook-private-{psid}")
    assert (handoff.reason, handoff.team) == (Reason.COMPLIMENT, "Customer Experience")
    assert (handoff.priority, handoff.needs_reply) == (Priority.LOW, False)
    assert handoff.summary.details["about"] == "Dave Price"
    # No reply is needed, so nothing is paused: the assistant answers the next message.
    dm(running, psid, "what time are you open")
    assert replied(platforms, psid, "reads and answers messages")


def test_a_compliment_in_public_is_thanked_in_public_and_recorded(running):
    assistant, platforms, _ = running
    author, cid = comment(running, "the plumber was brilliant")
    assert wait_for(lambda: ("public_reply", cid) in about(platforms, cid), WAIT)
    assert "Compliments go to our Customer Experience team" in text_of(
        platforms, "public_reply", cid
    )
    [handoff] = handoffs_of(assistant, f"facebook-public-{author}")
    assert (handoff.reason, handoff.priority) == (Reason.COMPLIMENT, Priority.LOW)
    assert handoff.summary.details["about"] == "not named"


def test_antisocial_behaviour_in_private_is_asked_about_and_reaches_neighbourhoods(running):
    assistant, platforms, _ = running
    psid = new_user()
    dm(running, psid, "my neighbours are playing loud music every night till 3am")
    assert replied(platforms, psid, "Tell me here what's been happening")
    assert any("999" in text and "101" in text for text in replies(platforms, psid))  # P2
    account = (
        "the lads at number 12 have been shouting and throwing rubbish over my fence "
        "every night since last week, call me on 07700 900123"
    )
    dm(running, psid, account)
    assert replied(platforms, psid, "I've passed your conversation to our Neighbourhoods team")
    told = replies(platforms, psid)[-1]
    assert "reply here by" in told  # P3: when the team aims to reply
    [handoff] = handoffs_of(assistant, f"facebook-private-{psid}")
    assert (handoff.reason, handoff.team) == (Reason.ANTISOCIAL_BEHAVIOUR, "Neighbourhoods")
    assert "throwing rubbish over my fence" in handoff.summary.words
    assert "07700" not in handoff.summary.words


def test_antisocial_behaviour_moved_to_private_is_told_there_and_reaches_neighbourhoods(running):
    assistant, platforms, _ = running
    author, psid, cid = new_user(), new_user(), new_comment_id()
    platforms.psids[cid] = psid  # the private reply reaches them in Messenger as `psid`
    comment(running, "theres drug dealing going on outside my block", author, cid)
    assert wait_for(lambda: ("private_reply", cid) in about(platforms, cid), WAIT)
    assert "Tell me here what's been happening" in text_of(platforms, "private_reply", cid)
    dm(running, psid, "It's the flat above the shop, people coming and going all night since May")
    assert replied(platforms, psid, "I've passed what you've said to our Neighbourhoods team")
    told = replies(platforms, psid)[-1]
    assert "aim to reply to you here by" in told and "999" in told
    [handoff] = handoffs_of(assistant, f"facebook-private-{psid}")
    assert (handoff.reason, handoff.team) == (Reason.ANTISOCIAL_BEHAVIOUR, "Neighbourhoods")
    assert "coming and going all night" in handoff.summary.words


def test_a_post_hidden_for_naming_staff_then_explained_in_private_reaches_customer_experience(
    running,
):
    assistant, platforms, _ = running
    author, psid, cid = new_user(), new_user(), new_comment_id()
    platforms.psids[cid] = psid
    comment(running, "Karen Holt came round about the damp in my bathroom yesterday", author, cid)
    assert wait_for(lambda: ("hide", cid) in about(platforms, cid), WAIT)
    assert wait_for(lambda: ("private_reply", cid) in about(platforms, cid), WAIT)
    assert "tell us here and we'll pass it on" in text_of(platforms, "private_reply", cid)
    explanation = "She said a damp survey would be booked within a week, at 14 Elm Road AB1 2CD"
    dm(running, psid, explanation)
    assert replied(platforms, psid, "I've passed what you've said to our Customer Experience team")
    [handoff] = handoffs_of(assistant, f"facebook-private-{psid}")
    assert (handoff.reason, handoff.team) == (Reason.STAFF_NAMED, "Customer Experience")
    assert "damp survey would be booked" in handoff.summary.words
    assert "Elm Road" not in handoff.summary.words and "AB1 2CD" not in handoff.summary.words
