"""How long a trainer waits from adding 20 examples to an answer from the new model.

What a trainer does: add examples to an intent's file under data/nlu/, run `make train`
(`scripts/train_if_needed.py`: when only examples changed, `rasa train --finetune` on
the newest model with 3 of every 100 epochs), and have the running assistant take the
new model. `make run` starts
the Rasa server with its HTTP API behind RASA_API_TOKEN, so the running server takes a
new model without a restart through Rasa's own `PUT /model` (docs/trainers.md).

This measures exactly that, in a copy of the project with a model (a first, full
training, not timed): 20 examples added to `ask_job_vacancies` with the trainer's own
tool (`bot.trainer.nlu_files.add_example`), `make train` timed (it must take the
fine-tuning path), the model put into a running assistant (started as `make run`
starts it, on spare ports) with `PUT /model` timed, and a message that only the new
examples teach answered through the REST channel, timed. Then, not timed, the
fine-tuned model's macro-F1 on the held-out set (`rasa test nlu`, counted as the gate
counts), beside the full model's in results/nlu/report.json: what the minute costs.

Usage: python -m bench.trainer_iteration [--write-readme]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import List, Sequence, Tuple

import yaml

from bot.trainer.nlu_files import add_example
from scripts.processes import Assistant, free_port, send
from scripts.train_if_needed import MAX_FINETUNES

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
GUIDE = ROOT / "docs" / "trainers.md"
START, END = "<!-- iteration:start -->", "<!-- iteration:end -->"
INTENT = "ask_job_vacancies"
# Work experience and placements: words the training data does not hold yet.
NEW_EXAMPLES = [
    "can i do a work experience placement with you",
    "do u take school kids for work experience",
    "my son needs a work placement for college, can he come to you",
    "is there any work experience going in the repairs team",
    "looking for a summer placement at the association",
    "do you offer student placements",
    "any work placements for uni students",
    "can my daughter shadow someone in your office for a week",
    "work experience in housing, do you do it",
    "does the association have a graduate scheme",
    "r u taking on any interns",
    "internships at ur place?",
    "i need a placement year for my degree, do u have one",
    "can i get a week of work experience with ur gardeners",
    "do u run a traineeship",
    "how do i apply for a placement with your finance team",
    "is there a work experience programme for tenants kids",
    "after a placement in customer services, who do i ask",
    "my college said to ask if you host placements",
    "do you have any trainee posts or placements",
]
RESPONSE = "utter_job_vacancies"
QUESTION = "any work experience placements for my lad at the association"
TRAIN_LINE = re.compile(r"(Starting to train|Restored) component '(\w+)'")
TIMED_LINE = re.compile(
    r"^\S+ (\d\d):(\d\d):(\d\d) INFO .*(Starting to train|Finished training) component '(\w+)'",
    re.MULTILINE,
)


@dataclass
class Iteration:
    """The measured parts of one iteration, in seconds, and what the cache did."""

    train: float
    load: float
    answer: float
    trained: List[str] = field(default_factory=list)
    restored: List[str] = field(default_factory=list)
    load_average: float = 0.0
    diet: float = 0.0
    # The fine-tuned model's held-out macro-F1 (as `rasa test nlu` counts).
    held_out: float = 0.0

    @property
    def total(self) -> float:
        """From the examples written to the new model's answer."""
        return self.train + self.load + self.answer


def components(log: str) -> Tuple[List[str], List[str]]:
    """(trained, restored): the components a `rasa train` log says it trained or restored
    from the cache, each once, in the order first named."""
    trained: List[str] = []
    restored: List[str] = []
    for verb, name in TRAIN_LINE.findall(log):
        bucket = trained if verb == "Starting to train" else restored
        if name not in bucket:
            bucket.append(name)
    return trained, restored


def diet_seconds(log: str) -> float:
    """How long the log says DIETClassifier trained (to the second: Rasa's log times)."""
    started = None
    for hours, minutes, seconds, verb, name in TIMED_LINE.findall(log):
        at = int(hours) * 3600 + int(minutes) * 60 + int(seconds)
        if name != "DIETClassifier":
            continue
        if verb == "Starting to train":
            started = at
        elif started is not None:
            return float((at - started) % 86400)
    return 0.0


def copy_project(dest: Path, root: Path = ROOT) -> Path:
    """A copy of what training reads (config.yml, domain.yml, data/) and of the project's
    training cache if there is one (a warm start; the first training warms the rest)."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in ("config.yml", "domain.yml"):
        shutil.copy2(root / name, dest / name)
    shutil.copytree(root / "data", dest / "data")
    # `make train` itself: the script trains the project it sits in.
    (dest / "scripts").mkdir()
    shutil.copy2(root / "scripts" / "train_if_needed.py", dest / "scripts")
    (dest / "models").mkdir()
    cache = root / ".rasa" / "cache"
    if cache.is_dir():
        shutil.copytree(cache, dest / ".rasa" / "cache")
    return dest


def train(project: Path) -> Tuple[Path, float, str]:
    """`make train` (scripts/train_if_needed.py: `rasa train` in the project, so with its
    .rasa/cache); the new model, the seconds it took and its log."""
    before = set((project / "models").glob("*.tar.gz"))
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "scripts/train_if_needed.py"],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.monotonic() - started
    log = result.stdout + result.stderr
    if result.returncode != 0:
        raise RuntimeError(f"training failed:\n{log[-3000:]}")
    (model,) = set((project / "models").glob("*.tar.gz")) - before
    return model, seconds, log


def replace_model(assistant: Assistant, model: Path, timeout: float = 300.0) -> None:
    """Rasa's `PUT /model`: the running server loads `model` in place of its own."""
    request = urllib.request.Request(
        f"{assistant.rasa_url}/model?token={assistant.api_token}",
        data=json.dumps({"model_file": str(model)}).encode(),
        headers={"Content-Type": "application/json"},
        method="PUT",
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        if response.status != 204:
            raise RuntimeError(f"PUT /model answered {response.status}")
    status = f"{assistant.rasa_url}/status?token={assistant.api_token}"
    with urllib.request.urlopen(status, timeout=30) as response:
        running = json.loads(response.read()).get("model_file", "")
    if Path(running).name != model.name:
        raise RuntimeError(f"the server runs {running}, not {model.name}")


def expected_reply(root: Path = ROOT) -> str:
    """The words of the intent's response before its first slot (the rule answers
    `ask_job_vacancies` with `utter_job_vacancies`)."""
    domain = yaml.safe_load((root / "domain.yml").read_text(encoding="utf-8"))
    text = domain["responses"][RESPONSE][0]["text"]
    return text.split("{", 1)[0].strip()


def measure(work: Path) -> Iteration:
    """One iteration in a copy of the project under `work` (see the module's docstring)."""
    project = copy_project(work / "project")
    print("==> First training in the copy (warms the cache, not timed)", flush=True)
    first, seconds, _ = train(project)
    print(f"    {seconds:.0f} s", flush=True)
    assistant = Assistant(
        project=ROOT,
        venv_bin=BIN,
        model=first,
        rasa_port=free_port(),
        action_port=free_port(),
        tracker_db=work / "tracker.db",
        log_dir=work / "logs",
        api_token=secrets.token_urlsafe(24),
        rest_channel=True,
    )
    with assistant:
        send(assistant.rasa_url, "warm-up", "hiya", timeout=60)
        print(f"==> Adding {len(NEW_EXAMPLES)} examples to {INTENT}", flush=True)
        load_average = os.getloadavg()[0]  # the cores are shared: say how busy they were
        started = time.monotonic()
        for text in NEW_EXAMPLES:
            add_example(project, INTENT, text)
        model, _, log = train(project)
        trained_at = time.monotonic()
        replace_model(assistant, model)
        loaded_at = time.monotonic()
        replies = send(assistant.rasa_url, "trainer", QUESTION, timeout=60)
        answered_at = time.monotonic()
    wanted = expected_reply()
    if not any(wanted in (r.get("text") or "") for r in replies):
        raise RuntimeError(f"the new model did not answer {QUESTION!r} as {INTENT}: {replies}")
    trained, restored = components(log)
    if "(fine-tuned)" not in log:  # the script's last line says how the model was made
        raise RuntimeError(f"an NLU-only change was not fine-tuned:\n{log[-3000:]}")
    print("==> The fine-tuned model on the held-out set (not timed)", flush=True)
    return Iteration(
        train=trained_at - started,
        load=loaded_at - trained_at,
        answer=answered_at - loaded_at,
        trained=trained,
        restored=restored,
        load_average=load_average,
        diet=diet_seconds(log),
        held_out=held_out_f1(model, work / "held-out"),
    )


def held_out_f1(model: Path, out: Path, root: Path = ROOT) -> float:
    """`model`'s macro-F1 on the held-out set, as `rasa test nlu` (and the gate) count."""
    command = [str(BIN / "rasa"), "test", "nlu", "--model", str(model)]
    command += ["--nlu", str(root / "tests" / "nlu" / "held_out.yml"), "--out", str(out)]
    subprocess.run(command, cwd=root, check=True, capture_output=True)
    report = json.loads((out / "intent_report.json").read_text())
    return float(report["macro avg"]["f1-score"])


def full_model_f1(root: Path = ROOT) -> float | None:
    """The committed full model's held-out macro-F1 as the gate counts it, if recorded."""
    try:
        report = json.loads((root / "results" / "nlu" / "report.json").read_text())
    except (OSError, ValueError):
        return None
    value = report.get("rasa_test_nlu_macro_f1")
    return float(value) if isinstance(value, (int, float)) else None


def summary(result: Iteration, day: date) -> str:
    """The guide's block: the figure, its parts, and what fine-tuning cost."""
    committed = full_model_f1()
    full = f" (the committed full model's: {committed:.3f})" if committed is not None else ""
    return (
        f"Written by `.venv/bin/python -m bench.trainer_iteration --write-readme`, not by "
        f"hand. Measured {day.isoformat()} on this machine, 2 cores (load average "
        f"{result.load_average:.1f} when it started): "
        f"**{result.total:.0f} s** from adding {len(NEW_EXAMPLES)} examples to an answer "
        f"from the new model (training {result.train:.1f} s, of which DIETClassifier "
        f"{result.diet:.0f} s; loading it into the running "
        f"assistant with `PUT /model` {result.load:.1f} s, answering {result.answer:.2f} s). "
        f"`make train` fine-tuned the last model: {', '.join(result.trained) or 'nothing'}. "
        f"The fine-tuned model's held-out macro-F1: {result.held_out:.3f}{full}; a full "
        f"training (`make train FULL=1`, or the next after {MAX_FINETUNES} fine-tunings in a "
        f"row) takes it back."
    )


def write_block(block: str, guide: Path = GUIDE) -> None:
    """Put `block` between the iteration markers of the trainers' guide."""
    text = guide.read_text(encoding="utf-8")
    if START not in text or END not in text:
        raise RuntimeError(f"{guide.name} has no {START} ... {END} markers")
    before, rest = text.split(START, 1)
    guide.write_text(f"{before}{START}\n{block}\n{END}{rest.split(END, 1)[1]}", encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write-readme", action="store_true", help="update docs/trainers.md")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="iteration-") as work:
        result = measure(Path(work))
    block = summary(result, date.today())
    print(block)
    if args.write_readme:
        write_block(block)
    return 0


if __name__ == "__main__":
    sys.exit(main())
