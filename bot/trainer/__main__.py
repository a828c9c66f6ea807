"""The trainers' commands.

python -m bot.trainer check              # the data checks; exit 1 on any problem
python -m bot.trainer new-intent NAME    # scaffold a new intent, marked to fill in
    [--file TOPIC]                       # its examples in data/nlu/TOPIC.yml
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import List

from bot.trainer import checks, scaffold

ROOT = Path(__file__).resolve().parents[2]


def main(argv: List[str] | None = None) -> int:
    """Run one command; the exit status is 0 when it succeeded, 1 otherwise."""
    parser = argparse.ArgumentParser(
        prog="python -m bot.trainer", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--root", type=Path, default=ROOT, help="the project folder")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("check", help="check the training data, the domain and the test sets")
    new = commands.add_parser("new-intent", help="add a new intent, marked for you to fill in")
    new.add_argument("name", help="the intent's name, in snake_case (e.g. ask_parking)")
    new.add_argument(
        "--file", dest="topic", help="the topic file under data/nlu/ (default: the intent's name)"
    )
    arguments = parser.parse_args(argv)
    root = arguments.root.resolve()
    if arguments.command == "check":
        problems = checks.check(root)
        print(checks.report(problems))
        return 1 if problems else 0
    try:
        written = scaffold.new_intent(root, arguments.name, arguments.topic)
    except scaffold.ScaffoldError as error:
        print(f"Nothing was changed: {error}", file=sys.stderr)
        return 1
    print(scaffold.summary(arguments.name, written))
    return 0


if __name__ == "__main__":
    sys.exit(main())
