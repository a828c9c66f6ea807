"""The NLU gate fails below macro-F1 0.90 or an intent below F1 0.80."""

import json

from scripts import check_nlu_report
from scripts.check_nlu_report import check

INTENTS = ["greet", "abuse", "make_complaint"]


def report(**f1):
    rows = {name: {"f1-score": value, "support": 12} for name, value in f1.items()}
    rows["nlu_fallback"] = {"f1-score": 0.0, "support": 0}
    return rows


def test_passes_when_every_intent_is_good():
    verdict = check(report(greet=1.0, abuse=0.9, make_complaint=0.85), INTENTS)
    assert verdict.failures == []
    assert round(verdict.macro_f1, 3) == 0.917


def test_one_weak_intent_fails():
    verdict = check(report(greet=1.0, abuse=0.79, make_complaint=1.0), INTENTS)
    assert verdict.failures == ["abuse: F1 0.790 < 0.8"]


def test_a_low_macro_f1_fails():
    verdict = check(report(greet=0.85, abuse=0.85, make_complaint=0.85), INTENTS)
    assert verdict.failures == ["macro-F1 0.850 < 0.9"]


def test_an_intent_without_held_out_examples_fails():
    verdict = check(report(greet=1.0, abuse=1.0), INTENTS)
    assert "make_complaint: no held-out examples" in verdict.failures


def test_main_writes_a_summary_and_sets_the_exit_code(tmp_path, monkeypatch):
    monkeypatch.setattr(check_nlu_report, "domain_intents", lambda: INTENTS)
    path = tmp_path / "intent_report.json"
    path.write_text(json.dumps(report(greet=1.0, abuse=0.5, make_complaint=1.0)))
    assert check_nlu_report.main([str(path)]) == 1
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert "abuse: F1 0.500 < 0.8" in summary["failures"]
    path.write_text(json.dumps(report(greet=1.0, abuse=1.0, make_complaint=1.0)))
    assert check_nlu_report.main([str(path)]) == 0


def test_intents_the_connectors_set_are_not_held_to_the_model():
    """`send_attachment` has no words to learn: the connectors set it, the model never
    predicts it, so the held-out check does not ask for examples of it."""
    intents = check_nlu_report.domain_intents()
    assert "send_attachment" not in intents
    assert "report_emergency" in intents


def committed(**f1):
    """A committed `results/nlu/report.json` with these F1s, as the gate counts them."""
    return {
        "set": "tests/nlu/held_out.yml",
        "set_sha256": check_nlu_report.nlu_report.set_hash(check_nlu_report.nlu_report.HELD_OUT),
        "date": "2026-11-01",
        "commit": "abc1234567",
        "intents": {name: {"f1": value, "rasa_test_nlu_f1": value} for name, value in f1.items()},
    }


def test_a_failure_says_whether_the_change_caused_it():
    """A trainer who added an intent sees that `abuse` fell below the threshold with
    their change, and that `make_complaint` was already there before it."""
    verdict = check(report(greet=0.95, abuse=0.7, make_complaint=0.78), INTENTS)
    lines = check_nlu_report.against_committed(
        verdict, committed(greet=1.0, abuse=0.92, make_complaint=0.79)
    )
    where = "the committed report (commit abc1234567, 2026-11-01)"
    assert f"abuse: F1 0.700, was 0.920 in {where}: fell below the threshold since" in lines
    assert (
        f"make_complaint: F1 0.780, already 0.790 in {where}: below the threshold before "
        "this change"
    ) in lines
    assert f"greet: F1 0.950, was 1.000 in {where}: worse, still above the threshold" in lines


def test_a_new_intent_below_the_threshold_is_named_new():
    verdict = check(report(greet=1.0, abuse=1.0, make_complaint=0.6), INTENTS)
    lines = check_nlu_report.against_committed(verdict, committed(greet=1.0, abuse=1.0))
    assert lines == [
        "make_complaint: F1 0.600, new since the committed report (commit abc1234567, 2026-11-01)"
    ]


def test_without_a_committed_report_the_gate_says_so():
    verdict = check(report(greet=1.0, abuse=0.5, make_complaint=1.0), INTENTS)
    assert check_nlu_report.against_committed(verdict, None)[0].startswith(
        "No committed report of tests/nlu/held_out.yml to compare with"
    )


def test_the_gate_prints_the_comparison(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(check_nlu_report, "domain_intents", lambda: INTENTS)
    monkeypatch.setattr(
        check_nlu_report.nlu_report,
        "committed_report",
        lambda: committed(greet=1.0, abuse=0.95, make_complaint=1.0),
    )
    path = tmp_path / "intent_report.json"
    path.write_text(json.dumps(report(greet=1.0, abuse=0.5, make_complaint=1.0)))
    assert check_nlu_report.main([str(path)]) == 1
    err = capsys.readouterr().err
    assert "FAIL abuse: F1 0.500 < 0.8" in err
    assert "abuse: F1 0.500, was 0.950 in the committed report" in err


def test_a_committed_report_of_another_content_of_the_held_out_set_is_said_so():
    """When held_out.yml changed since the committed report, a drop is not blamed on the
    trainer's change: the gate says the set changed, and labels each comparison."""
    verdict = check(report(greet=0.95, abuse=0.7, make_complaint=1.0), INTENTS)
    then = committed(greet=1.0, abuse=0.92, make_complaint=1.0)
    then["set_sha256"] = "0" * 64
    lines = check_nlu_report.against_committed(verdict, then)
    assert "different content of tests/nlu/held_out.yml" in lines[0]
    assert "fell below the threshold since" not in "\n".join(lines)
    assert all(line.endswith("(set changed)") for line in lines[1:]) and len(lines) == 3
