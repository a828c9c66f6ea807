"""LinkedIn comments read into the messages the assistant screens, from a listing of a
post's comments (polling) or from the organization's social action webhook.

A comment (`GET /socialActions/<post>/comments`): `id`, `$URN` (else built as
`urn:li:comment:(<object>,<id>)`), `actor` (`urn:li:person:...`, or an organization),
`object` (what it is on), `parentComment` (a reply's: the comment it is under),
`message.text`, `created.time` (milliseconds) and `commentsSummary` (its replies,
`aggregatedTotalComments`). LinkedIn gives no member's name.

A webhook notification (ORGANIZATION_SOCIAL_ACTION_NOTIFICATIONS): one object, or a
list, with `type` ("COMMENT" for a new comment), `organizationalEntity`, `actor`,
`sourcePost`, `generatedActivity` (the comment's URN), `lastModifiedAt` and
`decoratedGeneratedActivity.comment.text`. LinkedIn's documentation of this payload
could not be checked in full: every field is read as optional, and a notification that
lacks one is left for the poller. Other types (likes, shares, mentions, the
organization's own comments) are dropped.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Callable, Iterator, List, Tuple

from bot.events import InboundEvent, Platform, Surface
from bot.platforms.payloads import (
    MalformedPayload,
    SeenComment,
    from_millis,
    tolerating_odd_events,
)


def parse_comments(answer: Any, post: str, organization: str, now: datetime) -> List[InboundEvent]:
    """The members' comments in one listing of `post`'s comments (the organization's
    own are dropped).

    Raises:
        MalformedPayload: `answer` is not a listing of comments.
    """
    if not isinstance(answer, dict) or not isinstance(answer.get("elements", []), list):
        raise MalformedPayload("not a list of LinkedIn comments")
    elements = answer.get("elements") or []
    if not elements:
        return []
    read = tolerating_odd_events(
        ([lambda e=element: _listed(e, post, organization, now)] for element in elements),
        Platform.LINKEDIN.value,
    )
    return read


# What `from_millis` gives for a time that is none: such a comment's age is unknown.
NO_TIME = datetime.min.replace(tzinfo=timezone.utc)


def replies_counted(element: Any) -> int | None:
    """How many replies a listed comment says it has; None where it does not say."""
    summary = element.get("commentsSummary") if isinstance(element, dict) else None
    count = summary.get("aggregatedTotalComments") if isinstance(summary, dict) else None
    return count if isinstance(count, int) and not isinstance(count, bool) else None


def seen_comments(answer: Any, post: str, organization: str) -> List[Tuple[SeenComment, bool]]:
    """Every comment in one listing of `post`'s comments (or of a comment's replies),
    the organization's own marked `by_page`, for the retention sweep; each with whether
    it may have replies (its `commentsSummary` counts some, or says nothing). A comment
    without the time it was written is left out: its age is unknown.

    Raises:
        MalformedPayload: `answer` is not a listing of comments.
    """
    if not isinstance(answer, dict) or not isinstance(answer.get("elements", []), list):
        raise MalformedPayload("not a list of LinkedIn comments")
    found = []
    for element in answer.get("elements") or []:
        if not isinstance(element, dict) or not element.get("id") and not element.get("$URN"):
            continue
        created = from_millis((element.get("created") or {}).get("time"), NO_TIME)
        if created is NO_TIME:
            continue
        urn = comment_urn(element, post)
        actor = str(element.get("actor") or "") or None
        seen = SeenComment(
            comment_id=str(urn),
            post_id=post,
            author_id=actor,
            created_at=created,
            by_page=actor == organization,
        )
        found.append((seen, replies_counted(element) != 0))
    return found


def comment_urn(element: dict, post: str) -> str:
    """A listed comment's URN: its own, else built from what it is on and its id.

    Raises:
        KeyError: the comment has neither a URN nor an id.
    """
    urn = element.get("$URN") or element.get("commentUrn")
    return str(urn or f"urn:li:comment:({element.get('object') or post},{element['id']})")


def _listed(element: dict, post: str, organization: str, now: datetime) -> InboundEvent | None:
    actor = str(element["actor"])
    urn = comment_urn(element, post)
    if actor == organization:
        return None
    created = (element.get("created") or {}).get("time")
    text = str(element["message"]["text"])
    parent = element.get("parentComment")
    return _comment(str(urn), actor, text, post, from_millis(created, now), parent)


def parse_notifications(payload: Any, organization: str, now: datetime) -> List[InboundEvent]:
    """The new comments in a webhook body.

    Raises:
        MalformedPayload: `payload` is not a notification or a list of them.
    """
    notifications = payload if isinstance(payload, list) else [payload]
    if not notifications or not all(isinstance(n, dict) for n in notifications):
        raise MalformedPayload("not a LinkedIn social action notification")
    if not any("type" in n for n in notifications):
        raise MalformedPayload("a LinkedIn notification names its 'type'")
    return tolerating_odd_events(
        (_notified(n, organization, now) for n in notifications), Platform.LINKEDIN.value
    )


def _notified(
    notification: dict, organization: str, now: datetime
) -> Iterator[Callable[[], InboundEvent | None]]:
    if notification.get("type") != "COMMENT":
        return
    if notification.get("organizationalEntity") not in (None, organization):
        return  # another page the app serves
    actor = notification.get("actor")
    comment = (notification.get("decoratedGeneratedActivity") or {}).get("comment") or {}
    urn, text = notification.get("generatedActivity") or comment.get("entity"), comment.get("text")
    if not actor or actor == organization or not urn or text is None:
        return  # not a member's comment, or too little to act on: the poller reads it
    post = notification.get("sourcePost") or comment.get("object") or ""
    sent = from_millis(notification.get("lastModifiedAt"), now)
    parent = comment.get("parentComment")
    yield lambda: _comment(str(urn), str(actor), str(text), str(post), sent, parent)


def _comment(
    urn: str, actor: str, text: str, post: str, sent_at: datetime, parent: Any = None
) -> InboundEvent:
    return InboundEvent(
        platform=Platform.LINKEDIN,
        kind="comment",
        event_id=urn,
        surface=Surface.PUBLIC,
        author_id=actor,
        text=text,
        sent_at=sent_at,
        post_id=post or None,
        comment_id=urn,
        parent_id=str(parent) if parent else None,
    )


def post_urns(answer: Any) -> List[str]:
    """The posts in a listing of the organization's posts.

    Raises:
        MalformedPayload: `answer` is not a listing of posts.
    """
    elements = answer.get("elements") if isinstance(answer, dict) else None
    if not isinstance(elements, list):
        raise MalformedPayload("not a list of LinkedIn posts")
    return [str(e["id"]) for e in elements if isinstance(e, dict) and e.get("id")]
