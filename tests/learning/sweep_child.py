"""A retention sweep in a child process, printing each review it reaches, for the kill test.

Run as ``python -m tests.learning.sweep_child URL``: it sweeps with a period of 30 days and prints
``looked N`` after each review, flushed, so that the parent can kill it part way.
"""

from __future__ import annotations

import sys

from ethical_decisions import EthicalDecisions, RecordsOfficer, testing
from ethical_decisions.retention import parse_period, sweep
from ethical_decisions.store import open_store


def main(url: str) -> None:
    """Sweep the store at *url*, printing progress after every review."""
    edm = EthicalDecisions(open_store(url, create=False), plugins=testing.plugins())

    def progress(done: int, total: int) -> None:
        print(f"looked {done} of {total}", flush=True)

    sweep(edm, by=RecordsOfficer("ro-0001"), period=parse_period("P30D"), progress=progress)


if __name__ == "__main__":
    main(sys.argv[1])
