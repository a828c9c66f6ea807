"""A trainer's work on a scaffolded intent, done as a trainer does it: each line marked
TODO(trainer) replaced in its file by text of their own (`python -m bot.trainer
new-intent ask_parking`, then an editor)."""

from pathlib import Path

from bot.trainer.checks import MARKER

INTENT = "ask_parking"
# Written for this test, as tenants write; no two one word apart, none in another intent.
EXAMPLES = [
    "can i park my car outside the flats",
    "where am i allowed to park",
    "is there parking for residents",
    "do i get a parking space with my flat",
    "how do i get a parking permit",
    "someone keeps parking in my bay",
    "can my visitors park in the car park",
    "is the car park just for tenants",
    "parking permit for the estate please",
    "how much is a permit for the car park",
    "can I have a disabled bay outside my house",
    "is there anywhere to park a van",
    "who do i ask about a parking bay",
    "can i rent a garage from you",
    "are there any garages to let",
    "the residents parking sign has gone, can i still park there",
    "whats the rule on parking on the grass verge",
    "can i charge my electric car at the flats",
    "is there an ev charger in our car park",
    "do you do permits for the parking behind the block",
    "my carer needs somewhere to park when she visits",
    "can i put a dropped kerb in so i can park on my drive",
    "am i allowed a driveway at my house",
    "where can visitors leave their cars",
    "parking spaces, how do they get allocated",
    "do i need a permit to park on the estate",
    "can i keep a motorbike in the bike store",
    "is overnight parking allowed in the courtyard",
    "whats the process for getting a lock up garage",
    "random cars are taking up all the resident spaces",
    "is there a waiting list for parking bays",
    "can i park a caravan on my drive",
    "where can i leave my car at night",
    "is it safe to leave the car in the car park overnight",
    "my neighbour parks across my drive every night",
    "are the parking spaces numbered for each flat",
    "who do i speak to about getting a space for my car",
    "can i park outside my block or do i need a pass",
    "lost my parking permit, how do i get a new one",
    "visitor parking permits, where do i get them",
]
RESPONSE = (
    "Parking on our estates is for residents with a permit. You can ask for a permit, a"
    " garage or a disabled bay by calling {customer_services_phone} ({monitoring_hours})."
)
HELD_OUT = [
    "any spaces to park near my block",
    "how would i go about getting a residents permit",
    "can my son leave his car in our car park overnight",
    "do you rent out lock up garages",
    "is it ok to park on the pavement outside my house",
    "need a disabled parking bay for my mum",
    "who sorts out the parking permits",
    "can i get a space for my work van",
    "folk from the shops keep using our car park",
    "is there a charging point for electric cars near me",
]
STORY_MESSAGE = "wheres the best place to leave my car near the flats"


def fill(root: Path, name: str = INTENT) -> None:
    """Replace each marker the scaffold left for `name` with the trainer's text."""
    _replace(root / "data" / "nlu" / f"{name}.yml", [f"    - {text}" for text in EXAMPLES])
    _replace(root / "domain.yml", [f'    - text: "{RESPONSE}"'])
    _replace(root / "data" / "rules" / f"{name}.yml", [])
    _replace(root / "tests" / "nlu" / "held_out.yml", [f"    - {text}" for text in HELD_OUT])
    _replace(root / "tests" / "stories" / f"test_{name}.yml", [f"      {STORY_MESSAGE}"])


def _replace(path: Path, lines: list) -> None:
    """The one marked line of `path` replaced by `lines`, as an editor would."""
    old = path.read_text(encoding="utf-8").splitlines()
    marked = [index for index, line in enumerate(old) if MARKER in line]
    assert len(marked) == 1, (path, marked)
    new = old[: marked[0]] + lines + old[marked[0] + 1 :]
    path.write_text("\n".join(new) + "\n", encoding="utf-8")
