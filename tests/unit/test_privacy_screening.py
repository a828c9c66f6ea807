"""A public post that says when a home is empty, or who is alone in it, comes down (P5).

DESIGN.md counts these as personal details (kind `vulnerability`): read in public they
tell a burglar, or worse, where to go and when. They are hidden and explained privately
like a phone number, and the explanation never repeats them.
"""

from datetime import datetime

import pytest

from bot.association import load_association
from bot.events import InboundEvent, Operation
from bot.handoff.working_hours import WorkingCalendar
from bot.moderation.log import Action
from bot.outbox import Outbox
from bot.screening.coordinator import Intent, Screening
from bot.screening.public_threads import Route
from bot.store import connect
from tests.helpers import ROOT, UK

ASSOCIATION = load_association(ROOT / "association.yml")
CALENDAR = WorkingCalendar.from_config(ASSOCIATION.monitoring)
TUESDAY = datetime(2026, 11, 24, 10, 0, tzinfo=UK)


@pytest.fixture
def screening(tmp_path):
    engine = connect(f"sqlite:///{tmp_path / 'store.db'}")
    box = Outbox(engine)
    return Screening(engine, box, ASSOCIATION, CALENDAR), box


@pytest.mark.parametrize(
    "text, detail",
    [
        ("leak in the loft, we're away in Spain all next week", "Spain all next week"),
        ("my mum is 87 and lives alone, her heating is off", "lives alone"),
        ("can the fitter come after 6, I'm at work 9 till 5", "work 9 till 5"),
    ],
)
def test_a_comment_saying_a_home_is_empty_or_someone_alone_is_hidden_and_explained(
    screening, text, detail
):
    screening, box = screening
    event = InboundEvent(
        "facebook", "comment", "7", "public", "a1", text, TUESDAY, post_id="p1", comment_id="c7"
    )
    result = screening.screen(event, Intent("report_repair", 0.9), TUESDAY)
    assert (result.route, result.dialogue) == (Route.PROTECT, False)
    assert [m.operation for m in box.messages()][:2] == [
        Operation.HIDE_COMMENT,
        Operation.PRIVATE_REPLY,
    ]
    private = box.messages()[1].text
    assert "when your home is empty or who is at home" in private
    assert detail not in private and detail.lower() not in private.lower()
    assert detail not in result.text  # what staff see is masked too
    assert (Action.HIDE, ("vulnerability",)) in [
        (e.action, e.detail_kinds) for e in screening.log.entries()
    ]
