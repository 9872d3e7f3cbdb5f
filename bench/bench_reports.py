"""pdr_report and department_report over many compliance records in SQLite, against hand-written SQL.

The library side makes each report with :func:`ethical_decisions.reports.pdr_report`
and :func:`ethical_decisions.reports.department_report` on the cached data set
(:mod:`dataset`). The baseline computes the same figures with plain SQL written
by hand (``GROUP BY``, ``json_each``, sums) on its own connection to the same
file; before timing, the benchmark checks that its figures equal the store's,
so the two cannot drift apart. Also reported: each report's own time (it must
stay under 2 seconds) and the peak memory of a fresh process that opens the
store and builds the department report (under 200 MB: the report aggregates
in the database and never loads the records).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import resource
import sqlite3
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from dataset import FIRST, LAST, build
from harness import Figure, Timings, compare, format_seconds, ratio_figure
from workload import filter_logging_at_warning

from ethical_decisions import SQLiteStore
from ethical_decisions.compliance import StepUsed
from ethical_decisions.figures import choose_sample
from ethical_decisions.model import ConcernCategory, LaterOutcomeResult, OutcomeClass, StaffRole
from ethical_decisions.reports import DepartmentFigures, PdrFigures, Period, department_report, pdr_report

__all__ = ["department_baseline", "pdr_baseline", "run"]

RATIO_TARGET = 1.2
SECONDS_TARGET = 2.0
MEMORY_TARGET_MB = 200.0
STAFF_ID = "dm-00042"
SEED = 7
PDR_PERIOD = Period(dt.datetime(2025, 1, 1, tzinfo=dt.UTC), dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
DEPARTMENT_PERIOD = Period(FIRST, LAST)
AS_OF = LAST


def _connect(path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    return connection


def _span(period: Period) -> tuple[str, str]:
    return (_time(period.start), _time(period.end))


def _time(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


_MINE = "staff_id = ? AND closed_at >= ? AND closed_at < ?"
_SOUGHT = "(referral_count > 0 OR instr(steps_used, '\"discussion\"') > 0)"


def pdr_baseline(
    connection: sqlite3.Connection, staff_id: str, period: Period
) -> tuple[PdrFigures, list[Any]]:
    """The PDR figures and sample of *staff_id* in *period*, by hand-written SQL."""
    mine = (staff_id, *_span(period))
    (
        closed, reflection, rationale, with_concerns, concerns, changed, unresolved, escalated,
        referrals, followed, sought, advice,
    ) = connection.execute(
        "SELECT count(*), total(reflection_recorded), total(rationale_recorded), total(concern_count > 0),"
        " total(concern_count), total(decision_changed), total(unresolved_acknowledged > 0),"
        " total(referral_count > 0), total(referral_count),"
        " total(referral_count > 0 AND escalations_followed_through),"
        f" total({_SOUGHT}), total({_SOUGHT} AND advice_recorded)"
        f" FROM compliance WHERE {_MINE}",
        mine,
    ).fetchone()  # fmt: skip
    outcomes = connection.execute(
        f"SELECT outcome_class, count(*) FROM compliance WHERE {_MINE} GROUP BY outcome_class", mine
    ).fetchall()
    later = connection.execute(
        f"SELECT later_outcome, count(*) FROM compliance WHERE {_MINE} AND later_outcome IS NOT NULL"
        " GROUP BY later_outcome",
        mine,
    ).fetchall()
    categories = connection.execute(
        "SELECT j.value, count(*) FROM compliance c, json_each(c.concern_categories) j"
        f" WHERE c.{_MINE.replace(' AND ', ' AND c.')} GROUP BY j.value",
        mine,
    ).fetchall()
    steps = connection.execute(
        "SELECT j.value, count(*) FROM compliance c, json_each(c.steps_used) j"
        f" WHERE c.{_MINE.replace(' AND ', ' AND c.')} GROUP BY j.value",
        mine,
    ).fetchall()
    end = _time(period.end)
    (open_at_end,) = connection.execute(
        "SELECT count(*) FROM reviews WHERE staff_id = ? AND opened_at < ?"
        " AND (closed_at IS NULL OR closed_at >= ?)",
        (staff_id, end, end),
    ).fetchone()
    ids = [
        row[0]
        for row in connection.execute(
            f"SELECT review_id FROM compliance WHERE {_MINE} ORDER BY closed_at, review_id", mine
        )
    ]
    chosen = choose_sample(ids, 3, SEED)
    sample = connection.execute(
        f"SELECT * FROM compliance WHERE review_id IN ({', '.join('?' for _ in chosen)})"
        " ORDER BY closed_at, review_id",
        chosen,
    ).fetchall()
    figures = PdrFigures(
        staff_id=staff_id,
        period=period,
        closed=closed,
        reflection_recorded=int(reflection),
        rationale_recorded=int(rationale),
        with_concerns=int(with_concerns),
        concerns=int(concerns),
        concerns_by_category={ConcernCategory(k): v for k, v in categories},
        steps={StepUsed(k): v for k, v in steps},
        outcomes={OutcomeClass(k): v for k, v in outcomes},
        decisions_changed=int(changed),
        proceeded_unresolved=int(unresolved),
        escalated=int(escalated),
        referrals=int(referrals),
        followed_through=int(followed),
        advice_sought=int(sought),
        advice_recorded=int(advice),
        later_outcomes={LaterOutcomeResult(k): v for k, v in later},
        open_at_end=open_at_end,
    )
    return figures, sample


def department_baseline(
    connection: sqlite3.Connection, period: Period, as_of: dt.datetime
) -> DepartmentFigures:
    """The department's figures for *period*, by hand-written SQL."""
    span = _span(period)
    found: dict[str, Counter[Any]] = {}
    outcomes = connection.execute(
        "SELECT outcome_class, count(*), total(decision_changed) FROM compliance"
        " WHERE closed_at >= ? AND closed_at < ? GROUP BY outcome_class",
        span,
    ).fetchall()
    found["outcomes"] = Counter({OutcomeClass(k): n for k, n, _ in outcomes})
    found["changed"] = Counter({OutcomeClass(k): int(c) for k, _, c in outcomes})
    challenges = connection.execute(
        "SELECT concern_count > 0, later_outcome, count(*) FROM compliance"
        " WHERE closed_at >= ? AND closed_at < ? AND later_outcome_kind IN ('appeal', 'tribunal')"
        " GROUP BY 1, 2",
        span,
    ).fetchall()
    found["challenges"] = Counter({(bool(h), LaterOutcomeResult(r)): n for h, r, n in challenges})
    categories = connection.execute(
        "SELECT c.closed_month, j.value, count(*) FROM compliance c, json_each(c.concern_categories) j"
        " WHERE c.closed_at >= ? AND c.closed_at < ? AND c.concern_count > 0 GROUP BY 1, 2",
        span,
    ).fetchall()
    found["categories"] = Counter({(m, ConcernCategory(k)): n for m, k, n in categories})
    referrals = connection.execute(
        "SELECT route_id, submitted_month, count(*), total(referred_by_role = ?), count(advice_at),"
        " total(advice_at <= due_by), total(unixepoch(advice_at) - unixepoch(submitted_at)),"
        " max(unixepoch(due_by) - unixepoch(submitted_at))"
        " FROM referrals WHERE submitted_at >= ? AND submitted_at < ? GROUP BY 1, 2",
        (StaffRole.FRONTLINE_OFFICER.value, *span),
    ).fetchall()
    for name in ("escalations", "frontline", "advised", "within_target", "advice_seconds", "target_seconds"):
        found[name] = Counter()
    for route, month, count, frontline, advised, within, seconds, longest in referrals:
        found["escalations"][route, month] += count
        found["frontline"][route] += int(frontline)
        found["advised"][route] += advised
        found["within_target"][route] += int(within)
        found["advice_seconds"][route] += int(seconds)
        found["target_seconds"][route] = max(found["target_seconds"][route], longest)
    awaiting = connection.execute(
        "SELECT route_id, count(*), total(due_by < ?) FROM referrals"
        " WHERE status IN ('submitted', 'acknowledged', 'returned') GROUP BY route_id",
        (_time(as_of),),
    ).fetchall()
    found["awaiting"] = Counter({r: n for r, n, _ in awaiting})
    found["overdue"] = Counter({r: int(o) for r, _, o in awaiting})
    return DepartmentFigures(period=period, as_of=as_of, **found)


def _pair(name: str, lib: Timings, base: Timings, what: str) -> list[Figure]:
    ratio = ratio_figure(name, RATIO_TARGET, lib, base)
    seconds = Figure(
        f"{name}_seconds",
        lib.median,
        SECONDS_TARGET,
        f"{what} (median of {len(lib.samples)} runs, {format_seconds(lib.median)})",
        unit="s",
    )
    return [dataclasses.replace(ratio, detail=f"{ratio.detail}; {what}"), seconds]


def _memory(path: Path) -> Figure:
    """Peak RSS of a fresh process that opens the store and builds the department report."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    subprocess.run([sys.executable, __file__, "--department-report", str(path)], check=True)
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    note = "" if peak_kb > before else f" (an earlier child peaked higher: {before / 1024:.0f} MB)"
    return Figure(
        "department_report_memory",
        peak_kb / 1024,
        MEMORY_TARGET_MB,
        f"peak RSS of a process building the department report{note}",
        unit="MB",
    )


def run(quick: bool) -> list[Figure]:
    """The report figures: each ratio, each report's time, and the department report's memory."""
    records, runs = (2_000, 1) if quick else (1_000_000, 7)
    filter_logging_at_warning()
    path = build(records)
    store = SQLiteStore(path)
    connection = _connect(path)
    try:
        figures, sample = pdr_baseline(connection, STAFF_ID, PDR_PERIOD)
        assert figures == store.pdr_figures(STAFF_ID, PDR_PERIOD), "hand-written PDR SQL must agree"
        picked = [record.review_id for record in store.pdr_sample(STAFF_ID, PDR_PERIOD, size=3, seed=SEED)]
        assert [row[0] for row in sample] == picked, "the hand-written sample must be the same records"
        assert picked, "the PDR report must show a sample"
        assert figures.closed > 0, "the PDR report must cover some records"
        department = department_baseline(connection, DEPARTMENT_PERIOD, AS_OF)
        assert department == store.department_figures(DEPARTMENT_PERIOD, as_of=AS_OF), (
            "hand-written department SQL must agree"
        )

        def pdr_library() -> Callable[[], object]:
            return lambda: pdr_report(store, STAFF_ID, PDR_PERIOD, seed=SEED, made_at=AS_OF)

        def pdr_hand() -> Callable[[], object]:
            return lambda: pdr_baseline(connection, STAFF_ID, PDR_PERIOD)

        def department_library() -> Callable[[], object]:
            return lambda: department_report(store, DEPARTMENT_PERIOD, as_of=AS_OF)

        def department_hand() -> Callable[[], object]:
            return lambda: department_baseline(connection, DEPARTMENT_PERIOD, AS_OF)

        pdr_runs = runs * 5  # a PDR report takes milliseconds: more runs for a steady median
        lib, base = compare(pdr_library, pdr_hand, runs=pdr_runs)
        found = _pair("pdr_report", lib, base, f"{figures.closed} records of one person, of {records:,}")
        lib, base = compare(department_library, department_hand, runs=runs)
        total = sum(department.outcomes.values())
        found += _pair("department_report", lib, base, f"{total:,} records and their referrals")
    finally:
        connection.close()
        store.close()
    found.append(_memory(path))
    return found


def _department_report_child(path: str) -> None:
    """In a fresh process: open the store and build the department report, as an application would."""
    store = SQLiteStore(path)
    try:
        department_report(store, DEPARTMENT_PERIOD, as_of=AS_OF)
    finally:
        store.close()


if __name__ == "__main__":
    if sys.argv[1:2] == ["--department-report"]:
        _department_report_child(sys.argv[2])
