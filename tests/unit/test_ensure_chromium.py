"""scripts/ensure-chromium.sh: `make e2e` installs Debian's Chromium where it is missing.

The script runs with a PATH of stand-ins (apt-get, id, sudo) that record how they were
called, so no package is installed and no root is needed.
"""

import subprocess
from pathlib import Path

import pytest

from tests.helpers import ROOT

SCRIPT = ROOT / "scripts" / "ensure-chromium.sh"


def stand_in(folder: Path, name: str, body: str) -> None:
    path = folder / name
    path.write_text("#!/bin/sh\n" + body + "\n")
    path.chmod(0o755)


def run(tmp_path: Path, uid: str, apt: str | None, sudo: str | None):
    """The script with `id -u` answering `uid`; `apt` and `sudo` the stand-ins' bodies
    (None: the command is not there). Returns (exit code, output, the calls logged)."""
    bin_dir, log = tmp_path / "bin", tmp_path / "calls.log"
    bin_dir.mkdir()
    chromium = tmp_path / "chromium"
    stand_in(bin_dir, "id", f"echo {uid}")
    if apt is not None:
        stand_in(
            bin_dir, "apt-get", f'echo "apt-get $*" >> {log}\n' + apt.format(chromium=chromium)
        )
    if sudo is not None:
        stand_in(bin_dir, "sudo", f'echo "sudo $*" >> {log}\n' + sudo)
    done = subprocess.run(
        ["/bin/bash", str(SCRIPT)],
        env={"PATH": str(bin_dir), "CHROMIUM": str(chromium)},
        capture_output=True,
        text=True,
        timeout=30,
    )
    calls = log.read_text().splitlines() if log.exists() else []
    return done.returncode, done.stdout + done.stderr, calls


# An apt-get that "installs" the browser when asked to install chromium.
INSTALLS = (
    'if [ "$1" = install ]; then printf "#!/bin/sh\\necho Chromium 1\\n" > {chromium}; '
    "/bin/chmod 755 {chromium}; fi"
)

# A sudo that needs no password: drops its -n and runs the command.
SUDO = '[ "$1" = -n ] && shift; "$@"'


def test_present_browser_installs_nothing(tmp_path):
    browser = tmp_path / "chromium"
    browser.write_text("#!/bin/sh\n")
    browser.chmod(0o755)
    code, output, calls = run(tmp_path, "0", apt=INSTALLS, sudo=None)
    assert code == 0
    assert calls == []


def test_missing_browser_is_installed_from_debian_as_root(tmp_path):
    code, output, calls = run(tmp_path, "0", apt=INSTALLS, sudo=None)
    assert code == 0, output
    assert calls[0] == "apt-get update -qq"
    assert calls[1].startswith("apt-get install -y") and calls[1].endswith(" chromium")
    assert (tmp_path / "chromium").exists()


def test_without_root_it_uses_sudo_when_no_password_is_needed(tmp_path):
    code, output, calls = run(tmp_path, "1000", apt=INSTALLS, sudo=SUDO)
    assert code == 0, output
    assert "sudo -n apt-get update -qq" in calls
    assert any(c.startswith("sudo -n apt-get install -y") for c in calls)


@pytest.mark.parametrize(
    "uid, apt, sudo, says",
    [
        ("1000", INSTALLS, None, "needs root"),
        ("1000", INSTALLS, "exit 1", "needs root"),
        ("0", None, None, "no apt-get"),
        ("0", "exit 100", None, "could not install chromium"),
        ("0", "true", None, "is not there"),
    ],
)
def test_when_it_cannot_install_it_fails_and_says_what_to_do(tmp_path, uid, apt, sudo, says):
    code, output, calls = run(tmp_path, uid, apt=apt, sudo=sudo)
    assert code != 0
    assert says in output
    assert not any("apt-get install" in c for c in calls if uid != "0" and sudo != SUDO)


@pytest.mark.parametrize("target", ["e2e", "test"])
def test_make_installs_the_browser_before_the_end_to_end_tests(target):
    planned = subprocess.run(
        ["make", "-n", target], cwd=ROOT, capture_output=True, text=True, timeout=60
    ).stdout.splitlines()
    ensure = planned.index("scripts/ensure-chromium.sh")
    tests = next(
        i for i, line in enumerate(planned) if "/pytest " in line and line.endswith(" tests/e2e")
    )
    assert ensure < tests
