"""Who a compliment is about, so that Customer Experience can pass it on (P11).

A compliment is passed to Customer Experience with the member of staff or the team
it names. Staff are the association's configured staff (association.yml
`moderation.staff`, the same list that protects their names in public, P7), found
as moderation finds them: full name, alias, or a first name beside a role word.
Teams are the configured teams, found by name ("the repairs man" is Repairs).
"""

from __future__ import annotations

import re
from typing import Iterable, Sequence

from bot.moderation.lexicon import read_words, shown
from bot.moderation.rules import ModerationRules, StaffMember
from bot.moderation.staff_names import names_staff, staff_names
from bot.privacy import normalise as visible

NOT_NAMED = "not named"


def compliment_about(text: str, staff: Sequence[StaffMember], teams: Iterable[str]) -> str:
    """The staff and team a compliment names, as staff would write it down.

    Args:
        text: The compliment as the tenant wrote it.
        staff: The association's staff (association.yml `moderation.staff`).
        teams: The names of the association's teams.

    Returns:
        "Karen Holt", "Karen Holt, Dave Price", "Repairs", "Dave Price (Repairs)",
        or NOT_NAMED.
    """
    # Read as moderation reads posts, so that a name found there is found here.
    norm, _ = read_words(visible.fold_lookalikes(shown(text)))
    people = [
        member.name
        for member in staff
        if names_staff(norm, staff_names(ModerationRules(staff=(member,))))
    ]
    named_teams = [team for team in teams if _team_words(team).search(norm)]
    if people and named_teams:
        return f"{', '.join(people)} ({', '.join(named_teams)})"
    return ", ".join(people or named_teams) or NOT_NAMED


def _team_words(team: str) -> re.Pattern[str]:
    """A team's name, singular or plural: "Repairs" is "repair" or "repairs"."""
    words = [re.escape(word.lower().removesuffix("s")) + "s?" for word in team.split()]
    return re.compile(r"\b" + r"\s+".join(words) + r"\b")
