"""What the assistant does with a public comment or mention, and what it says (P5-P7).

Four routes, in order of precedence:

- REMOVE (P7): the post breaks the rules (abuse, threats, obscenity, hate, sexual
  content, spam, suspicious links, staff named). It is taken out of public view and
  its author warned privately.
- PROTECT (P5): the post holds personal details. It is hidden at once (deleted too
  where settings and the platform allow) and its author told privately why, without
  the details being quoted back.
- MOVE_PRIVATE (P6): the post needs personal details (a tenancy question, a repair,
  antisocial behaviour, a request for a person) or is negative but civil. It is
  acknowledged in public, never removed, and the conversation starts in private.
- ANSWER: anything else is answered in public by the dialogue, whose replies are
  written by the association and never hold the tenant's words.

An emergency is always answered at once (P2), unless it breaks the rules or holds
personal details. Nothing here does any I/O: the connectors carry the decision out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from typing import Iterable, Sequence

from bot.association import Association
from bot.moderation import Assessment, Category
from bot.privacy import Span


class Route(str, Enum):
    """What happens to a public post."""

    REMOVE = "remove"
    PROTECT = "protect"
    MOVE_PRIVATE = "move_private"
    ANSWER = "answer"


# Intents whose help needs personal details, so it happens in private (P4, P6).
PRIVATE_TOPICS = {
    "ask_rent_balance": "tenancy",
    "ask_repair_status": "tenancy",
    "inform": "tenancy",
    "report_repair": "repair",
    "report_antisocial_behaviour": "antisocial_behaviour",
    "request_human": "person",
    "make_complaint": "negative",
}
# Civil words of a tenant who is unhappy with the service (P6: negative comments).
NEGATIVE = re.compile(
    r"\b(?:terrible|disgrac\w*|appalling|shocking|awful|worst|useless|rubbish|pathetic|"
    r"disgusted|disappointed|disappointing|fed up|sick of|ridiculous|shambles|unacceptable|"
    r"let down|ignored|ignoring|poor service|complain\w*|no one (?:has|ever|came|bothered)|"
    r"nobody (?:has|ever|came|bothered|turned)|still (?:waiting|not fixed|no)|a joke|"
    r"not good enough|never (?:turn|came|come|answer|call)\w*)\b",
    re.IGNORECASE,
)
KIND_WORDS = {
    "phone": "a phone number",
    "email": "an email address",
    "postcode": "a postcode",
    "street_address": "an address",
    "date_of_birth": "a date of birth",
    "tenancy_reference": "a tenancy reference",
    "national_insurance": "a National Insurance number",
    "payment_card": "card details",
    "bank_details": "bank details",
}
# Findings that are no malice: the author is told why gently, not warned.
GENTLE = {Category.STAFF_NAMED, Category.SUSPICIOUS_LINK}


@dataclass(frozen=True)
class Triage:
    """The route for one public post, and what decided it."""

    route: Route
    assessment: Assessment
    personal_details: tuple[str, ...] = ()
    topic: str | None = None


def triage(text: str, intent: str | None, assessment: Assessment, spans: Sequence[Span]) -> Triage:
    """Decide what happens to a public post.

    Args:
        text: The post as written.
        intent: The intent the model read in it, if any.
        assessment: What moderation found (`bot.moderation.assess`).
        spans: The personal details found in it (`bot.privacy.find`).
    """
    if assessment.remove:
        return Triage(Route.REMOVE, assessment)
    if spans:
        kinds = tuple(dict.fromkeys(span.kind for span in spans))
        return Triage(Route.PROTECT, assessment, personal_details=kinds)
    if intent == "report_emergency":
        return Triage(Route.ANSWER, assessment)
    topic = PRIVATE_TOPICS.get(intent or "")
    if topic is None and NEGATIVE.search(text):
        topic = "negative"
    if topic is not None:
        return Triage(Route.MOVE_PRIVATE, assessment, topic=topic)
    return Triage(Route.ANSWER, assessment)


@dataclass(frozen=True)
class Wording:
    """What the assistant says about a post: in public, in private, and in public
    instead when the author accepts no direct messages (X)."""

    public: str | None = None
    private: str | None = None
    public_if_private_refused: str | None = None


def in_words(kinds: Iterable[str]) -> str:
    """Kinds of personal detail as a tenant would say them: 'a phone number and an address'."""
    words = [KIND_WORDS[kind] for kind in kinds]
    if len(words) <= 1:
        return "".join(words) or "personal details"
    return ", ".join(words[:-1]) + " and " + words[-1]


def wording(
    decided: Triage,
    platform: str,
    association: Association,
    reply_by: str | None = None,
    removed: bool = True,
    blocked: bool = False,
    followed: bool = False,
) -> Wording:
    """The messages for a decided post. None of them holds any of the tenant's words.

    Args:
        decided: The post's triage.
        platform: "facebook" or "twitter".
        association: Whose name and numbers the messages give.
        reply_by: When a person will reply, in UK time words, where one will.
        removed: Whether the post was taken out of public view (else the author is asked
            to delete it).
        blocked: Whether the author is being blocked.
        followed: Whether the account follows the author so that they can message it.
    """
    post = "comment" if platform == "facebook" else "post"
    private_channel = "a private message" if platform == "facebook" else "a direct message"
    hello = f"Hi, this is {association.name}"
    send_dm = "send us a direct message" + (
        " (we've followed you so that you can)" if followed else ""
    )
    if decided.route is Route.PROTECT:
        kept = "hidden" if removed else "seen"
        private = (
            f"{hello}. We've {kept} your {post} because it included "
            f"{in_words(decided.personal_details)}. To keep you safe we never leave "
            "personal details in public. Please tell us here what you need, and we'll help."
        )
        if removed:
            refused = f"We've hidden your {post} because it had personal details in it. " + (
                f"Please {send_dm} and we'll help privately."
            )
            return Wording(private=private, public_if_private_refused=refused)
        ask = "Please delete your post: it has personal details in it."
        return Wording(
            public=f"{ask} We've sent you a direct message so we can help privately.",
            private=private,
            public_if_private_refused=f"{ask} Then {send_dm} and we'll help privately.",
        )
    if decided.route is Route.REMOVE:
        return Wording(private=_warning(decided.assessment, hello, post, blocked))
    if decided.route is Route.MOVE_PRIVATE:
        return _move_private(decided.topic or "", association, hello, post, private_channel,
                             send_dm, reply_by)  # fmt: skip
    return Wording()


def _warning(assessment: Assessment, hello: str, post: str, blocked: bool) -> str:
    if assessment.categories <= GENTLE:
        if Category.STAFF_NAMED in assessment.categories:
            return (
                f"{hello}. We've hidden your {post} because it names a member of our staff. "
                "To protect their privacy we don't keep staff names in public posts. If it's "
                "about something they did, tell us here and we'll pass it on."
            )
        return (
            f"{hello}. We've hidden your {post} because it links to a website we can't "
            "check. If you meant to share something with us, tell us about it here."
        )
    ending = (
        " This account has now been blocked."
        if blocked
        else " Accounts that keep posting them are blocked and reported."
    )
    return (
        f"{hello}. We've removed your {post} because it broke our social media rules "
        f"({assessment.reasons()}). We're happy to help, but we don't accept abusive, "
        "threatening or offensive posts, and we have zero tolerance for abuse of our "
        f"staff.{ending}"
    )


def _move_private(
    topic: str,
    association: Association,
    hello: str,
    post: str,
    private_channel: str,
    send_dm: str,
    reply_by: str | None,
) -> Wording:
    phones = association.phones
    if topic == "negative":
        public = (
            f"We're sorry to hear this. We've sent you {private_channel} so we can look into "
            "it with you."
        )
        refused = f"We're sorry to hear this. Please {send_dm} so we can look into it with you."
    else:
        public = (
            f"Thanks for getting in touch. We've sent you {private_channel} so we can help "
            "without sharing your details here."
        )
        refused = f"Thanks for getting in touch. Please {send_dm} so we can help privately."
    when = f" by {reply_by}" if reply_by else " as soon as we can"
    private = {
        "tenancy": (
            f"{hello}, following up on your {post}. I can help with your rent or repairs "
            "here. Your tenancy is private, so I'll ask three quick security questions "
            "first. What would you like to know?"
        ),
        "repair": (
            f"{hello}, following up on your {post} about a repair. Tell me here what's wrong "
            "and I'll help. If it's an emergency, call our out-of-hours repairs line on "
            f"{phones['out_of_hours_repairs']} now."
        ),
        "antisocial_behaviour": (
            f"{hello}, following up on your {post}. Tell me here what's been happening: "
            "names and details are safe in this private chat. If anyone is in danger, call "
            f"{phones['emergency_services']}."
        ),
        "person": (
            f"{hello}, following up on your {post}. A member of our team will reply to you "
            f"here{when}."
        ),
        "negative": (
            f"{hello}. We're sorry about your experience and we'd like to put it right. Our "
            f"Customer Experience team will reply to you here{when}. You can add any details "
            "here, where they stay private."
        ),
    }.get(topic, f"{hello}, following up on your {post}. How can we help?")
    return Wording(public=public, private=private, public_if_private_refused=refused)
