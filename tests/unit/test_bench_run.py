"""`make bench`'s comparison (bench/run.py): each baseline has its own column, every ratio
is this assistant's figure over that baseline's, and the `rasa init` baseline is Rasa's
own starter project, bare."""

import argparse

import yaml

from bench.run import RASA_INIT, RASA_INIT_MESSAGES, Figures, table

ARGS = argparse.Namespace(clients=32)


def figures(scale: float, actions: bool = True) -> Figures:
    memory = {"rasa": 1000.0 * scale, **({"actions": 100.0} if actions else {})}
    return Figures(
        train_seconds=300.0 * scale,
        sequential=[10.0 * scale * (n + 1) for n in range(100)],
        concurrent=[20.0 * scale * (n + 1) for n in range(100)],
        throughput=50.0 * scale,
        rss_mb=memory,
    )


def row(text: str, label: str) -> list[str]:
    line = next(line for line in text.splitlines() if line.startswith(f"| {label} |"))
    return [cell.strip() for cell in line.strip("|").split("|")]


def test_each_baseline_has_its_figure_and_our_ratio_to_it():
    text = table(
        figures(2.0),
        {"minimal": figures(1.0, actions=False), "rasa init": figures(4.0, actions=False)},
        ARGS,
    )
    assert text.splitlines()[0] == (
        "| measure | this assistant | minimal | ratio | rasa init | ratio |"
    )
    assert row(text, "Latency p95, one conversation (ms)") == [
        "Latency p95, one conversation (ms)",
        "1901.0",
        "950.5",
        "2.00",
        "3802.0",
        "0.50",
    ]
    assert row(text, "Messages per second, 32 clients")[1:] == [
        "100.0",
        "50.0",
        "2.00",
        "200.0",
        "0.50",
    ]
    # A baseline with no action server has no figure, and no ratio, for one.
    assert row(text, "Resident memory, action server (MB)")[1:] == [
        "100.0",
        "n/a",
        "n/a",
        "n/a",
        "n/a",
    ]


def test_the_rasa_init_baseline_is_rasas_starter_project_with_replies_for_its_messages():
    domain = yaml.safe_load((RASA_INIT / "domain.yml").read_text())
    nlu = yaml.safe_load((RASA_INIT / "data" / "nlu.yml").read_text())
    # Rasa's defaults: no pipeline and no policies configured.
    config = yaml.safe_load((RASA_INIT / "config.yml").read_text())
    assert config["pipeline"] is None and config["policies"] is None
    examples = " ".join(item["examples"] for item in nlu["nlu"]).lower()
    assert all(message in examples for message in RASA_INIT_MESSAGES)
    assert "utter_greet" in domain["responses"]
