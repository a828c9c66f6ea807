"""scripts/ensure-chromium.sh and scripts/ensure-nginx.sh (both through
scripts/ensure-package.sh): `make e2e` installs Debian's Chromium, and `make
cluster-test` Debian's nginx, where it is missing.

Each script runs with a PATH of stand-ins (apt-get, id, sudo, service) that record how
they were called, so no package is installed and no root is needed.
"""

import subprocess
from pathlib import Path

import pytest

from tests.helpers import ROOT

# Each script, the variable naming the program it looks for, and Debian's package.
SCRIPTS = [
    ("ensure-chromium.sh", "CHROMIUM", "chromium"),
    ("ensure-nginx.sh", "NGINX", "nginx-light"),
]


@pytest.fixture(params=SCRIPTS, ids=[s[0] for s in SCRIPTS])
def script(request):
    return request.param


def stand_in(folder: Path, name: str, body: str) -> None:
    path = folder / name
    path.write_text("#!/bin/sh\n" + body + "\n")
    path.chmod(0o755)


def run(script, tmp_path: Path, uid: str, apt: str | None, sudo: str | None):
    """`script` (from SCRIPTS) with `id -u` answering `uid`; `apt` and `sudo` the stand-ins' bodies
    (None: the command is not there). Returns (exit code, output, the calls logged)."""
    bin_dir, log = tmp_path / "bin", tmp_path / "calls.log"
    bin_dir.mkdir()
    name, variable, package = script
    program = tmp_path / "program"
    stand_in(bin_dir, "id", f"echo {uid}")
    stand_in(bin_dir, "service", f'echo "service $*" >> {log}')
    if apt is not None:
        stand_in(
            bin_dir,
            "apt-get",
            f'echo "apt-get $*" >> {log}\n' + apt.format(program=program, package=package),
        )
    if sudo is not None:
        stand_in(bin_dir, "sudo", f'echo "sudo $*" >> {log}\n' + sudo)
    done = subprocess.run(
        ["/bin/bash", str(ROOT / "scripts" / name)],
        env={"PATH": str(bin_dir), variable: str(program)},
        capture_output=True,
        text=True,
        timeout=30,
    )
    calls = log.read_text().splitlines() if log.exists() else []
    return done.returncode, done.stdout + done.stderr, calls


# An apt-get that "installs" the program when asked to install its package.
INSTALLS = (
    'if [ "$1" = install ] && [ "$4" = {package} ]; then '
    'printf "#!/bin/sh\\necho version 1\\n" > {program}; /bin/chmod 755 {program}; fi'
)

# A sudo that needs no password: drops its -n and runs the command.
SUDO = '[ "$1" = -n ] && shift; "$@"'


def test_a_program_already_there_installs_nothing(script, tmp_path):
    program = tmp_path / "program"
    program.write_text("#!/bin/sh\n")
    program.chmod(0o755)
    code, output, calls = run(script, tmp_path, "0", apt=INSTALLS, sudo=None)
    assert code == 0
    assert calls == []


def test_a_missing_program_is_installed_from_debian_as_root(script, tmp_path):
    code, output, calls = run(script, tmp_path, "0", apt=INSTALLS, sudo=None)
    assert code == 0, output
    assert calls[0] == "apt-get update -qq"
    assert calls[1].startswith("apt-get install -y") and calls[1].endswith(f" {script[2]}")
    assert (tmp_path / "program").exists()
    assert "installed" in output


def test_nginx_installed_now_is_not_left_running_as_debians_service(tmp_path):
    code, output, calls = run(SCRIPTS[1], tmp_path, "0", apt=INSTALLS, sudo=None)
    assert code == 0, output
    assert calls[-1] == "service nginx stop"


def test_without_root_it_uses_sudo_when_no_password_is_needed(script, tmp_path):
    code, output, calls = run(script, tmp_path, "1000", apt=INSTALLS, sudo=SUDO)
    assert code == 0, output
    assert "sudo -n apt-get update -qq" in calls
    assert any(c.startswith("sudo -n apt-get install -y") for c in calls)


@pytest.mark.parametrize(
    "uid, apt, sudo, says",
    [
        ("1000", INSTALLS, None, "needs root"),
        ("1000", INSTALLS, "exit 1", "needs root"),
        ("0", None, None, "no apt-get"),
        ("0", "exit 100", None, "could not install {package}"),
        ("0", "true", None, "is not there"),
    ],
)
def test_when_it_cannot_install_it_fails_and_says_what_to_do(
    script, tmp_path, uid, apt, sudo, says
):
    code, output, calls = run(script, tmp_path, uid, apt=apt, sudo=sudo)
    assert code != 0
    assert says.format(package=script[2]) in output
    assert not any("apt-get install" in c for c in calls if uid != "0" and sudo != SUDO)


@pytest.mark.parametrize(
    "target, script, tests",
    [
        ("e2e", "ensure-chromium.sh", "tests/e2e"),
        ("test", "ensure-chromium.sh", "tests/e2e"),
        ("cluster-test", "ensure-nginx.sh", "tests/cluster"),
        ("test", "ensure-nginx.sh", "tests/cluster"),
    ],
)
def test_make_installs_the_program_before_the_tests_that_need_it(target, script, tests):
    planned = subprocess.run(
        ["make", "-n", target], cwd=ROOT, capture_output=True, text=True, timeout=60
    ).stdout.splitlines()
    ensure = planned.index(f"scripts/{script}")
    first_test = next(
        i for i, line in enumerate(planned) if "/pytest " in line and line.endswith(f" {tests}")
    )
    assert ensure < first_test
