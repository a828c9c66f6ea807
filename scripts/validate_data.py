"""`rasa data validate`, failing on every warning but one kind that is expected.

Rasa warns about any response no story or rule names. Some responses are sent only by
custom actions (`dispatcher.utter_message(response=...)`) or asked by a form
(`utter_ask_<slot>`); those warnings are expected. Every other warning, and an unused
response that nothing sends, fails the check.

Usage: python -m scripts.validate_data
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import List, Set

import yaml

from bot.trainer.checks import SET_BY_CONNECTORS, sent_outside_dialogue

ROOT = Path(__file__).resolve().parent.parent
UNUSED = re.compile(r"The utterance '(\w+)' is not used in any story or rule\.")
WARNING = re.compile(r"UserWarning: (.*)")
UNTRAINED = re.compile(r"The intent '(\w+)' is listed in the domain file, but is not found")


def unexpected_warnings(output: str, expected_unused: Set[str]) -> List[str]:
    """The warnings in `rasa data validate`'s output that should fail the check."""
    failures = []
    for line in output.splitlines():
        warning = WARNING.search(line)
        if not warning:
            continue
        unused = UNUSED.search(warning.group(1))
        if unused and unused.group(1) in expected_unused:
            continue
        untrained = UNTRAINED.search(warning.group(1))
        if untrained and untrained.group(1) in SET_BY_CONNECTORS:
            continue
        failures.append(warning.group(1).strip())
    return failures


def main() -> int:
    rasa = Path(sys.executable).parent / "rasa"
    run = subprocess.run([str(rasa), "data", "validate"], cwd=ROOT, capture_output=True, text=True)
    output = run.stdout + run.stderr
    print(output)
    if run.returncode != 0:
        return run.returncode
    domain = yaml.safe_load((ROOT / "domain.yml").read_text())
    sources = [path.read_text() for path in sorted((ROOT / "actions").glob("*.py"))]
    failures = unexpected_warnings(output, sent_outside_dialogue(domain, sources))
    for failure in failures:
        print(f"error: {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
