"""Instagram: its webhook parser, its API client against the fake, its deliverer's windows,
its kit, and screening its comments with a real store (P5, P7, P12)."""

import ast
from datetime import datetime, timedelta, timezone

import pytest

from bot.association import load_association
from bot.events import InboundEvent, Operation, Platform, Surface
from bot.handoff.working_hours import WorkingCalendar
from bot.moderation.log import DONE, FOR_STAFF, Action
from bot.outbox import Author, Outbox, PlatformError
from bot.outbox_worker import OutboxWorker
from bot.platforms.instagram.api import InstagramClient
from bot.platforms.instagram.delivery import instagram_deliverer
from bot.platforms.instagram.kit import INSTAGRAM_DM, KIT
from bot.platforms.instagram.payloads import parse_instagram
from bot.platforms.kit import Said, split_to_fit
from bot.platforms.meta import OutsideWindow
from bot.platforms.payloads import MalformedPayload
from bot.platforms.registry import KITS
from bot.screening.coordinator import Intent, ModerationListener, Screening
from bot.screening.follow_ups import Awaits
from bot.screening.public_threads import Route
from bot.settings import Settings
from bot.store import connect
from scripts.fake_platforms import (
    FakePlatforms,
    instagram_comment,
    instagram_message,
    instagram_webhook,
)
from tests.helpers import ROOT, UK

ACCOUNT = "17841400000000042"
NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UK)
ASSOCIATION = load_association(ROOT / "association.yml")
CALENDAR = WorkingCalendar.from_config(ASSOCIATION.monitoring)


# The webhook parser


def test_a_direct_message_is_read_with_its_sender_and_time():
    payload = instagram_webhook(
        ACCOUNT, messaging=[instagram_message(ACCOUNT, "igs1", "my tap leaks", "mid1", 1764e9)]
    )
    [event] = parse_instagram(payload, ACCOUNT, NOW)
    assert (event.platform, event.kind, event.surface) == (
        Platform.INSTAGRAM,
        "message",
        Surface.PRIVATE,
    )
    assert (event.event_id, event.author_id, event.text) == ("mid1", "igs1", "my tap leaks")
    assert event.sent_at == datetime.fromtimestamp(1764e6, timezone.utc)
    assert event.conversation_id == "instagram-private-igs1"


def test_a_comment_is_read_as_public_with_its_media_and_id():
    change = instagram_comment("igs2", "boiler broken", "c9", "media7")
    [event] = parse_instagram(
        instagram_webhook(ACCOUNT, changes=[change], seconds=1764000000), ACCOUNT, NOW
    )
    assert (event.kind, event.surface, event.comment_id, event.post_id) == (
        "comment",
        Surface.PUBLIC,
        "c9",
        "media7",
    )
    assert event.sent_at == datetime.fromtimestamp(1764000000, timezone.utc)
    # The commenter's id is the one their direct messages come from.
    assert event.author_id == "igs2"


def test_echoes_deletions_the_accounts_own_comments_and_other_fields_are_dropped():
    echo = instagram_message(ACCOUNT, "igs1", "hi", "m1", 1)
    echo["message"]["is_echo"] = True
    deleted = instagram_message(ACCOUNT, "igs1", "hi", "m2", 1)
    deleted["message"]["is_deleted"] = True
    read = {"sender": {"id": "igs1"}, "recipient": {"id": ACCOUNT}, "read": {"mid": "m1"}}
    own = instagram_comment(ACCOUNT, "thanks!", "c1", "media1")
    mention = {"field": "mentions", "value": {"media_id": "m", "comment_id": "c"}}
    payload = instagram_webhook(ACCOUNT, messaging=[echo, deleted, read], changes=[own, mention])
    assert parse_instagram(payload, ACCOUNT, NOW) == []


def test_a_photo_alone_is_still_a_message():
    dm = instagram_message(ACCOUNT, "igs1", "", "m3", 1)
    dm["message"] = {"mid": "m3", "attachments": [{"type": "image", "payload": {"url": "u"}}]}
    [event] = parse_instagram(instagram_webhook(ACCOUNT, messaging=[dm]), ACCOUNT, NOW)
    assert event.attachment == "photo" and event.text == "[sent a photo]"


@pytest.mark.parametrize("payload", [{"object": "page", "entry": []}, {"object": "instagram"}, []])
def test_what_is_not_an_instagram_webhook_is_malformed(payload):
    with pytest.raises(MalformedPayload):
        parse_instagram(payload, ACCOUNT, NOW)


def test_one_odd_event_does_not_cost_the_others():
    good = instagram_message(ACCOUNT, "igs1", "hello", "m4", 1)
    odd = {"sender": {}, "message": {"mid": "m5", "text": "x"}}
    events = parse_instagram(instagram_webhook(ACCOUNT, messaging=[odd, good]), ACCOUNT, NOW)
    assert [e.event_id for e in events] == ["m4"]


# The API client and the deliverer, against the fake


@pytest.fixture
def fake():
    with FakePlatforms() as platforms:
        yield platforms


def test_the_client_makes_instagrams_calls(fake):
    client = InstagramClient(fake.instagram_url, "token")
    assert client.send_message("igs1", "hello").startswith("m_")
    client.send_message("igs1", "a person's reply", tag="HUMAN_AGENT")
    client.private_reply("c1", "we've sent you a message")
    assert client.public_reply("c2", "thanks")
    client.hide_comment("c3")
    client.delete_comment("c3")
    shapes = [(c.method, c.path, c.body) for c in fake.received("instagram")]
    assert shapes == [
        ("POST", "me/messages", {"recipient": {"id": "igs1"}, "message": {"text": "hello"}}),
        (
            "POST",
            "me/messages",
            {
                "recipient": {"id": "igs1"},
                "message": {"text": "a person's reply"},
                "messaging_type": "MESSAGE_TAG",
                "tag": "HUMAN_AGENT",
            },
        ),
        (
            "POST",
            "me/messages",
            {"recipient": {"comment_id": "c1"}, "message": {"text": "we've sent you a message"}},
        ),
        ("POST", "c2/replies", {"message": "thanks"}),
        ("POST", "c3", {"hide": True}),
        ("DELETE", "c3", None),
    ]
    assert all(c.query["access_token"] == ["token"] for c in fake.received("instagram"))


def test_instagram_refuses_a_second_private_reply_and_an_over_long_message_for_good(fake):
    client = InstagramClient(fake.instagram_url, "token")
    client.private_reply("c1", "one")
    with pytest.raises(PlatformError) as again:
        client.private_reply("c1", "two")
    with pytest.raises(PlatformError) as long:
        client.send_message("igs1", "é" * 501)  # 1,002 bytes
    assert not again.value.transient and not long.value.transient


def outbound(box, operation, target, author, user_message_at, text="hi"):
    box.enqueue(
        "instagram-private-igs1",
        Platform.INSTAGRAM,
        operation,
        target,
        NOW,
        text=text,
        author=author,
        user_message_at=user_message_at,
    )
    return box.messages()[-1]


def test_the_deliverer_keeps_metas_windows(fake, tmp_path):
    box = Outbox(connect(f"sqlite:///{tmp_path / 's.db'}"))
    deliver = instagram_deliverer(InstagramClient(fake.instagram_url, "token"))
    old = NOW - timedelta(hours=30)
    deliver(outbound(box, Operation.MESSENGER_SEND, "igs1", Author.STAFF, old), NOW)
    assert fake.received("instagram")[-1].body["tag"] == "HUMAN_AGENT"
    with pytest.raises(OutsideWindow):
        deliver(outbound(box, Operation.MESSENGER_SEND, "igs1", Author.ASSISTANT, old), NOW)
    week_old = NOW - timedelta(days=8)
    with pytest.raises(OutsideWindow):
        deliver(outbound(box, Operation.PRIVATE_REPLY, "c1", Author.ASSISTANT, week_old), NOW)
    with pytest.raises(PlatformError):
        deliver(outbound(box, Operation.X_DM, "igs1", Author.ASSISTANT, NOW), NOW)


# The kit


def test_a_long_reply_goes_as_direct_messages_that_each_fit():
    text = "Your rent is due on the 1st. " * 40 + "Thanks."
    pieces = KIT.pieces(Operation.MESSENGER_SEND, text)
    assert len(pieces) > 1 and all(INSTAGRAM_DM.fits(p) for p in pieces)
    assert " ".join(pieces) == text
    assert KIT.pieces(Operation.PUBLIC_REPLY, text) == [text]


def test_splitting_cuts_between_sentences_then_words():
    assert split_to_fit("short", INSTAGRAM_DM) == ["short"]
    words = "word " * 400
    pieces = split_to_fit(words.strip(), INSTAGRAM_DM)
    assert all(INSTAGRAM_DM.fits(p) and not p.startswith(" ") for p in pieces)
    assert " ".join(pieces) == words.strip()
    assert "".join(split_to_fit("x" * 2500, INSTAGRAM_DM)) == "x" * 2500


def test_without_its_settings_instagram_is_off_and_says_what_it_needs():
    settings = Settings(association_file=ROOT / "association.yml")
    assert KIT.deliverer(settings) is None
    assert KIT.missing(settings) == [
        "INSTAGRAM_APP_SECRET",
        "INSTAGRAM_VERIFY_TOKEN",
        "INSTAGRAM_ACCESS_TOKEN",
        "INSTAGRAM_ACCOUNT_ID",
    ]
    on = Settings.from_env(
        environ={
            "INSTAGRAM_APP_SECRET": "s",
            "INSTAGRAM_VERIFY_TOKEN": "v",
            "INSTAGRAM_ACCESS_TOKEN": "t",
            "INSTAGRAM_ACCOUNT_ID": ACCOUNT,
        }
    )
    assert KIT.missing(on) == [] and KIT.deliverer(on) is not None


# Screening Instagram comments, with a real store


@pytest.fixture
def store(tmp_path):
    engine = connect(f"sqlite:///{tmp_path / 'store.db'}")
    box = Outbox(engine)
    return Screening(engine, box, ASSOCIATION, CALENDAR), box, engine


def comment(event_id, text, author="igs9"):
    return InboundEvent(
        Platform.INSTAGRAM,
        "comment",
        event_id,
        Surface.PUBLIC,
        author,
        text,
        NOW,
        post_id="media1",
        comment_id=f"c{event_id}",
    )


def calls(box):
    return [(m.operation, m.target) for m in box.messages()]


def test_a_comment_with_a_phone_number_is_hidden_replied_to_privately_and_deleted(store):
    screening, box, _ = store
    screening.screen(
        comment("1", "leak again, ring 07700 900123"), Intent("report_repair", 0.9), NOW
    )
    assert calls(box) == [
        (Operation.HIDE_COMMENT, "c1"),
        (Operation.PRIVATE_REPLY, "c1"),
        (Operation.DELETE_COMMENT, "c1"),
    ]
    assert all(m.platform == Platform.INSTAGRAM for m in box.messages())
    private = box.messages()[1].text
    assert "phone number" in private and "07700" not in private
    # Screened again (a crash before it was marked processed): one private reply only.
    screening.screen(
        comment("1", "leak again, ring 07700 900123"), Intent("report_repair", 0.9), NOW
    )
    assert len(box.messages()) == 3


def test_a_tenancy_question_is_acknowledged_in_public_and_moved_to_private(store):
    screening, box, _ = store
    screening.screen(comment("2", "how much rent do i owe"), Intent("ask_rent_balance", 0.95), NOW)
    assert calls(box) == [(Operation.PUBLIC_REPLY, "c2"), (Operation.PRIVATE_REPLY, "c2")]
    assert "private message" in box.messages()[0].text


def test_abuse_is_hidden_and_struck_and_a_block_is_left_to_staff(store):
    screening, box, _ = store
    for n in range(3):
        screening.screen(
            comment(f"a{n}", "you're all useless f***ing idiots"),
            Intent("abuse", 0.95),
            NOW + timedelta(days=n),
        )
    # Instagram's API has no call to block or report: no call is made, the log asks
    # staff to do it in the app, and the author is not told they were blocked.
    assert [op for op, _ in calls(box)] == [Operation.HIDE_COMMENT, Operation.PRIVATE_REPLY] * 3
    entries = {e.action: e.state for e in screening.log.entries()}
    assert entries[Action.BLOCK] == FOR_STAFF and entries[Action.HIDE] == DONE
    assert "has now been blocked" not in box.messages()[-1].text


def test_a_direct_message_that_earns_a_block_is_passed_on_to_no_one(store):
    screening, _, _ = store
    # A private reply asked this author to tell us who was named: a follow-up waits.
    screening.follow_ups.promise(
        Platform.INSTAGRAM, "igs9", "instagram-public-igs9", Awaits.STAFF_NAMED, NOW, "k1"
    )
    dm = InboundEvent(
        Platform.INSTAGRAM,
        "message",
        "d9",
        Surface.PRIVATE,
        "igs9",
        "gonna batter the next plumber u send round",
        NOW,
    )
    result = screening.screen(dm, Intent("abuse", 0.95), NOW)
    assert result.dialogue and result.route is not Route.PASS_ON
    assert any(e.action is Action.BLOCK for e in screening.log.entries())


def test_a_hide_is_undone_by_showing_the_comment_again(store, fake):
    screening, box, _ = store
    screening.screen(comment("3", "you're all useless f***ing idiots"), Intent("abuse", 0.95), NOW)
    [hide] = [e for e in screening.log.entries() if e.action is Action.HIDE]
    assert hide.undoable
    screening.log.undo(hide.id, "Sam", NOW)
    assert calls(box)[-1] == (Operation.UNHIDE_COMMENT, "c3")
    deliver = instagram_deliverer(InstagramClient(fake.instagram_url, "token"))
    listener = ModerationListener(screening.comments, screening.log)
    worker = OutboxWorker(box, {Platform.INSTAGRAM: deliver}, lambda: NOW, listener=listener)
    while worker.run_once():
        pass
    assert [(c.path, c.body) for c in fake.received("instagram")][-1] == ("c3", {"hide": False})


# The layout


def test_the_platform_folders_import_nothing_of_each_other():
    folders = sorted(p for p in (ROOT / "bot" / "platforms").iterdir() if (p / "kit.py").exists())
    assert {f.name for f in folders} >= {"facebook", "x", "instagram"}
    assert len(folders) == len(KITS)
    for folder in folders:
        others = {f"bot.platforms.{f.name}" for f in folders if f != folder}
        for path in folder.rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                names = []
                if isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom) and node.module:
                    names = [node.module]
                for name in names:
                    assert not any(name == o or name.startswith(o + ".") for o in others), (
                        f"{path.relative_to(ROOT)} imports {name}"
                    )


def test_a_private_reply_cut_to_fit_is_logged_without_its_words(caplog):
    long = "We've hidden your comment. " + "It broke our rules. " * 80
    event = comment("cut", "x")
    with caplog.at_level("WARNING", logger="bot.platforms.instagram.kit"):
        sent = KIT.private_call(event, Said(None, long), follow=False).text
    assert len(sent.encode()) <= 1000
    [record] = caplog.records
    assert "cut to its first" in record.getMessage() and "rules" not in record.getMessage()
    caplog.clear()
    with caplog.at_level("WARNING", logger="bot.platforms.instagram.kit"):
        KIT.private_call(event, Said(None, "Short and whole."), follow=False)
    assert caplog.records == []


# The retention sweep's listing (P10)


def test_the_sweep_lists_every_post_comment_and_reply_page_by_page(fake):
    for n in range(130):  # more than a page of comments (100 a page)
        fake.add_instagram_comment("media1", f"1790{n:04d}", "2026-07-01T09:30:00+0000", f"u{n}")
    for n in range(30):  # more replies than a comment lists with itself (25)
        fake.add_instagram_comment(
            "media1", f"1791{n:04d}", "2026-07-02T09:30:00+0000", f"r{n}", parent="17900000"
        )
    fake.add_instagram_comment(
        "media2", "17920000", "2026-11-20T09:30:00+0000", ACCOUNT, parent=None
    )
    seen = list(InstagramClient(fake.instagram_url, "token").account_comments(ACCOUNT))
    assert len(seen) == 161 and len({s.comment_id for s in seen}) == 161
    assert {s.post_id for s in seen} == {"media1", "media2"}
    [ours] = [s for s in seen if s.by_page]
    assert (ours.comment_id, ours.author_id) == ("17920000", ACCOUNT)
    reply = next(s for s in seen if s.comment_id == "17910029")
    assert reply.created_at == datetime(2026, 7, 2, 9, 30, tzinfo=timezone.utc)
    assert reply.author_id == "r29" and not reply.by_page


def test_the_kit_lists_comments_only_while_instagram_is_on():
    assert KIT.comment_listing(Settings(association_file=ROOT / "association.yml")) is None
    on = {
        "INSTAGRAM_APP_SECRET": "s",
        "INSTAGRAM_VERIFY_TOKEN": "v",
        "INSTAGRAM_ACCESS_TOKEN": "t",
        "INSTAGRAM_ACCOUNT_ID": ACCOUNT,
    }
    assert callable(KIT.comment_listing(Settings.from_env(environ=on)))


def test_a_post_that_cannot_be_listed_or_a_comment_without_a_time_costs_the_others_nothing(fake):
    fake.add_instagram_comment("media1", "17900001", "2026-07-01T09:30:00+0000", "u1")
    fake.instagram_media.insert(0, {"id": "media-deleted", "timestamp": "2026-07-01T09:30:00+0000"})
    fake.instagram_comments["media1"].append(
        {"id": "17900002", "from": {"id": "u2"}, "replies": []}
    )
    seen = list(InstagramClient(fake.instagram_url, "token").account_comments(ACCOUNT))
    assert [s.comment_id for s in seen] == ["17900001"]
