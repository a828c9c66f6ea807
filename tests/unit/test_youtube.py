"""YouTube: its comment-thread parser, its API client and deliverer against the fake, the
poller's place and quota, the store's claim on a turn, its kit, and screening its
comments with a real store (P5, P7, P12)."""

import asyncio
from datetime import datetime, timedelta, timezone

import pytest

from bot.association import load_association
from bot.channels.polling import poll_once
from bot.events import InboundEvent, Operation, Platform, Surface
from bot.handoff.handoffs import HandoffRepository, Reason
from bot.handoff.working_hours import WorkingCalendar
from bot.moderation.log import DONE, Action
from bot.outbox import Outbox, PlatformError
from bot.outbox_worker import OutboxWorker
from bot.platforms.payloads import MalformedPayload
from bot.platforms.places import PollPlaces, Read
from bot.platforms.registry import KITS
from bot.platforms.youtube.api import YouTubeClient, quota_day, until_quota_resets
from bot.platforms.youtube.delivery import youtube_deliverer
from bot.platforms.youtube.kit import KIT
from bot.platforms.youtube.payloads import parse_threads, thread_of
from bot.platforms.youtube.poller import FIRST_LOOK_BACK, CommentPoller
from bot.screening.coordinator import Intent, ModerationListener, Screening
from bot.screening.public_threads import Route
from bot.settings import Settings, SettingsError
from bot.store import connect
from scripts.fake_platforms import FakePlatforms
from tests.helpers import ROOT, UK

CHANNEL = "UCassociation0000000000a"
NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UK)
ASSOCIATION = load_association(ROOT / "association.yml")
CALENDAR = WorkingCalendar.from_config(ASSOCIATION.monitoring)


def at(minutes: float) -> str:
    """A YouTube time, `minutes` after NOW."""
    return (
        (NOW + timedelta(minutes=minutes)).astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    )


@pytest.fixture
def fake():
    with FakePlatforms() as platforms:
        platforms.youtube_channel = CHANNEL
        yield platforms


def client_of(fake, **options):
    return YouTubeClient(
        fake.youtube_url, fake.youtube_token_url, "client", "secret", "refresh", **options
    )


def listing(fake, client=None):
    return (client or client_of(fake)).comment_threads(CHANNEL)


# The parser


def test_a_thread_is_read_as_its_comment_and_replies_each_public(fake):
    fake.add_youtube_comment("vid1", "Ug1", "UCtenant1", "my boiler is broken", at(-5), "@amy")
    fake.add_youtube_comment("vid1", "r1", "UCtenant2", "same here", at(-4), "@bo", parent="Ug1")
    page = parse_threads(listing(fake), CHANNEL)
    top, reply = sorted(page.comments, key=lambda e: e.sent_at)
    assert (top.platform, top.kind, top.surface) == (Platform.YOUTUBE, "comment", Surface.PUBLIC)
    assert (top.event_id, top.comment_id, top.post_id) == ("Ug1", "Ug1", "vid1")
    assert (top.author_id, top.author_name, top.text) == (
        "UCtenant1",
        "@amy",
        "my boiler is broken",
    )
    assert top.sent_at == NOW - timedelta(minutes=5)
    assert top.conversation_id == "youtube-public-UCtenant1"
    assert reply.comment_id == "Ug1.r1" and thread_of(reply.comment_id) == "Ug1"
    assert page.next_page is None and page.thread_times == [NOW - timedelta(minutes=5)]


def test_the_channels_own_comments_and_deleted_accounts_are_not_screened(fake):
    fake.add_youtube_comment("vid1", "Ug1", CHANNEL, "Thanks for watching", at(-5), "@assoc")
    fake.add_youtube_comment("vid1", "Ug2", "", "gone", at(-4))
    page = parse_threads(listing(fake), CHANNEL)
    assert page.comments == [] and [e.event_id for e in page.own] == ["Ug1"]


def test_one_odd_thread_does_not_cost_the_others():
    good = {
        "id": "Ug1",
        "snippet": {
            "videoId": "v",
            "topLevelComment": {
                "id": "Ug1",
                "snippet": {
                    "authorChannelId": {"value": "UCt"},
                    "textDisplay": "hi",
                    "publishedAt": "2026-11-24T10:00:00Z",
                },
            },
        },
    }
    odd = {"id": "Ug2", "snippet": {"topLevelComment": {"snippet": {"publishedAt": "no time"}}}}
    page = parse_threads({"items": [odd, good]}, CHANNEL)
    assert [e.event_id for e in page.comments] == ["Ug1"]
    with pytest.raises(MalformedPayload):
        parse_threads({"items": [odd]}, CHANNEL)
    with pytest.raises(MalformedPayload):
        parse_threads(["not", "a", "listing"], CHANNEL)


# The client, against the fake


def test_the_client_gets_a_token_once_and_makes_youtubes_calls(fake):
    fake.add_youtube_comment("vid1", "Ug1", "UCtenant1", "hello", at(-5))
    client = client_of(fake)
    assert client.reply("Ug1", "Thanks!").startswith("Ug1.")
    assert client.comment("vid1", "@amy Please call us")
    assert client.moderate("Ug1", "heldForReview") == "Ug1"
    assert client.moderate("Ug1", "rejected", ban_author=True) == "Ug1"
    calls = fake.received("youtube")
    assert [(c.method, c.path) for c in calls] == [
        ("POST", "v3/comments"),
        ("POST", "v3/commentThreads"),
        ("POST", "v3/comments/setModerationStatus"),
        ("POST", "v3/comments/setModerationStatus"),
    ]
    assert calls[0].body == {"snippet": {"parentId": "Ug1", "textOriginal": "Thanks!"}}
    assert calls[1].body["snippet"]["videoId"] == "vid1"
    assert calls[3].query == {
        "id": ["Ug1"],
        "moderationStatus": ["rejected"],
        "banAuthor": ["true"],
    }
    # One token for every call: Bearer, renewed only when it runs out.
    assert len(fake.youtube_tokens) == 1
    assert {c.authorization for c in calls} == {f"Bearer {next(iter(fake.youtube_tokens))}"}
    assert fake.youtube_units == 4 * 50


def test_a_token_is_renewed_when_it_runs_out(fake):
    # Got at 0 (it lasts 3,599 s, renewed a minute early); asked for again at 4,000.
    ticks = iter([0.0, 4000.0, 4000.0])
    client = client_of(fake, monotonic=lambda: next(ticks))
    listing(fake, client)
    listing(fake, client)
    assert len(fake.youtube_tokens) == 2


def test_a_spent_quota_is_tried_again_after_midnight_pacific_time(fake):
    fake.youtube_quota = 0
    with pytest.raises(PlatformError) as raised:
        listing(fake)
    assert raised.value.transient and 0 < raised.value.retry_after <= 86400
    # 08:00 UTC is midnight in California in winter: an hour before it, an hour to wait.
    assert until_quota_resets(datetime(2026, 11, 24, 7, 0, tzinfo=timezone.utc)) == 3600
    assert quota_day(datetime(2026, 11, 24, 7, 0, tzinfo=timezone.utc)) == "2026-11-23"


def test_a_revoked_token_is_fetched_again_and_a_bad_call_is_given_up(fake):
    client = client_of(fake)
    listing(fake, client)
    fake.youtube_tokens.clear()  # revoked
    with pytest.raises(PlatformError) as raised:
        listing(fake, client)
    assert raised.value.transient
    listing(fake, client)  # a new token
    with pytest.raises(PlatformError) as raised:
        client.reply("no-such-thread", "hi")
    assert not raised.value.transient


def test_a_rejected_comment_cannot_be_replied_to_or_published_again(fake):
    fake.add_youtube_comment("vid1", "Ug1", "UCtenant1", "hello", at(-5))
    client = client_of(fake)
    client.moderate("Ug1", "rejected")
    with pytest.raises(PlatformError):
        client.reply("Ug1", "hi")
    with pytest.raises(PlatformError) as raised:
        client.moderate("Ug1", "published")
    assert not raised.value.transient


# The poller


def poller(fake, read_units=2000, max_pages=20):
    return CommentPoller(client_of(fake), CHANNEL, read_units, max_pages=max_pages)


def test_the_first_poll_looks_back_a_day_and_the_next_reads_only_what_is_new(fake):
    fake.add_youtube_comment("vid1", "Ugold", "UCt1", "old", at(-60 * 25))
    fake.add_youtube_comment("vid1", "Ug1", "UCt1", "first", at(-60))
    fake.add_youtube_comment("vid1", "Ug2", "UCt2", "second", at(-30))
    reader = poller(fake)
    first = reader.read({}, NOW)
    assert [e.event_id for e in first.events] == ["Ug1", "Ug2"]  # oldest first
    assert FIRST_LOOK_BACK == timedelta(days=1)
    again = reader.read(first.place, NOW + timedelta(minutes=5))
    assert again.events == [] and again.pages == 1
    fake.add_youtube_comment("vid1", "r1", "UCt3", "me too", at(2), parent="Ug1")
    fake.add_youtube_comment("vid2", "Ug3", "UCt3", "hello", at(3))
    then = reader.read(again.place, NOW + timedelta(minutes=10))
    assert [e.event_id for e in then.events] == ["Ug1.r1", "Ug3"]


def test_comments_written_in_the_same_second_are_each_read_once(fake):
    fake.add_youtube_comment("vid1", "Ug1", "UCt1", "one", at(-1))
    reader = poller(fake)
    first = reader.read({}, NOW)
    fake.add_youtube_comment("vid1", "Ug2", "UCt2", "two", at(-1))  # the same second
    second = reader.read(first.place, NOW)
    assert [e.event_id for e in second.events] == ["Ug2"]
    assert reader.read(second.place, NOW).events == []


def test_the_poller_pages_until_it_reaches_what_it_has_read(fake):
    for n in range(250):
        fake.add_youtube_comment("vid1", f"Ug{n:03}", "UCt1", f"c{n}", at(-300 + n))
    read = poller(fake).read({}, NOW)
    assert len(read.events) == 250 and read.pages == 3 and read.stopped_early is None
    for n in range(250, 260):
        fake.add_youtube_comment("vid1", f"Ug{n:03}", "UCt1", f"c{n}", at(-300 + n))
    more = poller(fake).read(read.place, NOW)
    assert len(more.events) == 10 and more.pages == 1


def test_the_poller_keeps_to_its_pages_and_its_share_of_the_days_quota(fake):
    for n in range(250):
        fake.add_youtube_comment("vid1", f"Ug{n:03}", "UCt1", f"c{n}", at(-300 + n))
    capped = poller(fake, max_pages=2).read({}, NOW)
    assert capped.pages == 2 and capped.stopped_early
    reader = poller(fake, read_units=3)
    first = reader.read({}, NOW)
    assert first.place["units"] == 3 and first.place["day"] == quota_day(NOW)
    spent = reader.read(first.place, NOW + timedelta(minutes=5))
    assert spent.pages == 0 and "read units" in spent.stopped_early
    assert spent.place["newest"] == first.place["newest"]  # nothing read, nothing skipped
    tomorrow = reader.read(first.place, NOW + timedelta(days=1))
    assert tomorrow.pages == 1 and tomorrow.place["units"] == 1


def test_the_channels_own_replies_are_passed_over(fake):
    fake.add_youtube_comment("vid1", "Ug1", "UCt1", "hi", at(-5))
    client_of(fake).reply("Ug1", "Hello from us")
    read = poller(fake).read({}, NOW + timedelta(minutes=1))
    assert [e.event_id for e in read.events] == ["Ug1"]


# Turns: one server reads at a time, and the place is kept after the intake has them


def test_a_turn_is_claimed_by_one_server_until_it_is_due_again(tmp_path):
    places = PollPlaces(connect(f"sqlite:///{tmp_path / 's.db'}"))
    every = timedelta(minutes=5)
    assert places.claim("youtube:x", NOW, every) == {}
    # Another server (its own engine on the same store) waits its turn.
    other = PollPlaces(connect(f"sqlite:///{tmp_path / 's.db'}"))
    assert other.claim("youtube:x", NOW + timedelta(minutes=1), every) is None
    places.save("youtube:x", {"newest": "t"}, NOW)
    assert places.claim("youtube:x", NOW + every, every) == {"newest": "t"}
    assert places.due("youtube:x") == NOW + 2 * every


def test_the_poller_reads_on_from_its_place_after_a_restart(fake, tmp_path):
    url = f"sqlite:///{tmp_path / 's.db'}"
    fake.add_youtube_comment("vid1", "Ug1", "UCt1", "before", at(-5))
    places, every = PollPlaces(connect(url)), timedelta(minutes=5)
    read = poller(fake).read(places.claim("youtube:x", NOW, every), NOW)
    places.save("youtube:x", read.place, NOW)
    assert [e.event_id for e in read.events] == ["Ug1"]
    fake.add_youtube_comment("vid1", "Ug2", "UCt1", "after", at(1))
    # A new process: a new engine and poller, the same store.
    restarted = PollPlaces(connect(url))
    place = restarted.claim("youtube:x", NOW + every, every)
    assert [e.event_id for e in poller(fake).read(place, NOW + every).events] == ["Ug2"]


class FakeRuntime:
    def __init__(self, engine, fail=False):
        self.intake = type("Intake", (), {"engine": engine})()
        self.accepted = []
        self.fail = fail

    async def accept(self, events):
        if self.fail:
            raise RuntimeError("the store is down")
        new = [e for e in events if e not in self.accepted]
        self.accepted.extend(new)
        return new


class Reader:
    name = "youtube:x"
    every = timedelta(minutes=5)

    def __init__(self, events):
        self.events = events
        self.places = []

    def read(self, place, now):
        self.places.append(place)
        if isinstance(self.events, Exception):
            raise self.events
        return Read(self.events, {"newest": "after"}, 1)


def comment(event_id, text, author="UCt9", comment_id=None, name="@tenant9"):
    return InboundEvent(
        Platform.YOUTUBE,
        "comment",
        event_id,
        Surface.PUBLIC,
        author,
        text,
        NOW,
        post_id="vid1",
        comment_id=comment_id or event_id,
        author_name=name,
    )


def test_the_place_is_kept_only_once_the_intake_has_what_was_read(tmp_path):
    engine = connect(f"sqlite:///{tmp_path / 's.db'}")
    places = PollPlaces(engine)
    events = [comment("Ug1", "hi")]
    with pytest.raises(RuntimeError):
        asyncio.run(poll_once(FakeRuntime(engine, fail=True), Reader(events), places, NOW))
    assert places.place("youtube:x") == {}
    later = NOW + timedelta(minutes=5)
    runtime = FakeRuntime(engine)
    done = asyncio.run(poll_once(runtime, Reader(events), places, later))
    assert done["new"] == 1 and runtime.accepted == events
    assert places.place("youtube:x") == {"newest": "after"}


def test_a_platform_that_cannot_be_read_keeps_its_place(tmp_path):
    engine = connect(f"sqlite:///{tmp_path / 's.db'}")
    places = PollPlaces(engine)
    places.claim("youtube:x", NOW - timedelta(hours=1), timedelta(minutes=5))
    places.save("youtube:x", {"newest": "before"}, NOW)
    down = Reader(PlatformError("HTTP 503", transient=True))
    done = asyncio.run(poll_once(FakeRuntime(engine), down, places, NOW))
    assert "503" in done["error"] and places.place("youtube:x") == {"newest": "before"}
    # An unreadable comment is skipped; the others are kept.
    odd = comment("bad id with spaces", "hi")
    runtime = FakeRuntime(engine)
    asyncio.run(poll_once(runtime, Reader([odd, comment("Ug2", "ok")]), places, NOW + Reader.every))
    assert [e.event_id for e in runtime.accepted] == ["Ug2"]


# The kit


def test_the_kit_answers_in_the_thread_and_has_no_private_messages():
    top, reply = comment("Ug1", "hi"), comment("Ug1.r1", "hi", comment_id="Ug1.r1")
    assert KIT.reply_route(top) == (Operation.PUBLIC_REPLY, "Ug1")
    assert KIT.reply_route(reply) == (Operation.PUBLIC_REPLY, "Ug1")
    assert KIT.private_call(top, None, follow=False) is None and not KIT.messages
    assert KITS[Platform.YOUTUBE] is KIT


def test_a_top_level_comment_taken_down_is_answered_on_the_video_naming_its_author():
    from bot.platforms.kit import Said

    calls = KIT.hide_calls(comment("Ug1", "x"), Said("Please call us", None))
    assert [(c.operation, c.target, c.text) for c in calls] == [
        (Operation.HIDE_COMMENT, "Ug1", None),
        (Operation.PUBLIC_POST, "vid1", "@tenant9 Please call us"),
    ]
    reply = comment("Ug1.r1", "x", comment_id="Ug1.r1", name="Amy Smith")
    calls = KIT.hide_calls(reply, Said("Please call us", None))
    # A reply's thread stays up; a name that is no handle is not written as one.
    assert calls[1] == type(calls[1])(Operation.PUBLIC_REPLY, "Ug1", "Please call us")


def test_without_its_settings_youtube_is_off_and_says_what_it_needs():
    settings = Settings(association_file=ROOT / "association.yml")
    assert KIT.deliverer(settings) is None and KIT.poller(settings) is None
    assert KIT.missing(settings) == [
        "YOUTUBE_CLIENT_ID",
        "YOUTUBE_CLIENT_SECRET",
        "YOUTUBE_REFRESH_TOKEN",
        "YOUTUBE_CHANNEL_ID",
    ]
    on = Settings.from_env(
        environ={
            "YOUTUBE_CLIENT_ID": "c",
            "YOUTUBE_CLIENT_SECRET": "s",
            "YOUTUBE_REFRESH_TOKEN": "r",
            "YOUTUBE_CHANNEL_ID": CHANNEL,
            "YOUTUBE_POLL_SECONDS": "60",
            "YOUTUBE_READ_UNITS": "500",
        }
    )
    assert KIT.missing(on) == [] and KIT.deliverer(on) is not None
    reader = KIT.poller(on)
    assert reader.name == f"youtube:{CHANNEL}" and reader.every == timedelta(seconds=60)
    with pytest.raises(SettingsError, match="YOUTUBE_POLL_SECONDS"):
        Settings.from_env(environ={"YOUTUBE_POLL_SECONDS": "0"})


# Screening YouTube comments, with a real store


@pytest.fixture
def store(tmp_path):
    engine = connect(f"sqlite:///{tmp_path / 'store.db'}")
    box = Outbox(engine)
    return Screening(engine, box, ASSOCIATION, CALENDAR), box, engine


def calls(box):
    return [(m.operation, m.target) for m in box.messages()]


def test_a_comment_with_an_address_is_rejected_and_answered_in_public_with_no_detail(store):
    screening, box, _ = store
    text = "my ceiling fell in at 14 Acacia Avenue, LS6 2AB, sort it"
    result = screening.screen(comment("Ug1", text), Intent("report_repair", 0.9), NOW)
    assert calls(box) == [
        (Operation.HIDE_COMMENT, "Ug1"),
        (Operation.PUBLIC_POST, "vid1"),
        (Operation.DELETE_COMMENT, "Ug1"),
    ]
    notice = box.messages()[1].text
    assert notice.startswith("@tenant9 ") and "private message" in notice
    assert "Acacia" not in notice and "LS6" not in notice and "address" not in notice
    assert "direct message" not in notice  # YouTube has none
    assert customer_services() in notice
    assert result.said == ((Surface.PUBLIC, notice.removeprefix("@tenant9 ")),)
    assert {e.action for e in screening.log.entries()} == {Action.HIDE, Action.DELETE}


def customer_services():
    return ASSOCIATION.phones["customer_services"]


def test_a_tenancy_question_is_answered_in_its_thread_asking_for_a_private_route(store):
    screening, box, _ = store
    screening.screen(
        comment("Ug2", "how much rent do i owe"), Intent("ask_rent_balance", 0.95), NOW
    )
    assert calls(box) == [(Operation.PUBLIC_REPLY, "Ug2")]
    assert "private message on Facebook" in box.messages()[0].text
    # No private reply was sent, so nothing waits for an answer to one.
    assert screening.follow_ups.pending(Platform.YOUTUBE, "UCt9", NOW, "k") is None


def test_abuse_is_held_and_repeat_offenders_are_banned_through_the_same_call(store, fake):
    screening, box, _ = store
    for n in range(3):
        result = screening.screen(
            comment(f"Uga{n}", "you're all useless f***ing idiots"),
            Intent("abuse", 0.95),
            NOW + timedelta(days=n),
        )
        assert result.route is Route.REMOVE
    operations = [op for op, _ in calls(box)]
    assert operations[:2] == [Operation.HIDE_COMMENT, Operation.PUBLIC_POST]
    assert operations[-1] is Operation.BLOCK_USER and calls(box)[-1][1] == "Uga2"
    assert "can no longer comment here" in box.messages()[-2].text
    blocks = [e for e in screening.log.entries() if e.action is Action.BLOCK]
    assert [b.state for b in blocks] == [DONE]
    # Through the fake: held, answered on the video, then rejected with a ban.
    for n in range(3):
        fake.add_youtube_comment("vid1", f"Uga{n}", "UCt9", "x", at(n))
    deliver = youtube_deliverer(client_of(fake))
    listener = ModerationListener(screening.comments, screening.log)
    later = NOW + timedelta(days=3)
    worker = OutboxWorker(box, {Platform.YOUTUBE: deliver}, lambda: later, listener=listener)
    while worker.run_once():
        pass
    assert fake.youtube_status["Uga2"] == "rejected" and fake.youtube_banned == {"Uga2"}
    assert all(m.state == "sent" for m in box.messages())


def test_a_hold_is_undone_by_publishing_the_comment_again(store, fake):
    screening, box, _ = store
    screening.screen(
        comment("Ug3", "you're all useless f***ing idiots"), Intent("abuse", 0.95), NOW
    )
    [hold] = [e for e in screening.log.entries() if e.action is Action.HIDE]
    assert hold.undoable
    screening.log.undo(hold.id, "Sam", NOW)
    assert calls(box)[-1] == (Operation.UNHIDE_COMMENT, "Ug3")
    fake.add_youtube_comment("vid1", "Ug3", "UCt9", "x", at(0))
    deliver = youtube_deliverer(client_of(fake))
    worker = OutboxWorker(box, {Platform.YOUTUBE: deliver}, lambda: NOW)
    while worker.run_once():
        pass
    assert fake.youtube_status["Ug3"] == "published"


def test_an_unhappy_comment_is_answered_in_public_and_handed_to_people(store):
    screening, box, engine = store
    text = "still waiting 3 weeks for the damp to be sorted, shocking service"
    result = screening.screen(comment("Ug4", text), Intent("make_complaint", 0.9), NOW)
    assert calls(box) == [(Operation.PUBLIC_REPLY, "Ug4")]
    assert "look into it with you" in box.messages()[0].text and result.pause
    [handoff] = HandoffRepository(engine).open_all_for("youtube-public-UCt9")
    assert handoff.reason is Reason.NEGATIVE_PUBLIC_COMMENT


def test_a_busy_thread_is_read_past_the_five_replies_it_lists(fake):
    fake.add_youtube_comment("vid1", "Ug1", "UCt1", "first", at(-60))
    reader = poller(fake)
    first = reader.read({}, NOW)
    for n in range(8):
        fake.add_youtube_comment("vid1", f"r{n}", f"UCr{n}", f"reply {n}", at(n), parent="Ug1")
    units = fake.youtube_units
    busy = reader.read(first.place, NOW + timedelta(minutes=10))
    assert sorted(e.event_id for e in busy.events) == sorted(f"Ug1.r{n}" for n in range(8))
    assert fake.youtube_units - units == 2  # the threads, and the thread's replies
    assert busy.place["units"] == first.place["units"] + 2
    # Nothing new: the five listed replies are old, so no more are read.
    units = fake.youtube_units
    assert reader.read(busy.place, NOW + timedelta(minutes=20)).events == []
    assert fake.youtube_units - units == 1
    fake.add_youtube_comment("vid1", "r9", "UCr9", "one more", at(30), parent="Ug1")
    quiet = reader.read(busy.place, NOW + timedelta(minutes=40))
    assert [e.event_id for e in quiet.events] == ["Ug1.r9"]
