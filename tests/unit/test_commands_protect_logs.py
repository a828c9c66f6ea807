"""Every command keeps personal details out of its log lines (P9), as the servers do:
`python -m scripts.subject` and `python -m scripts.keys` protect their logs when they
start, so a line any library writes while they run names no phone number."""

import subprocess
import sys

import pytest

from tests.helpers import ROOT

PHONE = "07700 900123"
# Runs the command's main as `python -m` does (here only far enough to print its help),
# then logs a line as any library the command uses might.
RUN = """
import logging, sys
logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(message)s")
from {module} import main
try:
    main(["--help"])
except SystemExit:
    pass
logging.getLogger("some.library").warning("could not reach 07700 900123")
"""


@pytest.mark.parametrize("module", ["scripts.subject", "scripts.keys"])
def test_a_commands_log_lines_name_no_personal_detail(module):
    result = subprocess.run(
        [sys.executable, "-c", RUN.format(module=module)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert "could not reach" in result.stderr, result.stderr
    assert PHONE not in result.stderr
    assert "[phone]" in result.stderr
