"""What reading a conversation's history for the policies costs a message, with Rasa's
walks and with the project's (bot/channels/past_states.py, P12: speed).

Builds conversations of growing length the way `make bench` talks to the assistant:
plain questions, and the identity check asking again and again. Then plays one message
as the Rasa server does: the tracker is built anew from the stored events, and each of
the message's predictions asks for the states three times (the memoization policy once,
the rule policy twice), with the events of the action taken added between predictions.
Prints the median time of such a message (building the tracker included), with
Rasa's walks and with ours.

Usage: python -m bench.past_states [--turns 10,50,100] [--predictions 4] [--repeat 20]
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path
from typing import List

from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActiveLoop,
    BotUttered,
    DefinePrevUserUtteredFeaturization,
    Event,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

from bot.channels.past_states import walks

ROOT = Path(__file__).resolve().parent.parent
RULE_ONLY = {"rule_only_slots": ["identity_status"], "rule_only_loops": []}


def message(intent: str) -> List[Event]:
    return [
        ActionExecuted("action_listen"),
        UserUttered("…", {"name": intent, "confidence": 1.0}),
        DefinePrevUserUtteredFeaturization(False),
    ]


def history(turns: int) -> List[Event]:
    """A conversation of `turns` messages: five plain, then five the identity check
    takes as answers, over and over."""
    events: List[Event] = [ActionExecuted("action_session_start")]
    for turn in range(turns):
        if turn % 10 < 5:
            events += [*message("greet"), ActionExecuted("utter_greet"), BotUttered("Hi")]
        elif turn % 10 == 5:
            events += [
                *message("ask_rent_balance"),
                ActionExecuted("action_tenancy_gate"),
                SlotSet("identity_status", "unverified"),
                ActionExecuted("identity_form"),
                ActiveLoop("identity_form"),
                SlotSet("requested_slot", "security_locator"),
                BotUttered("First, what's your tenancy reference?"),
            ]
        else:
            events += [
                *message("greet"),
                ActionExecuted("identity_form"),
                BotUttered("Sorry, I couldn't read that."),
                SlotSet("requested_slot", "security_locator"),
            ]
    return events


def play(domain: Domain, stored: List[Event], predictions: int) -> float:
    """Seconds for one message's readings of the history."""
    started = time.perf_counter()
    tracker = DialogueStateTracker.from_events("bench", stored, domain.slots)
    tracker.update_with_events(message("greet"), domain)
    for n in range(predictions):
        tracker.past_states(domain)
        tracker.past_states(domain, ignore_rule_only_turns=True, rule_only_data=RULE_ONLY)
        tracker.past_states(domain, ignore_rule_only_turns=True, rule_only_data=RULE_ONLY)
        tracker.update_with_events([ActionExecuted(f"utter_{n}"), BotUttered("…")], domain)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--turns", default="10,50,100")
    parser.add_argument("--predictions", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    domain = Domain.load(str(ROOT / "domain.yml"))
    print(f"A message of {args.predictions} predictions, median of {args.repeat} (ms):")
    print("| messages before | events | Rasa's walks | the project's |")
    print("| ---: | ---: | ---: | ---: |")
    for turns in [int(t) for t in args.turns.split(",")]:
        stored = history(turns)
        medians = []
        for faster in (False, True):
            with walks(faster):
                took = [play(domain, stored, args.predictions) for _ in range(args.repeat)]
            medians.append(statistics.median(took) * 1e3)
        print(f"| {turns} | {len(stored)} | {medians[0]:.1f} | {medians[1]:.1f} |")


if __name__ == "__main__":
    main()
