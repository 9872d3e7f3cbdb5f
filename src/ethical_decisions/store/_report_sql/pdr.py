"""One decision-maker's figures, and the parts they took in reviews closed in a period.

The reviews they decided are counted through the ``(staff_id, closed_at)``
index; the parts they took in any review, through the ``compliance_items``
credits; their line manager's findings, through the ``(staff_id, review_id)``
index of ``assessments``, joined to the reviews closed in the period.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

from ethical_decisions.assessments import AssessedElement, Finding
from ethical_decisions.compliance import ComplianceRecord, Part, StepUsed
from ethical_decisions.figures import PdrFigures, Period, choose_sample
from ethical_decisions.model import AdviceResponse, ConcernCategory, LaterOutcomeResult, OutcomeClass
from ethical_decisions.store import _rows as rows

from ._common import contains, occurrences

if TYPE_CHECKING:
    from ethical_decisions.store._dialect import Cursor, Dialect

__all__ = ["pdr_figures", "pdr_sample"]

_MINE = "staff_id = ? AND closed_at >= ? AND closed_at < ?"
_PARTS = ", ".join(f"'part:{part.value}'" for part in Part)
_CREDITED = (
    f"FROM compliance_items i JOIN compliance c ON c.review_id = i.review_id"
    f" WHERE i.item IN ({_PARTS}) AND i.value = ? AND c.closed_at >= ? AND c.closed_at < ?"
)
"""The parts someone took in the reviews closed in a period: one row per review and part."""


_RESPONSES = {
    AdviceResponse.FOLLOWED: "advice_followed",
    AdviceResponse.FOLLOWED_IN_PART: "advice_followed_in_part",
    AdviceResponse.NOT_FOLLOWED: "advice_not_followed",
}


def _statement(dialect: Dialect) -> tuple[str, list[tuple[str, object]]]:
    """One pass over the person's records: each column a figure, named by (figure, key)."""
    columns: list[tuple[str, str, object]] = [
        ("count(*)", "closed", None),
        ("count(*) FILTER (WHERE concern_count > 0)", "with_concerns", None),
        ("coalesce(sum(concern_count), 0)", "concerns", None),
        ("count(*) FILTER (WHERE decision_changed)", "decisions_changed", None),
        ("count(*) FILTER (WHERE unresolved_acknowledged > 0)", "proceeded_unresolved", None),
        ("coalesce(sum(unresolved_acknowledged), 0)", "unresolved_acknowledged", None),
        ("count(*) FILTER (WHERE referral_count > 0)", "escalated", None),
        ("coalesce(sum(referral_count), 0)", "referrals", None),
        ("coalesce(sum(referrals_returned), 0)", "returned", None),
        ("coalesce(sum(re_escalations), 0)", "re_escalations", None),
    ]
    columns += [(f"coalesce(sum({column}), 0)", "advice_responses", r) for r, column in _RESPONSES.items()]
    columns += [(f"count(*) FILTER (WHERE outcome_class = '{o.value}')", "outcomes", o) for o in OutcomeClass]
    columns += [
        (f"count(*) FILTER (WHERE later_outcome = '{r.value}')", "later_outcomes", r)
        for r in LaterOutcomeResult
    ]
    columns += [
        (f"coalesce(sum({occurrences('concern_categories', c.value)}), 0)", "concerns_by_category", c)
        for c in ConcernCategory
    ]
    columns += [
        (f"count(*) FILTER (WHERE {contains(dialect, 'steps_used', s.value)})", "steps", s) for s in StepUsed
    ]
    sql = f"SELECT {', '.join(c for c, _, _ in columns)} FROM compliance WHERE {_MINE}"
    return sql, [(name, key) for _, name, key in columns]


def pdr_figures(cursor: Cursor, dialect: Dialect, staff_id: str, period: Period) -> PdrFigures:
    """The :class:`PdrFigures` of *staff_id* for *period*, counted in the database.

    One pass over the person's records through the ``(staff_id, closed_at)``
    index, and a count of their reviews open at the period's end.
    """
    sql, names = _statement(dialect)
    cursor.execute(sql, (staff_id, dialect.time(period.start), dialect.time(period.end)))
    figures: dict[str, Any] = {}
    for (name, key), value in zip(names, cursor.fetchone(), strict=True):
        if key is None:
            figures[name] = int(value)
        else:
            figures.setdefault(name, {})[key] = int(value)
    cursor.execute(
        "SELECT count(*) FROM reviews WHERE owner_id = ? AND opened_at < ?"
        " AND (closed_at IS NULL OR closed_at >= ?)",
        (staff_id, dialect.time(period.end), dialect.time(period.end)),
    )
    (open_at_end,) = cursor.fetchone()
    cursor.execute(
        f"SELECT i.item, count(*) {_CREDITED} GROUP BY i.item",
        (staff_id, dialect.time(period.start), dialect.time(period.end)),
    )
    parts = {Part(item.removeprefix("part:")): int(count) for item, count in cursor.fetchall()}
    cursor.execute(
        "SELECT a.review_id, a.element, a.finding FROM assessments a"
        " JOIN compliance c ON c.review_id = a.review_id"
        " WHERE a.staff_id = ? AND c.closed_at >= ? AND c.closed_at < ?",
        (staff_id, dialect.time(period.start), dialect.time(period.end)),
    )
    table = rows.ASSESSMENTS
    assessed: Counter[tuple[AssessedElement, Finding]] = Counter()
    reviews = set()
    for review_id, element, finding in cursor.fetchall():
        reviews.add(review_id)
        assessed[
            table.value(dialect, "element", element, key=review_id),
            table.value(dialect, "finding", finding, key=review_id),
        ] += 1
    return PdrFigures(
        staff_id=staff_id,
        period=period,
        open_at_end=int(open_at_end),
        parts=parts,
        assessed=assessed,
        assessed_reviews=len(reviews),
        **figures,
    )


def pdr_sample(
    cursor: Cursor, dialect: Dialect, staff_id: str, period: Period, *, size: int, seed: int | None
) -> list[ComplianceRecord]:
    """*size* of the records closed in *period* in which the person took part, at random, by closing time.

    The same seed picks the same records as the memory store does.
    """
    mine = (staff_id, dialect.time(period.start), dialect.time(period.end))
    cursor.execute(
        f"SELECT review_id FROM compliance WHERE review_id IN (SELECT c.review_id {_CREDITED})"
        " ORDER BY closed_at, review_id",
        mine,
    )
    chosen = choose_sample([row[0] for row in cursor.fetchall()], size, seed)
    if not chosen:
        return []
    table = rows.COMPLIANCE
    cursor.execute(
        f"SELECT {table.names} FROM compliance WHERE review_id IN ({', '.join('?' for _ in chosen)})"
        " ORDER BY closed_at, review_id",
        chosen,
    )
    return [ComplianceRecord(**table.values(dialect, row)) for row in cursor.fetchall()]
