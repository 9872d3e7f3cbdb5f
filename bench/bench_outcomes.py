"""outcomes_import and outcomes_import_memory: the later outcomes import's dry run, against csv alone.

``outcomes_import``: ``import_outcomes(..., dry_run=True)`` (what ``ethical-decisions
outcomes import FILE.csv --dry-run`` runs) over a file of 1,000,000 rows, against
the least any import must do: read the same file with the standard library's
:mod:`csv` and touch every row. The dry run also checks each row's kind,
result and date, computes the HMAC-SHA-256 of each normalised case reference
under the deployment's key, and looks the digests up in the SQLite store's case
index a thousand at a time (half the rows match one of 2,000 indexed cases).
Target: 2 (rows per second at least half of ``csv``'s).

``outcomes_import_memory``: the peak resident set of a fresh process running the
dry run over 1,000,000 rows, over the same for 10,000 rows. Streaming stays
flat: the target is 1.1.
"""

from __future__ import annotations

import csv
import os
import sqlite3
import sys
from collections.abc import Callable
from pathlib import Path

from harness import Figure, child_peak_mb, compare, print_peak, ratio_figure
from library import (
    STORE_SCHEMA_VERSION,
    EthicalDecisions,
    RecordsOfficer,
    SQLiteStore,
    import_outcomes,
    testing,
)
from workload import filter_logging_at_warning

from ethical_decisions.caseindex import case_digest  # the digest the service writes

TARGET = 2.0
MEMORY_TARGET = 1.1
KEY = "bench-case-index-key-0123456789abcdef"
INDEXED = 2_000
_KINDS = ("appeal", "tribunal", "complaint", "judicial_review", "mp_letter", "ombudsman")
_RESULTS = ("upheld", "overturned", "withdrawn", "pending")
_DIR = Path(__file__).resolve().parent / ".cache" / "outcomes"
"""The cached store and files (each store named by the schema it was made with)."""


def _store_path(indexed: int) -> Path:
    """A SQLite store whose case index holds *indexed* cases (index rows alone: the dry run reads no more)."""
    path = _DIR / f"index-schema{STORE_SCHEMA_VERSION}-{indexed}.db"
    if path.exists():
        return path
    _DIR.mkdir(parents=True, exist_ok=True)
    store = SQLiteStore(path)
    try:
        edm = EthicalDecisions(store, plugins=testing.plugins(), case_index_key=KEY)
        key = edm._require_case_key()
        rows = [(case_digest(key, f"HX{n:08d}"), f"rv-bench-{n:08d}") for n in range(indexed)]
    finally:
        store.close()
    with sqlite3.connect(path) as connection:
        connection.executemany("INSERT INTO case_index (digest, review_id) VALUES (?, ?)", rows)
    return path


def _csv_path(rows: int) -> Path:
    """A later outcomes file of *rows* rows, half of them for indexed cases."""
    path = _DIR / f"outcomes-{rows}.csv"
    if path.exists():
        return path
    _DIR.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(("case_reference", "kind", "result", "decided_on"))
        for n in range(rows):
            case = n % INDEXED if n % 2 else INDEXED + n
            day = 1 + n % 28
            writer.writerow((f"HX{case:08d}", _KINDS[n % 6], _RESULTS[n % 4], f"2026-02-{day:02d}"))
    return path


def _dry_run(store_path: Path, csv_path: Path) -> int:
    store = SQLiteStore(store_path)
    try:
        edm = EthicalDecisions(store, plugins=testing.plugins(), case_index_key=KEY)
        report = import_outcomes(edm, csv_path, by=RecordsOfficer("ro-bench"), dry_run=True)
    finally:
        store.close()
    return report.rows


def _csv_alone(csv_path: Path) -> int:
    count = 0
    with csv_path.open(newline="", encoding="utf-8") as stream:
        for row in csv.reader(stream):
            count += len(row) > 0
    return count - 1


def run(quick: bool) -> list[Figure]:
    """The two figures: the dry run's time over csv's, and its peak memory on 1,000,000 rows over 10,000."""
    filter_logging_at_warning()
    rows, runs = (2_000, 1) if quick else (1_000_000, 3)
    store_path, csv_path = _store_path(INDEXED), _csv_path(rows)
    assert _dry_run(store_path, csv_path) == rows == _csv_alone(csv_path), "every row must be read"

    def library() -> Callable[[], object]:
        return lambda: _dry_run(store_path, csv_path)

    def baseline() -> Callable[[], object]:
        return lambda: _csv_alone(csv_path)

    lib, base = compare(library, baseline, runs=runs)
    note = (
        f"{rows:,} rows; {rows / lib.median:,.0f} rows/s against csv's {rows / base.median:,.0f} rows/s; "
        "the dry run also checks each row, HMACs its reference and looks the digests up in SQLite"
    )
    figures = [
        ratio_figure(
            "outcomes_import", TARGET, lib, base, per=rows, unit="row", names=("dry run", "csv"), note=note
        )
    ]
    small, large = (200, 2_000) if quick else (10_000, 1_000_000)
    small_mb = child_peak_mb([__file__, str(store_path), str(_csv_path(small))])
    large_mb = child_peak_mb([__file__, str(store_path), str(_csv_path(large))])
    detail = (
        f"peak RSS of a fresh process: {large:,} rows {large_mb:.1f} MB, {small:,} rows {small_mb:.1f} MB"
    )
    figures.append(Figure("outcomes_import_memory", large_mb / small_mb, MEMORY_TARGET, detail))
    return figures


if __name__ == "__main__":
    filter_logging_at_warning()
    os.environ.pop("EDM_CASE_INDEX_KEY", None)
    _dry_run(Path(sys.argv[1]), Path(sys.argv[2]))
    print_peak()
