"""The measure of how many questions about getting involved hear the involvement page
and the open survey (scripts/involvement_reach.py): what it counts, that it redacts
what it keeps, and that it measures a blind set only once."""

import json

from scripts import involvement_reach
from scripts.involvement_reach import (
    DOCS,
    END,
    INTENT,
    RESULTS_DIR,
    START,
    docs_text,
    measures,
    messages,
    reach,
)
from scripts.nlu_report import block_in


def test_only_messages_read_as_the_jobs_and_involvement_intent_are_reached():
    result = reach(
        [
            ("how do i join the tenants panel", INTENT),
            ("any surveys i can fill in", "give_compliment"),
            ("is there a residents group", "nlu_fallback"),
            ("can i help shape things", "nlu_fallback"),
        ]
    )
    assert result["messages"] == 4
    assert result["reached"] == 1
    assert result["missed_by_intent"] == {"nlu_fallback": 2, "give_compliment": 1}
    assert [m["read_as"] for m in result["missed"]] == [
        "give_compliment",
        "nlu_fallback",
        "nlu_fallback",
    ]


def test_what_it_keeps_of_a_missed_message_is_redacted():
    result = reach([("ring me on 07700 900123 about the panel", "ask_phone_hours")])
    [missed] = result["missed"]
    assert "07700 900123" not in missed["text"]
    assert missed["read_as"] == "ask_phone_hours"


def test_the_set_is_one_message_a_line(tmp_path):
    path = tmp_path / "blind_involvement.txt"
    path.write_text("how do i get involved\n\n  any panels going  \n", encoding="utf-8")
    assert messages(path) == ["how do i get involved", "any panels going"]


def test_a_blind_set_is_measured_once(tmp_path, monkeypatch, capsys):
    path = tmp_path / "blind_involvement.txt"
    path.write_text("how do i get involved\n", encoding="utf-8")
    results, docs = tmp_path / "involvement", tmp_path / "staff.md"
    docs.write_text(f"Getting involved.\n\n{START}\n{END}\n", encoding="utf-8")
    monkeypatch.setattr(
        involvement_reach, "parse", lambda model, texts: [(t, INTENT) for t in texts]
    )
    args = ["--set", str(path), "--model", str(tmp_path / "model.tar.gz")]
    args += ["--results", str(results), "--docs", str(docs)]
    assert involvement_reach.main(args) == 0
    assert json.loads((results / "blind_involvement.json").read_text())["reached"] == 1
    assert "of 1 questions about getting involved" in block_in(docs, START, END)
    assert involvement_reach.main(args) == 1
    assert "measured already" in capsys.readouterr().err
    # A new set measures a new model; the guide names the newest first.
    second = tmp_path / "blind_involvement_2.txt"
    second.write_text("any panels going\nhow do i get involved\n", encoding="utf-8")
    monkeypatch.setattr(
        involvement_reach, "parse", lambda model, texts: [(t, "nlu_fallback") for t in texts]
    )
    assert involvement_reach.main(["--set", str(second), *args[2:]]) == 0
    newest, earlier = block_in(docs, START, END).split("\n\nEarlier: ")
    assert "of 2 questions" in newest and "0 were read" in newest
    assert "of 1 questions" in earlier


def test_the_staff_guide_says_what_was_measured():
    assert block_in(DOCS, START, END) == docs_text(measures(RESULTS_DIR))
