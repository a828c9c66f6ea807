"""Everything public is screened (P5, P7): visitors' posts on the page and edited
comments and posts, like new comments."""

from datetime import timedelta

import pytest

from bot.events import Operation
from bot.moderation.log import Action
from bot.outbox import Outbox
from bot.platforms.facebook.graph_api import GraphClient
from bot.platforms.facebook.payloads import parse_facebook
from bot.screening.coordinator import Intent, Screening
from bot.screening.public_threads import Route
from bot.store import connect
from scripts.fake_platforms import FakePlatforms, facebook_webhook, page_comment, page_post
from tests.unit.test_screening import ASSOCIATION, CALENDAR, TUESDAY, calls

PAGE = "1000"


@pytest.fixture
def store(tmp_path):
    engine = connect(f"sqlite:///{tmp_path / 'store.db'}")
    box = Outbox(engine)
    return Screening(engine, box, ASSOCIATION, CALENDAR), box


def read(*changes):
    return parse_facebook(facebook_webhook(PAGE, changes=list(changes)), PAGE, TUESDAY)


def test_a_visitors_post_with_personal_details_is_hidden_explained_and_deleted(store):
    screening, box = store
    [post] = read(
        page_post("u1", "leak again at 14 Mill Lane LS6 2AB, ring 07700 900123", "1000_55")
    )
    result = screening.screen(post, Intent("report_repair", 0.9), TUESDAY)
    assert (result.route, result.dialogue) == (Route.PROTECT, False)
    assert calls(box) == [
        (Operation.HIDE_COMMENT, "1000_55"),
        (Operation.PRIVATE_REPLY, "post:1000_55"),
        (Operation.DELETE_COMMENT, "1000_55"),
    ]
    assert "07700" not in box.messages()[1].text


def test_an_abusive_visitors_post_is_hidden_and_struck(store):
    screening, box = store
    [post] = read(page_post("u1", "you're all useless f***ing idiots", "1000_56"))
    screening.screen(post, Intent("abuse", 0.95), TUESDAY)
    assert calls(box)[0] == (Operation.HIDE_COMMENT, "1000_56")
    assert len(screening.log.strikes("facebook", "u1")) == 1


@pytest.mark.parametrize(
    "edit, intent, found",
    [
        ("boiler fixed now, ring me on 07700 900123 if needed", "thank", Action.HIDE),
        ("actually you're all useless f***ing idiots", "abuse", Action.STRIKE),
    ],
)
def test_an_edit_that_now_carries_details_or_abuse_is_hidden_like_a_new_comment(
    store, edit, intent, found
):
    screening, box = store
    [first] = read(page_comment("u2", "thanks for sorting the boiler", "c7", "post1"))
    assert screening.screen(first, Intent("thank", 0.9), TUESDAY).dialogue
    [edited] = read(page_comment("u2", edit, "c7", "post1", verb="edited"))
    assert edited.event_id != first.event_id
    result = screening.screen(edited, Intent(intent, 0.95), TUESDAY + timedelta(minutes=5))
    assert not result.dialogue
    assert calls(box)[:2] == [(Operation.HIDE_COMMENT, "c7"), (Operation.PRIVATE_REPLY, "c7")]
    assert found in [e.action for e in screening.log.entries()]


def test_an_edit_that_is_still_fine_is_kept_but_not_answered_again(store):
    screening, box = store
    [edited] = read(page_post("u3", "what time do you open on fridays?", "1000_57", verb="edited"))
    result = screening.screen(edited, Intent("ask_opening_hours", 0.9), TUESDAY)
    assert not result.dialogue and box.messages() == [] and screening.log.entries() == []


def test_a_private_reply_to_a_visitors_post_names_the_post():
    with FakePlatforms() as platforms:
        platforms.psids["1000_58"] = "psid-4"
        graph = GraphClient(platforms.graph_url, PAGE, "token")
        assert graph.private_reply("post:1000_58", "hello") == "psid:psid-4"
        [sent] = platforms.received()
        assert sent.body["recipient"] == {"post_id": "1000_58"}


def test_a_visitors_post_noted_is_removed_after_three_months(store):
    screening, box = store
    posted = int(TUESDAY.timestamp())
    [post] = read(page_post("u1", "any homes to rent in Leeds?", "1000_59", posted))
    screening.screen(post, Intent("ask_homes_available", 0.9), TUESDAY)
    assert screening.comments.remove_old(TUESDAY + timedelta(days=95)) == 1
    assert calls(box) == [(Operation.DELETE_COMMENT, "1000_59")]
