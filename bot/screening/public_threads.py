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

The route says what happens to the post; what else is true of it is decided apart,
so that no duty is lost to another: a removed post that holds personal details is
deleted like any other (P5), a civil post removed for naming staff still reaches
Customer Experience (P6), and an emergency is given the emergency contacts at once
(P2) whatever else happens to the post: in public by the dialogue, or in the private
message when the post comes down. On X, where a post holds 280 characters, an emergency
is answered here: every emergency number in the public reply, the full contacts and what
happens next by direct message. Nothing here does any I/O: the connectors carry the
decision out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from typing import Iterable, Sequence

from bot.association import Association
from bot.events import Platform
from bot.moderation import Assessment, Category
from bot.platforms.registry import KITS
from bot.privacy import Span


class Route(str, Enum):
    """What happens to a public post (or to a private message screening passes on)."""

    REMOVE = "remove"
    PROTECT = "protect"
    MOVE_PRIVATE = "move_private"
    ANSWER = "answer"
    # A private message that tells us what a private reply asked for: passed on
    # (bot.screening.follow_ups).
    PASS_ON = "pass_on"


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
    "vulnerability": "details of when your home is empty or who is at home",
}
# Findings that are no malice: the author is told why gently, not warned. Swearing
# here is about a situation ("the damp is f***ing unbearable"): swearing at a person is
# abuse and found as such. The swear filter hides it; its author still gets help.
GENTLE = {Category.STAFF_NAMED, Category.SUSPICIOUS_LINK, Category.OBSCENE}


@dataclass(frozen=True)
class Triage:
    """The route for one public post, and what else is true of it.

    `topic` is what a private conversation would be about ("negative" for a civil
    complaint); `emergency` that the model read one (P2).
    """

    route: Route
    assessment: Assessment
    personal_details: tuple[str, ...] = ()
    topic: str | None = None
    emergency: bool = False

    @property
    def civil(self) -> bool:
        """Whether it broke no rule out of malice (staff named, a link or swearing about a
        situation, at most)."""
        return self.assessment.categories <= GENTLE


def triage(
    text: str,
    intent: str | None,
    assessment: Assessment,
    spans: Sequence[Span],
    platform: str | None = None,
) -> Triage:
    """Decide what happens to a public post.

    Args:
        text: The post as written.
        intent: The intent the model read in it, if any.
        assessment: What moderation found (`bot.moderation.assess`).
        spans: The personal details found in it (`bot.privacy.find`).
        platform: Where it was posted. On X an emergency moves to private with its
            numbers in public: the dialogue's emergency contacts do not fit in a post.
    """
    kinds = tuple(dict.fromkeys(span.kind for span in spans))
    # Two needs in one message ("report_repair+make_complaint") count as either.
    intents = (intent or "").split("+")
    emergency = "report_emergency" in intents
    # Unhappiness outranks the subject: a complaint about a repair is a complaint.
    negative = "make_complaint" in intents or bool(NEGATIVE.search(text))
    topics = [PRIVATE_TOPICS[i] for i in intents if i in PRIVATE_TOPICS]
    topic = "negative" if negative else next(iter(topics), None)
    if assessment.remove:
        route = Route.REMOVE
    elif kinds:
        route = Route.PROTECT
    elif topic is not None and not emergency:
        route = Route.MOVE_PRIVATE
    elif emergency and platform is not None and KITS[Platform(platform)].emergency_goes_private:
        route = Route.MOVE_PRIVATE
    else:
        route = Route.ANSWER
    return Triage(route, assessment, kinds, topic, emergency)


@dataclass(frozen=True)
class Wording:
    """What the assistant says about a post: in public, in private, in public instead
    when the author accepts no direct messages (X), and in public when the platform
    refuses to hide the post (X)."""

    public: str | None = None
    private: str | None = None
    public_if_private_refused: str | None = None
    public_if_not_hidden: str | None = None


def in_words(kinds: Iterable[str]) -> str:
    """Kinds of personal detail as a tenant would say them: 'a phone number and an address'."""
    # A kind the detector learns later is still a personal detail, said plainly.
    words = list(dict.fromkeys(KIND_WORDS.get(kind, "personal details") for kind in kinds))
    if len(words) <= 1:
        return "".join(words) or "personal details"
    return ", ".join(words[:-1]) + " and " + words[-1]


def awaits(decided: Triage) -> str | None:
    """What `wording`'s private message about a post asks its author to tell us and
    promises to pass on (bot.screening.follow_ups): why a civil post named staff ("tell
    us here and we'll pass it on", `_warning`), or what antisocial behaviour has been
    happening ("Tell me here what's been happening", `_help`). None if nothing.
    """
    if decided.route is Route.REMOVE and decided.civil:
        if Category.STAFF_NAMED in decided.assessment.categories:
            return "staff_named"
        if Category.OBSCENE in decided.assessment.categories:
            # The help the post asked for is given as if moved to private (`_warning`).
            return "antisocial_behaviour" if decided.topic == "antisocial_behaviour" else None
        return None
    if decided.route is Route.MOVE_PRIVATE and decided.topic == "antisocial_behaviour":
        return "antisocial_behaviour"
    return None


def wording(
    decided: Triage,
    platform: str,
    association: Association,
    reply_by: str | None = None,
    removed: bool = True,
    blocked: bool = False,
    followed: bool = False,
    back: str | None = None,
) -> Wording:
    """The messages for a decided post. None of them holds any of the tenant's words.

    Args:
        decided: The post's triage.
        platform: Facebook or X.
        association: Whose name and numbers the messages give.
        reply_by: When a person will reply, in UK time words, where one will.
        removed: Whether the post was taken out of public view (else the author is asked
            to delete it).
        blocked: Whether the author is being blocked.
        followed: Whether the account follows the author so that they can message it.
        back: When people are next monitoring, in UK time words, if they are not now.
    """
    kit = KITS[Platform(platform)]
    if not kit.messages:
        return _elsewhere(decided, association, blocked)
    post = kit.post_word
    hello = f"Hi, this is {association.name}"
    send_dm = "send us a direct message" + (
        " (we've followed you so that you can)" if followed else ""
    )
    # P2: an emergency hears the numbers first, whatever happens to the post.
    urgent = _emergency(association) if decided.emergency else ""
    ask = "Please delete your post: it has personal details in it."
    not_hidden = f"{ask} Then {send_dm} and we'll help privately."
    if decided.route is Route.PROTECT:
        kept = "hidden" if removed else "seen"
        private = (
            f"{urgent}{hello}. We've {kept} your {post} because it included "
            f"{in_words(decided.personal_details)}. To keep you safe we never leave "
            "personal details in public. Please tell us here what you need, and we'll help."
            f"{_customer_experience(decided, reply_by)}"
        )
        if removed:
            refused = f"We've hidden your {post} because it had personal details in it. " + (
                f"Please {send_dm} and we'll help privately."
            )
            return Wording(
                private=private, public_if_private_refused=refused, public_if_not_hidden=not_hidden
            )
        return Wording(
            public=f"{ask} We'll help you by direct message, so your details stay private.",
            private=private,
            public_if_private_refused=not_hidden,
        )
    if decided.route is Route.REMOVE:
        private = _warning(decided, association, hello, post, blocked, reply_by, removed)
        unhidden = not_hidden if decided.personal_details else None
        return Wording(private=urgent + private, public_if_not_hidden=unhidden)
    if decided.route is Route.MOVE_PRIVATE and decided.emergency:
        return _numbers_first(association, hello, post, send_dm, back)
    if decided.route is Route.MOVE_PRIVATE:
        return _move_private(
            decided.topic or "", association, hello, post, platform, send_dm, reply_by
        )
    return Wording()


def _elsewhere(decided: Triage, association: Association, blocked: bool) -> Wording:
    """On a platform with no private messages (YouTube, LinkedIn): one public reply, asking the
    author to contact us privately, with none of their details (P5, P6)."""
    if decided.route is Route.ANSWER:
        return Wording()
    phones = association.phones
    privately = (
        f"please call us on {phones['customer_services']} or send us a private message on "
        "Facebook, Instagram or X"
    )
    # P2: an emergency hears the numbers first, whatever happens to the comment.
    urgent = ""
    if decided.emergency:
        urgent = (
            f"If anyone is in danger, call {phones['emergency_services']} now. Emergency "
            f"numbers:\n{association.emergency_numbers_text()}\n"
        )
    hello = f"Hi, this is {association.name}."
    categories = decided.assessment.categories
    if decided.route is Route.PROTECT:
        said = (
            f"{hello} We've taken your comment down to keep your personal details safe. "
            f"To get help, {privately}."
        )
    elif decided.route is Route.REMOVE and decided.civil:
        because = "it links to a website we can't check"
        if Category.STAFF_NAMED in categories:
            because = "we don't keep the names of our staff in public comments"
        elif Category.OBSCENE in categories:
            because = "we filter swear words out of public comments, that's all"
        said = f"{hello} We've taken your comment down because {because}. To get help, {privately}."
    elif decided.route is Route.REMOVE:
        ending = " This account can no longer comment here." if blocked else ""
        said = (
            f"{hello} We've taken your comment down because it broke our social media "
            f"rules. To get help, {privately}.{ending}"
        )
    elif decided.topic == "negative":
        # A person answers it here too (the handoff `Screening._handoff` opens).
        said = (
            "We're sorry to hear this. So that we can look into it with you without "
            f"sharing your details here, {privately}."
        )
    else:
        said = f"Thanks for getting in touch. So that your details stay private, {privately}."
    return Wording(public=urgent + said)


def _emergency(association: Association) -> str:
    phones = association.phones
    return (
        f"If this is an emergency and anyone is in danger, call {phones['emergency_services']} "
        f"now. Emergency contacts:\n{association.emergency_contacts_text()}\n\n"
    )


def _numbers_first(
    association: Association, hello: str, post: str, send_dm: str, back: str | None
) -> Wording:
    """An emergency on X (P2): every number in the post, which fits in 280 characters;
    the full contacts and what happens next by direct message."""
    phones = association.phones
    public = (
        f"If anyone is in danger, call {phones['emergency_services']} now. Emergency numbers:\n"
        f"{association.emergency_numbers_text()}\nWe'll be in touch by direct message."
    )
    if back:
        # P2 out of hours: as utter_handoff's emergency_out_of_hours says it.
        after = (
            f"Our team is away until {back} (UK time). Until then this page is watched for "
            "emergencies only, so please call our out-of-hours repairs line now on "
            f"{phones['out_of_hours_repairs']}. We've also flagged your message as urgent "
            "for our team."
        )
    else:
        after = (
            "We've flagged your message as urgent for our team. Please don't wait for a "
            "reply here if anyone is in danger: call the numbers above."
        )
    private = f"{hello}, following up on your {post}. {_emergency(association)}{after}"
    refused = f"We've flagged this as urgent for our team. To tell us more, please {send_dm}."
    return Wording(public=public, private=private, public_if_private_refused=refused)


def _customer_experience(decided: Triage, reply_by: str | None) -> str:
    """A civil complaint still reaches Customer Experience (P6), however it was posted."""
    if reply_by and decided.topic == "negative" and not decided.emergency:
        return f" Our Customer Experience team aims to reply to you here by {reply_by}."
    return ""


def _warning(
    decided: Triage,
    association: Association,
    hello: str,
    post: str,
    blocked: bool,
    reply_by: str | None,
    removed: bool,
) -> str:
    assessment = decided.assessment
    done = f"We've hidden your {post}" if removed else f"Please delete your {post}:"
    because = "because" if removed else "we can't keep it up, because"
    if decided.civil:
        follow_up = _customer_experience(decided, reply_by)
        if Category.STAFF_NAMED in assessment.categories:
            # The policy blocks "anyone who keeps posting such comments": said truthfully.
            ending = (
                " This account has now been blocked, because it kept naming our staff."
                if blocked
                else " We block accounts that keep naming our staff."
            )
            return (
                f"{hello}. {done} {because} it names a member of our staff. To protect "
                "their privacy we don't keep staff names in public posts. If it's about "
                f"something they did, tell us here and we'll pass it on.{ending}{follow_up}"
            )
        if Category.OBSCENE in assessment.categories:
            # Swearing alone never earns a block, so the note threatens none; the help
            # the post asked for is given here, as if it had been moved to private (P6).
            return (
                f"{hello}. {done} {because} our page filters out swear words, that's all: "
                "you've done nothing wrong by telling us how things are. "
                f"{_help(decided.topic, association, reply_by)}"
            )
        return (
            f"{hello}. {done} {because} it links to a website we can't check. If you "
            f"meant to share something with us, tell us about it here.{follow_up}"
        )
    ending = (
        " This account has now been blocked."
        if blocked
        else " Accounts that keep posting them are blocked and reported."
    )
    done = f"We've removed your {post}" if removed else f"Please delete your {post}:"
    return (
        f"{hello}. {done} {because} it broke our social media rules "
        f"({assessment.reasons()}). We're happy to help, but we don't accept abusive, "
        "threatening or offensive posts, and we have zero tolerance for abuse of our "
        f"staff.{ending}"
    )


def _move_private(
    topic: str,
    association: Association,
    hello: str,
    post: str,
    platform: str,
    send_dm: str,
    reply_by: str | None,
) -> Wording:
    # Facebook's private reply always arrives; an X DM may be refused, so on X the
    # public word promises no message that may not come.
    if KITS[Platform(platform)].private_reply_arrives:
        sent = "We've sent you a private message"
    else:
        sent = "We'll be in touch by direct message"
    if topic == "negative":
        public = f"We're sorry to hear this. {sent} so we can look into it with you."
        refused = f"We're sorry to hear this. Please {send_dm} so we can look into it with you."
    else:
        public = (
            f"Thanks for getting in touch. {sent} so we can help without sharing your details here."
        )
        refused = f"Thanks for getting in touch. Please {send_dm} so we can help privately."
    opening = {
        "repair": f"{hello}, following up on your {post} about a repair.",
        "negative": f"{hello}.",
    }.get(topic, f"{hello}, following up on your {post}.")
    private = f"{opening} {_help(topic, association, reply_by)}"
    return Wording(public=public, private=private, public_if_private_refused=refused)


def _help(topic: str | None, association: Association, reply_by: str | None) -> str:
    """The help a post asked for, offered in private, after the greeting."""
    phones = association.phones
    when = f" by {reply_by}" if reply_by else " as soon as possible"
    return {
        "tenancy": (
            "I can help with your rent or repairs here. Your tenancy is private, so I'll ask "
            "three quick security questions first. What would you like to know?"
        ),
        "repair": (
            "Tell me here what's wrong and I'll help. If it's an emergency, call our "
            f"out-of-hours repairs line on {phones['out_of_hours_repairs']} now."
        ),
        "antisocial_behaviour": (
            "Tell me here what's been happening: names and details are safe in this private "
            f"chat. If anyone is in danger, call {phones['emergency_services']}."
        ),
        "person": f"We aim to reply to you here{when}.",
        "negative": (
            "We're sorry about your experience and we'd like to put it right. Our Customer "
            f"Experience team aims to reply to you here{when}. You can add any details here, "
            "where they stay private."
        ),
    }.get(topic or "", "How can we help? Ask us here and we'll answer.")
