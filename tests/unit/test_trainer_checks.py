"""The data checks (`python -m bot.trainer check`): the project's own data passes, and
each check, on a small project of its own, fails where it should and passes where it
should, naming the file and line, the intent and the example."""

from pathlib import Path
from typing import Dict, List

import pytest
import yaml

from bot.trainer import checks
from bot.trainer.__main__ import main
from bot.trainer.checks import Example, near_pairs
from tests.helpers import ROOT

# Two words of their own in every example: no two are one word apart.
PARKING = [f"where do i park {word}a {word}b" for word in map(str, range(30))]
BINS = [f"when are the bins emptied {word}x {word}y" for word in map(str, range(30))]


def write_project(
    root: Path,
    training: Dict[str, List[str]] | None = None,
    held_out: Dict[str, List[str]] | None = None,
    rules: List[dict] | None = None,
    responses: Dict[str, str] | None = None,
    test_stories: List[dict] | None = None,
    actions: str = "",
    intents: List[str] | None = None,
) -> Path:
    """A small project that passes every check, with any part replaced."""
    training = training if training is not None else {"ask_parking": PARKING, "ask_bins": BINS}
    intents = intents if intents is not None else sorted(training)
    held_out = (
        held_out
        if held_out is not None
        else {
            intent: [f"held out {intent} message {n}z {n}w" for n in range(10)]
            for intent in intents
        }
    )
    responses = (
        responses
        if responses is not None
        else {f"utter_{intent}": f"An answer to {intent}." for intent in intents}
    )
    rules = (
        rules
        if rules is not None
        else [
            {"rule": intent, "steps": [{"intent": intent}, {"action": f"utter_{intent}"}]}
            for intent in intents
        ]
    )
    test_stories = (
        test_stories
        if test_stories is not None
        else [
            {
                "story": intent,
                "steps": [
                    {"user": f"a message for {intent}", "intent": intent},
                    {"action": f"utter_{intent}"},
                ],
            }
            for intent in intents
        ]
    )
    domain = {
        "version": "3.1",
        "intents": intents,
        "responses": {name: [{"text": text}] for name, text in responses.items()},
    }
    _dump(root / "domain.yml", domain)
    _write_nlu(root / "data" / "nlu" / "topics.yml", training)
    _write_nlu(root / "tests" / "nlu" / "held_out.yml", held_out)
    _dump(root / "data" / "rules" / "rules.yml", {"version": "3.1", "rules": rules})
    (root / "data" / "stories").mkdir(parents=True, exist_ok=True)
    _dump(root / "tests" / "stories" / "test_all.yml", {"version": "3.1", "stories": test_stories})
    (root / "actions").mkdir(exist_ok=True)
    (root / "actions" / "things.py").write_text(actions)
    return root


def _dump(path: Path, content: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(content, sort_keys=False, allow_unicode=True))


def _write_nlu(path: Path, blocks: Dict[str, List[str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = ['version: "3.1"', "nlu:"]
    for intent, texts in blocks.items():
        lines += [f"- intent: {intent}", "  examples: |", *[f"    - {t}" for t in texts]]
    path.write_text("\n".join(lines) + "\n")


def messages(root: Path) -> List[str]:
    return [str(problem) for problem in checks.check(root)]


def test_the_projects_own_data_passes_every_check():
    assert messages(ROOT) == []


def test_a_small_project_passes_and_the_command_says_so(tmp_path, capsys):
    write_project(tmp_path)
    assert main(["--root", str(tmp_path), "check"]) == 0
    assert "passes every check" in capsys.readouterr().out


def test_the_command_fails_with_the_problems_and_their_count(tmp_path, capsys):
    write_project(tmp_path, training={"ask_parking": PARKING[:29], "ask_bins": BINS})
    assert main(["--root", str(tmp_path), "check"]) == 1
    out = capsys.readouterr().out
    assert "data/nlu/topics.yml:" in out and "ask_parking has 29 examples" in out
    assert out.strip().endswith("1 problem to fix before training.")


# At least 30 examples an intent.


def test_29_examples_fail_and_30_pass(tmp_path):
    write_project(tmp_path / "a", training={"ask_parking": PARKING[:29], "ask_bins": BINS})
    assert messages(tmp_path / "a") == [
        "data/nlu/topics.yml:5: intent ask_parking has 29 examples; it needs at least 30 "
        "(write 1 more, as tenants write)"
    ]
    write_project(tmp_path / "b", training={"ask_parking": PARKING[:30], "ask_bins": BINS})
    assert messages(tmp_path / "b") == []


def test_an_intent_of_the_domain_with_no_examples_is_named(tmp_path):
    write_project(tmp_path, training={"ask_bins": BINS}, intents=["ask_bins", "ask_parking"])
    assert any(
        m.startswith("domain.yml: intent ask_parking has no examples") for m in messages(tmp_path)
    )


def test_examples_of_an_intent_missing_from_the_domain_are_named(tmp_path):
    write_project(tmp_path, intents=["ask_bins"])
    assert "data/nlu/topics.yml:5: intent ask_parking has examples but is not listed" in (
        " ".join(messages(tmp_path))
    )


def test_the_connectors_attachment_intent_needs_no_examples(tmp_path):
    write_project(tmp_path, intents=["ask_bins", "ask_parking", "send_attachment"])
    assert not any("send_attachment has" in m for m in messages(tmp_path))


def test_confusable_intents_need_45(tmp_path):
    many = [f"i want to complain about {n}p {n}q" for n in range(45)]
    write_project(tmp_path / "a", training={"make_complaint": many[:44], "ask_bins": BINS})
    assert "make_complaint has 44 examples; it needs at least 45" in " ".join(
        messages(tmp_path / "a")
    )
    write_project(tmp_path / "b", training={"make_complaint": many, "ask_bins": BINS})
    assert messages(tmp_path / "b") == []


def test_an_intent_in_two_files_is_named(tmp_path):
    write_project(tmp_path, training={"ask_parking": PARKING[:20], "ask_bins": BINS})
    _write_nlu(tmp_path / "data" / "nlu" / "more.yml", {"ask_parking": PARKING[20:]})
    assert any(
        "intent ask_parking has examples in 2 files (data/nlu/more.yml, data/nlu/topics.yml)" in m
        for m in messages(tmp_path)
    )


# No example in two intents (whatever the case and spacing).


def test_the_same_example_in_two_intents_fails_whatever_the_case_and_spaces(tmp_path):
    bins = [*BINS, "WHERE do i   park 3a 3b"]
    write_project(tmp_path, training={"ask_parking": PARKING, "ask_bins": bins})
    assert (
        "data/nlu/topics.yml:67: the example 'WHERE do i   park 3a 3b' is in two intents, "
        "ask_parking (data/nlu/topics.yml:8) and ask_bins: keep it in the one it means"
    ) in messages(tmp_path)


def test_the_same_words_in_another_order_are_not_the_same_example(tmp_path):
    bins = [*BINS, "park where do i 3a 3b"]
    write_project(tmp_path, training={"ask_parking": PARKING, "ask_bins": bins})
    assert messages(tmp_path) == []


# Near-duplicates: the same words but one (substituted, added or removed).


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("my boiler is broken", "my boiler is leaking"),  # one word replaced
        ("my boiler is broken", "my boiler is broken again"),  # one word added
        ("my old boiler is broken", "my boiler is broken"),  # one word removed
        ("My Boiler is broken", "my BOILER is leaking"),  # case aside, one word
        ("boiler broken, no heat", "boiler broken , no heat"),  # punctuation spacing
        ("boiler broken,no heat again", "boiler broken no heat"),  # punctuation as a space
        ("boilers broken!! no heat", "boilers broken no heat?"),  # punctuation aside
        ("it's broken again", "its broken again today"),  # an apostrophe aside
    ],
)
def test_near_duplicates_across_intents_are_named_with_both_intents(tmp_path, first, second):
    write_project(
        tmp_path,
        training={"ask_parking": [*PARKING, first], "ask_bins": [*BINS, second]},
    )
    found = [m for m in messages(tmp_path) if "near-duplicates in two intents" in m]
    assert len(found) == 1
    assert f"'{second}' (ask_bins)" in found[0] and f"'{first}' (ask_parking," in found[0]


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("my boiler is broken", "my heating is leaking"),  # two words replaced
        ("my boiler is broken", "my boiler is broken again today"),  # two words added
        ("boiler broken", "the boiler is broken"),  # two words added
        ("yes", "no"),  # one word each: nothing in common to confuse
    ],
)
def test_two_words_apart_is_not_a_near_duplicate(tmp_path, first, second):
    write_project(
        tmp_path,
        training={"ask_parking": [*PARKING, first], "ask_bins": [*BINS, second]},
    )
    assert messages(tmp_path) == []


def test_near_duplicates_within_an_intent_are_named_too(tmp_path):
    write_project(
        tmp_path,
        training={"ask_parking": [*PARKING, "where do i park 1a 1c"], "ask_bins": BINS},
    )
    assert messages(tmp_path) == [
        "data/nlu/topics.yml:35: intent ask_parking: 'where do i park 1a 1c' and "
        "'where do i park 1a 1b' (data/nlu/topics.yml:6) differ by one word at most; "
        "the second teaches nothing new: write it another way"
    ]


def test_security_answers_differ_only_in_their_values_and_are_allowed(tmp_path):
    answers = [f"ten {100000 + n}" for n in range(100)]
    held = [f"ten {900000 + n}" for n in range(10)]
    write_project(
        tmp_path,
        training={"ask_parking": PARKING, "inform": answers},
        held_out={"ask_parking": [f"held out {n}z {n}w" for n in range(10)], "inform": held},
    )
    assert messages(tmp_path) == []


def test_near_pairs_agree_with_comparing_every_pair():
    texts = [
        "a b c",
        "a b d",
        "a b",
        "a c",
        "x a b c",
        "a b c d e",
        "b c",
        "a",
        "b",
        "a x c",
    ]
    pool = [Example(Path("f.yml"), n, "i", text) for n, text in enumerate(texts)]
    found = {(a.text, b.text) for a, b in near_pairs(pool)}

    def one_apart(x, y):
        x, y = x.split(), y.split()
        if max(len(x), len(y)) < 2:
            return False
        if len(x) == len(y):
            return sum(p != q for p, q in zip(x, y, strict=True)) <= 1
        short, long_ = sorted((x, y), key=len)
        return len(long_) - len(short) == 1 and any(
            long_[:i] + long_[i + 1 :] == short for i in range(len(long_))
        )

    expected = {(x, y) for i, x in enumerate(texts) for y in texts[i + 1 :] if one_apart(x, y)}
    assert found == expected and ("a b c", "a b d") in found and ("a", "b") not in found


# Personal details (bot.privacy), except the made-up answers under inform.


def test_a_personal_detail_in_an_example_is_named_with_its_kind(tmp_path):
    parking = [*PARKING, "can my visitor park, call me on 07912 345678"]
    write_project(tmp_path, training={"ask_parking": parking, "ask_bins": BINS})
    assert messages(tmp_path) == [
        "data/nlu/topics.yml:35: intent ask_parking: the example 'can my visitor park, call me "
        "on 07912 345678' holds a phone ('07912 345678'); training data holds no personal "
        "details: write it without them"
    ]


def test_a_phone_number_from_the_range_for_drama_is_no_ones_and_may_be_shown(tmp_path):
    parking = [
        *PARKING,
        "can my visitor park, call me on 07700 900123",
        "is there a bay for a van, my number is +44 7700 900456",
    ]
    write_project(tmp_path, training={"ask_parking": parking, "ask_bins": BINS})
    assert messages(tmp_path) == []
    parking[-1] = "is there a bay for a van, my number is +44 7700 901456"
    write_project(tmp_path, training={"ask_parking": parking, "ask_bins": BINS})
    assert [m for m in messages(tmp_path) if "holds a phone" in m]


def test_the_same_message_without_the_detail_passes(tmp_path):
    parking = [*PARKING, "can my visitor park, call me back"]
    write_project(tmp_path, training={"ask_parking": parking, "ask_bins": BINS})
    assert messages(tmp_path) == []


def test_made_up_answers_to_the_security_questions_are_allowed_under_inform(tmp_path):
    answers = [f"TEN-{100000 + n}" for n in range(100)]
    held = [f"TEN-{900000 + n}" for n in range(10)]
    write_project(
        tmp_path,
        training={"ask_parking": PARKING, "inform": answers},
        held_out={"ask_parking": [f"held out {n}z {n}w" for n in range(10)], "inform": held},
    )
    assert messages(tmp_path) == []


# Rules, stories and responses.


def test_an_intent_no_rule_or_story_uses_is_named(tmp_path):
    rule = {"rule": "bins", "steps": [{"intent": "ask_bins"}, {"action": "utter_ask_bins"}]}
    write_project(tmp_path, rules=[rule], responses={"utter_ask_bins": "Tuesdays."})
    assert messages(tmp_path) == [
        "domain.yml: intent ask_parking is in no rule or story under data/rules/ or "
        "data/stories/; add a rule that answers it"
    ]


def test_an_intent_that_is_never_answered_is_named(tmp_path):
    rules = [
        {"rule": "bins", "steps": [{"intent": "ask_bins"}, {"action": "utter_ask_bins"}]},
        {"rule": "parking", "steps": [{"intent": "ask_parking"}, {"action": "action_listen"}]},
    ]
    write_project(tmp_path, rules=rules, responses={"utter_ask_bins": "Tuesdays."})
    assert messages(tmp_path) == [
        "domain.yml: intent ask_parking is never answered: no rule or story follows it with "
        "a response (utter_...) or an action of domain.yml"
    ]


def test_a_response_nothing_sends_is_named(tmp_path):
    responses = {"utter_ask_bins": "Tuesdays.", "utter_ask_parking": "Permits.", "utter_x": "?"}
    write_project(tmp_path, responses=responses)
    assert messages(tmp_path) == [
        "domain.yml: the response utter_x is never sent: no rule, story, form or action uses "
        "it; use it in a rule, or remove it"
    ]


def test_a_response_an_action_sends_counts_as_used(tmp_path):
    responses = {"utter_ask_bins": "Tuesdays.", "utter_ask_parking": "Permits.", "utter_x": "?"}
    write_project(
        tmp_path,
        responses=responses,
        actions='dispatcher.utter_message(response="utter_x")\n',
    )
    assert messages(tmp_path) == []


def test_an_intent_missing_from_the_test_stories_is_named(tmp_path):
    story = {
        "story": "bins",
        "steps": [{"user": "bins?", "intent": "ask_bins"}, {"action": "utter_ask_bins"}],
    }
    write_project(tmp_path, test_stories=[story])
    assert messages(tmp_path) == [
        "tests/stories: intent ask_parking is in no test story; add a conversation using it"
    ]


# The held-out set.


def test_a_held_out_example_copied_from_training_is_named(tmp_path):
    held = {
        "ask_parking": [*(f"held out {n}z {n}w" for n in range(10)), "Where do I park 4a 4b"],
        "ask_bins": [f"held bins {n}z {n}w" for n in range(10)],
    }
    write_project(tmp_path, held_out=held)
    found = messages(tmp_path)
    assert (
        "tests/nlu/held_out.yml:15: intent ask_parking: the held-out example "
        "'Where do I park 4a 4b' is also a training example (data/nlu/topics.yml:9), so it "
        "measures nothing: write another"
    ) in found
    assert len(found) == 1


def test_a_held_out_example_one_word_from_training_is_named(tmp_path):
    held = {
        "ask_parking": [*(f"held out {n}z {n}w" for n in range(10)), "where do i park 4a"],
        "ask_bins": [f"held bins {n}z {n}w" for n in range(10)],
    }
    write_project(tmp_path, held_out=held)
    assert messages(tmp_path) == [
        "tests/nlu/held_out.yml:15: intent ask_parking: the held-out example 'where do i "
        "park 4a' is one word from the training example 'where do i park 4a 4b' "
        "(data/nlu/topics.yml:9): write it apart"
    ]


# The other measuring sets: no training example is one of their messages.


@pytest.mark.parametrize(
    "name", ["tests/nlu/dev.yml", "tests/nlu/nonsense_validation.yml", "tests/nlu/nonsense.yml"]
)
@pytest.mark.parametrize(
    "message", ["Where do I park 4a 4b", "where do i park 4a, 4b!!", "  WHERE do i park 4a 4b?"]
)
def test_a_training_example_in_a_measuring_set_is_named_with_both_places(tmp_path, name, message):
    write_project(tmp_path)
    _write_nlu(tmp_path / name, {"ask_parking": ["something else entirely", message]})
    assert messages(tmp_path) == [
        "data/nlu/topics.yml:9: intent ask_parking: the training example 'where do i park 4a "
        f"4b' is the message '{message.strip()}' of {name} ({name}:6), so that set measures "
        "nothing there: remove it from the training data or write it another way"
    ]


def test_messages_of_punctuation_alone_are_the_same_only_as_written(tmp_path):
    write_project(tmp_path, training={"ask_parking": [*PARKING, "???"], "ask_bins": BINS})
    _write_nlu(tmp_path / "tests/nlu/nonsense.yml", {"out_of_scope": ["!!!!", "...."]})
    assert messages(tmp_path) == []
    _write_nlu(tmp_path / "tests/nlu/nonsense.yml", {"out_of_scope": ["!!!!", "???"]})
    assert len(messages(tmp_path)) == 1


def test_the_blind_set_is_not_read_by_the_checks(tmp_path):
    write_project(tmp_path)
    _write_nlu(tmp_path / "tests/nlu/blind.yml", {"ask_parking": ["where do i park 4a 4b"]})
    assert messages(tmp_path) == []


def test_nine_held_out_examples_fail_and_ten_pass(tmp_path):
    held = {intent: [f"held {intent} {n}z {n}w" for n in range(10)] for intent in PAIR}
    write_project(tmp_path / "a", held_out={**held, "ask_bins": held["ask_bins"][:9]})
    assert messages(tmp_path / "a") == [
        "tests/nlu/held_out.yml: intent ask_bins has 9 held-out examples; it needs at least "
        "10, written apart from the training ones"
    ]
    write_project(tmp_path / "b", held_out=held)
    assert messages(tmp_path / "b") == []


PAIR = ("ask_parking", "ask_bins")


# Markers and broken files.


@pytest.mark.parametrize(
    "where",
    ["data/rules/rules.yml", "domain.yml", "tests/nlu/held_out.yml", "tests/stories/test_all.yml"],
)
def test_a_marker_left_is_named_with_its_file_and_line(tmp_path, where):
    write_project(tmp_path)
    path = tmp_path / where
    path.write_text(path.read_text() + "# TODO(trainer): write something here\n")
    line = len(path.read_text().splitlines())
    [found] = messages(tmp_path)
    assert found.startswith(f"{where}:{line}: still to fill in")
    assert found.endswith(f": # {checks.MARKER}: write something here")


def test_a_marker_is_named_with_the_intent_or_response_it_belongs_to(tmp_path):
    parking = [*PARKING, "TODO(trainer): more"]
    write_project(tmp_path, training={"ask_parking": parking, "ask_bins": BINS})
    path = tmp_path / "domain.yml"
    path.write_text(path.read_text().replace("An answer to ask_bins.", "'TODO(trainer): answer'"))
    assert messages(tmp_path) == [
        "domain.yml:7: still to fill in (response utter_ask_bins): - text: 'TODO(trainer): answer'",
        "data/nlu/topics.yml:35: still to fill in (intent ask_parking): - TODO(trainer): more",
    ]


def test_an_ordinary_todo_is_not_a_trainers_marker(tmp_path):
    write_project(tmp_path)
    path = tmp_path / "domain.yml"
    path.write_text(path.read_text() + "# TODO: tidy the responses\n")
    assert messages(tmp_path) == []


def test_a_file_that_is_not_yaml_is_named_not_a_crash(tmp_path):
    write_project(tmp_path)
    (tmp_path / "data" / "rules" / "rules.yml").write_text("rules:\n- rule: x\n  steps: [\n")
    found = messages(tmp_path)
    assert len(found) == 1 and found[0].startswith("data/rules/rules.yml:")
    assert "not valid YAML" in found[0]
