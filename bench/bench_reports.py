"""department_report: the department report over 1,000,000 records, against the store's own SQL on the driver.

The library side makes the report with
:func:`ethical_decisions.reports.department_report` on the cached data set
(:mod:`dataset`), through an :class:`~ethical_decisions.SQLiteStore`. The
baseline runs the very statements the store runs for it (the library's
department SQL, captured once through a recording cursor, with their
parameters) directly on a raw :mod:`sqlite3` connection to the same file, and
fetches every row: the least any implementation of those queries does.
Before timing, the figures the library's SQL gives on the raw connection must
equal the store's. What the ratio prices is the store's connection handling,
turning rows into figures, and building the report document.

Also reported: the report's own time (it must stay under 2 seconds) and the
peak memory of a fresh process that opens the store and makes the report
(under 200 MB: the report aggregates in the database and never loads the
records), with the peak of a process running the bare statements for scale.
"""

from __future__ import annotations

import sqlite3
import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from dataset import FIRST, LAST, build
from harness import Figure, child_peak_mb, compare, format_seconds, print_peak, ratio_figure
from library import SQLITE_DIALECT, DepartmentFigures, Period, SQLiteStore, department_report, department_sql
from workload import filter_logging_at_warning

__all__ = ["RecordingCursor", "replay", "run", "statements"]

RATIO_TARGET = 1.1
SECONDS_TARGET = 2.0
MEMORY_TARGET_MB = 200.0
PERIOD = Period(FIRST, LAST)
AS_OF = LAST

Statement = tuple[str, Sequence[Any]]


class RecordingCursor:
    """A :mod:`sqlite3` cursor that keeps every statement run through it, with its parameters."""

    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self._cursor = cursor
        self.statements: list[Statement] = []

    @property
    def rowcount(self) -> int:
        """Rows changed by the last statement."""
        return self._cursor.rowcount

    def execute(self, sql: str, params: Sequence[Any] = (), /) -> object:
        """Run and keep one statement."""
        self.statements.append((sql, tuple(params)))
        return self._cursor.execute(sql, params)

    def executemany(self, sql: str, params: Iterable[Sequence[Any]], /) -> object:
        """Not used by a report: reports only read."""
        raise AssertionError("a report runs no executemany")

    def fetchone(self) -> Any:
        """The next row."""
        return self._cursor.fetchone()

    def fetchall(self) -> list[Any]:
        """The remaining rows."""
        return self._cursor.fetchall()


def _connect(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(path, isolation_level=None)


def statements(connection: sqlite3.Connection) -> tuple[DepartmentFigures, list[Statement]]:
    """The department figures by the library's SQL on *connection*, and the statements it ran."""
    cursor = RecordingCursor(connection.cursor())
    figures = department_sql(cursor, SQLITE_DIALECT, PERIOD, as_of=AS_OF)
    return figures, cursor.statements


def replay(connection: sqlite3.Connection, found: Sequence[Statement]) -> int:
    """Run *found* on *connection*, fetching every row; the rows fetched."""
    return sum(len(connection.execute(sql, params).fetchall()) for sql, params in found)


def run(quick: bool) -> list[Figure]:
    """The department report's ratio, its time, and its memory."""
    records, runs = (2_000, 1) if quick else (1_000_000, 7)
    filter_logging_at_warning()
    path = build(records)
    store = SQLiteStore(path)
    connection = _connect(path)
    try:
        figures, found = statements(connection)
        assert figures == store.department_figures(PERIOD, as_of=AS_OF), (
            "the SQL must give the store's figures"
        )

        def library() -> Callable[[], object]:
            return lambda: department_report(store, PERIOD, as_of=AS_OF)

        def baseline() -> Callable[[], object]:
            return lambda: replay(connection, found)

        lib, base = compare(library, baseline, runs=runs)
    finally:
        connection.close()
        store.close()
    total = sum(figures.outcomes.values())
    what = f"{total:,} records and their referrals; the store's {len(found)} statements"
    ratio = ratio_figure(
        "department_report", RATIO_TARGET, lib, base, names=("report", "its SQL on sqlite3"), note=what
    )
    seconds = Figure(
        "department_report_seconds",
        lib.median,
        SECONDS_TARGET,
        f"{total:,} records (median of {len(lib.samples)} runs, {format_seconds(lib.median)})",
        unit="s",
    )
    return [ratio, seconds, _memory(path)]


def _memory(path: Path) -> Figure:
    """Peak RSS of a fresh process that opens the store and makes the department report."""
    report_mb = child_peak_mb([__file__, "--report", str(path)])
    sql_mb = child_peak_mb([__file__, "--sql", str(path)])
    return Figure(
        "department_report_memory",
        report_mb,
        MEMORY_TARGET_MB,
        f"peak RSS of a fresh process making the department report; running its SQL alone: {sql_mb:.1f} MB",
        unit="MB",
    )


def _child(option: str, path: str) -> None:
    """In a fresh process: make the report (or run its SQL alone), then report the peak memory."""
    if option == "--report":
        filter_logging_at_warning()
        store = SQLiteStore(path)
        try:
            department_report(store, PERIOD, as_of=AS_OF)
        finally:
            store.close()
    else:
        connection = _connect(Path(path))
        try:
            statements(connection)
        finally:
            connection.close()
    print_peak()


if __name__ == "__main__":
    _child(sys.argv[1], sys.argv[2])
