"""The cluster's fault report: for every fault the tests put the cluster through,
the messages accepted against those answered (P12). Each test records and asserts
its own row; tests/cluster/conftest.py prints the table at the end of the run and
keeps it in results/cluster/faults.md."""

from __future__ import annotations

from dataclasses import dataclass
from typing import List

from tests.helpers import ROOT

REPORT = ROOT / "results" / "cluster" / "faults.md"


@dataclass(frozen=True)
class FaultRow:
    """What one fault came to, counted per message sent."""

    fault: str
    accepted: int
    answered_once: int
    answered_more: int
    unanswered: int
    apologies: int
    refused_then_resent: int = 0

    @property
    def nothing_lost(self) -> bool:
        return self.answered_once == self.accepted and not (self.answered_more or self.unanswered)


FAULTS: List[FaultRow] = []


def record_fault(row: FaultRow) -> FaultRow:
    FAULTS.append(row)
    return row


def fault_table(rows: List[FaultRow]) -> str:
    lines = [
        "| fault | accepted | answered once | answered more than once | unanswered "
        "| apologies | webhooks refused (503), then sent again | nothing lost |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for row in rows:
        lines.append(
            f"| {row.fault} | {row.accepted} | {row.answered_once} | {row.answered_more} "
            f"| {row.unanswered} | {row.apologies} | {row.refused_then_resent} "
            f"| {'yes' if row.nothing_lost else 'NO'} |"
        )
    return "\n".join(lines)
