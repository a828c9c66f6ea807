"""Where a message came from, as the actions read it: only a platform connector names a
platform, a surface or an author (P4)."""

import pytest

from actions.metadata import message_context, sender_account
from tests.helpers import make_tracker

CLAIMED = {"platform": "facebook", "surface": "public", "author_id": "psid-margaret"}


def came_in_through(channel):
    return [{"event": "user", "timestamp": 1.0, "input_channel": channel}]


@pytest.mark.parametrize("channel", ["rest", "cmdline", "socketio"])
def test_a_message_from_any_other_channel_is_a_private_chat_with_no_platform_account(channel):
    tracker = make_tracker(
        metadata=CLAIMED,
        sender_id="rest-facebook-public-psid-margaret",
        events=came_in_through(channel),
    )
    conversation = message_context(tracker)
    assert (conversation.platform, conversation.surface, conversation.platform_user_id) == (
        "rest",
        "private",
        None,
    )
    account = sender_account(conversation)
    assert (account.platform, account.user_id) == ("rest", "rest-facebook-public-psid-margaret")


@pytest.mark.parametrize("channel", ["facebook", "twitter"])
def test_a_connector_message_keeps_its_platform_surface_and_author(channel):
    metadata = {**CLAIMED, "platform": channel}
    tracker = make_tracker(
        metadata=metadata,
        sender_id=f"{channel}-public-psid-margaret",
        events=came_in_through(channel),
    )
    conversation = message_context(tracker)
    assert (conversation.platform, conversation.surface, conversation.platform_user_id) == (
        channel,
        "public",
        "psid-margaret",
    )
