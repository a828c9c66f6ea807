"""What a private message asked a tenant to tell us, and passing it on (P6, P7, P11).

When screening takes a public post down for naming staff, its private message says
"If it's about something they did, tell us here and we'll pass it on"; when it moves
antisocial behaviour to private, it says "Tell me here what's been happening". Each
is a promise, stored here with its author (a follow-up). The author's next private
message, in whichever conversation it arrives (a Facebook commenter writes from
another id in Messenger: the accounts are linked when the private reply reaches them,
`ModerationLog.link`), is passed on once: to Customer Experience for staff named, to
Neighbourhoods for antisocial behaviour. A promise not taken up within
FOLLOW_UP_DAYS lapses, so that a message weeks later is not mistaken for an answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from typing import Callable, Set

from sqlalchemy import or_, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from bot.association import Association
from bot.store import as_aware, follow_ups, to_utc

# Messenger lets a person reply for 7 days after the tenant's message (HUMAN_AGENT).
FOLLOW_UP_DAYS = 7
# What the model reads in a message that is no account of anything: the dialogue
# answers these, and the follow-up waits for the next message. An emergency is always
# the dialogue's (P2); abuse is warned about, not passed on.
NOT_AN_ACCOUNT = frozenset(
    {
        "greet",
        "goodbye",
        "thank",
        "affirm",
        "deny",
        "bot_challenge",
        "report_emergency",
        "request_human",
        "abuse",
        "send_attachment",
    }
)


class Awaits(str, Enum):
    """What the tenant was asked to tell us."""

    STAFF_NAMED = "staff_named"
    ANTISOCIAL_BEHAVIOUR = "antisocial_behaviour"


@dataclass(frozen=True)
class FollowUp:
    """A promise to pass on what an author tells us next in private."""

    id: int
    platform: str
    author_id: str
    conversation_id: str
    awaits: Awaits
    promised_at: datetime


class FollowUps:
    """Follow-ups in the project's store.

    `accounts(platform, author_id)` gives every account of the person writing as
    `author_id` (`ModerationLog.accounts`), so that a promise made to a commenter is
    found when they write from Messenger.
    """

    def __init__(self, engine: Engine, accounts: Callable[[str, str], Set[str]]) -> None:
        self._engine = engine
        self._accounts = accounts

    def promise(
        self,
        platform: str,
        author_id: str,
        conversation_id: str,
        awaits: Awaits,
        now: datetime,
        key: str,
    ) -> None:
        """Note that the author was asked to tell us something; once per `key`."""
        values = {
            "platform": platform,
            "author_id": author_id,
            "conversation_id": conversation_id,
            "awaits": awaits.value,
            "promised_at": to_utc(now),
            "key": key,
        }
        try:
            with self._engine.begin() as connection:
                connection.execute(follow_ups.insert().values(**values))
        except IntegrityError:
            pass  # promised already: the message was screened again

    def pending(self, platform: str, author_id: str, now: datetime, key: str) -> FollowUp | None:
        """The person's latest promise not yet kept, made within FOLLOW_UP_DAYS; or the
        one the message keyed `key` kept already (it is being screened again)."""
        accounts = sorted(self._accounts(platform, author_id))
        since = now - timedelta(days=FOLLOW_UP_DAYS)
        query = (
            select(follow_ups)
            .where(
                follow_ups.c.platform == platform,
                follow_ups.c.author_id.in_(accounts),
                or_(follow_ups.c.passed_on_at.is_(None), follow_ups.c.kept_by == key),
                follow_ups.c.promised_at >= to_utc(since),
            )
            .order_by(follow_ups.c.promised_at.desc(), follow_ups.c.id.desc())
        )
        with self._engine.connect() as connection:
            row = connection.execute(query).first()
        if row is None:
            return None
        return FollowUp(
            id=row.id,
            platform=row.platform,
            # The account writing now, one of the person's: the stored author is only
            # its keyed HMAC (P9), which no query may be given back.
            author_id=author_id,
            conversation_id=row.conversation_id,
            awaits=Awaits(row.awaits),
            promised_at=as_aware(row.promised_at),
        )

    def passed_on(self, follow_up: FollowUp, handoff_id: str, now: datetime, key: str) -> None:
        """Mark the promise kept by the message keyed `key`: what the author said went
        to `handoff_id`.

        Every promise of the same kind the person is waiting on is kept by it too:
        one explanation answers two hidden posts.
        """
        accounts = sorted(self._accounts(follow_up.platform, follow_up.author_id))
        with self._engine.begin() as connection:
            connection.execute(
                follow_ups.update()
                .where(
                    follow_ups.c.platform == follow_up.platform,
                    follow_ups.c.author_id.in_(accounts),
                    follow_ups.c.awaits == follow_up.awaits.value,
                    follow_ups.c.passed_on_at.is_(None),
                )
                .values(passed_on_at=to_utc(now), handoff_id=handoff_id, kept_by=key)
            )


def passed_on_words(awaits: Awaits, team: str, reply_by: str, association: Association) -> str:
    """What the tenant is told once what they said has been passed on (P3: when)."""
    if awaits is Awaits.ANTISOCIAL_BEHAVIOUR:
        phones = association.phones
        return (
            f"Thank you for telling us. I've passed what you've said to our {team} team, "
            f"who aim to reply to you here by {reply_by}. If anyone is in danger or a crime "
            f"is happening now, call {phones['emergency_services']}; for other crime call "
            f"the police on {phones['police_non_emergency']}."
        )
    return (
        f"Thank you for explaining. I've passed what you've said to our {team} team, who "
        f"aim to reply to you here by {reply_by}."
    )
