"""`make bench-load`: signed Messenger webhooks at rising rates, to one instance (the
embedded default, SQLite) and to the cluster profile (two instances behind nginx on
PostgreSQL and Redis), P12.

Each step sends webhooks at a steady rate for a while, each from a new tenant, as
Messenger would: signed with the app secret, through the webhook the platform calls.
The reply time of a message is from the webhook being sent to the assistant's reply
reaching the (fake) Graph API; the acknowledgement time is the webhook's own round
trip. A step holds when every webhook was accepted, every message was answered and
none with an apology, and the reply p95 is under a second. The rates rise until a step
fails to hold, and the table records each step's CPU and memory, process by process.

Usage (the cluster profile needs TEST_POSTGRES_URL and TEST_REDIS_URL, which
`make bench-load` provides from a throwaway PostgreSQL and Redis):
    python -m bench.load [--profile embedded|workers|cluster|all] [--rates 5,10,...]
        [--seconds 20] [--no-write]

The figures go to bench/load.md and to the README, between its load markers.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterator, List, Sequence

import aiohttp
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

from bench.run import MESSAGES, percentile
from bot.channels.runtime import APOLOGY
from bot.platforms.signatures import facebook_signature
from bot.sandbox.webhooks import facebook_webhook, messenger_message
from scripts.fake_platforms import FakePlatforms
from scripts.processes import Assistant, free_port

ROOT = Path(__file__).resolve().parent.parent
PAGE = "104857600"
APP_SECRET = "bench-app-secret"
HOOK = "/webhooks/facebook/webhook"
RATES = (5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 60, 80)
REPLY_P95_LIMIT = 1.0  # seconds
DRAIN_SECONDS = 60.0  # how long after a step its messages may still be answered
TICKS = os.sysconf("SC_CLK_TCK")
PAGE_KB = os.sysconf("SC_PAGE_SIZE") / 1024


@dataclass
class Step:
    """One rate, held for a while, and what came of it."""

    rate: float
    sent: int
    accepted: int
    answered: int
    apologies: int
    ack: List[float]  # seconds, per accepted webhook
    reply: List[float]  # seconds, per answered message
    cpu: Dict[str, float]  # percent of one core, by process
    memory_mb: Dict[str, float]  # proportional share (PSS), by process
    processes: Dict[str, int] = field(default_factory=dict)  # how many, by role

    @property
    def errors(self) -> int:
        """Messages not answered (refused, or accepted and lost), and apologies."""
        return (self.sent - self.answered) + self.apologies

    @property
    def held(self) -> bool:
        return self.errors == 0 and bool(self.reply) and p95(self.reply) < REPLY_P95_LIMIT


def p95(values: List[float]) -> float:
    """The 95th percentile; of one value, that value."""
    return values[0] if len(values) == 1 else percentile(values, 95)


@dataclass
class Run:
    """A profile's steps, up to the first that did not hold."""

    profile: str
    steps: List[Step] = field(default_factory=list)

    @property
    def held_rate(self) -> float:
        held = [s.rate for s in self.steps if s.held]
        return max(held) if held else 0.0


# --- the processes a profile runs, and what each uses -------------------------------


def _process_group(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return int(stat.read().rsplit(")", 1)[1].split()[2])
    except (OSError, ValueError, IndexError):
        return None


def _usage(pid: int) -> tuple[float, float] | None:
    """(CPU seconds used so far, memory in MB) of one process. Memory is its
    proportional share (PSS): PostgreSQL's processes share their buffers, and adding up
    each one's resident size would count the buffers once per process."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        with open(f"/proc/{pid}/smaps_rollup") as smaps:
            pss_kb = next(int(line.split()[1]) for line in smaps if line.startswith("Pss:"))
    except (OSError, ValueError, IndexError, StopIteration):
        return None
    # After the name: state is field 0, utime 11 and stime 12.
    return (int(fields[11]) + int(fields[12])) / TICKS, pss_kb / 1024


def _sends_outbox(pid: int) -> bool:
    """Whether `pid` is a Rasa server's outbox process (bot/channels/sending.py)."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
            return b"bot.channels.sending" in cmdline.read().split(b"\0")
    except OSError:
        return False


def _name(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/comm") as comm:
            return comm.read().strip()
    except OSError:
        return ""


class Processes:
    """The processes a run is measured on, by role: each server's process group, the
    services by name, and this process (the load generator and the fake platforms)."""

    SERVICES = {"postgres": "postgresql", "redis-server": "redis", "nginx": "nginx"}

    def __init__(self, servers: Sequence[Assistant], services: bool = False) -> None:
        """`services`: count PostgreSQL, Redis and nginx too (the cluster's)."""
        self.services = self.SERVICES if services else {}
        self.groups: Dict[int, str] = {}
        for n, server in enumerate(servers, 1):
            suffix = f" {n}" if len(servers) > 1 else ""
            for role, process in server.processes.items():
                name = "Rasa server" if role == "rasa" else "action server"
                self.groups[process.pid] = name + suffix

    def role(self, pid: int) -> str | None:
        if pid == os.getpid():
            return "load generator and fake platforms"
        group = _process_group(pid)
        if group in self.groups:
            role = self.groups[group]
            if role.startswith("Rasa server") and _sends_outbox(pid):
                return role.replace("Rasa server", "outbox process")
            return role
        return self.services.get(_name(pid))

    def sample(self) -> Dict[int, tuple[str, float, float]]:
        """Each measured process: its role, CPU seconds so far and memory in MB."""
        found: Dict[int, tuple[str, float, float]] = {}
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            role = self.role(int(entry))
            usage = _usage(int(entry)) if role else None
            if role and usage:
                found[int(entry)] = (role, *usage)
        return found


def cpu_by_role(
    before: Dict[int, tuple[str, float, float]],
    after: Dict[int, tuple[str, float, float]],
    seconds: float,
) -> Dict[str, float]:
    """Percent of one core each role used between two samples. A process that started
    meanwhile counts from zero; one that ended meanwhile is not counted (its time is
    gone with it), so a figure can be low, never negative."""
    cpu: Dict[str, float] = {}
    for pid, (role, used, _) in after.items():
        earlier = before[pid][1] if pid in before and before[pid][0] == role else 0.0
        cpu[role] = cpu.get(role, 0.0) + 100 * (used - earlier) / seconds
    return cpu


def memory_by_role(sample: Dict[int, tuple[str, float, float]]) -> Dict[str, float]:
    memory: Dict[str, float] = {}
    for role, _, megabytes in sample.values():
        memory[role] = memory.get(role, 0.0) + megabytes
    return memory


def processes_by_role(sample: Dict[int, tuple[str, float, float]]) -> Dict[str, int]:
    """How many processes each role runs (a Rasa server with two Sanic workers: three)."""
    count: Dict[str, int] = {}
    for role, _, _ in sample.values():
        count[role] = count.get(role, 0) + 1
    return count


# --- the load ------------------------------------------------------------------------


def webhook(psid: str, text: str) -> tuple[bytes, Dict[str, str]]:
    """One Messenger message from `psid`, signed as Facebook signs it."""
    mid = f"mid.{uuid.uuid4().hex}"
    event = messenger_message(PAGE, psid, text, mid, int(time.time() * 1000))
    body = json.dumps(facebook_webhook(PAGE, messaging=[event])).encode()
    return body, {
        "Content-Type": "application/json",
        "X-Hub-Signature-256": facebook_signature(body, APP_SECRET),
    }


def replies(platforms: FakePlatforms) -> Dict[str, List[tuple[float, str]]]:
    """Messenger messages sent, by recipient: (when, text)."""
    found: Dict[str, List[tuple[float, str]]] = {}
    for call in platforms.received("facebook"):
        body = call.body if isinstance(call.body, dict) else {}
        psid = (body.get("recipient") or {}).get("id")
        text = (body.get("message") or {}).get("text")
        if psid and text is not None:
            found.setdefault(psid, []).append((call.at, text))
    return found


async def send_at_rate(url: str, rate: float, seconds: float) -> Dict[str, tuple]:
    """Webhooks to `url`, `rate` a second for `seconds`, each from a new tenant:
    {psid: (sent at, acknowledged in seconds or None, status)}."""
    sent: Dict[str, tuple] = {}
    timeout = aiohttp.ClientTimeout(total=30)
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:

        async def one(n: int) -> None:
            psid = f"load{uuid.uuid4().int % 10**15}"
            body, headers = webhook(psid, MESSAGES[n % len(MESSAGES)])
            started = time.monotonic()
            try:
                async with session.post(url, data=body, headers=headers) as response:
                    await response.read()
                    status = response.status
            except (aiohttp.ClientError, asyncio.TimeoutError):
                status = 0
            took = time.monotonic() - started
            sent[psid] = (started, took if status == 200 else None, status)

        begun = time.monotonic()
        tasks = []
        for n in range(int(rate * seconds)):
            delay = begun + n / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(n)))
        await asyncio.gather(*tasks)
    return sent


def run_step(
    url: str, platforms: FakePlatforms, processes: Processes, rate: float, seconds: float
) -> Step:
    before, started = processes.sample(), time.monotonic()
    sent = asyncio.run(send_at_rate(url, rate, seconds))
    deadline = time.monotonic() + DRAIN_SECONDS
    accepted = {psid for psid, (_, ack, _) in sent.items() if ack is not None}
    while time.monotonic() < deadline and not accepted <= set(replies(platforms)):
        time.sleep(0.25)
    elapsed = time.monotonic() - started
    after = processes.sample()
    got = replies(platforms)
    answered = [psid for psid in sent if psid in got]
    return Step(
        rate=rate,
        sent=len(sent),
        accepted=len(accepted),
        answered=len(answered),
        apologies=sum(text == APOLOGY for psid in answered for _, text in got[psid]),
        ack=sorted(ack for _, ack, _ in sent.values() if ack is not None),
        reply=sorted(got[psid][0][0] - sent[psid][0] for psid in answered),
        cpu=cpu_by_role(before, after, elapsed),
        memory_mb=memory_by_role(after),
        processes=processes_by_role(after),
    )


def platform_env(platforms: FakePlatforms) -> Dict[str, str]:
    return {
        "FACEBOOK_APP_SECRET": APP_SECRET,
        "FACEBOOK_VERIFY_TOKEN": "bench-verify",
        "FACEBOOK_PAGE_ACCESS_TOKEN": "bench-page-token",
        "FACEBOOK_PAGE_ID": PAGE,
        "FACEBOOK_GRAPH_URL": platforms.graph_url,
    }


@contextmanager
def one_instance(
    platforms: FakePlatforms, log_dir: Path, env: Dict[str, str], **options: object
) -> Iterator[tuple[str, List[Assistant]]]:
    """One instance's servers on spare ports, with the platforms faked; `options` are
    the Assistant's (its tracker and lock stores)."""
    assistant = Assistant(
        project=ROOT,
        venv_bin=Path(sys.executable).parent,
        model=ROOT / "models",
        rasa_port=free_port(),
        action_port=free_port(),
        log_dir=log_dir,
        extra_env={**env, **platform_env(platforms)},
        **options,
    )
    with assistant:
        yield assistant.rasa_url + HOOK, [assistant]


@contextmanager
def embedded(platforms: FakePlatforms, workdir: Path) -> Iterator[tuple[str, List[Assistant]]]:
    """One instance as `make run` starts it: SQLite files, the in-memory lock store."""
    env = {"DATABASE_URL": f"sqlite:///{workdir / 'assistant.db'}"}
    tracker = workdir / "tracker.db"
    with one_instance(platforms, workdir / "embedded", env, tracker_db=tracker) as running:
        yield running


def services() -> tuple[str, str]:
    """A new, empty database on TEST_POSTGRES_URL's server, and TEST_REDIS_URL, which
    `make bench-load` provides. Each profile starts on an empty store, as the first
    does: the one after would otherwise find the tables the one before filled."""
    server, redis = os.environ.get("TEST_POSTGRES_URL"), os.environ.get("TEST_REDIS_URL")
    if not (server and redis):
        raise SystemExit(
            "error: this profile needs TEST_POSTGRES_URL and TEST_REDIS_URL: "
            "run `make bench-load`, which starts a throwaway PostgreSQL and Redis"
        )
    url = make_url(server)
    name = f"bench_{uuid.uuid4().hex[:12]}"
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.exec_driver_sql(f"CREATE DATABASE {name}")
    engine.dispose()
    return str(url.set(database=name).render_as_string(hide_password=False)), redis


@contextmanager
def cluster(platforms: FakePlatforms, workdir: Path) -> Iterator[tuple[str, List[Assistant]]]:
    """The cluster profile (scripts/cluster.py) on TEST_POSTGRES_URL and TEST_REDIS_URL."""
    from scripts.cluster import Cluster

    database, redis = services()
    running = Cluster(
        database, redis, free_port(), log_dir=workdir / "cluster", extra_env=platform_env(platforms)
    )
    with running:
        yield running.url + HOOK, running.servers


@contextmanager
def workers(platforms: FakePlatforms, workdir: Path) -> Iterator[tuple[str, List[Assistant]]]:
    """One instance whose Rasa server runs two Sanic workers (SANIC_WORKERS=2), on
    TEST_POSTGRES_URL and TEST_REDIS_URL: Rasa runs more than one worker only with a
    lock store they share."""
    from scripts.cluster import lock_store_settings, tracker_store_settings

    database, redis = services()
    with one_instance(
        platforms,
        workdir / "workers",
        {"DATABASE_URL": database, "SANIC_WORKERS": "2"},
        tracker_store=tracker_store_settings(database),
        lock_store=lock_store_settings(redis),
    ) as running:
        yield running


PROFILES = {"embedded": embedded, "workers": workers, "cluster": cluster}


def measure(profile: str, rates: Sequence[float], seconds: float, workdir: Path) -> Run:
    run = Run(profile)
    with FakePlatforms() as platforms, PROFILES[profile](platforms, workdir) as (url, servers):
        processes = Processes(servers, services=profile != "embedded")
        # Warm up: the first messages load what the servers load lazily.
        run_step(url, platforms, processes, 2, 5)
        for rate in rates:
            step = run_step(url, platforms, processes, rate, seconds)
            run.steps.append(step)
            print(line(profile, step), flush=True)
            if not step.held:
                break
    return run


# --- the report ----------------------------------------------------------------------


def line(profile: str, step: Step) -> str:
    reply = f"{percentile(step.reply, 95) * 1000:.0f}" if len(step.reply) > 1 else "n/a"
    ack = f"{percentile(step.ack, 99) * 1000:.0f}" if len(step.ack) > 1 else "n/a"
    return (
        f"{profile:9} {step.rate:5.0f}/s  sent {step.sent:5}  accepted {step.accepted:5}  "
        f"answered {step.answered:5}  apologies {step.apologies}  reply p95 {reply} ms  "
        f"ack p99 {ack} ms  {'held' if step.held else 'NOT held'}"
    )


def steps_table(run: Run) -> str:
    roles = sorted({role for step in run.steps for role in step.cpu})
    head = ["rate (/s)", "reply p50 (ms)", "reply p95 (ms)", "ack p99 (ms)", "errors", "held"]
    lines = [
        "| " + " | ".join(head + [f"CPU % {r}" for r in roles]) + " |",
        "| " + " | ".join(["---:"] * (len(head) + len(roles))) + " |",
    ]
    for step in run.steps:
        figures = [
            f"{step.rate:.0f}",
            f"{percentile(step.reply, 50) * 1000:.0f}" if len(step.reply) > 1 else "n/a",
            f"{percentile(step.reply, 95) * 1000:.0f}" if len(step.reply) > 1 else "n/a",
            f"{percentile(step.ack, 99) * 1000:.0f}" if len(step.ack) > 1 else "n/a",
            str(step.errors),
            "yes" if step.held else "no",
        ]
        figures += [f"{step.cpu.get(r, 0.0):.0f}" for r in roles]
        lines.append("| " + " | ".join(figures) + " |")
    return "\n".join(lines)


def memory_table(runs: Sequence[Run]) -> str:
    lines = [
        "| profile | process | processes | memory at the end (MB, PSS) |",
        "| --- | --- | ---: | ---: |",
    ]
    for run in runs:
        last = run.steps[-1]
        for role, memory in sorted(last.memory_mb.items()):
            count = last.processes.get(role, 0)
            lines.append(f"| {run.profile} | {role} | {count} | {memory:.0f} |")
    return "\n".join(lines)


def report(runs: Sequence[Run], seconds: float) -> str:
    cores = os.cpu_count()
    summary = [
        "| profile | highest rate held (messages/s) |",
        "| --- | ---: |",
        *[f"| {run.profile} | {run.held_rate:.0f} |" for run in runs],
    ]
    by_name = {run.profile: run for run in runs}
    one = by_name.get("embedded")
    for name, what in (("workers", "Two Sanic workers"), ("cluster", "Two instances")):
        if one and one.held_rate and name in by_name:
            ratio = by_name[name].held_rate / one.held_rate
            summary.append(f"\n{what} against one instance: {ratio:.2f} times the rate.")
    parts = [
        f"Measured {time.strftime('%Y-%m-%d')} with `make bench-load` on {cores} cores, "
        f"everything on this one machine (servers, databases, nginx, and the load generator "
        f"with the fake Graph API). Each step sends signed Messenger webhooks for "
        f"{seconds:.0f} s, each from a new tenant; a step holds when every webhook is "
        f"accepted, every message answered (no apology), and the reply p95 is under "
        f"{REPLY_P95_LIMIT * 1000:.0f} ms. CPU is in percent of one core over the step "
        f"and its drain.",
        "\n".join(summary),
    ]
    for run in runs:
        parts.append(f"**{run.profile}**\n\n" + steps_table(run))
    parts.append(memory_table(runs))
    return "\n\n".join(parts)


def update_readme(block: str, readme: Path = ROOT / "README.md") -> None:
    """Put `block` between the README's load markers."""
    text = readme.read_text()
    start, end = "<!-- load:start -->", "<!-- load:end -->"
    if start not in text or end not in text:
        raise SystemExit(f"error: {readme} has no {start} ... {end} markers")
    before, rest = text.split(start, 1)
    readme.write_text(before + start + "\n" + block + "\n" + end + rest.split(end, 1)[1])


def main(argv: List[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", choices=[*PROFILES, "all"], default="all")
    parser.add_argument("--rates", default=",".join(str(r) for r in RATES))
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument(
        "--no-write", action="store_true", help="print only: leave bench/load.md and the README"
    )
    args = parser.parse_args(argv)
    rates = [float(r) for r in args.rates.split(",")]
    profiles = list(PROFILES) if args.profile == "all" else [args.profile]
    with tempfile.TemporaryDirectory(prefix="bench-load-") as tmp:
        runs = [measure(p, rates, args.seconds, Path(tmp) / p) for p in profiles]
    block = report(runs, args.seconds)
    print("\n" + block)
    if not args.no_write:
        (ROOT / "bench" / "load.md").write_text(block + "\n")
        update_readme(block)
    return 0


if __name__ == "__main__":
    sys.exit(main())
