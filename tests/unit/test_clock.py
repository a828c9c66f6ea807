"""One clock for the servers: real, or faked from ASSISTANT_FAKE_NOW for end-to-end tests."""

import subprocess
import sys
from datetime import datetime, timedelta, timezone

import pytest

from bot.clock import running_from
from bot.settings import PROJECT_ROOT, Settings, SettingsError

SATURDAY_NIGHT = "2026-11-28T23:00:00+00:00"


def test_a_faked_clock_starts_where_it_is_told_and_runs_on():
    ticks = iter([100.0, 100.0, 190.5])
    now = running_from(datetime.fromisoformat(SATURDAY_NIGHT), ticks=lambda: next(ticks))
    assert now() == datetime(2026, 11, 28, 23, 0, tzinfo=timezone.utc)
    assert now() == datetime(2026, 11, 28, 23, 1, 30, 500000, tzinfo=timezone.utc)


@pytest.mark.parametrize("value", ["saturday", "2026-11-28T23:00:00"])
def test_a_fake_time_without_an_offset_is_refused(tmp_path, value):
    with pytest.raises(SettingsError, match="ASSISTANT_FAKE_NOW"):
        Settings.from_env({"ASSISTANT_FAKE_NOW": value}, tmp_path / "absent.env")


@pytest.mark.parametrize("clock", ["actions.dependencies.utc_now", "bot.channels.runtime.utc_now"])
def test_the_servers_clocks_follow_the_fake_time_and_say_so_loudly(clock):
    module, name = clock.rsplit(".", 1)
    code = f"from {module} import {name}; print({name}().isoformat())"
    env = {"ASSISTANT_FAKE_NOW": SATURDAY_NIGHT, "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    read = datetime.fromisoformat(done.stdout.strip())
    start = datetime.fromisoformat(SATURDAY_NIGHT)
    assert start <= read < start + timedelta(minutes=1)
    assert "FAKED" in done.stderr


def test_without_the_setting_the_clock_is_real():
    code = "from bot.clock import utc_now; print(utc_now().isoformat())"
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=PROJECT_ROOT,
        env={"PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    read = datetime.fromisoformat(done.stdout.strip())
    assert abs(read - datetime.now(timezone.utc)) < timedelta(minutes=1)
    assert "FAKED" not in done.stderr
