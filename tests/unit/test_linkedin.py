"""LinkedIn: its comment and notification parsers, its webhook checks, its API client,
poller and deliverer against the fake, its kit, and screening its comments with a real
store (P5, P7, P12)."""

import json
from datetime import datetime, timedelta, timezone

import pytest

from bot.association import load_association
from bot.events import InboundEvent, Operation, Platform, Surface
from bot.handoff.working_hours import WorkingCalendar
from bot.moderation.log import FOR_STAFF, Action
from bot.outbox import Outbox, PlatformError
from bot.outbox_worker import OutboxWorker
from bot.platforms.kit import Said
from bot.platforms.linkedin.api import LinkedInClient, comment_parts
from bot.platforms.linkedin.delivery import linkedin_deliverer
from bot.platforms.linkedin.kit import KIT
from bot.platforms.linkedin.payloads import (
    parse_comments,
    parse_notifications,
    post_urns,
    seen_comments,
)
from bot.platforms.linkedin.poller import CommentPoller
from bot.platforms.linkedin.signature import (
    challenge_response,
    linkedin_signature,
    linkedin_signature_valid,
)
from bot.platforms.linkedin.sweep import organization_comments
from bot.platforms.payloads import MalformedPayload
from bot.platforms.registry import KITS
from bot.screening.coordinator import Intent, ModerationListener, Screening
from bot.settings import Settings, SettingsError
from bot.store import connect
from scripts.fake_platforms import FakePlatforms
from tests.helpers import ROOT, UK

ORG_ID = "5515715"
ORG = f"urn:li:organization:{ORG_ID}"
POST = "urn:li:share:7100000000000000001"
NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UK)
ASSOCIATION = load_association(ROOT / "association.yml")
CALENDAR = WorkingCalendar.from_config(ASSOCIATION.monitoring)


@pytest.fixture
def fake():
    with FakePlatforms() as platforms:
        platforms.linkedin_organization = ORG
        platforms.add_linkedin_post(POST)
        yield platforms


def client_of(fake):
    return LinkedInClient(fake.linkedin_url, "token", ORG_ID, "202610")


# Parsing


def listed(comment_id, actor, text, millis, urn=True):
    element = {
        "id": comment_id,
        "actor": actor,
        "object": POST,
        "message": {"text": text, "attributes": []},
        "created": {"actor": actor, "time": millis},
    }
    if urn:
        element["$URN"] = f"urn:li:comment:({POST},{comment_id})"
    return element


def test_a_listed_comment_is_read_as_public_with_its_post_and_urn():
    millis = int(NOW.timestamp() * 1000)
    [event] = parse_comments(
        {"elements": [listed("71", "urn:li:person:ab1", "boiler broken", millis)]}, POST, ORG, NOW
    )
    assert (event.platform, event.kind, event.surface) == (
        Platform.LINKEDIN,
        "comment",
        Surface.PUBLIC,
    )
    assert event.event_id == event.comment_id == f"urn:li:comment:({POST},71)"
    assert (event.author_id, event.text, event.post_id) == (
        "urn:li:person:ab1",
        "boiler broken",
        POST,
    )
    assert event.sent_at == NOW
    # Without `$URN`, it is built from what the comment is on and its id.
    [built] = parse_comments(
        {"elements": [listed("72", "urn:li:person:x", "hi", 1, urn=False)]}, POST, ORG, NOW
    )
    assert built.comment_id == f"urn:li:comment:({POST},72)"
    assert comment_parts(built.comment_id) == (POST, "72")


def test_the_organizations_own_comments_are_dropped_and_odd_ones_cost_no_other():
    own = listed("1", ORG, "Thanks!", 1)
    odd = {"id": "2", "actor": "urn:li:person:x"}  # no message
    good = listed("3", "urn:li:person:y", "hello", 1)
    read = parse_comments({"elements": [own, odd, good]}, POST, ORG, NOW)
    assert [e.text for e in read] == ["hello"]
    with pytest.raises(MalformedPayload):
        parse_comments({"elements": [odd]}, POST, ORG, NOW)
    with pytest.raises(MalformedPayload):
        parse_comments([1, 2], POST, ORG, NOW)
    assert post_urns({"elements": [{"id": POST}, {"x": 1}]}) == [POST]


def notification(**changes):
    body = {
        "type": "COMMENT",
        "notificationId": 1,
        "organizationalEntity": ORG,
        "actor": "urn:li:person:ab1",
        "sourcePost": POST,
        "generatedActivity": f"urn:li:comment:({POST},81)",
        "lastModifiedAt": int(NOW.timestamp() * 1000),
        "decoratedGeneratedActivity": {
            "comment": {"entity": f"urn:li:comment:({POST},81)", "text": "my rent is wrong"}
        },
    }
    body.update(changes)
    return body


def test_a_comment_notification_is_read_and_others_are_dropped():
    [event] = parse_notifications(notification(), ORG, NOW)
    assert (event.comment_id, event.author_id, event.text, event.post_id) == (
        f"urn:li:comment:({POST},81)",
        "urn:li:person:ab1",
        "my rent is wrong",
        POST,
    )
    assert parse_notifications([notification(type="LIKE")], ORG, NOW) == []
    assert (
        parse_notifications(notification(organizationalEntity="urn:li:organization:9"), ORG, NOW)
        == []
    )
    assert parse_notifications(notification(actor=ORG), ORG, NOW) == []
    # Too little to act on: left for the poller.
    assert parse_notifications(notification(decoratedGeneratedActivity={}), ORG, NOW) == []
    for malformed in ([], "x", [1], {"no": "type"}):
        with pytest.raises(MalformedPayload):
            parse_notifications(malformed, ORG, NOW)


def test_the_webhook_signature_and_challenge_use_the_client_secret():
    body = json.dumps(notification()).encode()
    signed = linkedin_signature(body, "secret")
    assert signed.startswith("hmacsha256=")
    assert linkedin_signature_valid(body, signed, "secret")
    # Either reading of LinkedIn's words: the prefix on the header, or not there at all.
    assert linkedin_signature_valid(body, signed.removeprefix("hmacsha256="), "secret")
    import hashlib
    import hmac

    plain = hmac.new(b"secret", body, hashlib.sha256).hexdigest()
    assert linkedin_signature_valid(body, plain, "secret")
    assert not linkedin_signature_valid(body + b" ", signed, "secret")
    assert not linkedin_signature_valid(body, signed, "other")
    assert not linkedin_signature_valid(body, None, "secret")
    assert not linkedin_signature_valid(body, signed, None)
    expected = hmac.new(b"secret", b"890e4665", hashlib.sha256).hexdigest()
    assert challenge_response("890e4665", "secret") == expected


# The client and the deliverer, against the fake


def test_the_client_lists_comments_replies_comments_and_deletes_with_its_headers(fake):
    urn = fake.add_linkedin_comment(POST, "91", "urn:li:person:ab1", "hello")
    client = client_of(fake)
    assert post_urns(client.posts(10)) == [POST]
    [event] = parse_comments(client.comments(POST), POST, ORG, NOW)
    assert event.comment_id == urn
    assert client.reply(urn, "Thanks for getting in touch.").startswith("urn:li:comment:(")
    assert client.comment(POST, "A note for everyone.")
    assert client.delete(urn) == urn
    calls = fake.received("linkedin")
    assert [(c.method, c.path) for c in calls] == [
        ("POST", f"socialActions/{urn}/comments"),
        ("POST", f"socialActions/{POST}/comments"),
        ("DELETE", f"socialActions/{POST}/comments/91"),
    ]
    assert calls[0].body == {
        "actor": ORG,
        "object": POST,
        "parentComment": urn,
        "message": {"text": "Thanks for getting in touch."},
    }
    assert calls[2].query == {"actor": [ORG]}
    assert all(c.authorization == "Bearer token" for c in calls)


def test_a_deletion_linkedin_refuses_goes_to_the_dead_letters_and_the_log_says_so(fake, tmp_path):
    engine = connect(f"sqlite:///{tmp_path / 's.db'}")
    box = Outbox(engine)
    screening = Screening(engine, box, ASSOCIATION, CALENDAR)
    urn = fake.add_linkedin_comment(
        POST, "92", "urn:li:person:ab1", "you're all useless f***ing idiots"
    )
    fake.linkedin_undeletable.add(urn)
    screening.screen(comment(urn, "you're all useless f***ing idiots"), Intent("abuse", 0.95), NOW)
    listener = ModerationListener(screening.comments, screening.log)
    worker = OutboxWorker(
        box,
        {Platform.LINKEDIN: linkedin_deliverer(client_of(fake))},
        lambda: NOW,
        listener=listener,
    )
    while worker.run_once():
        pass
    states = {m.operation: m.state for m in box.messages()}
    assert states[Operation.DELETE_COMMENT] == "dead" and states[Operation.PUBLIC_POST] == "sent"
    [hide] = [e for e in screening.log.entries() if e.action is Action.HIDE]
    assert hide.state == "failed"


def test_a_call_linkedin_refuses_for_good_is_not_tried_again(fake):
    client = client_of(fake)
    with pytest.raises(PlatformError) as refused:
        client.reply(f"urn:li:comment:({POST},404)", "hi")
    assert not refused.value.transient
    with pytest.raises(ValueError):
        client.delete("urn:li:share:1")


# The poller


def test_the_poller_reads_new_comments_once_oldest_first(fake):
    reader = CommentPoller(client_of(fake), 10, timedelta(minutes=10))
    assert reader.name == f"linkedin:{ORG}" and reader.every == timedelta(minutes=10)
    now = datetime.now(timezone.utc)
    first = fake.add_linkedin_comment(POST, "1", "urn:li:person:a", "one")
    second = fake.add_linkedin_comment(POST, "2", "urn:li:person:b", "two")
    read = reader.read({}, now)
    assert [e.comment_id for e in read.events] == [first, second]
    assert read.pages == 2  # the posts, and one page of comments
    again = reader.read(read.place, now)
    assert again.events == []
    fake.add_linkedin_post("urn:li:share:2")
    third = fake.add_linkedin_comment("urn:li:share:2", "3", "urn:li:person:c", "three")
    client_of(fake).comment(POST, "Our own comment")
    later = reader.read(again.place, now + timedelta(minutes=10))
    assert [e.comment_id for e in later.events] == [third]


def test_the_poller_reads_every_page_of_a_busy_post(fake):
    for n in range(150):
        fake.add_linkedin_comment(POST, str(n), "urn:li:person:a", f"comment {n}")
    read = CommentPoller(client_of(fake), 10, timedelta(minutes=10)).read(
        {}, datetime.now(timezone.utc)
    )
    assert len(read.events) == 150 and read.pages == 3


# The kit and settings


def comment(urn, text, author="urn:li:person:t9"):
    return InboundEvent(
        Platform.LINKEDIN,
        "comment",
        urn,
        Surface.PUBLIC,
        author,
        text,
        NOW,
        post_id=POST,
        comment_id=urn,
    )


def test_the_kit_deletes_to_take_down_and_answers_on_the_post():

    urn = f"urn:li:comment:({POST},5)"
    event = comment(urn, "x")
    assert KIT.reply_route(event) == (Operation.PUBLIC_REPLY, urn)
    calls = KIT.hide_calls(event, Said("Please call us", None))
    assert [(c.operation, c.target, c.text) for c in calls] == [
        (Operation.DELETE_COMMENT, urn, None),
        (Operation.PUBLIC_POST, POST, "Please call us"),
    ]
    assert KIT.private_call(event, Said(None, "x"), follow=False) is None
    assert not KIT.messages and not KIT.blocks and KITS[Platform.LINKEDIN] is KIT
    long = "A sentence of about forty characters. " * 60
    assert all(len(p) <= 1250 for p in KIT.pieces(Operation.PUBLIC_REPLY, long))


def test_without_its_settings_linkedin_is_off_and_a_webhook_means_no_polling():
    settings = Settings(association_file=ROOT / "association.yml")
    assert KIT.missing(settings) == ["LINKEDIN_ACCESS_TOKEN", "LINKEDIN_ORGANIZATION_ID"]
    assert KIT.deliverer(settings) is None and KIT.poller(settings) is None
    polled = Settings.from_env(
        environ={"LINKEDIN_ACCESS_TOKEN": "t", "LINKEDIN_ORGANIZATION_ID": ORG_ID}
    )
    assert KIT.missing(polled) == [] and KIT.poller(polled).every == timedelta(minutes=10)
    hooked = {
        "LINKEDIN_ACCESS_TOKEN": "t",
        "LINKEDIN_ORGANIZATION_ID": ORG_ID,
        "LINKEDIN_WEBHOOK": "on",
    }
    assert KIT.missing(Settings.from_env(environ=hooked)) == ["LINKEDIN_CLIENT_SECRET"]
    with_secret = Settings.from_env(environ={**hooked, "LINKEDIN_CLIENT_SECRET": "s"})
    assert KIT.missing(with_secret) == [] and KIT.poller(with_secret) is None
    assert KIT.deliverer(with_secret) is not None
    with pytest.raises(SettingsError, match="LINKEDIN_VERSION"):
        Settings.from_env(environ={"LINKEDIN_VERSION": "2026-10"})


# Screening LinkedIn comments, with a real store


@pytest.fixture
def store(tmp_path):
    engine = connect(f"sqlite:///{tmp_path / 'store.db'}")
    box = Outbox(engine)
    return Screening(engine, box, ASSOCIATION, CALENDAR), box


def calls(box):
    return [(m.operation, m.target) for m in box.messages()]


def test_a_comment_naming_staff_is_deleted_and_answered_on_the_post(store):
    screening, box = store
    staff = ASSOCIATION.moderation.rules.staff[0].name
    urn = f"urn:li:comment:({POST},61)"
    screening.screen(
        comment(urn, f"{staff} never rang me back about the mould"),
        Intent("make_complaint", 0.9),
        NOW,
    )
    assert calls(box) == [(Operation.DELETE_COMMENT, urn), (Operation.PUBLIC_POST, POST)]
    notice = box.messages()[1].text
    assert "names of our staff" in notice and staff not in notice
    assert "private message on Facebook" in notice


def test_personal_details_are_deleted_and_the_notice_holds_none(store):
    screening, box = store
    urn = f"urn:li:comment:({POST},62)"
    screening.screen(
        comment(urn, "ring me on 07700 900456 about my repair"), Intent("report_repair", 0.9), NOW
    )
    assert calls(box) == [(Operation.DELETE_COMMENT, urn), (Operation.PUBLIC_POST, POST)]
    assert "07700" not in box.messages()[1].text


def test_a_block_is_left_to_staff_for_linkedin_has_no_call_for_it(store):
    screening, box = store
    for n in range(3):
        urn = f"urn:li:comment:({POST},7{n})"
        screening.screen(
            comment(urn, "you're all useless f***ing idiots"),
            Intent("abuse", 0.95),
            NOW + timedelta(days=n),
        )
    entries = {e.action: e.state for e in screening.log.entries()}
    assert entries[Action.BLOCK] == FOR_STAFF
    assert all("can no longer comment" not in (m.text or "") for m in box.messages())
    assert {op for op, _ in calls(box)} == {Operation.DELETE_COMMENT, Operation.PUBLIC_POST}


# The retention sweep's listing (P10)


def test_the_sweep_lists_every_post_comment_and_reply_page_by_page(fake):
    for n in range(100):  # the oldest post is on the second page of posts (100 a page)
        fake.add_linkedin_post(f"urn:li:share:72{n:05d}")
    fake.add_linkedin_comment(POST, "1", "urn:li:person:p1", "hi", 1_750_000_000_000)
    for n in range(120):  # more than a page of comments
        fake.add_linkedin_comment("urn:li:share:7200000", f"c{n}", "urn:li:person:p2", "x", 1)
    parent = fake.add_linkedin_comment("urn:li:share:7200099", "c", "urn:li:person:p3", "y", 2)
    fake.add_linkedin_comment("urn:li:share:7200099", "r", ORG, "thanks", 3, parent=parent)
    seen = list(organization_comments(client_of(fake)))
    assert len(seen) == 123
    first = next(s for s in seen if s.post_id == POST)
    assert first.comment_id == f"urn:li:comment:({POST},1)"
    assert first.created_at == datetime.fromtimestamp(1_750_000_000, timezone.utc)
    [reply] = [s for s in seen if s.by_page]
    assert reply.comment_id == "urn:li:comment:(urn:li:share:7200099,r)"
    assert reply.post_id == "urn:li:share:7200099" and reply.author_id == ORG


def test_replies_are_read_only_where_a_comment_may_have_some():
    counted = listed("1", "urn:li:person:p1", "hi", 5)
    none = {
        **listed("2", "urn:li:person:p1", "hi", 5),
        "commentsSummary": {"aggregatedTotalComments": 0, "selectedComments": []},
    }
    some = {
        **listed("3", "urn:li:person:p1", "hi", 5),
        "commentsSummary": {"aggregatedTotalComments": 2, "selectedComments": []},
    }
    timeless = {k: v for k, v in listed("4", "urn:li:person:p1", "hi", 5).items() if k != "created"}
    found = seen_comments({"elements": [counted, none, some, timeless]}, POST, ORG)
    assert [(s.comment_id[-3:], replies) for s, replies in found] == [
        (",1)", True),
        (",2)", False),
        (",3)", True),
    ]
    with pytest.raises(MalformedPayload):
        seen_comments({"elements": "no"}, POST, ORG)


def test_the_kit_lists_comments_only_while_linkedin_is_on():
    assert KIT.comment_listing(Settings(association_file=ROOT / "association.yml")) is None
    on = {"LINKEDIN_ACCESS_TOKEN": "t", "LINKEDIN_ORGANIZATION_ID": ORG_ID}
    assert callable(KIT.comment_listing(Settings.from_env(environ=on)))


def test_the_poller_reads_a_reply_once_and_a_quiet_thread_costs_no_call(fake):
    reader = CommentPoller(client_of(fake), 10, timedelta(minutes=10))
    now = datetime.now(timezone.utc)
    parent = fake.add_linkedin_comment(POST, "51", "urn:li:person:p1", "any news on the lifts?")
    first = reader.read({}, now)
    assert [e.comment_id for e in first.events] == [parent] and first.pages == 2
    reply = fake.add_linkedin_comment(
        POST, "52", "urn:li:person:p2", "no and Sarah never rang me", parent=parent
    )
    second = reader.read(first.place, now)
    [event] = second.events
    assert (event.comment_id, event.parent_id, event.post_id) == (reply, parent, POST)
    assert second.pages == 3  # the posts, the post's comments, and the one thread's replies
    # Answered under the comment: LinkedIn nests replies one level deep.
    assert KIT.reply_route(event) == (Operation.PUBLIC_REPLY, parent)
    assert KIT.hide_calls(event, Said(None, None))[0].target == reply
    third = reader.read(second.place, now)
    assert third.events == [] and third.pages == 2  # no reply came: not listed again


def test_a_listed_or_notified_reply_knows_its_comment():
    reply = {**listed("9", "urn:li:person:p", "me too", 5), "parentComment": "urn:li:comment:(x,1)"}
    [event] = parse_comments({"elements": [reply]}, POST, ORG, NOW)
    assert event.parent_id == "urn:li:comment:(x,1)"
    top = listed("8", "urn:li:person:p", "hello", 5)
    assert parse_comments({"elements": [top]}, POST, ORG, NOW)[0].parent_id is None
    comment = {
        "entity": f"urn:li:comment:({POST},82)",
        "text": "me too",
        "parentComment": f"urn:li:comment:({POST},81)",
    }
    notified = notification(
        generatedActivity=comment["entity"], decoratedGeneratedActivity={"comment": comment}
    )
    [event] = parse_notifications(notified, ORG, NOW)
    assert (event.comment_id, event.parent_id) == (comment["entity"], comment["parentComment"])
    assert KIT.reply_route(event) == (Operation.PUBLIC_REPLY, comment["parentComment"])
    [top] = parse_notifications(notification(), ORG, NOW)
    assert top.parent_id is None


def test_a_post_linkedin_refuses_to_list_costs_the_sweep_only_that_post(fake):
    fake.add_linkedin_post("urn:li:share:refused")
    fake.add_linkedin_comment(POST, "1", "urn:li:person:p1", "hi", 1_750_000_000_000)

    class Refusing(LinkedInClient):
        def comments(self, post, start=0):
            if post == "urn:li:share:refused":
                raise PlatformError("GET comments: HTTP 403", transient=False)
            return super().comments(post, start)

    client = Refusing(fake.linkedin_url, "token", ORG_ID, "202610")
    assert [s.post_id for s in organization_comments(client)] == [POST]

    class Struggling(LinkedInClient):
        def comments(self, post, start=0):
            raise PlatformError("GET comments: HTTP 429", transient=True)

    with pytest.raises(PlatformError):  # tried again at the next turn
        list(organization_comments(Struggling(fake.linkedin_url, "token", ORG_ID, "202610")))
