"""End to end: who reads private messages (P9). A first DM gets the privacy notice
right after the assistant's first answer; the account's later messages, and a public
reply, do not carry it."""

import time
import uuid

import pytest

from scripts.fake_platforms import facebook_webhook, page_comment, x_direct_message
from tests.e2e.platforms import (
    ME,
    NOTICE,
    PAGE,
    message,
    new_user,
    privacy_notices_to,
    private_to,
    sent_to,
    text_of,
    to_facebook,
    to_x,
    wait_for,
)


@pytest.fixture
def running(platforms_running):
    return platforms_running


def in_order(platforms, user):
    """Every private message to `user`, in the order the platform received them."""
    return [text_of(c) for c in private_to(platforms, user)]


def test_a_first_dm_gets_the_notice_after_its_answer_and_a_later_message_does_not(running):
    assistant, platforms, _ = running
    user = new_user()
    to_facebook(assistant, facebook_webhook(PAGE, messaging=[message(user, "hello")]))
    assert wait_for(lambda: sent_to(platforms, user), 60)
    time.sleep(2)  # the rest of the answer to it
    first = in_order(platforms, user)
    assert first[1] == NOTICE and NOTICE not in first[:1] + first[2:]
    assert "privacy" in NOTICE and "Communications and Customer teams" in NOTICE
    to_facebook(
        assistant, facebook_webhook(PAGE, messaging=[message(user, "what are your opening hours")])
    )
    assert wait_for(lambda: len(sent_to(platforms, user)) > len(first) - 1, 60)
    assert len(privacy_notices_to(platforms, user)) == 1


def test_the_same_person_on_x_hears_it_once_there(running):
    assistant, platforms, _ = running
    user = new_user()
    for n, text in enumerate(("hi", "any jobs going")):
        to_x(assistant, x_direct_message(ME, user, text, f"dm{uuid.uuid4().hex[:10]}"))
        assert wait_for(lambda n=n: len(sent_to(platforms, user)) > n, 60)
    assert [text_of(c) for c in privacy_notices_to(platforms, user)] == [NOTICE]
    assert in_order(platforms, user)[1] == NOTICE


def test_a_public_reply_never_carries_it(running):
    assistant, platforms, _ = running
    commenter = new_user()
    comment_id = f"{PAGE}_{uuid.uuid4().int % 10**9}"
    to_facebook(
        assistant,
        facebook_webhook(
            PAGE,
            changes=[page_comment(commenter, "what are your opening hours", comment_id, "post1")],
        ),
    )

    def replied():
        return [c for c in platforms.received() if c.path.endswith(f"{comment_id}/comments")]

    assert wait_for(replied, 60)
    assert all(NOTICE not in str(c.body) for c in replied())
    assert privacy_notices_to(platforms, commenter) == []
