"""Prints the cluster's fault report (tests/cluster/faults.py) at the end of the run,
and keeps it in results/cluster/faults.md."""

from tests.cluster.faults import FAULTS, REPORT, fault_table


def pytest_terminal_summary(terminalreporter) -> None:
    if not FAULTS:
        return
    table = fault_table(FAULTS)
    terminalreporter.write_sep("=", "the cluster's faults: messages accepted against answered")
    terminalreporter.write_line(table)
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(
        "# The cluster's faults: messages accepted against answered\n\n"
        "Written by `make cluster-test` (tests/cluster/): each row is one fault the "
        "cluster profile was put through, counted per message a tenant sent.\n\n" + table + "\n"
    )
