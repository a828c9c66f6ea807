"""One question after a conversation: how did we do, from 1 to 5 (P11).

When a handoff of a private conversation is closed, or a tenant ends a private
conversation the assistant resolved on its own (they say goodbye or thanks, with no
handoff open), the tenant is asked one question: a rating from 1 to 5, and a few words
if they like. It is asked:
- once per occasion (the closed handoff, or the day's conversation), and never twice in
  a day in one conversation;
- only while the platform still takes a message from the assistant (Messenger's and
  Instagram's 24 hours from the tenant's last message; X has no such window);
- never out of monitoring hours after an emergency;
- never while a complaint of theirs is still open;
- never to a tenant who said no, until `ask_again_after_days` have passed.

Their next message is the answer when it is one: a number from 1 to 5 (a figure or a
word, at its start), with any words after it; or "no" ("no thanks", "stop"), which
stops the questions for the setting's days. Anything else is not an answer: the
question lapses and the dialogue answers the message. A rating of 1 or 2 with words
goes to Customer Experience as a low-priority handoff (P11). The question waits for
its answer for a day.

No Rasa here: the runtime asks and reads the answer (bot/channels/runtime.py), the
console draws the results by team and week (bot/console/dashboard.py).
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Callable, Dict, List, Mapping, Tuple

from sqlalchemy import and_, bindparam, func, insert, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from bot.events import Surface
from bot.feedback.invitations import Invitations, invited
from bot.handoff.handoffs import Conversation, Reason
from bot.handoff.service import HandoffService
from bot.handoff.working_hours import WorkingCalendar
from bot.store import as_aware, handoffs, inbound_events, survey_opt_outs, surveys, to_utc

QUESTION = (
    "How did we do? Reply with a number from 1 (poor) to 5 (great), and a few words if "
    'you like. Reply "no" if you\'d rather not be asked.'
)
THANKS = "Thank you for your feedback: it helps us do better."
THANKS_PASSED_ON = (
    "Thank you for telling us. I've passed what you said to our Customer Experience "
    "team, who look at every low rating."
)
DECLINED = "No problem: we won't ask you again for {days} days."
# How long a question waits for its answer.
ANSWER_WITHIN = timedelta(days=1)
# Messenger and Instagram take a message from the assistant this long after the
# tenant's last one (bot/platforms/meta.py).
WINDOW = timedelta(hours=24)
WINDOWED = ("facebook", "instagram")
LOW = 2
WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5}
# A rating at the start ("4", "five", "4/5", "4 out of 5"), then any words.
RATING = re.compile(
    r"^\s*(?:(?P<digit>[1-5])|(?P<word>one|two|three|four|five))\b"
    r"\s*(?:/\s*5|out of 5)?[\s,.:;!-]*(?P<rest>.*)$",
    re.IGNORECASE | re.DOTALL,
)
DECLINE = re.compile(
    r"^\s*(no|nope|no thanks|no thank you|stop|don'?t ask( me)?( again)?)\s*[.!]*\s*$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Answer:
    """What a reply to the question says: a rating with words, or no."""

    rating: int | None
    words: str
    declined: bool = False


def read_answer(text: str | None) -> Answer | None:
    """The reply as an answer to the question; None when it is not one."""
    text = text or ""
    if DECLINE.match(text):
        return Answer(None, "", declined=True)
    found = RATING.match(text)
    if found is None:
        return None
    rating = (
        int(found.group("digit")) if found.group("digit") else WORDS[found.group("word").lower()]
    )
    return Answer(rating, found.group("rest").strip())


@dataclass(frozen=True)
class Occasion:
    """A conversation that has just ended, and what is known of it.

    Attributes:
        key: what the question is asked once for ("handoff:<id>", or the conversation
            and the day).
        team: whose work is rated (the handoff's team, or "Assistant").
        last_message_at: when the tenant last wrote, for the platform's window.
        emergency: whether it was about an emergency.
    """

    key: str
    conversation_id: str
    platform: str
    account: str
    team: str
    last_message_at: datetime | None
    emergency: bool = False


def why_not(
    occasion: Occasion,
    now: datetime,
    in_hours: bool,
    asked_before: bool,
    opted_out_until: datetime | None,
    open_complaint: bool,
) -> str | None:
    """Why the tenant is not to be asked on `occasion`; None when they may be."""
    if asked_before:
        return "asked already"
    if opted_out_until is not None and now < opted_out_until:
        return "said no"
    if open_complaint:
        return "a complaint is open"
    if occasion.emergency and not in_hours:
        return "an emergency, out of hours"
    if occasion.platform in WINDOWED:
        if occasion.last_message_at is None or now - occasion.last_message_at >= WINDOW:
            return "outside the platform's window"
    return None


@dataclass(frozen=True)
class Survey:
    """A question asked, and its answer once given."""

    id: str
    occasion: str
    conversation_id: str
    platform: str
    team: str
    asked_at: datetime
    rating: int | None = None
    answered_at: datetime | None = None
    declined: bool = False


class Surveys:
    """The questions asked, their answers, and who said no."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def asked(self, occasion: str) -> bool:
        query = select(surveys.c.id).where(surveys.c.occasion == occasion)
        with self._engine.connect() as connection:
            return connection.execute(query).first() is not None

    def record_asked(self, occasion: Occasion, now: datetime) -> str | None:
        """Note the question asked on `occasion`; None if it had been (asked once)."""
        survey_id = str(uuid.uuid4())
        row = {
            "id": survey_id,
            "occasion": occasion.key,
            "conversation_id": occasion.conversation_id,
            "platform": occasion.platform,
            "team": occasion.team,
            "asked_at": to_utc(now),
            "declined": False,
        }
        try:
            with self._engine.begin() as connection:
                connection.execute(insert(surveys).values(**row))
        except IntegrityError:
            return None
        return survey_id

    def asked_lately(self, conversation_id: str, now: datetime) -> bool:
        """Whether the conversation was asked the question in the last day."""
        query = select(surveys.c.id).where(
            surveys.c.conversation_id == conversation_id,
            surveys.c.asked_at > to_utc(now - ANSWER_WITHIN),
        )
        with self._engine.connect() as connection:
            return connection.execute(query).first() is not None

    def pending(self, conversation_id: str, now: datetime) -> Survey | None:
        """The question waiting for an answer in the conversation, if any."""
        since = {"conversation": conversation_id, "since": to_utc(now - ANSWER_WITHIN)}
        with self._engine.connect() as connection:
            row = connection.execute(_PENDING, since).mappings().first()
        return _survey(row) if row else None

    def answer(self, survey_id: str, answer: Answer, now: datetime) -> None:
        """Keep the answer (its words encrypted, P9)."""
        with self._engine.begin() as connection:
            connection.execute(
                update(surveys)
                .where(surveys.c.id == survey_id)
                .values(
                    answered_at=to_utc(now),
                    rating=answer.rating,
                    words=answer.words or None,
                    declined=answer.declined,
                )
            )

    def lapse(self, survey_id: str, now: datetime) -> None:
        """The tenant wrote something else: the question is no longer waiting."""
        with self._engine.begin() as connection:
            connection.execute(
                update(surveys).where(surveys.c.id == survey_id).values(answered_at=to_utc(now))
            )

    def opt_out(self, platform: str, account: str, until: datetime) -> None:
        """The tenant said no: not asked again before `until`."""
        with self._engine.begin() as connection:
            done = connection.execute(
                update(survey_opt_outs)
                .where(survey_opt_outs.c.platform == platform, survey_opt_outs.c.account == account)
                .values(until=to_utc(until))
            ).rowcount
            if not done:
                connection.execute(
                    insert(survey_opt_outs).values(
                        platform=platform, account=account, until=to_utc(until)
                    )
                )

    def opted_out_until(self, platform: str, account: str) -> datetime | None:
        query = select(survey_opt_outs.c.until).where(
            survey_opt_outs.c.platform == platform, survey_opt_outs.c.account == account
        )
        with self._engine.connect() as connection:
            return as_aware(connection.execute(query).scalar())

    def ratings(self, since: datetime) -> List[Tuple[str, date, int]]:
        """(team, the Monday of the week, rating) of every rating given since `since`."""
        query = select(surveys.c.team, surveys.c.answered_at, surveys.c.rating).where(
            surveys.c.rating.is_not(None), surveys.c.answered_at >= to_utc(since)
        )
        with self._engine.connect() as connection:
            rows = connection.execute(query).all()
        found = []
        for team, at, rating in rows:
            day = as_aware(at).date()
            found.append((team, day - timedelta(days=day.weekday()), int(rating)))
        return found

    def last_message_at(self, conversation_id: str) -> datetime | None:
        """When the tenant last wrote in the conversation (the intake's record)."""
        query = select(func.max(inbound_events.c.received_at)).where(
            inbound_events.c.conversation_id == conversation_id
        )
        with self._engine.connect() as connection:
            return as_aware(connection.execute(query).scalar())

    def recently_closed(self, since: datetime) -> List[Mapping]:
        """Handoffs of private conversations closed since `since`."""
        query = select(
            handoffs.c.id,
            handoffs.c.conversation_id,
            handoffs.c.platform,
            handoffs.c.platform_user_id,
            handoffs.c.team,
            handoffs.c.reason,
        ).where(
            and_(
                handoffs.c.state == "closed",
                handoffs.c.surface == "private",
                handoffs.c.updated_at >= to_utc(since),
            )
        )
        with self._engine.connect() as connection:
            return [dict(row) for row in connection.execute(query).mappings()]


# Built once: it runs for every message (bot/store.py says why).
_PENDING = (
    select(surveys)
    .where(
        surveys.c.conversation_id == bindparam("conversation"),
        surveys.c.answered_at.is_(None),
        surveys.c.asked_at > bindparam("since"),
    )
    .order_by(surveys.c.asked_at.desc())
)


def _survey(row: Mapping) -> Survey:
    return Survey(
        id=row["id"],
        occasion=row["occasion"],
        conversation_id=row["conversation_id"],
        platform=row["platform"],
        team=row["team"],
        asked_at=as_aware(row["asked_at"]),
        rating=row["rating"],
        answered_at=as_aware(row["answered_at"]),
        declined=bool(row["declined"]),
    )


def by_team_and_week(
    ratings: List[Tuple[str, date, int]],
) -> Dict[str, Dict[date, Tuple[float, int]]]:
    """{team: {week: (mean rating, how many)}}."""
    sums: Dict[str, Dict[date, List[int]]] = {}
    for team, week, rating in ratings:
        sums.setdefault(team, {}).setdefault(week, []).append(rating)
    return {
        team: {week: (sum(values) / len(values), len(values)) for week, values in weeks.items()}
        for team, weeks in sums.items()
    }


# Whose work a conversation the assistant resolved on its own is.
ASSISTANT_TEAM = "Assistant"
# How far back a closed handoff is looked for (the loop looks every minute).
CLOSED_WITHIN = timedelta(hours=1)


@dataclass(frozen=True)
class Said:
    """What the runtime sends after reading an answer, and whether it was one."""

    text: str
    low_rating_words: str | None = None


class SurveyDesk:
    """Asks the question and reads its answer.

    `send(conversation_id, platform, account, text, last_message_at, key)` queues a
    private message to the tenant, once per `key` (the runtime's outbox, by the
    platform's private route).
    """

    def __init__(
        self,
        store: Surveys,
        handoffs: HandoffService,
        calendar: WorkingCalendar,
        send: Callable[[str, str, str, str, datetime | None, str], None],
        ask_again_after: timedelta,
        invitations: Invitations | None = None,
    ) -> None:
        self.store = store
        self._handoffs = handoffs
        self._calendar = calendar
        self._send = send
        self._ask_again_after = ask_again_after
        self._invitations = invitations

    def _open_reasons(self, conversation_id: str) -> List[str]:
        return [h.reason.value for h in self._handoffs.repository.open_all_for(conversation_id)]

    def ask(self, occasion: Occasion, now: datetime) -> str | None:
        """Ask the question on `occasion` if the tenant may be asked; returns why not,
        or None once it is queued."""
        problem = why_not(
            occasion,
            now,
            self._calendar.is_monitoring(now),
            self.store.asked(occasion.key),
            self.store.opted_out_until(occasion.platform, occasion.account),
            "complaint" in self._open_reasons(occasion.conversation_id),
        )
        if problem is not None:
            return problem
        if self.store.record_asked(occasion, now) is None:
            return "asked already"
        self._send(
            occasion.conversation_id,
            occasion.platform,
            occasion.account,
            QUESTION,
            occasion.last_message_at,
            f"survey:{occasion.key}",
        )
        return None

    def ask_after_closed(self, now: datetime) -> int:
        """Ask about each handoff of a private conversation closed lately; returns how
        many questions were queued."""
        asked = 0
        for row in self.store.recently_closed(now - CLOSED_WITHIN):
            if not row["platform_user_id"]:
                continue
            occasion = Occasion(
                key=f"handoff:{row['id']}",
                conversation_id=row["conversation_id"],
                platform=row["platform"],
                account=row["platform_user_id"],
                team=row["team"],
                last_message_at=self.store.last_message_at(row["conversation_id"]),
                emergency=row["reason"] == "emergency",
            )
            if self.ask(occasion, now) is None:
                asked += 1
        return asked

    def ask_after_resolved(
        self, conversation_id: str, platform: str, account: str, now: datetime
    ) -> str | None:
        """Ask after a conversation the assistant resolved on its own ended (the tenant
        said goodbye or thanks, no handoff open); returns why not, or None once queued."""
        if self._open_reasons(conversation_id):
            return "a handoff is open"
        # Once per conversation: not again the day a closed handoff's question was asked.
        if self.store.asked_lately(conversation_id, now):
            return "asked already"
        occasion = Occasion(
            key=f"resolved:{conversation_id}:{now.date().isoformat()}",
            conversation_id=conversation_id,
            platform=platform,
            account=account,
            team=ASSISTANT_TEAM,
            last_message_at=now,
        )
        return self.ask(occasion, now)

    def read(
        self, conversation_id: str, platform: str, account: str, text: str, now: datetime
    ) -> Said | None:
        """The tenant's message read as the answer to a waiting question: what to say
        back, or None when it is no answer (the dialogue answers it; the question
        lapses)."""
        survey = self.store.pending(conversation_id, now)
        if survey is None:
            return None
        answer = read_answer(text)
        if answer is None:
            self.store.lapse(survey.id, now)
            return None
        self.store.answer(survey.id, answer, now)
        if answer.declined:
            self.store.opt_out(platform, account, now + self._ask_again_after)
            return Said(DECLINED.format(days=self._ask_again_after.days))
        if answer.rating is not None and answer.rating <= LOW and answer.words:
            # P11: Customer Experience look at every low rating that says why.
            self._handoffs.open(
                Reason.LOW_RATING,
                Conversation(conversation_id, platform, Surface.PRIVATE, account),
                now,
                intent="survey",
                words=answer.words,
                details={"rating": f"{answer.rating} of 5", "rated": survey.team},
                holds_conversation=False,
            )
            return Said(self._and_invited(THANKS_PASSED_ON, now), low_rating_words=answer.words)
        return Said(self._and_invited(THANKS, now))

    def _and_invited(self, thanks: str, now: datetime) -> str:
        """The thanks, and the survey Communications invite tenants to while one is open."""
        if self._invitations is None:
            return thanks
        found = self._invitations.open(now)
        if not found:
            return thanks
        return f"{thanks} {invited(found[0], self._calendar.zone)}"
