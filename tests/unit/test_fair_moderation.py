"""Moderation that is fair both ways (P7): strikes count per person and are never lost,
naming staff again counts, and a civil tenant is not punished for a link or a word."""

import threading
from datetime import timedelta

import pytest

from bot.events import Operation
from bot.handoff.handoffs import HandoffRepository, Reason
from bot.keys import DataKeys
from bot.moderation.log import Action
from bot.outbox import Outbox
from bot.outbox_worker import OutboxWorker
from bot.platforms.facebook.delivery import facebook_deliverer
from bot.platforms.facebook.graph_api import GraphClient
from bot.privacy import Span
from bot.screening.coordinator import Intent, ModerationListener, Screening
from bot.screening.public_threads import Route
from bot.store import connect
from scripts.fake_platforms import FakePlatforms
from tests.unit.test_screening import (
    ASSOCIATION,
    CALENDAR,
    TUESDAY,
    calls,
    comment,
    direct,
    mention,
)

ABUSE = "you're all useless f***ing idiots"


@pytest.fixture
def store(tmp_path):
    engine = connect(f"sqlite:///{tmp_path / 'store.db'}")
    box = Outbox(engine)
    return Screening(engine, box, ASSOCIATION, CALENDAR), box, engine


def blocks(box):
    return [target for op, target in calls(box) if op in (Operation.BLOCK_USER, Operation.X_BLOCK)]


def test_strikes_from_messenger_and_comments_add_up_once_facebook_links_them(store):
    screening, box, _ = store
    with FakePlatforms() as platforms:
        platforms.psids["ca1"] = "psid-9"
        # A first abusive comment; its private reply reaches the commenter in Messenger.
        screening.screen(comment("a1", ABUSE, author="u1"), Intent("abuse", 0.95), TUESDAY)
        graph = GraphClient(platforms.graph_url, "1000", "token")
        listener = ModerationListener(screening.comments, screening.log)
        worker = OutboxWorker(
            box, {"facebook": facebook_deliverer(graph)}, lambda: TUESDAY, listener=listener
        )
        while worker.run_once():
            pass
    # The same person abuses staff's inbox in Messenger, then comments again.
    day = timedelta(days=1)
    dm = screening.screen(
        direct("m1", ABUSE, platform="facebook", author="psid-9"),
        Intent("abuse", 0.95),
        TUESDAY + day,
    )
    assert dm.later == ()
    screening.screen(comment("a2", ABUSE, author="u1"), Intent("abuse", 0.95), TUESDAY + 2 * day)
    assert blocks(box) == ["u1"]
    assert len(screening.log.strikes("facebook", "psid-9")) == 3


def test_an_x_user_is_one_person_in_dms_and_mentions(store):
    screening, box, _ = store
    for n in range(2):
        screening.screen(mention(f"t{n}", ABUSE, author="x7"), Intent("abuse", 0.95), TUESDAY)
    third = screening.screen(direct("d1", ABUSE, author="x7"), Intent("abuse", 0.95), TUESDAY)
    assert [c.operation for c in third.later] == [Operation.X_BLOCK, Operation.X_REPORT_SPAM]


def test_two_strikes_screened_at_once_are_both_counted(tmp_path):
    # Every server runs with the same keys (P9: its settings').
    keys = DataKeys.ephemeral()
    engine = connect(f"sqlite:///{tmp_path / 'store.db'}", keys)
    box = Outbox(engine)
    first = Screening(engine, box, ASSOCIATION, CALENDAR)
    first.screen(comment("s0", ABUSE), Intent("abuse", 0.95), TUESDAY)
    # Two servers, one store: the second and third strikes come in at the same moment.
    servers = [
        Screening(
            connect(f"sqlite:///{tmp_path / 'store.db'}", keys),
            Outbox(engine),
            ASSOCIATION,
            CALENDAR,
        )
        for _ in range(2)
    ]
    start = threading.Barrier(2)
    errors = []

    def screen(screening, n):
        start.wait()
        try:
            screening.screen(comment(f"s{n}", ABUSE), Intent("abuse", 0.95), TUESDAY)
        except Exception as error:  # noqa: BLE001 (reported below)
            errors.append(error)

    threads = [threading.Thread(target=screen, args=(s, n + 1)) for n, s in enumerate(servers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(first.log.strikes("facebook", "a1")) == 3
    # Whichever came second saw the other's strike: the author is blocked.
    assert blocks(box) == ["a1"]


def test_naming_staff_again_after_a_warning_counts_towards_a_block(store):
    screening, box, _ = store
    for n in range(4):
        screening.screen(
            comment(f"k{n}", "Dave Price came round today"), Intent(), TUESDAY + timedelta(days=n)
        )
    strikes = [e for e in screening.log.entries() if e.action is Action.STRIKE]
    # The first naming is the warning; the next three are strikes, and the third blocks.
    assert len(strikes) == 3
    assert blocks(box) == ["a1"]


def test_naming_staff_once_is_only_a_warning(store):
    screening, box, _ = store
    screening.screen(comment("k1", "Dave Price came round today"), Intent(), TUESDAY)
    screening.screen(comment("k2", "you're all useless f***ing idiots"), Intent(), TUESDAY)
    assert len(screening.log.strikes("facebook", "a1")) == 1 and blocks(box) == []


def test_naming_staff_in_a_private_message_is_no_strike(store):
    screening, _, _ = store
    for n in range(3):
        screening.screen(
            direct(f"n{n}", "Dave Price said he would call me", platform="facebook"),
            Intent(),
            TUESDAY,
        )
    assert screening.log.entries() == []


@pytest.mark.parametrize(
    "text",
    [
        "the council guide on damp is at https://www.damp-advice.org/mould and it helps",
        "our residents group meets on thursdays, details on residentsgroup.com",
    ],
)
def test_a_link_to_an_ordinary_website_stays_up(store, text):
    screening, box, _ = store
    result = screening.screen(comment("l1", text), Intent("out_of_scope", 0.6), TUESDAY)
    assert result.dialogue and box.messages() == [] and screening.log.entries() == []


@pytest.mark.parametrize("kind", ["vulnerability", "a_kind_the_detector_learns_later"])
def test_every_kind_the_detector_returns_is_hidden_and_explained_privately(tmp_path, kind):
    engine = connect(f"sqlite:///{tmp_path / 'store.db'}")
    box = Outbox(engine)
    text = "I work nights so the flat is empty 9 till 5"

    def detector(found_in):
        start = found_in.index("the flat is empty")
        return [Span(kind, start, len(found_in), found_in[start:])]

    screening = Screening(engine, box, ASSOCIATION, CALENDAR, detector=detector)
    result = screening.screen(comment("v1", text), Intent("out_of_scope", 0.5), TUESDAY)
    assert result.route is Route.PROTECT and not result.dialogue
    assert "the flat is empty" not in result.text
    assert calls(box) == [
        (Operation.HIDE_COMMENT, "cv1"),
        (Operation.PRIVATE_REPLY, "cv1"),
        (Operation.DELETE_COMMENT, "cv1"),
    ]
    private = box.messages()[1].text
    assert "hidden your comment" in private and "the flat is empty" not in private


@pytest.mark.parametrize(
    "text, intent, help_given",
    [
        (
            "the damp in my flat is fucking unbearable, can someone come and look",
            "report_repair",
            "Tell me here what's wrong and I'll help",
        ),
        ("this f***ing boiler has packed in again", "report_repair", "out-of-hours repairs line"),
        (
            "what the hell time do you open, the shit phone line just rings out",
            "ask_opening_hours",
            "How can we help?",
        ),
    ],
)
def test_swearing_about_a_situation_is_filtered_with_a_friendly_note_and_help(
    store, text, intent, help_given
):
    screening, box, _ = store
    for n in range(4):  # however often: swearing alone never blocks
        result = screening.screen(
            comment(f"w{n}", text), Intent(intent, 0.9), TUESDAY + timedelta(days=n)
        )
        assert not result.dialogue and "fuck" not in result.text and "shit" not in result.text
    assert calls(box)[:2] == [(Operation.HIDE_COMMENT, "cw0"), (Operation.PRIVATE_REPLY, "cw0")]
    note = box.messages()[1].text
    assert "swear words" in note and help_given in note
    for threat in ("block", "report", "rules", "zero tolerance"):
        assert threat not in note.lower()
    assert blocks(box) == [] and screening.log.strikes("facebook", "a1") == []


def test_a_sweary_complaint_still_reaches_customer_experience(store):
    screening, box, engine = store
    screening.screen(
        comment("w9", "still waiting on my fucking repair, this is a joke"),
        Intent("make_complaint", 0.9),
        TUESDAY,
    )
    [handoff] = HandoffRepository(engine).queue()
    assert handoff.reason is Reason.NEGATIVE_PUBLIC_COMMENT
    assert "Customer Experience team aims to reply" in box.messages()[1].text
