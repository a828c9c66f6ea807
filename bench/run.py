"""`make bench`: latency, throughput, memory and training time, against a minimal assistant.

Both assistants are trained from scratch (timed), started as `make run` starts them
(SQLite tracker store; the action server only for ours), and driven through the REST
channel from this process on loopback. Results go to bench/results.md and docs/operators.md.

Usage: python -m bench.run [--sequential 100] [--per-conversation 25] [--saturation-seconds 15]
"""

from __future__ import annotations

import argparse
import re
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
from typing import Dict, List

from scripts.processes import Assistant, free_port, send

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
MINIMAL = ROOT / "bench" / "minimal"
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


def measure(
    name: str,
    model: Path,
    train_seconds: float,
    actions: str | None,
    messages: List[str],
    args: argparse.Namespace,
    workdir: Path,
) -> Figures:
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
        url = assistant.rasa_url
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
        memory = {process: rss_mb(p.pid) for process, p in assistant.processes.items()}
    return Figures(train_seconds, sequential, concurrent, throughput, memory)


def percentile(values: List[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def table(ours: Figures, minimal: Figures, args: argparse.Namespace) -> str:
    rows = [
        (
            "Latency p50, one conversation (ms)",
            percentile(ours.sequential, 50),
            percentile(minimal.sequential, 50),
        ),
        (
            "Latency p95, one conversation (ms)",
            percentile(ours.sequential, 95),
            percentile(minimal.sequential, 95),
        ),
        (
            "Latency p50, 8 at once (ms)",
            percentile(ours.concurrent, 50),
            percentile(minimal.concurrent, 50),
        ),
        (
            "Latency p95, 8 at once (ms)",
            percentile(ours.concurrent, 95),
            percentile(minimal.concurrent, 95),
        ),
        (f"Messages per second, {args.clients} clients", ours.throughput, minimal.throughput),
        ("Resident memory, Rasa server (MB)", ours.rss_mb["rasa"], minimal.rss_mb["rasa"]),
        ("Resident memory, action server (MB)", ours.rss_mb.get("actions", 0.0), None),
        ("Training time (s)", ours.train_seconds, minimal.train_seconds),
    ]
    lines = [
        "| measure | this assistant | minimal assistant | ratio |",
        "| --- | ---: | ---: | ---: |",
    ]
    for label, a, b in rows:
        ratio = f"{a / b:.2f}" if b else "n/a"
        lines.append(f"| {label} | {a:.1f} | {'n/a' if b is None else f'{b:.1f}'} | {ratio} |")
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
        ours = measure(
            "ours", ours_model, ours_train, "actions", MESSAGES + OURS_EXTRA, args, workdir
        )
        minimal = measure("minimal", min_model, min_train, None, MESSAGES, args, workdir)
    cpu = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip()
    block = (
        f"Measured {time.strftime('%Y-%m-%d')} with `make bench` on {cpu} cores: "
        f"{args.sequential} messages one at a time, 8 conversations of {args.per_conversation} "
        f"messages at once, then {args.clients} clients for {args.saturation_seconds:.0f} s. "
        "The minimal assistant has five intents and no custom actions, with the same NLU "
        "pipeline and pinned Rasa.\n\n" + table(ours, minimal, args)
    )
    print("\n" + block)
    (ROOT / "bench" / "results.md").write_text(block + "\n")
    update_readme(block)
    return 0


if __name__ == "__main__":
    sys.exit(main())
