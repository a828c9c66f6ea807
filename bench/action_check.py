"""What checking the action server's answers costs the Rasa server, message by message.

Times Rasa's schema check of one answer, with the validator built once
(`bot.channels.action_responses._validator`, the whole schema, its `oneOf` of 23 event
kinds tried for every event) against the check the server makes
(`bot.channels.action_responses.fits`, each event against its own kind, compiled). The
answer is a session start's, as every new conversation's first message has the action
server send: the association's slots (association.yml) among its events.

Usage: python -m bench.action_check [--answers N]
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any, Callable, Dict, List

from bot.association import load_association
from bot.channels.action_responses import _validator, fits
from bot.settings import PROJECT_ROOT as ROOT

SESSION_START: Dict[str, Any] = {
    "events": [
        {"event": "session_started", "timestamp": None},
        {"event": "slot", "name": "platform", "value": "facebook", "timestamp": None},
        {"event": "slot", "name": "surface", "value": "private", "timestamp": None},
        *(
            {"event": "slot", "name": name, "value": value, "timestamp": None}
            for name, value in load_association(ROOT / "association.yml").as_slots().items()
        ),
        {"event": "action", "name": "action_listen", "policy": None, "confidence": None},
    ],
    "responses": [],
}


def timed(check: Callable[[Dict[str, Any]], Any], answers: int) -> List[float]:
    """Each check's time in milliseconds."""
    times = []
    for _ in range(answers):
        start = time.perf_counter()
        check(SESSION_START)
        times.append((time.perf_counter() - start) * 1000)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--answers", type=int, default=2000)
    answers = parser.parse_args().answers
    whole = _validator()
    checks = {
        "the whole schema, oneOf": lambda answer: next(whole.iter_errors(answer), None),
        "each event against its kind": fits,
    }
    medians = {}
    for name, check in checks.items():
        check(SESSION_START)  # built before timing
        medians[name] = statistics.median(timed(check, answers))
        print(f"{name:30} median {medians[name]:.3f} ms per answer ({answers} answers)")
    first, second = medians.values()
    print(f"{'':30} {first / second:.1f} times faster")


if __name__ == "__main__":
    main()
