"""Reading a tenant's answers to the repair questions (P2, P3).

The answers are free text: "kitchen", "since Monday", "under the sink, it drips".
An answer is taken as typed when it has enough to it to be read by a person; the
vulnerability question is read as yes or no. Each reader returns None for a reply
that holds no answer, so that the question is asked again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Tuple

from bot.tenancy import answers as identity_answers

# The least a reply must hold to be an answer: "hall" and "today" are answers, "a" or
# "?" is not. What is wrong needs a word more than where or since when does.
LEAST_CHARACTERS = {"what": 3, "where": 2, "since": 2}

_WORDS = re.compile(r"[a-z0-9']+")
# Replies that say no one in the home is vulnerable.
NO_ONE = ("no", "nope", "nah", "none", "nobody", "no one", "noone", "not really", "n", "just me")
NO_ONE += ("only me", "just us", "only us")
NEGATIVE_OPENINGS = ("no ", "nope ", "nah ", "none ", "nobody ", "no one ", "not really ")
NEGATIVE_PHRASES = ("don't think so", "dont think so", "not that i know")
YES = ("yes", "yeah", "yep", "yes there is", "y", "yup", "there is", "aye")
# Words that describe someone vulnerable (P2 names no heating for a vulnerable person
# an emergency): older, disabled, young children, ill, pregnant.
VULNERABLE_WORDS = frozenset(
    (
        "old older elderly pensioner disabled disability wheelchair carer blind deaf baby "
        "babies newborn toddler child children kid kids son daughter young ill illness "
        "sick poorly unwell pregnant asthma cancer dementia hospital frail mobility "
        "medical oxygen dialysis vulnerable"
        # Someone named in reply to the question is someone the tenant worries about.
        " mum mam mother dad father nan nana gran granny grandma grandad grandmother"
        " grandfather"
    ).split()
)
# An age that makes someone vulnerable: a young child, or older (P2).
YOUNG_UNTIL, OLDER_FROM = 5, 65


def answer(kind: str, text: str | None) -> str | None:
    """`text`, trimmed, if it answers the question `kind` ("what", "where", "since").

    Raises:
        KeyError: `kind` is not one of the questions.
    """
    trimmed = " ".join((text or "").split())
    letters = sum(ch.isalnum() for ch in trimmed)
    return trimmed if letters >= LEAST_CHARACTERS[kind] else None


def vulnerable(text: str | None, intent: str | None = None) -> bool | None:
    """Whether the reply says someone in the home is vulnerable, or None if unclear.

    "no", "nobody here" read as no; "yes", or a description of someone ("my son is
    disabled", "a baby") as yes. `intent` (affirm or deny) settles a reply the words
    do not.
    """
    said = " ".join(_WORDS.findall((text or "").lower().replace("’", "'")))
    if not said:
        return None
    if (
        said in NO_ONE
        or said.startswith(NEGATIVE_OPENINGS)
        or any(p in said for p in NEGATIVE_PHRASES)
    ):
        return False
    if said in YES or said.startswith(("yes ", "yeah ", "yep ")):
        return True
    if VULNERABLE_WORDS.intersection(said.split()) or any(
        word.isdigit() and (int(word) < YOUNG_UNTIL or OLDER_FROM <= int(word) < 130)
        for word in said.replace("'s", " ").split()
    ):
        return True
    if intent == "affirm":
        return True
    if intent == "deny":
        return False
    return None


@dataclass(frozen=True)
class Photos:
    """What the tenant sent without words during the questions: how many, and of
    which kinds ("photo", "video"). Never the media itself."""

    count: int = 0
    kinds: Tuple[str, ...] = ()

    def add(self, kind: str | None) -> Photos:
        """These photos and one more of `kind` ("attachment" when the platform did not say)."""
        kind = kind or "attachment"
        kinds = self.kinds if kind in self.kinds else (*self.kinds, kind)
        return Photos(self.count + 1, kinds)

    def as_dict(self) -> dict:
        """For a slot."""
        return {"count": self.count, "kinds": list(self.kinds)}

    @classmethod
    def from_dict(cls, value: object) -> Photos:
        """Photos from a slot's value; none for anything else."""
        if not isinstance(value, dict):
            return cls()
        count = value.get("count")
        kinds = value.get("kinds")
        if not isinstance(count, int) or count < 0:
            return cls()
        return cls(count, tuple(str(k) for k in kinds) if isinstance(kinds, list) else ())

    def describe(self) -> str:
        """For staff: "none", "1 (photo)", "3 (photo, video)"."""
        return f"{self.count} ({', '.join(self.kinds)})" if self.count else "none"


# Words that may come with a stop without making it an answer ("stop please", "just
# cancel it"). An answer that holds a stop word among others ("the tap won't stop
# dripping") is an answer.
ALONGSIDE_A_STOP = frozenset(
    "please pls plz it now thanks thank you just ok okay oh i the these questions this all".split()
)


def is_stop(text: str | None) -> bool:
    """Whether the reply asks only to end the questions ("stop", "never mind", "cancel it")."""
    said = " ".join(_WORDS.findall((text or "").lower().replace("'", "")))
    if not said or not identity_answers.is_stop(said):
        return False
    for phrase in identity_answers.STOP_PHRASES:
        said = said.replace(phrase, " ")
    left = set(said.split()) - identity_answers.STOP_WORDS - ALONGSIDE_A_STOP
    return not left
