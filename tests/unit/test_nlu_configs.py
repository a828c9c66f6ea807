"""The comparison of classifier shapes (bench/nlu_configs.py): what it counts, and that
each variant changes DIETClassifier alone."""

from datetime import date

import pytest

from bench.nlu_configs import (
    END,
    GUIDE,
    START,
    VARIANTS,
    Measure,
    caught,
    macro_f1,
    table,
    variant_config,
)
from scripts.nlu_report import block_in


def test_a_fallback_is_a_miss_and_each_intent_weighs_the_same():
    pairs = [("greet", "greet"), ("greet", "nlu_fallback"), ("thank", "thank")]
    # greet: precision 1, recall 0.5, F1 0.667; thank: 1.
    assert macro_f1(pairs) == pytest.approx((2 / 3 + 1) / 2)


def test_nonsense_is_caught_by_a_fallback_or_out_of_scope_and_an_emergency_is_named():
    found = ["nlu_fallback", "out_of_scope", "report_repair", "report_repair+report_emergency"]
    assert caught(found) == (2, 1)


def test_a_variant_changes_diet_alone():
    chosen = variant_config({})
    changed = variant_config({"diet": {"number_of_transformer_layers": 1, "epochs": 60}})
    [diet] = [c for c in changed["pipeline"] if c["name"] == "DIETClassifier"]
    assert diet["number_of_transformer_layers"] == 1 and diet["epochs"] == 60
    others = [c for c in changed["pipeline"] if c["name"] != "DIETClassifier"]
    assert others == [c for c in chosen["pipeline"] if c["name"] != "DIETClassifier"]
    assert VARIANTS[next(name for name in VARIANTS if name.startswith("chosen"))] == {}


def test_a_variant_drops_the_pairs_of_words_or_shortens_the_character_n_grams():
    chosen = variant_config({})
    changed = variant_config({"word_pairs": False, "char_max": 4})
    [words] = [
        c for c in changed["pipeline"] if c.get("analyzer", "word") == "word" and "min_ngram" in c
    ]
    assert words["max_ngram"] == 1
    assert {"name": "CountVectorsFeaturizer", "min_ngram": 1, "max_ngram": 2} in chosen["pipeline"]
    [characters] = [c for c in changed["pipeline"] if c.get("analyzer") == "char_wb"]
    assert characters["max_ngram"] == 4
    [before] = [c for c in chosen["pipeline"] if c.get("analyzer") == "char_wb"]
    assert before["max_ngram"] == 5


def test_the_table_has_a_row_a_variant():
    measure = Measure("chosen (config.yml)", 69.4, 0.9571, 6, 306, 91, 0, 99)
    text = table([measure], date(2026, 12, 1))
    assert "| chosen (config.yml) | 69 | 0.957 | 6 of 306 | 91 of 99 | 0 |" in text
    assert text.startswith("Written by `.venv/bin/python -m bench.nlu_configs")


def test_the_guide_holds_a_measured_table():
    assert block_in(GUIDE, START, END).startswith("Written by")
