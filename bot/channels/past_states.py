"""How Rasa reads a conversation's history before each prediction, made cheaper, with
the same results (P12: speed).

Before every prediction each policy asks for the conversation's states, one for each
action taken so far: the memoization policy once and the rule policy twice. For each,
Rasa works out which events still apply (`applied_events`: a loop's, a form's, later
runs take back the turns since its run before) and replays them all into a new tracker.
It asks, of every event, up to nine `isinstance` questions against its abstract event
classes, and copies the whole history for each later run of a loop. At the hundredth
message of a conversation in which the identity check had asked again and again, that
came to 17 ms of every prediction, and a message makes two to four (cProfile;
bench/past_states.py times such a message).

- `applied_events` walks the events as Rasa's does, with each event class's kind looked
  up once in a table and nothing copied.
- `states_for_tracker_history` keeps one replay of the last tracker it was asked about:
  the policies' three questions of one prediction share it, and the next prediction in
  the same message carries it on over the events added since, unless a loop took back
  events it had replayed (then it replays again from the start).

`use_faster` puts both in Rasa's place. The same events and the same states come back,
in the same order, for every history (tests/server/test_past_states.py compares them
with Rasa's on every story and rule of the training data, on random histories, and as
a history grows one event at a time). Every Rasa server calls it as its tracker store
is made.
"""

from __future__ import annotations

import operator
import weakref
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Dict, Iterator, List

from rasa.shared.core.domain import Domain, State, SubState
from rasa.shared.core.events import (
    ActionExecuted,
    ActionExecutionRejected,
    ActionReverted,
    ActiveLoop,
    DefinePrevUserUtteredFeaturization,
    Event,
    Restarted,
    SessionStarted,
    UserUtteranceReverted,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

# Rasa's own, as they were before `use_faster`.
rasas_applied_events = DialogueStateTracker.applied_events
rasas_states_for_tracker_history = Domain.states_for_tracker_history

# What each kind of event is, as bits: the classes Rasa's walk asks about.
_CLASSES = (
    (RESETS := 1, (Restarted, SessionStarted)),
    (ACTION_REVERTED := 2, ActionReverted),
    (USER_REVERTED := 4, UserUtteranceReverted),
    (ACTION := 8, ActionExecuted),
    (REJECTED := 16, ActionExecutionRejected),
    (USER := 32, UserUttered),
    (LOOP := 64, ActiveLoop),
    (FEATURIZATION := 128, DefinePrevUserUtteredFeaturization),
)
# What a loop's later run takes back (Rasa's `_undo_till_previous_loop_execution`).
TAKEN_BACK = ACTION | USER | FEATURIZATION

# Each event class's bits, filled as classes are met.
_KINDS: Dict[type, int] = {}


def kind(event: Event) -> int:
    """The bits of the classes `event` is an instance of."""
    cls = type(event)
    bits = _KINDS.get(cls)
    if bits is None:
        bits = _KINDS[cls] = sum(bit for bit, classes in _CLASSES if issubclass(cls, classes))
    return bits


def applied_events(self: DialogueStateTracker) -> List[Event]:
    """`DialogueStateTracker.applied_events`: the events that still apply, in order."""
    events = [(event, kind(event)) for event in self.events]
    loop_names = {e.name for e, bits in events if bits & LOOP and e.name}
    applied: List[Event] = []
    kinds: List[int] = []  # each applied event's bits
    for event, bits in events:
        if bits & RESETS:
            applied, kinds = [], []
        elif bits & ACTION_REVERTED:
            _undo_till_previous(ACTION, applied, kinds)
        elif bits & USER_REVERTED:
            # The user's message goes, then the action before it (its action_listen).
            _undo_till_previous(USER, applied, kinds)
            _undo_till_previous(ACTION, applied, kinds)
        elif (
            bits & ACTION
            and event.action_name in loop_names
            and not _first_run_or_unhappy_path(event.action_name, applied, kinds)
        ):
            _undo_till_previous_run(event.action_name, applied, kinds)
        else:
            applied.append(event)
            kinds.append(bits)
    return applied


def _undo_till_previous(wanted: int, applied: List[Event], kinds: List[int]) -> None:
    """Take events off the end, up to and with the last one of the `wanted` kind."""
    while applied:
        applied.pop()
        if kinds.pop() & wanted:
            break


def _first_run_or_unhappy_path(loop_name: str, applied: List[Event], kinds: List[int]) -> bool:
    """Rasa's `_first_loop_execution_or_unhappy_path`: False where this run of the loop
    follows its run before, on its happy path."""
    next_action: str | None = None
    for i in range(len(applied) - 1, -1, -1):
        event, bits = applied[i], kinds[i]
        if bits & LOOP and event.name is None:
            return True  # a loop ended since: this run is a first one
        if bits & REJECTED and event.action_name == loop_name:
            return True  # the loop was rejected: an unhappy path
        if bits & USER and next_action is not None and next_action != loop_name:
            return True  # another action answered the message: an unhappy path
        if bits & ACTION:
            if event.action_name == loop_name:
                return False
            next_action = event.action_name
    return True


def _undo_till_previous_run(loop_name: str, applied: List[Event], kinds: List[int]) -> None:
    """Take back the actions and messages since the loop's last run, keeping the rest."""
    i = len(applied) - 1
    while i >= 0:
        if kinds[i] & ACTION and applied[i].action_name == loop_name:
            break
        if kinds[i] & TAKEN_BACK:
            del applied[i]
            del kinds[i]
        i -= 1


@dataclass
class _Step:
    """What Rasa's walk reads of the tracker replayed up to one action."""

    hide_rule_turn: bool
    followup_action: str | None
    latest_action_name: str | None
    active_loop_name: str | None
    prev_action: SubState | None
    state: State  # `get_active_state`, unset slots included


@dataclass
class _Replay:
    """One tracker's history replayed: its steps, one for each action applied."""

    tracker: weakref.ref
    domain: Domain
    events_seen: int  # how many of the tracker's events it covers
    last_event: Event | None
    applied: List[Event]
    running: DialogueStateTracker  # the tracker replayed through `applied`
    steps: List[_Step] = field(default_factory=list)

    def covers(self, tracker: DialogueStateTracker, domain: Domain) -> bool:
        return (
            self.tracker() is tracker
            and self.domain is domain
            and self.events_seen == len(tracker.events)
            and (not tracker.events or tracker.events[-1] is self.last_event)
        )

    def extends_to(self, tracker: DialogueStateTracker, domain: Domain) -> bool:
        """Whether the tracker is the one replayed, with events added since."""
        events = tracker.events
        return (
            self.tracker() is tracker
            and self.domain is domain
            and 0 < self.events_seen < len(events)
            and events[self.events_seen - 1] is self.last_event
        )

    def carry_on(self, applied: List[Event]) -> None:
        """Replay `applied` events past those replayed already."""
        for event in applied[len(self.applied) :]:
            if kind(event) & ACTION:
                self.steps.append(_step(self.domain, self.running, event.hide_rule_turn))
            self.running.update(event)
        self.applied = applied


# The last replay: the policies ask about one tracker at a time.
_last: _Replay | None = None


def _step(domain: Domain, tracker: DialogueStateTracker, hide_rule_turn: bool) -> _Step:
    return _Step(
        hide_rule_turn,
        tracker.followup_action,
        tracker.latest_action_name,
        tracker.active_loop_name,
        domain._get_prev_action_sub_state(tracker),
        domain.get_active_state(tracker),
    )


def _replay(domain: Domain, tracker: DialogueStateTracker) -> _Replay:
    """The tracker's history replayed, carried on from the last replay where it can be."""
    global _last
    replay = _last
    if replay is not None and replay.covers(tracker, domain):
        return replay
    applied = tracker.applied_events()
    if not (
        replay is not None
        and replay.extends_to(tracker, domain)
        and len(applied) >= len(replay.applied)
        and all(map(operator.is_, applied, replay.applied))
    ):
        replay = _Replay(weakref.ref(tracker), domain, 0, None, [], tracker.init_copy())
    replay.carry_on(applied)
    replay.events_seen = len(tracker.events)
    replay.last_event = tracker.events[-1] if tracker.events else None
    _last = replay
    return replay


def _copy(state: State) -> State:
    """A state as `get_active_state` makes it: new dicts, which callers change."""
    return {kind: dict(sub_state) for kind, sub_state in state.items()}  # type: ignore


def states_for_tracker_history(
    self: Domain,
    tracker: DialogueStateTracker,
    omit_unset_slots: bool = False,
    ignore_rule_only_turns: bool = False,
    rule_only_data: Dict[str, Any] | None = None,
) -> List[State]:
    """`Domain.states_for_tracker_history`: a state for each action of the history, and
    one for now. States without the slots not yet set (for training) are Rasa's own."""
    if omit_unset_slots:
        return rasas_states_for_tracker_history(
            self, tracker, omit_unset_slots, ignore_rule_only_turns, rule_only_data
        )
    replay = _replay(self, tracker)
    now = _step(self, replay.running, False)
    # Rasa's loop, over the steps replayed.
    states: List[State] = []
    last_ml_action_sub_state = None
    turn_was_hidden = False
    for step in [*replay.steps, now]:
        if ignore_rule_only_turns:
            # The previous ML action, from the last turn not hidden.
            if not turn_was_hidden:
                last_ml_action_sub_state = step.prev_action
            # A followup action or a loop's happy path keeps whether the turn is hidden.
            if not step.followup_action and not step.latest_action_name == step.active_loop_name:
                turn_was_hidden = step.hide_rule_turn
            if turn_was_hidden:
                continue
        state = _copy(step.state)
        if ignore_rule_only_turns:
            self._remove_rule_only_features(state, rule_only_data)
            if states:
                self._substitute_rule_only_user_input(state, states[-1])
            if last_ml_action_sub_state:
                state["prev_action"] = dict(last_ml_action_sub_state)  # type: ignore
        states.append(self._clean_state(state))
    return states


def use_faster() -> None:
    """Have this process's Rasa read histories through the table and the kept replay."""
    DialogueStateTracker.applied_events = applied_events
    Domain.states_for_tracker_history = states_for_tracker_history


@contextmanager
def walks(faster: bool) -> Iterator[None]:
    """The project's walks (`faster`) or Rasa's in place for a while, whichever were
    before put back after: for comparing the two (bench/past_states.py, the tests)."""
    before = DialogueStateTracker.applied_events, Domain.states_for_tracker_history
    if faster:
        use_faster()
    else:
        DialogueStateTracker.applied_events = rasas_applied_events
        Domain.states_for_tracker_history = rasas_states_for_tracker_history
    try:
        yield
    finally:
        DialogueStateTracker.applied_events, Domain.states_for_tracker_history = before
