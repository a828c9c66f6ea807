"""The NLU report a trainer reads: the comparison with the committed report, the page,
the nonsense gate, the blind set measured once, and the figures in the docs.

The fixtures have the shapes of what Rasa's evaluation writes (`intent_report.json`,
`intent_errors.json`, `intent_successes.json`); the model itself is not loaded here.
"""

import json
import re
import subprocess

import pytest

from scripts import nlu_report
from scripts.nlu_report import (
    DOCS,
    README,
    Evaluation,
    block_in,
    build_report,
    committed_report,
    committed_results,
    compare,
    docs_block,
    nonsense_verdict,
    put_block,
    readme_block,
    render_html,
    worst_confusions,
)

PHONE = "07700 900123"
# The content of the set both reports of a comparison measured, unless a test says not.
SET_SHA256 = "a" * 64


def row(precision, recall, f1, support=12, confused_with=None):
    return {
        "precision": precision,
        "recall": recall,
        "f1-score": f1,
        "support": support,
        "confused_with": confused_with or {},
    }


def error(text, intent, read_as, confidence=0.5):
    return {
        "text": text,
        "intent": intent,
        "intent_prediction": {"name": read_as, "confidence": confidence},
    }


def success(text, intent, confidence=0.99):
    return error(text, intent, intent, confidence)


def held_out_evaluation():
    """Three intents: make_complaint read as abuse twice, abuse falling back once."""
    errors = [
        error(f"3 weeks no heating you lazy lot ring me on {PHONE}", "make_complaint", "abuse"),
        error("nobody has rung me back, useless", "make_complaint", "abuse", 0.61),
        error("<b>you lot</b> are a joke", "abuse", "nlu_fallback", 0.31),
    ]
    successes = [success(f"hello {i}", "greet") for i in range(12)]
    successes += [success(f"complaint {i}", "make_complaint") for i in range(10)]
    successes += [success(f"abuse {i}", "abuse") for i in range(11)]
    intent_report = {
        "greet": row(1.0, 1.0, 1.0),
        "abuse": row(0.846, 0.917, 0.88, confused_with={"nlu_fallback": 1}),
        "make_complaint": row(1.0, 0.833, 0.909, confused_with={"abuse": 2}),
        "nlu_fallback": row(0.0, 0.0, 0.0, support=0),
        "accuracy": 0.917,
        "macro avg": row(0.7, 0.7, 0.7, support=36),
        "weighted avg": row(0.9, 0.9, 0.9, support=36),
    }
    rasa_report = {
        "greet": row(1.0, 1.0, 1.0),
        "abuse": row(0.786, 0.917, 0.846),
        "make_complaint": row(1.0, 0.833, 0.909),
        "accuracy": 0.917,
    }
    return Evaluation(intent_report, rasa_report, errors, successes)


def report_of(**f1):
    """A committed `report.json` with the given F1 per intent."""
    return {
        "set": "tests/nlu/held_out.yml",
        "set_sha256": SET_SHA256,
        "model": "20261101-000000-old.tar.gz",
        "date": "2026-11-01",
        "commit": "abc1234567",
        "messages": 12 * len(f1),
        "macro_f1": sum(f1.values()) / len(f1),
        "rasa_test_nlu_macro_f1": sum(f1.values()) / len(f1),
        "intents": {
            name: {
                "precision": value,
                "recall": value,
                "f1": value,
                "support": 12,
                "fell_back": 0,
                "rasa_test_nlu_f1": value,
            }
            for name, value in f1.items()
        },
    }


def new_report():
    return build_report(
        held_out_evaluation(),
        nlu_set="tests/nlu/held_out.yml",
        model="20261130-000000-new.tar.gz",
        date="2026-11-30",
        commit="def7654321",
        set_sha256=SET_SHA256,
    )


# --- The report and the comparison ---------------------------------------------------


def test_the_report_counts_a_fallback_as_a_miss_and_keeps_the_gates_figure():
    report = new_report()
    assert sorted(report["intents"]) == ["abuse", "greet", "make_complaint"]
    assert report["intents"]["abuse"]["f1"] == 0.88
    assert report["intents"]["abuse"]["fell_back"] == 1
    assert report["intents"]["abuse"]["rasa_test_nlu_f1"] == 0.846
    assert report["messages"] == 36
    assert report["macro_f1"] == round((1.0 + 0.88 + 0.909) / 3, 4)
    assert report["set"] == "tests/nlu/held_out.yml"
    assert report["commit"] == "def7654321" and report["date"] == "2026-11-30"


def test_the_comparison_marks_better_worse_same_new_and_removed():
    then = {"greet": 0.95, "abuse": 0.92, "make_complaint": 0.88, "thank": 1.0}
    now = {"greet": 1.0, "abuse": 0.88, "make_complaint": 0.87, "ask_rent_info": 0.9}
    status = {c.intent: c.status for c in compare(now, then)}
    assert status == {
        "greet": "better",
        "abuse": "worse",  # 0.04: one message of twelve
        "make_complaint": "same",  # 0.01: within the tolerance
        "ask_rent_info": "new",
        "thank": "removed",
    }


def test_one_message_more_wrong_is_worse_and_rounding_is_not():
    one_message = 1 / 12 * 0.5  # about what one miss does to F1 on 12 messages
    assert compare({"a": 0.9 - one_message}, {"a": 0.9})[0].worse
    assert not compare({"a": 0.9 - 0.0001}, {"a": 0.9})[0].worse


def test_without_a_committed_report_nothing_is_marked_worse():
    changes = compare({"greet": 0.5}, None)
    assert [c.status for c in changes] == ["no committed report"]
    assert not any(c.worse for c in changes)


def git(root, *args):
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, timeout=30)


def test_the_baseline_is_the_report_committed_in_git_not_the_working_file(tmp_path):
    git(tmp_path, "init", "-q")
    git(tmp_path, "config", "user.email", "t@example.org")
    git(tmp_path, "config", "user.name", "t")
    path = tmp_path / "results" / "nlu" / "report.json"
    assert committed_report(path, tmp_path) is None
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(report_of(greet=0.9)))
    assert committed_report(path, tmp_path)["intents"]["greet"]["f1"] == 0.9  # not in git yet
    git(tmp_path, "add", "-f", "results/nlu/report.json")
    git(tmp_path, "commit", "-q", "-m", "baseline")
    path.write_text(json.dumps(report_of(greet=0.5)))  # a run since, not committed
    assert committed_report(path, tmp_path)["intents"]["greet"]["f1"] == 0.9


def test_the_committed_report_and_thresholds_are_tracked_by_git():
    ignored = subprocess.run(
        ["git", "check-ignore", "results/nlu/report.json", "results/nlu/thresholds.json"],
        cwd=nlu_report.ROOT,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert ignored.stdout.strip() == ""
    kept_local = subprocess.run(
        ["git", "check-ignore", "results/nlu/report/index.html", "results/nlu/summary.json"],
        cwd=nlu_report.ROOT,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert len(kept_local.stdout.split()) == 2


# --- The page ------------------------------------------------------------------------


def page(committed=None):
    report = new_report()
    then = None if committed is None else nlu_report.f1s(committed)
    changes = compare(nlu_report.f1s(report), then)
    return render_html(report, changes, worst_confusions(held_out_evaluation().errors), committed)


def test_the_page_has_every_intent_and_marks_those_that_got_worse():
    html = page(report_of(greet=1.0, abuse=0.95, make_complaint=0.91, thank=1.0))
    for intent in ("greet", "abuse", "make_complaint", "thank"):
        assert f"<td>{intent}</td>" in html
    worse_rows = re.findall(r'<tr class="worse"><td>(\w+)</td>', html)
    assert worse_rows == ["abuse"]
    assert "Worse than the committed report: abuse." in html
    assert "removed" in html  # thank, gone from the set


def test_the_page_shows_the_worst_confusions_redacted():
    html = page()
    assert "make_complaint</strong> read as <strong>abuse</strong>: 2" in html
    assert "3 weeks no heating you lazy lot ring me on [phone]" in html
    assert PHONE not in html and "07700" not in html
    assert "&lt;b&gt;you lot&lt;/b&gt;" in html  # a message cannot add markup


def test_the_page_runs_nothing_and_fetches_nothing():
    html = page(report_of(greet=1.0, abuse=1.0, make_complaint=1.0))
    assert "<script" not in html.lower()
    assert not re.search(r"https?:", html)
    assert not re.search(r"""(src|href)=["']//""", html)
    assert re.findall(r'src="([^"]+)"', html) == ["confusion.png"]
    # No inline style either: the console's policy would refuse it; a file beside it.
    assert "<style" not in html.lower() and " style=" not in html.lower()
    assert re.findall(r'href="([^"]+)"', html) == ["report.css"]


def test_the_page_says_when_there_is_nothing_to_compare_with():
    assert "No committed report of this set to compare with" in page(None)


def test_the_confusion_matrix_has_names_and_a_fallback_column(tmp_path):
    evaluation = held_out_evaluation()
    rows, columns, counts = nlu_report.confusion(evaluation.errors, evaluation.successes)
    assert rows == ["abuse", "greet", "make_complaint"]
    assert columns[-1] == "nlu_fallback"
    assert counts[rows.index("abuse")][columns.index("nlu_fallback")] == 1
    assert counts[rows.index("make_complaint")][columns.index("abuse")] == 2
    nlu_report.plot_confusion(rows, columns, counts, tmp_path / "confusion.png")
    assert (tmp_path / "confusion.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


# --- The command, with Rasa's evaluation played by the fixtures -----------------------


@pytest.fixture
def results(tmp_path, monkeypatch):
    """results/nlu in a temporary folder, and the model's evaluation from the fixtures."""
    out = tmp_path / "results" / "nlu"
    monkeypatch.setattr(nlu_report, "RESULTS", out)
    monkeypatch.setattr(nlu_report, "COMMITTED", out / "report.json")
    monkeypatch.setattr(nlu_report, "NONSENSE_RESULT", out / "nonsense.json")
    monkeypatch.setattr(nlu_report, "committed_report", lambda: None)
    calls = []

    def evaluate(model, nlu_set, out_dir):
        calls.append(nlu_set)
        out_dir.mkdir(parents=True, exist_ok=True)
        return results.evaluation

    results.evaluation = held_out_evaluation()
    results.calls = calls
    monkeypatch.setattr(nlu_report, "evaluate", evaluate)
    (tmp_path / "blind.yml").write_text("version: '3.1'\nnlu: []\n")
    (tmp_path / "nonsense.yml").write_text("version: '3.1'\nnlu: []\n")
    results.tmp = tmp_path
    results.out = out
    return results


MODEL = ["--model", "models/20261130-000000-new.tar.gz"]


def test_the_report_is_written_and_save_makes_it_the_baseline(results, capsys):
    assert nlu_report.main(MODEL, today="2026-11-30") == 0
    page_file = results.out / "report" / "index.html"
    assert "make_complaint" in page_file.read_text()
    assert (results.out / "report" / "confusion.png").exists()
    assert "tr.worse" in (results.out / "report" / "report.css").read_text()
    assert not (results.out / "report.json").exists()
    assert nlu_report.main([*MODEL, "--save"], today="2026-11-30") == 0
    saved = json.loads((results.out / "report.json").read_text())
    assert saved["intents"]["abuse"]["f1"] == 0.88 and saved["date"] == "2026-11-30"


def test_an_intent_worse_than_the_committed_report_is_printed(results, monkeypatch, capsys):
    committed = report_of(greet=1.0, abuse=0.96, make_complaint=0.9)
    committed["set_sha256"] = nlu_report.set_hash(nlu_report.HELD_OUT)
    monkeypatch.setattr(nlu_report, "committed_report", lambda: committed)
    assert nlu_report.main(MODEL) == 0
    out = capsys.readouterr().out
    assert "WORSE abuse: F1 0.880, was 0.960" in out
    assert "WORSE make_complaint" not in out and "WORSE greet" not in out


def nonsense(held, emergencies=0, other=0):
    """`held` messages that fell back or went out of scope, and the rest wrong."""
    errors = [error(f"zxqv plork {i}", "out_of_scope", "nlu_fallback") for i in range(held // 2)]
    successes = [success(f"wibble {i}", "out_of_scope") for i in range(held - held // 2)]
    errors += [
        error(f"whats the score in the city game, ring {PHONE}", "out_of_scope", "report_emergency")
        for _ in range(emergencies)
    ]
    errors += [error("zxqv plork wibble", "out_of_scope", "report_repair", 0.9)] * other
    return errors, successes


@pytest.mark.parametrize(
    "held, emergencies, other, passed, target_met",
    [
        (100, 0, 0, True, True),
        (95, 0, 5, True, True),  # the least that meets the target
        (94, 0, 6, True, False),  # above the floor: the gate passes, the target is not met
        (90, 0, 10, True, False),  # the first measure
        (88, 0, 12, True, False),  # the floor, two under it
        (87, 0, 13, False, False),
        (99, 1, 0, False, False),  # one emergency is one too many
        (190, 0, 10, True, True),  # 95 % of a larger set
        (176, 0, 24, True, False),
        (175, 0, 25, False, False),
    ],
)
def test_the_nonsense_gate(held, emergencies, other, passed, target_met):
    verdict = nonsense_verdict(*nonsense(held, emergencies, other))
    assert verdict.messages == held + emergencies + other
    assert verdict.held == held
    assert verdict.emergencies == emergencies
    assert verdict.passed is passed
    assert verdict.target_met is target_met


def test_the_nonsense_gate_fails_naming_the_messages_redacted(results, capsys):
    errors, successes = nonsense(98, emergencies=1, other=1)
    results.evaluation = Evaluation({}, {}, errors, successes)
    nonsense_set = str(results.tmp / "nonsense.yml")
    assert nlu_report.main([*MODEL, "--nonsense", "--set", nonsense_set]) == 1
    captured = capsys.readouterr()
    assert "98 of 100 fell back or went to out_of_scope" in captured.out
    assert "1 read as report_emergency" in captured.out
    assert (
        "FAIL read as report_emergency (0.50): whats the score in the city game, ring [phone]"
        in (captured.err)
    )
    assert "FAIL read as report_repair (0.90): zxqv plork wibble" in captured.err
    assert PHONE not in captured.err


def test_the_nonsense_figures_are_saved_when_the_gate_passes(results, capsys):
    results.evaluation = Evaluation({}, {}, *nonsense(96, other=4))
    nonsense_set = str(results.tmp / "nonsense.yml")
    assert nlu_report.main([*MODEL, "--nonsense", "--set", nonsense_set, "--save"]) == 0
    saved = json.loads((results.out / "nonsense.json").read_text())
    assert saved["fell_back_or_out_of_scope"] == 96 and saved["report_emergency"] == 0
    assert saved["passed"] is True


def test_the_blind_set_is_measured_once_and_then_refused(results, capsys):
    blind_set = str(results.tmp / "blind.yml")
    assert nlu_report.main([*MODEL, "--set", blind_set, "--blind"], today="2026-11-30") == 0
    recorded = json.loads((results.out / "blind.json").read_text())
    assert recorded["date"] == "2026-11-30"
    assert recorded["intents"]["make_complaint"]["f1"] == 0.909
    assert recorded["targets"]["met"] is False  # macro-F1 0.93 < 0.95, abuse 0.88 is not below
    assert recorded["targets"]["intents_below"] == []
    assert "not met" in capsys.readouterr().out
    assert len(results.calls) == 1

    assert nlu_report.main([*MODEL, "--set", blind_set, "--blind"]) == 2
    assert "no longer blind" in capsys.readouterr().err
    assert len(results.calls) == 1  # refused before the model read a single message
    assert json.loads((results.out / "blind.json").read_text()) == recorded


def test_a_new_blind_set_is_measured_once_beside_the_spent_one(results, capsys):
    first, second = results.tmp / "blind.yml", results.tmp / "blind_2.yml"
    second.write_text("version: '3.1'\nnlu: []\n")
    assert nlu_report.main([*MODEL, "--set", str(first), "--blind"], today="2026-11-30") == 0
    results.evaluation = held_out_evaluation()
    assert nlu_report.main([*MODEL, "--set", str(second), "--blind"], today="2026-12-01") == 0
    assert nlu_report.main([*MODEL, "--set", str(second), "--blind"]) == 2
    assert "no longer blind" in capsys.readouterr().err
    measures = nlu_report.blind_results()
    assert [m["date"] for m in measures] == ["2026-11-30", "2026-12-01"]
    assert (results.out / "blind_2.json").exists()
    _, _, newest = committed_results()
    assert newest == measures[-1]
    text = docs_block(None, None, newest, measures[:-1])
    assert "measured once on 2026-12-01" in text
    assert "Earlier, blind set" in text and "on 2026-11-30" in text


def test_a_nonsense_set_written_blind_is_measured_once_and_is_no_gate(results, capsys):
    results.evaluation = Evaluation({}, {}, *nonsense(93, emergencies=1, other=6))
    blind_set = results.tmp / "blind_nonsense.yml"
    blind_set.write_text("version: '3.1'\nnlu: []\n")
    args = [*MODEL, "--nonsense", "--set", str(blind_set), "--blind"]
    assert nlu_report.main(args, today="2026-12-01") == 0  # a measure, not a gate
    recorded = json.loads((results.out / "nonsense_blind" / "blind_nonsense.json").read_text())
    assert recorded["fell_back_or_out_of_scope"] == 93 and recorded["report_emergency"] == 1
    assert recorded["target_met"] is False
    assert PHONE not in json.dumps(recorded)  # what it keeps of the misses is redacted
    assert nlu_report.main(args) == 2
    assert "no longer blind" in capsys.readouterr().err
    assert len(results.calls) == 1
    assert not (results.out / "nonsense.json").exists()  # the gate's figures are untouched
    text = docs_block(None, None, None, (), nlu_report.blind_nonsense_results())
    assert "written blind, measured once on 2026-12-01" in text and "93 of 100" in text


def test_a_blind_nonsense_figure_says_an_emergency_fails_it_even_above_the_share(results):
    results.evaluation = Evaluation({}, {}, *nonsense(96, emergencies=1, other=3))
    blind_set = results.tmp / "blind_nonsense.yml"
    blind_set.write_text("version: '3.1'\nnlu: []\n")
    args = [*MODEL, "--nonsense", "--set", str(blind_set), "--blind"]
    assert nlu_report.main(args, today="2026-12-01") == 0
    text = docs_block(None, None, None, (), nlu_report.blind_nonsense_results())
    assert "96 of 100 fell back or went to `out_of_scope` (96.0%), 1 read as" in text
    assert "Target (at least 95%, none an emergency): not met." in text


def test_a_blind_set_is_never_measured_without_being_recorded(results, capsys):
    blind_set = str(results.tmp / "blind.yml")
    assert nlu_report.main([*MODEL, "--set", blind_set]) == 2
    assert "--blind" in capsys.readouterr().err
    assert results.calls == []


# --- The figures in the docs -----------------------------------------------------------


def test_the_documented_figures_are_the_committed_ones():
    """Run `python -m scripts.nlu_report --write-readme` after committing new figures."""
    held_out, nonsense_figures, blind = committed_results()
    earlier, blind_nonsense = nlu_report.blind_results()[:-1], nlu_report.blind_nonsense_results()
    expected = docs_block(held_out, nonsense_figures, blind, earlier, blind_nonsense)
    assert block_in(DOCS) == expected.strip()
    assert block_in(README) == readme_block(held_out, nonsense_figures, blind).strip()


def test_a_stale_block_is_told_apart_and_rewritten(tmp_path):
    docs = tmp_path / "trainers.md"
    docs.write_text(
        f"# Figures\n\nbefore\n{nlu_report.START}\nold figures\n{nlu_report.END}\nafter\n"
    )
    fresh = docs_block(report_of(greet=0.9, abuse=0.8), None, None)
    assert block_in(docs) != fresh.strip()
    put_block(docs, fresh)
    assert block_in(docs) == fresh.strip()
    text = docs.read_text()
    assert text.startswith("# Figures\n\nbefore\n") and text.endswith("\nafter\n")
    assert "`abuse` at 0.800" in text  # the lowest intent, named


def test_the_block_shows_the_blind_figures_as_measured_once():
    blind = nlu_report.blind_result(report_of(greet=0.99, abuse=0.86, make_complaint=0.97))
    blind["date"] = "2026-11-30"
    text = docs_block(report_of(greet=1.0, abuse=0.9, make_complaint=0.95), None, blind)
    assert "measured once on 2026-11-30, not tuned on" in text
    assert "not met" in text and "`abuse`" in text
    assert "measured once on 2026-11-30, not tuned on" in readme_block(None, None, blind)


# --- Review: the blind set only with --blind and a set named so ------------------------


def test_blind_without_a_set_measures_nothing(results, capsys):
    assert nlu_report.main([*MODEL, "--blind"]) == 2
    assert "--set" in capsys.readouterr().err
    assert results.calls == []
    assert not (results.out / "blind.json").exists()


def test_blind_needs_a_set_named_blind(results, capsys):
    other = results.tmp / "held.yml"
    other.write_text("version: '3.1'\nnlu: []\n")
    assert nlu_report.main([*MODEL, "--set", str(other), "--blind"]) == 2
    assert results.calls == [] and not (results.out / "blind.json").exists()


def test_a_blind_set_named_in_capitals_is_still_blind(results, capsys):
    capitals = results.tmp / "Blind.yml"
    capitals.write_text("version: '3.1'\nnlu: []\n")
    assert nlu_report.main([*MODEL, "--set", str(capitals)]) == 2
    assert results.calls == []


def test_the_readme_names_the_set_the_blind_figures_came_from():
    blind = nlu_report.blind_result(report_of(greet=0.99, abuse=0.96))
    blind["set"] = "tests/nlu/blind.yml"
    assert "`tests/nlu/blind.yml`" in readme_block(None, None, blind)


# --- Review: a committed report of another content of the set --------------------------


def test_the_report_records_the_sets_content_and_the_thresholds(results):
    assert nlu_report.main([*MODEL, "--save"]) == 0
    saved = json.loads((results.out / "report.json").read_text())
    content = nlu_report.HELD_OUT.read_bytes()
    import hashlib

    assert saved["set_sha256"] == hashlib.sha256(content).hexdigest()
    import yaml

    pipeline = yaml.safe_load(nlu_report.CONFIG.read_text())["pipeline"]
    fallback = next(c for c in pipeline if c["name"] == "FallbackClassifier")
    assert saved["thresholds"] == {
        "threshold": fallback["threshold"],
        "ambiguity_threshold": fallback["ambiguity_threshold"],
    }


def test_a_committed_report_of_another_content_of_the_set_is_said_so(results, monkeypatch, capsys):
    committed = report_of(greet=1.0, abuse=0.96, make_complaint=0.9)
    committed["set_sha256"] = "0" * 64
    monkeypatch.setattr(nlu_report, "committed_report", lambda: committed)
    assert nlu_report.main(MODEL) == 0
    out = capsys.readouterr().out
    assert "different content of tests/nlu/held_out.yml" in out
    assert "not the model's alone" in out
    assert "WORSE abuse: F1 0.880, was 0.960" not in out
    assert "WORSE (set changed) abuse: F1 0.880, was 0.960" in out
    page = (results.out / "report" / "index.html").read_text()
    assert "different content of tests/nlu/held_out.yml" in page
    assert "worse (set changed)" in page


def test_a_committed_report_of_the_same_content_blames_the_model(results, monkeypatch, capsys):
    committed = report_of(greet=1.0, abuse=0.96, make_complaint=0.9)
    committed["set_sha256"] = nlu_report.set_hash(nlu_report.HELD_OUT)
    monkeypatch.setattr(nlu_report, "committed_report", lambda: committed)
    assert nlu_report.main(MODEL) == 0
    out = capsys.readouterr().out
    assert "different content" not in out
    assert "WORSE abuse: F1 0.880, was 0.960" in out


# --- Review: the nonsense gate's own conditions ----------------------------------------


def test_the_nonsense_gate_needs_100_messages():
    verdict = nonsense_verdict(*nonsense(99))
    assert verdict.held == 99 and verdict.passed is False


def test_every_nonsense_message_must_be_labelled_out_of_scope(results, capsys):
    errors, successes = nonsense(100)
    successes.append(success("my boiler is broken", "report_repair"))
    verdict = nonsense_verdict(errors, successes)
    assert verdict.passed is False
    results.evaluation = Evaluation({}, {}, errors, successes)
    nonsense_set = str(results.tmp / "nonsense.yml")
    assert nlu_report.main([*MODEL, "--nonsense", "--set", nonsense_set]) == 1
    err = capsys.readouterr().err
    assert "labelled report_repair, not out_of_scope: my boiler is broken" in err


def test_a_multi_intent_with_an_emergency_counts_as_an_emergency():
    errors, successes = nonsense(100)
    errors.append(error("the city game", "out_of_scope", "report_repair+report_emergency"))
    verdict = nonsense_verdict(errors, successes)
    assert verdict.emergencies == 1 and verdict.passed is False
