"""Survey invitations Communications publish: a survey's title, its link and when it
closes (the policy's "invitations to provide feedback or complete surveys on specific
issues", P11).

While one is open it is mentioned at the end of the exchange that follows the question
after a conversation (bot/feedback/surveys.py). Staff with the Communications role add
and close them in the console (bot/console/survey_pages.py).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, List, Mapping
from urllib.parse import urlparse

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Engine

from bot.store import as_aware, survey_invitations, to_utc

MAX_TITLE = 80
MAX_URL = 300


class InvalidInvitation(ValueError):
    """An invitation that cannot be offered as given; the message says what to change."""


@dataclass(frozen=True)
class Invitation:
    """A survey tenants are invited to, open until `closes_at` (or closed early)."""

    id: str
    title: str
    url: str
    closes_at: datetime
    created_by: str
    created_at: datetime
    closed_at: datetime | None = None

    def __post_init__(self) -> None:
        if not self.title.strip() or len(self.title) > MAX_TITLE:
            raise InvalidInvitation(f"the title must be 1 to {MAX_TITLE} characters")
        link = urlparse(self.url)
        if link.scheme != "https" or not link.netloc or len(self.url) > MAX_URL:
            raise InvalidInvitation("the link must be a web address starting https://")
        if self.closes_at <= self.created_at:
            raise InvalidInvitation("it must close after it is published")

    @property
    def until(self) -> datetime:
        return min(self.closes_at, self.closed_at) if self.closed_at else self.closes_at

    def open(self, now: datetime) -> bool:
        return self.created_at <= now < self.until


class Invitations:
    """The survey invitations, open and closed."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def add(self, invitation: Invitation) -> Invitation:
        row = {
            "id": invitation.id,
            "title": invitation.title,
            "url": invitation.url,
            "closes_at": to_utc(invitation.closes_at),
            "created_by": invitation.created_by,
            "created_at": to_utc(invitation.created_at),
        }
        with self._engine.begin() as connection:
            connection.execute(insert(survey_invitations).values(**row))
        return invitation

    def open(self, now: datetime) -> List[Invitation]:
        """The invitations open at `now`, the newest first."""
        query = (
            select(survey_invitations)
            .where(survey_invitations.c.closes_at > to_utc(now))
            .order_by(survey_invitations.c.created_at.desc())
        )
        with self._engine.connect() as connection:
            found = [_invitation(row) for row in connection.execute(query).mappings()]
        return [i for i in found if i.open(now)]

    def recent(self, most: int = 50) -> List[Invitation]:
        """The latest invitations, open or not, the newest first."""
        query = (
            select(survey_invitations).order_by(survey_invitations.c.created_at.desc()).limit(most)
        )
        with self._engine.connect() as connection:
            return [_invitation(row) for row in connection.execute(query).mappings()]

    def close(self, invitation_id: str, now: datetime) -> bool:
        """Close it now; whether there was one open to close."""
        with self._engine.begin() as connection:
            done = connection.execute(
                update(survey_invitations)
                .where(
                    survey_invitations.c.id == invitation_id,
                    survey_invitations.c.closed_at.is_(None),
                )
                .values(closed_at=to_utc(now))
            ).rowcount
        return bool(done)


INVITED = "We're also asking tenants about {title}, until {closes}: {url}"


def invited(invitation: Invitation, zone: Any) -> str:
    """The sentence that invites a tenant to the survey."""
    closes = invitation.until.astimezone(zone)
    return INVITED.format(
        title=invitation.title, closes=f"{closes.day} {closes:%B}", url=invitation.url
    )


def new_id() -> str:
    return str(uuid.uuid4())


def _invitation(row: Mapping[str, Any]) -> Invitation:
    return Invitation(
        id=row["id"],
        title=row["title"],
        url=row["url"],
        closes_at=as_aware(row["closes_at"]),
        created_by=row["created_by"],
        created_at=as_aware(row["created_at"]),
        closed_at=as_aware(row["closed_at"]),
    )
