"""The figures the stores count for reports: worked out by hand for the memory store, equal in SQL."""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
from typing import TYPE_CHECKING, Any

import pytest

from ethical_decisions import (
    AdviceResponse,
    AssessedElement,
    ConcernCategory,
    Finding,
    LaterOutcomeKind,
    LaterOutcomeResult,
    OutcomeClass,
    StepUsed,
    StoreError,
    ValidationError,
)
from ethical_decisions.compliance import Part
from ethical_decisions.reports import DepartmentFigures, PdrFigures, Period
from ethical_decisions.store import SQLiteStore, Store
from ethical_decisions.store import _report_sql as report_sql
from ethical_decisions.store._dialect import SQLITE

from .conftest import AS_OF, CCU, QUARTER, SVM, quarter

if TYPE_CHECKING:
    from tests.store.conftest import Backend

DAY = 86400
HOUR = 3600
C, S, OC, R, AR = ConcernCategory, StepUsed, OutcomeClass, LaterOutcomeResult, AdviceResponse
EL, FI = AssessedElement, Finding

DM_QUARTER = PdrFigures(
    staff_id="dm-0001",
    period=QUARTER,
    closed=7,  # B, C, D, E, F, G, H: not A (December), I (open), J or K (closed in April)
    with_concerns=6,
    concerns=7,
    concerns_by_category={
        C.VULNERABILITY: 2,
        C.EVIDENTIAL_BURDEN: 1,
        C.ERROR_IN_RECORDS: 1,
        C.UNFAIR_OUTCOME: 1,
        C.OTHER: 1,
        C.EQUALITY_OR_HUMAN_RIGHTS: 1,
    },
    steps={
        S.DISCRETION_INSIDE_RULES: 6,
        S.DISCRETION_OUTSIDE_RULES: 1,
        S.DISCUSSION: 5,
        S.ESCALATION: 3,
        S.INFORMATION_REQUESTED: 1,
        S.REFERRAL_WITHDRAWN: 1,
    },
    outcomes={
        OC.NO_CONCERNS: 1,
        OC.RESOLVED_BY_DISCRETION: 1,
        OC.RESOLVED_BY_DISCUSSION: 1,
        OC.RESOLVED_AFTER_ESCALATION: 2,
        OC.PROCEEDED_WITH_UNRESOLVED_CONCERNS: 2,
    },
    decisions_changed=2,
    proceeded_unresolved=2,
    unresolved_acknowledged=2,  # F's and H's one concern each
    escalated=3,
    referrals=3,
    returned=1,  # G's referral
    advice_responses={AR.FOLLOWED: 1, AR.FOLLOWED_IN_PART: 1},  # E followed, G in part; H was withdrawn
    later_outcomes={R.UPHELD: 1, R.OVERTURNED: 1},
    open_at_end=2,  # I, and K which closed after the quarter
    parts={Part.OPENED: 7, Part.REFLECTED: 7, Part.DECIDED: 7, Part.ESCALATED: 3},  # dm-0001 did all alone
    assessed={  # C, E and F (closed in the quarter, whenever assessed); not A (closed in December)
        (EL.CONCERN_ARTICULATED, FI.EVIDENT): 2,
        (EL.DISCRETION_CONSIDERED, FI.EVIDENT): 1,
        (EL.RATIONALE_EXPLAINS, FI.PARTLY_EVIDENT): 1,
        (EL.ESCALATION_WHERE_UNRESOLVED, FI.EVIDENT): 1,
        (EL.USE_OF_ADVICE, FI.EVIDENT): 1,
        (EL.RATIONALE_EXPLAINS, FI.EVIDENT): 1,
        (EL.RATIONALE_EXPLAINS, FI.NOT_EVIDENT): 1,
    },
    assessed_reviews=3,
)

DEPARTMENT_QUARTER = DepartmentFigures(
    period=QUARTER,
    as_of=AS_OF,
    escalations={(CCU, "2026-02"): 1, (CCU, "2026-03"): 3, (SVM, "2026-01"): 1, (SVM, "2026-02"): 2},
    frontline={SVM: 2},
    advised={CCU: 2, SVM: 3},
    within_target={CCU: 1, SVM: 2},
    advice_seconds={CCU: (3 + 14) * DAY - 4 * HOUR, SVM: (2 + 9 + 2) * DAY},
    target_seconds={CCU: 10 * DAY, SVM: 5 * DAY},
    awaiting={CCU: 2},
    overdue={CCU: 1},
    outcomes={
        OC.NO_CONCERNS: 7,
        OC.RESOLVED_BY_DISCRETION: 2,
        OC.RESOLVED_BY_DISCUSSION: 1,
        OC.RESOLVED_AFTER_ESCALATION: 5,
        OC.PROCEEDED_WITH_UNRESOLVED_CONCERNS: 2,
    },
    changed={OC.NO_CONCERNS: 1, OC.RESOLVED_BY_DISCRETION: 1, OC.RESOLVED_AFTER_ESCALATION: 3},
    categories={
        ("2026-01", C.VULNERABILITY): 2,
        ("2026-02", C.VULNERABILITY): 3,
        ("2026-02", C.EVIDENTIAL_BURDEN): 1,
        ("2026-02", C.ERROR_IN_RECORDS): 1,
        ("2026-02", C.UNFAIR_OUTCOME): 1,
        ("2026-02", C.UNINTENDED_CONSEQUENCE): 1,
        ("2026-03", C.OTHER): 1,
        ("2026-03", C.VULNERABILITY): 1,
        ("2026-03", C.EQUALITY_OR_HUMAN_RIGHTS): 1,
    },
    challenges={(True, R.UPHELD): 1, (True, R.OVERTURNED): 1, (False, R.OVERTURNED): 1},
    later_outcomes={  # every kind, by its latest later outcome (issue 17)
        (LaterOutcomeKind.ADMINISTRATIVE_REVIEW, R.OVERTURNED): 1,
        (LaterOutcomeKind.APPEAL, R.OVERTURNED): 1,
        (LaterOutcomeKind.TRIBUNAL, R.OVERTURNED): 1,
        (LaterOutcomeKind.TRIBUNAL, R.UPHELD): 1,
    },
    referred={  # each referral's one concern, by route and category
        (CCU, C.UNFAIR_OUTCOME): 1,
        (CCU, C.VULNERABILITY): 2,  # G, and the one of 20 March still awaiting advice
        (CCU, C.EQUALITY_OR_HUMAN_RIGHTS): 1,
        (SVM, C.VULNERABILITY): 2,
        (SVM, C.UNINTENDED_CONSEQUENCE): 1,
    },
    first_referrals={CCU: 4, SVM: 3},  # none takes a concern further after advice
    escalate_seconds={CCU: 4 * HOUR},  # E escalated four hours after opening; the others at once
    assessed={  # recorded in the quarter: A's, C's and E's; not F's (in April)
        (EL.CONCERN_ARTICULATED, FI.EVIDENT): 1,
        (EL.DISCRETION_CONSIDERED, FI.EVIDENT): 1,
        (EL.RATIONALE_EXPLAINS, FI.PARTLY_EVIDENT): 1,
        (EL.ESCALATION_WHERE_UNRESOLVED, FI.EVIDENT): 1,
        (EL.USE_OF_ADVICE, FI.EVIDENT): 1,
        (EL.RATIONALE_EXPLAINS, FI.EVIDENT): 2,
    },
)
"""The administrative review's result is left out; the referral of 10 April is not in the quarter."""


def test_pdr_figures_by_hand(memory_quarter: Store) -> None:
    """The memory store counts one decision-maker's quarter as worked out by hand."""
    assert DM_QUARTER == memory_quarter.pdr_figures("dm-0001", QUARTER)


def test_department_figures_by_hand(memory_quarter: Store) -> None:
    """The memory store counts the department's quarter as worked out by hand."""
    assert DEPARTMENT_QUARTER == memory_quarter.department_figures(QUARTER, as_of=AS_OF)


def test_pdr_of_someone_with_no_reviews(memory_quarter: Store) -> None:
    """A decision-maker with nothing in the period gets zero figures, not an error."""
    assert PdrFigures("dm-9999", QUARTER) == memory_quarter.pdr_figures("dm-9999", QUARTER)


def test_overdue_depends_on_when_the_report_is_made(memory_quarter: Store) -> None:
    """A referral awaiting advice is overdue only once its due time is before the report's time."""
    before_due = dt.datetime(2026, 3, 29, tzinfo=dt.UTC)

    figures = memory_quarter.department_figures(QUARTER, as_of=before_due)

    assert ({CCU: 2}, {}) == (figures.awaiting, figures.overdue)


@pytest.fixture(name="sql_quarter", scope="module")
def _sql_quarter(tmp_path_factory: pytest.TempPathFactory) -> Store:
    return quarter(SQLiteStore(tmp_path_factory.mktemp("quarter") / "store.db")).store


PERIODS = [
    QUARTER,
    Period.from_dates(dt.date(2026, 2, 10), dt.date(2026, 3, 16)),
    Period.from_dates(dt.date(2025, 12, 1), dt.date(2026, 4, 30)),
]
STAFF = ["dm-0001", "dm-0002", "io-0042", "cw-0100", "dm-9999"]


def test_sql_store_counts_as_the_memory_store(sql_backend: Backend, memory_quarter: Store) -> None:
    """SQLite and PostgreSQL give the same PDR figures, sample and department figures as the memory store."""
    store = quarter(sql_backend.open()).store

    for period in PERIODS:
        for staff_id in STAFF:
            assert memory_quarter.pdr_figures(staff_id, period) == store.pdr_figures(staff_id, period)
            sample = store.pdr_sample(staff_id, period, size=3, seed=11)
            assert memory_quarter.pdr_sample(staff_id, period, size=3, seed=11) == sample
        expected = memory_quarter.department_figures(period, as_of=AS_OF)
        assert expected == store.department_figures(period, as_of=AS_OF)


def test_sample_is_random_but_repeatable(memory_quarter: Store) -> None:
    """The same seed picks the same records; all are the person's, in the period, by closing time."""
    picks = {
        tuple(r.review_id for r in memory_quarter.pdr_sample("dm-0001", QUARTER, seed=s)) for s in range(12)
    }
    sample = memory_quarter.pdr_sample("dm-0001", QUARTER, size=3, seed=4)

    assert sample == memory_quarter.pdr_sample("dm-0001", QUARTER, size=3, seed=4)
    assert len(picks) > 1
    assert all(len(p) == 3 for p in picks)
    assert all(r.staff_id == "dm-0001" and r.closed_at in QUARTER for r in sample)
    assert sample == sorted(sample, key=lambda r: r.closed_at)


def test_sample_larger_than_the_records_takes_them_all(memory_quarter: Store) -> None:
    """Asking for more records than there are gives every one of them; a negative size is refused."""
    everything = list(
        memory_quarter.compliance_records(
            staff_id="dm-0001", closed_from=QUARTER.start, closed_before=QUARTER.end
        )
    )

    assert everything == memory_quarter.pdr_sample("dm-0001", QUARTER, size=50)
    with pytest.raises(ValidationError, match="size: must be zero or more"):
        memory_quarter.pdr_sample("dm-0001", QUARTER, size=-1)


def test_period_from_dates_includes_both_days() -> None:
    """A period from two dates runs from the first midnight to the midnight after the last day, UTC."""
    period = Period.from_dates(dt.date(2026, 1, 31), dt.date(2026, 3, 1))

    assert (dt.datetime(2026, 1, 31, tzinfo=dt.UTC), dt.datetime(2026, 3, 2, tzinfo=dt.UTC)) == (
        period.start,
        period.end,
    )
    assert ("2026-01", "2026-02", "2026-03") == period.months()
    assert "31 January 2026 to 1 March 2026" == period.describe()


@pytest.mark.parametrize(
    ("start", "end", "problem"),
    [
        (
            dt.datetime(2026, 2, 1, tzinfo=dt.UTC),
            dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
            "end: must be after",
        ),
        (
            dt.datetime(2026, 1, 1),
            dt.datetime(2026, 2, 1, tzinfo=dt.UTC),
            "start: give a time with a timezone",
        ),
    ],
)
def test_bad_periods_are_refused(start: dt.datetime, end: dt.datetime, problem: str) -> None:
    """A period that ends before it starts, or has no timezone, is refused, saying what to fix."""
    with pytest.raises(ValidationError, match=problem):
        Period(start, end)
    with pytest.raises(ValidationError, match="to: the last day is before the first day"):
        Period.from_dates(dt.date(2026, 2, 1), dt.date(2026, 1, 31))


class _Recording:
    """A cursor that remembers each statement with its parameters."""

    def __init__(self, cursor: Any) -> None:
        self.cursor = cursor
        self.statements: list[tuple[str, tuple[Any, ...]]] = []

    def execute(self, sql: str, params: Any = ()) -> object:
        self.statements.append((sql, tuple(params)))
        return self.cursor.execute(sql, params)

    def fetchone(self) -> Any:
        return self.cursor.fetchone()

    def fetchall(self) -> list[Any]:
        return self.cursor.fetchall()


def _plans(sql_quarter: Store, ask: Any) -> list[str]:
    assert isinstance(sql_quarter, SQLiteStore)
    connection = sqlite3.connect(sql_quarter.path)
    try:
        recording = _Recording(connection.cursor())
        ask(recording)
        return [
            " / ".join(row[3] for row in connection.execute(f"EXPLAIN QUERY PLAN {sql}", params))
            for sql, params in recording.statements
        ]
    finally:
        connection.close()


def test_pdr_statements_use_the_staff_index(sql_quarter: Store) -> None:
    """Every PDR statement on SQLite finds the person's rows through an index, never a scan.

    Their decisions by staff id, their open reviews by owner, the parts they took through the
    credits' index on (item, value), their line manager's findings by staff id (each joined to its
    review by id), and the sample's records by review id.
    """
    plans = _plans(sql_quarter, lambda c: report_sql.pdr_figures(c, SQLITE, "dm-0001", QUARTER))
    plans += _plans(
        sql_quarter, lambda c: report_sql.pdr_sample(c, SQLITE, "dm-0001", QUARTER, size=3, seed=1)
    )

    assert len(plans) == 6
    assert all("SCAN" not in p for p in plans), plans
    assert all(
        re.search(r"SEARCH \w+ USING (COVERING )?INDEX \w+ \((staff_id|owner_id|item|review_id)=", p)
        for p in plans
    ), plans


def test_department_statements_read_by_time_through_indexes(sql_quarter: Store) -> None:
    """The department's SQLite statements read records, referrals and findings by time range, via indexes.

    Four a month search by closing or submission time (a statement grouped so that SQLite would rather
    walk another index is noticed: its plan no longer names the time), and the findings of the period are
    found by the time they were recorded.
    """
    plans = _plans(sql_quarter, lambda c: report_sql.department_figures(c, SQLITE, QUARTER, as_of=AS_OF))

    by_time = [p for p in plans if "closed_at" in p or "submitted_at" in p]
    assert len(by_time) == 4 * 3  # four statements for each month of the quarter
    assert all(
        re.search(r"SEARCH \w+ USING (COVERING )?INDEX \w+ \((closed|submitted)_at>\?", p) for p in by_time
    )
    assert all("SCAN compliance" not in p and "SCAN referrals" not in p for p in by_time), plans
    (findings,) = [p for p in plans if "assessments" in p]
    assert "SEARCH assessments USING INDEX assessments_assessed (assessed_at>? AND assessed_at<?)" in findings


def test_a_concern_category_from_a_newer_version_is_refused_readably(tmp_path: Any) -> None:
    """A department report over a compliance row with a category this version does not know: StoreError.

    The message names the table and column and says to upgrade; it never repeats the stored value.
    """
    path = tmp_path / "store.db"
    store = quarter(SQLiteStore(path)).store
    with sqlite3.connect(path) as connection:
        connection.execute(
            "UPDATE compliance SET concern_categories = '[\"MARKER_NEW_CATEGORY\"]' WHERE review_id = "
            "(SELECT review_id FROM compliance WHERE concern_count > 0 LIMIT 1)"
        )
    with pytest.raises(StoreError) as raised:
        store.department_figures(QUARTER, as_of=AS_OF)
    message = str(raised.value)
    assert "compliance table" in message
    assert "concern_categories" in message
    assert "Upgrade ethical-decisions" in message
    assert "MARKER" not in message
