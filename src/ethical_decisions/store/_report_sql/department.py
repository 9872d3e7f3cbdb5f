"""The department's figures, counted month by month so that nothing needs sorting.

Each month of the period is four statements over an index range: the
compliance records closed in it (every outcome, change and challenge figure is
a ``count(*) FILTER (...)``, so there is no ``GROUP BY`` to sort), their
concern categories (the JSON arrays unnested and grouped: seven rows), the
referrals submitted in it, grouped by route, and the concern categories they
referred, by route. Then one statement counts the referrals awaiting advice
now, and one the line managers' findings recorded in the period.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import attrs

from ethical_decisions.assessments import AssessedElement, Finding
from ethical_decisions.figures import CHALLENGES_AT_APPEAL, DepartmentFigures, Period
from ethical_decisions.model import (
    ConcernCategory,
    LaterOutcomeKind,
    LaterOutcomeResult,
    OutcomeClass,
    StaffRole,
)
from ethical_decisions.review import ReferralStatus
from ethical_decisions.store._rows import ASSESSMENTS, COMPLIANCE, REFERRALS, Table

from ._common import elements, months, seconds

if TYPE_CHECKING:
    from ethical_decisions.store._dialect import Cursor, Dialect

__all__ = ["department_figures"]

_AWAITING = tuple(s.value for s in ReferralStatus if s.awaiting_advice)
_APPEAL = tuple(sorted(k.value for k in CHALLENGES_AT_APPEAL))
_CHALLENGES = tuple((had, result) for had in (True, False) for result in LaterOutcomeResult)
_LATER = tuple((kind, result) for kind in LaterOutcomeKind for result in LaterOutcomeResult)
_CLOSED = "closed_at >= ? AND closed_at < ?"
_FIGURES = tuple(f.name for f in attrs.fields(DepartmentFigures) if f.name not in ("period", "as_of"))


def _outcomes_statement() -> tuple[str, list[object]]:
    columns: list[str] = []
    params: list[object] = []
    for outcome in OutcomeClass:
        columns += ["count(*) FILTER (WHERE outcome_class = ?)"]
        columns += ["count(*) FILTER (WHERE outcome_class = ? AND decision_changed)"]
        params += [outcome.value, outcome.value]
    appeal = f"later_outcome_kind IN ({', '.join('?' for _ in _APPEAL)})"
    for had_concerns, result in _CHALLENGES:
        concerns = "concern_count > 0" if had_concerns else "concern_count = 0"
        columns.append(f"count(*) FILTER (WHERE {concerns} AND later_outcome = ? AND {appeal})")
        params += [result.value, *_APPEAL]
    for kind, result in _LATER:
        columns.append("count(*) FILTER (WHERE later_outcome_kind = ? AND later_outcome = ?)")
        params += [kind.value, result.value]
    return f"SELECT {', '.join(columns)} FROM compliance WHERE {_CLOSED}", params


_OUTCOMES, _OUTCOME_PARAMS = _outcomes_statement()


def _closed(
    cursor: Cursor, dialect: Dialect, month: str, span: Sequence[object], found: dict[str, Counter[Any]]
) -> None:
    cursor.execute(_OUTCOMES, [*_OUTCOME_PARAMS, *span])
    values: Sequence[int] = cursor.fetchone()
    for index, outcome in enumerate(OutcomeClass):
        found["outcomes"][outcome] += values[2 * index]
        found["changed"][outcome] += values[2 * index + 1]
    later = 2 * len(OutcomeClass) + len(_CHALLENGES)
    for key, count in zip(_CHALLENGES, values[2 * len(OutcomeClass) : later], strict=True):
        found["challenges"][key] += count
    for later_key, count in zip(_LATER, values[later:], strict=True):
        if count:
            found["later_outcomes"][later_key] += count
    cursor.execute(
        f"SELECT j.value, count(*) FROM compliance c, {elements(dialect, 'c.concern_categories')}"
        " WHERE c.closed_at >= ? AND c.closed_at < ? AND c.concern_count > 0 GROUP BY j.value",
        span,
    )
    for category, count in cursor.fetchall():
        found["categories"][month, _category(category)] += count


def _category(code: str, table: Table = COMPLIANCE) -> ConcernCategory:
    """A concern category read from the store, or the store's error for a code this version does not know."""
    try:
        return ConcernCategory(code)
    except ValueError:
        raise table.unreadable("concern_categories", unknown=True) from None


def _submitted(
    cursor: Cursor, dialect: Dialect, month: str, span: Sequence[object], found: dict[str, Counter[Any]]
) -> None:
    submitted, advice, due, proposed = (
        seconds(dialect, c) for c in ("submitted_at", "advice_at", "due_by", "proposed_at")
    )
    cursor.execute(
        "SELECT route_id, count(*), count(*) FILTER (WHERE referred_by_role = ?),"
        " count(*) FILTER (WHERE advice_at IS NOT NULL), count(*) FILTER (WHERE advice_at <= due_by),"
        f" coalesce(sum({advice} - {submitted}), 0), max({due} - {submitted}),"
        " count(*) FILTER (WHERE NOT re_escalation),"
        f" coalesce(sum({submitted} - {proposed}) FILTER (WHERE NOT re_escalation), 0)"
        " FROM referrals WHERE submitted_at >= ? AND submitted_at < ? GROUP BY route_id",
        (StaffRole.FRONTLINE_OFFICER.value, *span),
    )
    for route, count, frontline, advised, within, total, longest, first, escalate in cursor.fetchall():
        found["escalations"][route, month] += count
        found["frontline"][route] += frontline
        found["advised"][route] += advised
        found["within_target"][route] += within
        found["advice_seconds"][route] += int(total)
        found["target_seconds"][route] = max(found["target_seconds"][route], int(longest))
        found["first_referrals"][route] += first
        found["escalate_seconds"][route] += int(escalate)
    cursor.execute(
        f"SELECT r.route_id, j.value, count(*) FROM referrals r, {elements(dialect, 'r.concern_categories')}"
        # Grouped by category first: grouped by route first, SQLite scans the route index, not the month.
        " WHERE r.submitted_at >= ? AND r.submitted_at < ? GROUP BY j.value, r.route_id",
        span,
    )
    for route, category, count in cursor.fetchall():
        found["referred"][route, _category(category, REFERRALS)] += count


def department_figures(
    cursor: Cursor, dialect: Dialect, period: Period, *, as_of: dt.datetime
) -> DepartmentFigures:
    """The :class:`DepartmentFigures` for *period*, counted in the database.

    :param as_of: when the report is made: referrals awaiting advice and due
        before it are overdue.
    """
    found: dict[str, Counter[Any]] = {name: Counter() for name in _FIGURES}
    for month, start, end in months(period):
        span = (dialect.time(start), dialect.time(end))
        _closed(cursor, dialect, month, span, found)
        _submitted(cursor, dialect, month, span, found)
    cursor.execute(
        "SELECT route_id, count(*), count(*) FILTER (WHERE due_by < ?) FROM referrals"
        f" WHERE status IN ({', '.join('?' for _ in _AWAITING)}) GROUP BY route_id",
        (dialect.time(as_of), *_AWAITING),
    )
    for route, awaiting, overdue in cursor.fetchall():
        found["awaiting"][route] = awaiting
        found["overdue"][route] = overdue
    cursor.execute(
        "SELECT element, finding, count(*) FROM assessments"
        " WHERE assessed_at >= ? AND assessed_at < ? GROUP BY element, finding",
        (dialect.time(period.start), dialect.time(period.end)),
    )
    for element, finding, count in cursor.fetchall():
        key = (
            _assessment_code(AssessedElement, element, "element"),
            _assessment_code(Finding, finding, "finding"),
        )
        found["assessed"][key] = count
    return DepartmentFigures(period=period, as_of=as_of, **found)


_E = TypeVar("_E", AssessedElement, Finding)


def _assessment_code(cls: type[_E], code: str, column: str) -> _E:
    """An assessment's element or finding read from the store, or the store's error for an unknown code."""
    try:
        return cls(code)
    except ValueError:
        raise ASSESSMENTS.unreadable(column, unknown=True) from None
