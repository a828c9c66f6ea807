"""An emergency posted in public on X (P2): the numbers first, in a post X accepts (280),
the rest by direct message; on Facebook the dialogue still gives the whole reply in public."""

from datetime import datetime

import pytest

from bot.association import load_association
from bot.events import InboundEvent, Operation
from bot.handoff.handoffs import (
    Conversation,
    HandoffRepository,
    Priority,
    Reason,
    Teams,
    plan,
)
from bot.handoff.working_hours import WorkingCalendar
from bot.outbox import Outbox
from bot.outbox_worker import OutboxWorker
from bot.platforms.limits import X_POST
from bot.platforms.x.api import XClient
from bot.platforms.x.delivery import twitter_deliverer
from bot.screening.coordinator import Intent, Screening
from bot.store import connect
from scripts.fake_platforms import FakePlatforms
from tests.helpers import ROOT, UK

ASSOCIATION = load_association(ROOT / "association.yml")
CALENDAR = WorkingCalendar.from_config(ASSOCIATION.monitoring)
TUESDAY = datetime(2026, 11, 24, 10, 0, tzinfo=UK)
SATURDAY_NIGHT = datetime(2026, 11, 28, 23, 0, tzinfo=UK)
EMERGENCY = Intent("report_emergency", 0.95)


@pytest.fixture
def store(tmp_path):
    engine = connect(f"sqlite:///{tmp_path / 'store.db'}")
    box = Outbox(engine)
    return Screening(engine, box, ASSOCIATION, CALENDAR), box, engine


def mention(event_id, text, at, author="x1"):
    return InboundEvent(
        "twitter", "mention", event_id, "public", author, text, at, tweet_id=f"t{event_id}"
    )


def test_an_emergency_on_x_gets_every_number_in_one_post_and_the_rest_by_dm(store):
    screening, box, engine = store
    result = screening.screen(
        mention("m1", "@brookfield water pouring through my ceiling", SATURDAY_NIGHT),
        EMERGENCY,
        SATURDAY_NIGHT,
    )
    assert not result.dialogue and result.pause
    post, dm = box.messages()
    assert (post.operation, post.target) == (Operation.X_REPLY, "tm1")
    assert (dm.operation, dm.target) == (Operation.X_DM, "x1")
    # The post comes first, fits in a post, and holds every emergency number.
    assert X_POST.fits(post.text)
    assert all(c.number in post.text for c in ASSOCIATION.emergency_contacts)
    assert post.text.startswith(
        f"If anyone is in danger, call {ASSOCIATION.phones['emergency_services']}"
    )
    # The direct message has the full contacts, and says honestly when people are back.
    assert ASSOCIATION.emergency_contacts_text() in dm.text
    assert "away until Monday at 9am" in dm.text and "urgent" in dm.text
    [handoff] = HandoffRepository(engine).queue()
    assert (handoff.reason, handoff.priority) == (Reason.EMERGENCY, Priority.URGENT)


def test_in_hours_the_dm_says_the_message_is_urgent_without_saying_people_are_away(store):
    screening, box, _ = store
    screening.screen(mention("m1", "i can smell gas", TUESDAY), EMERGENCY, TUESDAY)
    _, dm = box.messages()
    assert "flagged your message as urgent" in dm.text and "away" not in dm.text


def test_an_emergency_while_waiting_for_a_person_on_x_is_raised_to_urgent(store):
    screening, box, engine = store
    repository = HandoffRepository(engine)
    waiting = repository.add(
        plan(
            Reason.REQUEST_HUMAN,
            Conversation("twitter-public-x1", "twitter", "public", "x1"),
            TUESDAY,
            CALENDAR,
            Teams.from_config(ASSOCIATION.teams).for_reason(Reason.REQUEST_HUMAN),
        )
    )
    result = screening.screen(mention("m2", "smell of gas now", TUESDAY), EMERGENCY, TUESDAY)
    assert not result.dialogue
    [handoff] = repository.queue()
    assert handoff.id == waiting.id and handoff.priority is Priority.URGENT
    assert [m.operation for m in box.messages()] == [Operation.X_REPLY, Operation.X_DM]


def test_on_facebook_the_dialogue_still_gives_the_whole_reply_in_public(store):
    screening, box, _ = store
    comment = InboundEvent(
        "facebook",
        "comment",
        "c1",
        "public",
        "a1",
        "water pouring through my ceiling",
        TUESDAY,
        post_id="p1",
        comment_id="cc1",
    )
    assert screening.screen(comment, EMERGENCY, TUESDAY).dialogue
    assert box.messages() == []


def test_with_dms_closed_the_numbers_still_reach_the_tenant_and_they_are_asked_to_write(store):
    screening, box, _ = store
    screening.screen(mention("m3", "sparks coming from my socket", TUESDAY), EMERGENCY, TUESDAY)
    with FakePlatforms() as platforms:
        platforms.closed_dms.add("x1")
        client = XClient(platforms.x_url, "k", "s", "t", "ts", user_id="me")
        worker = OutboxWorker(box, {"twitter": twitter_deliverer(client)}, lambda: TUESDAY)
        while worker.run_once():
            pass
        posts = [c.body["text"] for c in platforms.received("twitter") if c.path == "/2/tweets"]
    assert len(posts) == 2 and all(X_POST.fits(text) for text in posts)
    assert all(c.number in posts[0] for c in ASSOCIATION.emergency_contacts)
    assert "direct message" in posts[1] and "urgent" in posts[1]
