"""What the console's queue and conversation pages show, worked out from handoffs,
threads and the store: plain functions, no web framework, a clock passed in (P3, P4, P9).

- The queue: open handoffs a member of staff's team takes (admin: every team), in the
  order the handoff service keeps them (emergencies on top, then what is due first),
  narrowed by filters, each with countdowns to its acknowledge-by and reply-by times.
  A normal handoff's deadlines are counted in working time (the monitoring calendar,
  P1, P3); an urgent one's run on the clock, as its deadlines were set (P2).
- A thread: each message with its time in UK local time, where it was written, and
  who wrote it (the tenant, the assistant or a named member of staff).
- Verification: whether the tenant is verified now, and by what check, from the
  identity checks' own audit in the store; never an answer (P4). Once verified, a
  summary of the tenancy from the tenancy records, its reference and address masked
  until staff ask to see personal details.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import Callable, Iterable, List, Mapping, Sequence, Tuple
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.engine import Engine

from bot.association import CannedReply, MonitoringHours
from bot.events import Platform, Surface
from bot.handoff.handoffs import TENANCY, Handoff, Priority, Reason, Summary
from bot.handoff.threads import ThreadMessage
from bot.handoff.working_hours import WorkingCalendar
from bot.platforms.registry import KITS
from bot.privacy import redact
from bot.store import as_aware, identity_attempts
from bot.tenancy.disclosure import last_payment, rent_balance, repairs_list, uk_date
from bot.tenancy.identity import Account, Outcome, Verification
from bot.tenancy.records import Matter, TenancyRepository

# A deadline this close (in the time it is counted in) is shown as due soon.
DUE_SOON = timedelta(minutes=30)

PLATFORM_LABELS = {
    **{platform.value: kit.name for platform, kit in KITS.items()},
    Platform.REST.value: "Local chat",
    # A handoff about a locked tenancy rather than a conversation (bot.tenancy.identity).
    TENANCY: "No conversation",
}
SURFACE_LABELS = {Surface.PUBLIC.value: "Public", Surface.PRIVATE.value: "Private"}
# Where a message was written, as staff call it.
WHERE_LABELS = {
    (platform.value, surface.value): words
    for platform, kit in KITS.items()
    for surface, words in kit.surface_names.items()
}
REASON_LABELS = {
    Reason.REQUEST_HUMAN: "Asked for a person",
    Reason.COMPLAINT: "Complaint",
    Reason.REPEATED_FALLBACK: "Assistant did not understand",
    Reason.EMERGENCY: "Emergency",
    Reason.IDENTITY_CHECK_FAILED: "Identity checks failed",
    Reason.NEGATIVE_PUBLIC_COMMENT: "Negative public comment",
    Reason.MODERATION_REVIEW: "Moderation review",
    Reason.PROCESSING_FAILED: "Message not processed",
    Reason.COMPLIMENT: "Compliment",
    Reason.LOW_RATING: "Low rating after a conversation",
    Reason.STAFF_NAMED: "Staff named in a post",
    Reason.ANTISOCIAL_BEHAVIOUR: "Antisocial behaviour",
    Reason.REPAIR_REQUEST: "Repair request",
}
AUTHOR_LABELS = {"tenant": "Tenant", "assistant": "Assistant", "staff": "Staff"}


def platform_label(platform: str) -> str:
    """A platform as staff call it: "Facebook", "X"."""
    return PLATFORM_LABELS.get(platform, platform.capitalize())


def where_label(platform: str, surface: str) -> str:
    """Where a message was written: "Messenger", "X mention", "Facebook comment"."""
    if platform == TENANCY:
        return PLATFORM_LABELS[TENANCY]
    found = WHERE_LABELS.get((platform, surface))
    return found or f"{platform_label(platform)}, {SURFACE_LABELS.get(surface, surface).lower()}"


def reason_label(reason: Reason) -> str:
    """Why a conversation was handed over, in staff's words."""
    return REASON_LABELS.get(reason, reason.value.replace("_", " ").capitalize())


def local_time(t: datetime, zone: ZoneInfo) -> str:
    """An instant as staff read it, in UK local time: "Mon 23 Nov, 10:02"."""
    local = t.astimezone(zone)
    return f"{local:%a} {local.day} {local:%b}, {local:%H:%M}"


def duration_words(span: timedelta) -> str:
    """A span to the minute, rounded down: "1 h 20 min", "35 min", "less than 1 min"."""
    minutes = int(span.total_seconds() // 60)
    if minutes < 1:
        return "less than 1 min"
    hours, minutes = divmod(minutes, 60)
    if not hours:
        return f"{minutes} min"
    return f"{hours} h" if not minutes else f"{hours} h {minutes} min"


BANK_HOLIDAY_WORDS = {
    "england_and_wales": "England and Wales",
    "scotland": "Scottish",
    "northern_ireland": "Northern Ireland",
}


def working_hours_words(hours: MonitoringHours) -> str:
    """The monitoring calendar the countdowns count, in words (P1): "Monday to Friday,
    9am to 5pm UK time, not England and Wales bank holidays". Read from the
    configuration, so the queue says what is counted, whatever the hours are."""
    zone = "UK time" if hours.timezone == "Europe/London" else f"{hours.timezone} time"
    closed = []
    if hours.bank_holidays in BANK_HOLIDAY_WORDS:
        closed.append(f"{BANK_HOLIDAY_WORDS[hours.bank_holidays]} bank holidays")
    if hours.extra_closures:
        closed.append("the days the association is closed")
    not_on = f", not {' or '.join(closed)}" if closed else ""
    return f"{hours.describe()} {zone}{not_on}"


@dataclass(frozen=True)
class Countdown:
    """One deadline of a handoff as the queue shows it.

    `state`: "pending", "soon" (within 30 minutes), "breach" (passed with nothing
    done), "met", "late" (done after it passed) or "none" (no such deadline).
    `text` says it in words, so a breach is not shown by colour only.
    """

    name: str
    due: datetime | None
    due_text: str
    text: str
    state: str

    @property
    def breach(self) -> bool:
        """Whether the deadline passed with nothing done."""
        return self.state == "breach"


def countdown(
    name: str,
    due: datetime,
    done_at: datetime | None,
    met: bool | None,
    now: datetime,
    calendar: WorkingCalendar,
    on_the_clock: bool,
) -> Countdown:
    """The countdown to one deadline at `now`.

    Args:
        name: "acknowledge" or "reply".
        due: when it falls.
        done_at: when it was done (acknowledged, replied), None if not yet.
        met: the handoff's record of it: True met, False missed, None to come.
        now: the time it is counted from.
        calendar: the monitoring calendar (P1): normal deadlines count working time.
        on_the_clock: an urgent handoff's deadline, counted in clock time (P2).
    """
    due_text = f"due {local_time(due, calendar.zone)}"
    done_word = "acknowledged" if name == "acknowledge" else "replied"
    if done_at is not None:
        in_time = met is not False and done_at <= due
        when = local_time(done_at, calendar.zone)
        text = f"{done_word} {when}, {'in time' if in_time else 'late'}"
        return Countdown(name, due, due_text, text, "met" if in_time else "late")
    unit = "" if on_the_clock else " working time"
    if met is False or now > due:
        late = now - due if on_the_clock else calendar.working_time_between(due, now)
        if late < timedelta(minutes=1):
            text = "overdue"
        else:
            text = f"overdue by {duration_words(late)}{unit}"
        return Countdown(name, due, due_text, text, "breach")
    left = due - now if on_the_clock else calendar.working_time_between(now, due)
    state = "soon" if left <= DUE_SOON else "pending"
    return Countdown(name, due, due_text, f"{duration_words(left)}{unit} left", state)


def deadlines(handoff: Handoff, now: datetime, calendar: WorkingCalendar) -> Tuple[Countdown, ...]:
    """The handoff's acknowledge-by and reply-by countdowns (P3)."""
    urgent = handoff.priority is Priority.URGENT
    acknowledge = countdown(
        "acknowledge",
        handoff.acknowledge_by,
        handoff.acknowledged_at,
        handoff.acknowledge_met,
        now,
        calendar,
        urgent,
    )
    if not handoff.needs_reply:
        reply = Countdown("reply", None, "", "no reply needed", "none")
    else:
        reply = countdown(
            "reply",
            handoff.reply_by,
            handoff.replied_at,
            handoff.reply_met,
            now,
            calendar,
            urgent,
        )
    return acknowledge, reply


@dataclass(frozen=True)
class FilterChoices:
    """What each queue filter may be set to: (value, label) pairs."""

    team: Tuple[Tuple[str, str], ...]
    platform: Tuple[Tuple[str, str], ...]
    surface: Tuple[Tuple[str, str], ...]
    reason: Tuple[Tuple[str, str], ...]

    @classmethod
    def for_teams(cls, teams: Iterable[str]) -> FilterChoices:
        """The choices for a member of staff who sees `teams`."""
        return cls(
            team=tuple((t, t) for t in teams),
            platform=tuple((p.value, platform_label(p.value)) for p in KITS),
            surface=tuple(SURFACE_LABELS.items()),
            reason=tuple((r.value, reason_label(r)) for r in Reason),
        )


@dataclass(frozen=True)
class QueueFilters:
    """The queue's filters; None is any."""

    team: str | None = None
    platform: str | None = None
    surface: str | None = None
    reason: str | None = None

    @classmethod
    def from_args(cls, args: Mapping, choices: FilterChoices) -> QueueFilters:
        """The filters a request asks for; a value that is not one of `choices` is any."""
        found = {}
        for field in fields(cls):
            value = args.get(field.name)
            if isinstance(value, list):
                value = value[0] if value else None
            allowed = {v for v, _ in getattr(choices, field.name)}
            found[field.name] = value if value in allowed else None
        return cls(**found)

    def keep(self, handoff: Handoff) -> bool:
        """Whether `handoff` passes every filter set."""
        have = {
            "team": handoff.team,
            "platform": str(handoff.conversation.platform),
            "surface": handoff.conversation.surface.value,
            "reason": handoff.reason.value,
        }
        return all(getattr(self, name) in (None, value) for name, value in have.items())

    def query(self) -> str:
        """The filters set, as a URL's query string ("" when none is)."""
        pairs = [(f.name, getattr(self, f.name)) for f in fields(self) if getattr(self, f.name)]
        return urlencode(pairs)


@dataclass(frozen=True)
class QueueRow:
    """One handoff as a row of the queue."""

    handoff: Handoff
    reason: str
    platform: str
    surface: str
    acknowledge: Countdown
    reply: Countdown
    urgent: bool

    @property
    def breach(self) -> bool:
        """Whether a deadline of the handoff passed with nothing done."""
        return self.acknowledge.breach or self.reply.breach


def queue_rows(
    handoffs: Sequence[Handoff],
    sees: Callable[[str], bool],
    filters: QueueFilters,
    now: datetime,
    calendar: WorkingCalendar,
) -> List[QueueRow]:
    """The rows of the queue a member of staff sees, in the order given.

    Args:
        handoffs: open handoffs, already in queue order (`HandoffRepository.queue`:
            urgent first, then by what is due first).
        sees: whether the member of staff sees a team's handoffs (admin: every team).
        filters: the filters set.
        now: the time the countdowns count from.
        calendar: the monitoring calendar the deadlines are counted on.
    """
    rows = []
    for handoff in handoffs:
        if not sees(handoff.team) or not filters.keep(handoff):
            continue
        acknowledge, reply = deadlines(handoff, now, calendar)
        rows.append(
            QueueRow(
                handoff=handoff,
                reason=reason_label(handoff.reason),
                platform=platform_label(str(handoff.conversation.platform)),
                surface=""
                if handoff.conversation.is_tenancy
                else SURFACE_LABELS.get(handoff.conversation.surface.value, ""),
                acknowledge=acknowledge,
                reply=reply,
                urgent=handoff.priority is Priority.URGENT,
            )
        )
    return rows


@dataclass(frozen=True)
class ThreadEntry:
    """One message of a thread as the conversation page shows it.

    `author` is "tenant", "assistant" or "staff" (a class for the page); `label` says
    who in words ("Tenant", "Assistant", "Staff: Sam").
    """

    at: datetime
    time: str
    author: str
    label: str
    where: str
    surface: str
    text: str


def thread_entries(messages: Iterable[ThreadMessage], zone: ZoneInfo) -> List[ThreadEntry]:
    """The thread's messages, oldest first, each marked with who wrote it and where."""
    entries = []
    for message in messages:
        label = AUTHOR_LABELS.get(message.author, message.author.capitalize())
        if message.author == "staff" and message.staff:
            label = f"Staff: {message.staff}"
        entries.append(
            ThreadEntry(
                at=message.at,
                time=local_time(message.at, zone),
                author=message.author,
                label=label,
                where=where_label(message.platform, message.surface),
                surface=message.surface,
                text=message.text,
            )
        )
    return entries


@dataclass(frozen=True)
class TenancySummary:
    """What staff see of a verified tenant's tenancy; reference and address masked
    unless personal details are shown."""

    who: str
    reference: str
    address: str
    rent_balance: str
    last_payment: str
    repairs: Tuple[str, ...]
    may_discuss: str


@dataclass(frozen=True)
class VerificationView:
    """Whether the tenant is verified now, and by what check; never an answer (P4)."""

    verified: bool
    state: str
    tenancy: TenancySummary | None = None


def verification(
    engine: Engine,
    messages: Sequence[ThreadMessage],
    conversations: Iterable[str],
    now: datetime,
    zone: ZoneInfo,
    unmask: bool = False,
) -> VerificationView:
    """The tenant's verification state, from the latest identity check in any of their
    conversations (the identity checks' audit: bot.tenancy.identity), and the tenancy
    summary if it still holds.

    A verification holds for the account and conversation that verified, until 30
    minutes pass without a message from it (`Verification.is_current`): the tenant's
    messages in the thread are those messages.
    """
    query = (
        select(identity_attempts)
        .where(identity_attempts.c.conversation_id.in_(sorted(set(conversations))))
        .order_by(identity_attempts.c.at.desc(), identity_attempts.c.id.desc())
        .limit(1)
    )
    with engine.connect() as connection:
        latest = connection.execute(query).first()
    if latest is None:
        return VerificationView(False, "Not verified: no identity check yet")
    at = as_aware(latest.at)
    when = local_time(at, zone)
    outcome = latest.outcome
    if outcome in (Outcome.LOCKED.value, Outcome.REFUSED_LOCKED.value):
        return VerificationView(
            False, f"Not verified: identity checks locked after repeated failures ({when})"
        )
    if outcome != Outcome.VERIFIED.value or not latest.tenancy_id or not latest.person_id:
        return VerificationView(False, f"Not verified: the last identity check failed ({when})")
    platform, _, user_id = latest.account.partition(":")
    held = Verification(
        account=latest.account,
        conversation_id=latest.conversation_id,
        tenancy_id=latest.tenancy_id,
        person_id=latest.person_id,
        verified_at=at,
    )
    written = [
        m.at
        for m in messages
        if m.author == "tenant" and m.conversation_id == latest.conversation_id
    ]
    if not held.is_current(Account(platform, user_id), latest.conversation_id, written, now):
        return VerificationView(
            False, f"Not verified: verified by security questions {when}, since lapsed"
        )
    summary = tenancy_summary(engine, latest.tenancy_id, latest.person_id, zone, unmask)
    who = summary.who if summary else "someone on the tenancy"
    return VerificationView(True, f"Verified by security questions {when}, as {who}", summary)


def tenancy_locked(handoff: Handoff, zone: ZoneInfo) -> VerificationView:
    """The identity of a locked tenancy's handoff (no conversation): its checks locked
    when the handoff was raised; staff contact the tenant by the means on file (P4)."""
    when = local_time(handoff.created_at, zone)
    return VerificationView(
        False,
        f"No conversation: this tenancy's identity checks were locked after repeated "
        f"failures ({when}); contact the tenant by the means on file",
    )


def tenancy_summary(
    engine: Engine, tenancy_id: str, person_id: str, zone: ZoneInfo, unmask: bool
) -> TenancySummary | None:
    """The tenancy a verified person is on, from the tenancy records; None if gone."""
    records = TenancyRepository(engine)
    tenancy = records.get(tenancy_id)
    if tenancy is None:
        return None
    person = records.person(person_id)
    who = person.describe() if person else "someone on the tenancy"
    matters = [m.value for m in Matter if person is None or person.may_discuss(m)]
    address = f"{tenancy.address_line}, {tenancy.town} {tenancy.postcode}"
    jobs = repairs_list(records.repairs(tenancy_id), zone)
    return TenancySummary(
        who=who,
        reference=tenancy.reference if unmask else redact(tenancy.reference),
        address=address if unmask else redact(address),
        rent_balance=f"{rent_balance(tenancy)} on {uk_date(tenancy.rent_as_of)}",
        last_payment=last_payment(records.last_payments(tenancy_id)),
        repairs=tuple(line.lstrip("• ") for line in jobs.splitlines() if line.strip()),
        may_discuss=", ".join(matters) or "nothing",
    )


@dataclass(frozen=True)
class SummaryView:
    """A handoff's summary as the conversation page shows it: the tenant's words and the
    details an action gathered (a tenancy reference, who reported a repair), masked as
    the thread is unless personal details are shown (P4, P9)."""

    intent: str | None
    words: str | None
    details: Tuple[Tuple[str, str], ...]


def summary_view(summary: Summary | None, unmask: bool) -> SummaryView | None:
    """What the page shows of `summary`; personal details replaced by their kind, as
    "[tenancy_reference]", unless `unmask` (the caller logs who unmasked)."""
    if summary is None:
        return None

    def shown(text: str) -> str:
        return text if unmask else redact(text)

    details = tuple(
        (key.replace("_", " ").capitalize(), shown(str(value)))
        for key, value in summary.details.items()
    )
    return SummaryView(summary.intent, shown(summary.words) if summary.words else None, details)


def chosen_reply(
    text: str, canned_name: str, holding: bool, canned: Sequence[CannedReply]
) -> Tuple[str, bool]:
    """The reply a form asks to send: (text, holding).

    The text typed wins; with none typed, the canned reply chosen is sent. It is a
    holding message (P3) if the box says so or the canned reply chosen is the holding
    one and its text is sent unchanged.
    """
    chosen = next((c for c in canned if c.name == canned_name), None)
    text = (text or "").strip()
    if not text and chosen is not None:
        text = chosen.text
    if chosen is not None and chosen.holding and text == chosen.text.strip():
        holding = True
    return text, holding
