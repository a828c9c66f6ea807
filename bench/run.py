"""`make bench`: latency, throughput, memory and training time, against two baselines.

- The minimal assistant (bench/minimal): five intents, no custom actions, started as
  `make run` starts ours (the project's REST channel and SQLite tracker store).
- The `rasa init` assistant: Rasa's starter project as `rasa init` makes it (Rasa's
  default pipeline and policies, TEDPolicy among them), run as Rasa runs it bare: its
  own REST channel, and its tracker store in memory. The speed targets are set against it.

Each is trained from scratch (timed) and driven through the REST channel from this
process on loopback, one after the other. Results go to bench/results.md and
docs/operators.md.

Usage: python -m bench.run [--sequential 100] [--per-conversation 25] [--saturation-seconds 15]
"""

from __future__ import annotations

import argparse
import importlib.util
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, List

from scripts.processes import HOST, Assistant, free_port, send, wait_until_answering

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
MINIMAL = ROOT / "bench" / "minimal"
# The project `rasa init` copies, from the installed Rasa.
RASA_INIT = (
    Path(importlib.util.find_spec("rasa").submodule_search_locations[0]) / "cli" / "initial_project"
)
# What the starter assistant has rules or stories for: each message gets a reply.
RASA_INIT_MESSAGES = ["hello", "are you a bot?", "i am great", "bye"]
MESSAGES = [
    "hiya",
    "thanks very much",
    "is this a bot",
    "what's the weather doing tomorrow",
    "ok bye",
]
# Messages that keep the conversation with the assistant: a handoff pauses it, and a
# paused conversation gets no replies to time.
OURS_EXTRA = [
    "my bathroom tap is leaking",
    "how much rent do i owe",
    "who can see the messages i send",
    "what times do you answer messages",
    "any houses going to rent",
]


@dataclass
class Figures:
    train_seconds: float
    sequential: List[float]
    concurrent: List[float]
    throughput: float
    rss_mb: Dict[str, float]


def train(out: Path, config: Path, domain: Path, data: Path) -> tuple[Path, float]:
    started = time.monotonic()
    result = subprocess.run(
        [
            str(BIN / "rasa"),
            "train",
            "--force",
            "--config",
            str(config),
            "--domain",
            str(domain),
            "--data",
            str(data),
            "--out",
            str(out),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise RuntimeError(
            f"training {out.name} failed:\n{(result.stdout + result.stderr)[-3000:]}"
        )
    return out, time.monotonic() - started


def timed(url: str, sender: str, text: str) -> float:
    started = time.perf_counter()
    replies = send(url, sender, text, timeout=60)
    if not replies:
        raise RuntimeError(f"no reply to {text!r}")
    return (time.perf_counter() - started) * 1000


def conversation(url: str, messages: List[str], count: int) -> List[float]:
    sender = f"bench-{uuid.uuid4().hex[:10]}"
    return [timed(url, sender, messages[i % len(messages)]) for i in range(count)]


def saturation(url: str, messages: List[str], clients: int, seconds: float) -> float:
    stop = time.monotonic() + seconds
    done = [0] * clients

    def client(n: int) -> None:
        sender, i = f"sat-{n}-{uuid.uuid4().hex[:8]}", 0
        while time.monotonic() < stop:
            timed(url, sender, messages[i % len(messages)])
            done[n] += 1
            i += 1

    started = time.monotonic()
    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(done) / (time.monotonic() - started)


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children, in MB."""
    total, pids = 0, [pid]
    while pids:
        current = pids.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except FileNotFoundError:
            continue
        match = re.search(r"VmRSS:\s+(\d+) kB", status)
        total += int(match.group(1)) if match else 0
        pids += [int(c) for c in children]
    return total / 1024


def drive(
    name: str, url: str, messages: List[str], args: argparse.Namespace
) -> tuple[List[float], List[float], float]:
    """One conversation at a time, eight at once, then saturation, against `url`."""
    conversation(url, messages, 10)  # warm up
    print(f"==> {name}: one conversation at a time", flush=True)
    sequential = conversation(url, messages, args.sequential)
    print(f"==> {name}: eight conversations at once", flush=True)
    with ThreadPoolExecutor(8) as pool:
        runs = list(
            pool.map(lambda _: conversation(url, messages, args.per_conversation), range(8))
        )
    concurrent = [ms for run in runs for ms in run]
    print(f"==> {name}: saturation", flush=True)
    throughput = saturation(url, messages, args.clients, args.saturation_seconds)
    return sequential, concurrent, throughput


def measure(
    name: str,
    model: Path,
    train_seconds: float,
    actions: str | None,
    messages: List[str],
    args: argparse.Namespace,
    workdir: Path,
) -> Figures:
    """An assistant of this project's making, started as `make run` starts it."""
    print(f"==> {name}: starting", flush=True)
    assistant = Assistant(
        project=ROOT,
        venv_bin=BIN,
        model=model,
        rasa_port=free_port(),
        action_port=free_port(),
        tracker_db=workdir / f"{name}-tracker.db",
        actions=actions,
        log_dir=workdir / name,
        rest_channel=True,  # the benchmark talks through the REST channel
    )
    with assistant:
        sequential, concurrent, throughput = drive(name, assistant.rasa_url, messages, args)
        memory = {process: rss_mb(p.pid) for process, p in assistant.processes.items()}
    return Figures(train_seconds, sequential, concurrent, throughput, memory)


def measure_bare(
    name: str, project: Path, model: Path, train_seconds: float, args: argparse.Namespace
) -> Figures:
    """The `rasa init` assistant in `project`, run as Rasa runs it with nothing added."""
    print(f"==> {name}: starting", flush=True)
    (project / "rest-credentials.yml").write_text("rest:\n")
    port = free_port()
    command = [
        *(str(BIN / "rasa"), "run", "--model", str(model), "--port", str(port)),
        *("--interface", HOST, "--credentials", "rest-credentials.yml"),
        *("--endpoints", "endpoints.yml"),
    ]
    with open(project / "rasa.log", "w") as log:
        server = subprocess.Popen(command, cwd=project, stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_until_answering(
                server, "the Rasa server", f"http://{HOST}:{port}/", time.monotonic() + 180
            )
            sequential, concurrent, throughput = drive(
                name, f"http://{HOST}:{port}", RASA_INIT_MESSAGES, args
            )
            memory = {"rasa": rss_mb(server.pid)}
        finally:
            server.terminate()
            server.wait(timeout=30)
    return Figures(train_seconds, sequential, concurrent, throughput, memory)


def percentile(values: List[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def table(ours: Figures, baselines: Dict[str, Figures], args: argparse.Namespace) -> str:
    """Our figures beside each baseline's, with our figure divided by the baseline's."""
    measures: List[tuple[str, Callable[[Figures], float | None]]] = [
        ("Latency p50, one conversation (ms)", lambda f: percentile(f.sequential, 50)),
        ("Latency p95, one conversation (ms)", lambda f: percentile(f.sequential, 95)),
        ("Latency p50, 8 at once (ms)", lambda f: percentile(f.concurrent, 50)),
        ("Latency p95, 8 at once (ms)", lambda f: percentile(f.concurrent, 95)),
        (f"Messages per second, {args.clients} clients", lambda f: f.throughput),
        ("Resident memory, Rasa server (MB)", lambda f: f.rss_mb.get("rasa")),
        ("Resident memory, action server (MB)", lambda f: f.rss_mb.get("actions")),
        ("Training time (s)", lambda f: f.train_seconds),
    ]
    header = "| measure | this assistant |" + "".join(f" {n} | ratio |" for n in baselines)
    lines = [header, "| --- | ---: |" + " ---: | ---: |" * len(baselines)]
    for label, figure in measures:
        a = figure(ours)
        cells = [label, "n/a" if a is None else f"{a:.1f}"]
        for baseline in baselines.values():
            b = figure(baseline)
            cells.append("n/a" if b is None else f"{b:.1f}")
            cells.append(f"{a / b:.2f}" if a is not None and b else "n/a")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def update_readme(block: str) -> None:
    """Put `block` between the bench markers of docs/operators.md."""
    readme = ROOT / "docs" / "operators.md"
    text = readme.read_text()
    start, end = "<!-- bench:start -->", "<!-- bench:end -->"
    if start in text and end in text:
        before, rest = text.split(start, 1)
        readme.write_text(before + start + "\n" + block + "\n" + end + rest.split(end, 1)[1])


def main() -> int:
    parser = argparse.ArgumentParser(description="Measure the assistant against a minimal one.")
    parser.add_argument("--sequential", type=int, default=100)
    parser.add_argument("--per-conversation", type=int, default=25)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--saturation-seconds", type=float, default=15.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        workdir = Path(tmp)
        print("==> Training this assistant from scratch (timed)", flush=True)
        ours_model, ours_train = train(
            workdir / "ours", ROOT / "config.yml", ROOT / "domain.yml", ROOT / "data"
        )
        print("==> Training the minimal assistant from scratch (timed)", flush=True)
        min_model, min_train = train(
            workdir / "minimal", MINIMAL / "config.yml", MINIMAL / "domain.yml", MINIMAL / "data"
        )
        print("==> Training the `rasa init` assistant from scratch (timed)", flush=True)
        starter = workdir / "rasa-init"
        shutil.copytree(RASA_INIT, starter, ignore=shutil.ignore_patterns("__pycache__"))
        init_model, init_train = train(
            starter / "models", starter / "config.yml", starter / "domain.yml", starter / "data"
        )
        ours = measure(
            "ours", ours_model, ours_train, "actions", MESSAGES + OURS_EXTRA, args, workdir
        )
        minimal = measure("minimal", min_model, min_train, None, MESSAGES, args, workdir)
        rasa_init = measure_bare("rasa init", starter, init_model, init_train, args)
    cpu = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip()
    block = (
        f"Measured {time.strftime('%Y-%m-%d')} with `make bench` on {cpu} cores: "
        f"{args.sequential} messages one at a time, 8 conversations of {args.per_conversation} "
        f"messages at once, then {args.clients} clients for {args.saturation_seconds:.0f} s. "
        "The minimal assistant (bench/minimal) has five intents, no custom actions and a "
        "smaller model than ours, and runs as ours does (the project's REST channel and "
        "tracker store). The `rasa init` assistant is Rasa's starter project as `rasa init` "
        "makes it (Rasa's default pipeline and policies, TEDPolicy among them), run bare: "
        "Rasa's REST channel, conversations in memory. A ratio is this assistant's figure "
        "over the baseline's.\n\n" + table(ours, {"minimal": minimal, "rasa init": rasa_init}, args)
    )
    print("\n" + block)
    (ROOT / "bench" / "results.md").write_text(block + "\n")
    update_readme(block)
    return 0


if __name__ == "__main__":
    sys.exit(main())
