"""Guided scenarios: the assistant at work on the policy's hard cases, one click each.

Each scenario is a few messages a tenant types, on one pane, and what to notice when
the assistant has answered. It runs in the background as a fresh persona (the named
person with new platform ids), so that an earlier run's strikes, block or failed checks
do not change what this one shows; between steps it waits for the assistant's answer.
The identity checks use the demo tenancies (docs/staff.md): the passed check answers
for Margaret Thompson's tenancy, the failed one gives Daniel Okafor's tenancy a wrong
date of birth, so that failing (and the lock three failures bring) never stops the
passed check.
"""

from __future__ import annotations

import itertools
import threading
import time
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Callable, Dict, Iterator, List, Tuple

from bot.sandbox.world import Item, Pane, World


@dataclass(frozen=True)
class Step:
    """One message the tenant sends: on which pane, and on which post for a comment."""

    pane: Pane
    text: str
    post: str | None = None


@dataclass(frozen=True)
class Scenario:
    """A guided scenario.

    Attributes:
        name: its address, /sandbox/scenarios/<name>.
        title: what the button says.
        like: the persona whose name the tenant has.
        steps: what the tenant types, in order.
        notice: what to look for once it has run.
        out_of_hours: whether what it shows depends on the monitoring hours (P1).
    """

    name: str
    title: str
    like: str
    steps: Tuple[Step, ...]
    notice: str
    out_of_hours: bool = False


def _comment(text: str, post: str) -> Step:
    return Step(Pane.FACEBOOK, text, post)


def _messenger(*texts: str) -> Tuple[Step, ...]:
    return tuple(Step(Pane.MESSENGER, text) for text in texts)


ABUSE = "you're all useless f***ing idiots"
SCENARIOS: Tuple[Scenario, ...] = (
    Scenario(
        "personal-details",
        "Personal details in a public comment",
        "margaret",
        (_comment("my boiler's broken again, ring me on 07700 900123 today", "post-bins"),),
        "The comment disappears from the page with the reason; Messenger gets a private "
        "message saying why, and nothing personal is repeated in public (P5).",
    ),
    Scenario(
        "rent-in-public",
        "A rent question in public",
        "tom",
        (_comment("how much rent do I owe?", "post-rent"),),
        "The assistant answers under the comment without a word of the tenancy, and asks "
        "the tenant to carry on in a private message: security questions happen there "
        "only (P4, P6).",
    ),
    Scenario(
        "check-passed",
        "An identity check that passes",
        "margaret",
        _messenger("how much rent do i owe", "TEN-204817", "Margaret Thompson", "12th April 1958"),
        "Three security questions, then the rent balance (£123.45 in arrears). The answers "
        "are never repeated back, and staff see only 'verified' (P4).",
    ),
    Scenario(
        "check-failed",
        "An identity check that fails",
        "daniel-o",
        _messenger("what's my rent balance", "TEN-450091", "Daniel Okafor", "31/01/1979"),
        "A wrong date of birth: the assistant couldn't confirm who is asking and says "
        "nothing of why, or of the tenancy. Three failures lock the account (P4).",
    ),
    Scenario(
        "emergency",
        "An emergency out of hours",
        "priya",
        _messenger("water is pouring through my kitchen ceiling from the flat upstairs"),
        "The emergency contacts come at once, and an urgent handoff tops the staff queue. "
        "Out of monitoring hours (P1) the assistant also says honestly when a person "
        "will next look (P2).",
        out_of_hours=True,
    ),
    Scenario(
        "abuse",
        "Abuse and its strikes",
        "public",
        tuple(_comment(ABUSE, "post-garden") for _ in range(3)),
        "Each abusive comment is hidden, with the reason, and its author warned in "
        "Messenger; the third strike blocks them from the page (P7).",
    ),
    Scenario(
        "request-person",
        "A request for a person",
        "daniel-t",
        _messenger("can i speak to a real person please"),
        "The assistant hands the conversation to a person and says when to expect an "
        "answer; the handoff appears in the staff queue. Reply there: the reply shows here "
        "in Messenger (P3).",
    ),
)
BY_NAME: Dict[str, Scenario] = {s.name: s for s in SCENARIOS}

# Send one tenant message the world already holds to the Rasa server's webhook.
Send = Callable[[Pane, Item], None]
# At most this many runs at once, each a thread and a persona, whoever clicks; and the
# latest runs kept for the page (the world keeps their personas: MAX_GUESTS).
MAX_RUNNING = 2
MAX_RUNS_KEPT = 20


class ScenarioBusy(RuntimeError):
    """MAX_RUNNING scenarios are running already: a new one must wait for one to end."""


@dataclass(frozen=True)
class Progress:
    """How far one run of a scenario has gone."""

    run: int
    scenario: Scenario
    persona: str
    started_at: datetime
    done_steps: int = 0
    state: str = "running"  # "running", "done", "no answer", "failed"
    problem: str = ""

    @property
    def finished(self) -> bool:
        """Whether the run has stopped, well or not."""
        return self.state != "running"


@dataclass
class Runner:
    """Runs scenarios in the background, one thread a run, and keeps their progress.

    Args:
        world: the sandbox's world, which the tenant writes into and the answers reach.
        send: posts a message to the Rasa server (blocking; sender.py signs and sends).
        clock: the staff app's clock, for when a run started.
        wait: seconds to wait for the assistant's first answer to a step.
        settle: seconds without a new answer after which a step counts as answered.
    """

    world: World
    send: Send
    clock: Callable[[], datetime]
    wait: float = 90.0
    settle: float = 3.0
    _runs: List[Progress] = field(default_factory=list, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)
    _numbers: Iterator[int] = field(default_factory=lambda: itertools.count(1), init=False)

    def start(self, name: str) -> Progress:
        """Start scenario `name` in the background.

        Raises:
            KeyError: no scenario has that name.
            ScenarioBusy: MAX_RUNNING scenarios are running.
        """
        scenario = BY_NAME[name]
        with self._lock:
            if sum(not run.finished for run in self._runs) >= MAX_RUNNING:
                raise ScenarioBusy(
                    f"A scenario is already running ({MAX_RUNNING} at most run at once): "
                    "start this one when one has finished."
                )
            label = f"{scenario.title} (guided scenario)"
            persona = self.world.newcomer(scenario.like, label)
            progress = Progress(next(self._numbers), scenario, persona.key, self.clock())
            self._runs.append(progress)
            # The oldest finished runs go; a running one is always kept.
            finished = [run for run in self._runs if run.finished]
            for run in finished[: max(0, len(self._runs) - MAX_RUNS_KEPT)]:
                self._runs.remove(run)
        threading.Thread(target=self.run, args=(progress,), daemon=True).start()
        return progress

    def runs(self) -> List[Progress]:
        """Every run, the latest first."""
        with self._lock:
            return list(reversed(self._runs))

    def run(self, progress: Progress) -> Progress:
        """Play `progress`'s scenario step by step; blocking."""
        try:
            for number, step in enumerate(progress.scenario.steps, start=1):
                before = self.world.answers(progress.persona)
                self.send(step.pane, self._write(progress.persona, step))
                if not self._answered(progress.persona, before):
                    return self._update(progress, state="no answer", done_steps=number - 1)
                progress = self._update(progress, done_steps=number)
            return self._update(progress, state="done")
        except Exception as error:  # the Rasa server is down, say: show it, stop the run
            return self._update(progress, state="failed", problem=str(error)[:300])

    def _write(self, persona: str, step: Step) -> Item:
        if step.pane is Pane.FACEBOOK:
            return self.world.comment(persona, step.post or "", step.text)
        if step.pane is Pane.MESSENGER:
            return self.world.message(persona, step.text)
        if step.pane is Pane.X_TIMELINE:
            return self.world.mention(persona, step.text)
        return self.world.direct_message(persona, step.text)

    def _answered(self, persona: str, before: int) -> bool:
        """Wait for an answer about `persona`, then for the answers to stop coming."""
        deadline = time.monotonic() + self.wait
        while self.world.answers(persona) == before:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.2)
        seen, quiet_since = self.world.answers(persona), time.monotonic()
        while time.monotonic() - quiet_since < self.settle:
            time.sleep(0.2)
            if (now_seen := self.world.answers(persona)) != seen:
                seen, quiet_since = now_seen, time.monotonic()
        return True

    def _update(self, progress: Progress, **changes: object) -> Progress:
        changed = replace(progress, **changes)
        with self._lock:
            self._runs[self._runs.index(progress)] = changed
        return changed
