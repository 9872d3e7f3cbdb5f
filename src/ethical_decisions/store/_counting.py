"""The report figures computed in Python, record by record: the reference the SQL stores must match.

:class:`~ethical_decisions.store.MemoryStore` answers its report queries with
these functions. They read every record they are given, so they suit a store in
memory, not a department's years of records (the SQL stores count in the
database: :mod:`ethical_decisions.store._report_sql`).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from typing import TYPE_CHECKING

from ethical_decisions.compliance import ComplianceRecord, StepUsed
from ethical_decisions.figures import (
    CHALLENGES_AT_APPEAL,
    DepartmentFigures,
    PdrFigures,
    Period,
    choose_sample,
    whole_seconds,
)
from ethical_decisions.model import StaffRole

if TYPE_CHECKING:
    from .base import ReferralRecord, ReviewRecord

__all__ = ["department_figures", "pdr_figures", "pdr_sample"]


def _month(when: dt.datetime) -> str:
    return f"{when.astimezone(dt.UTC):%Y-%m}"


def pdr_figures(
    records: Iterable[ComplianceRecord], reviews: Iterable[ReviewRecord], staff_id: str, period: Period
) -> PdrFigures:
    """The :class:`PdrFigures` of *staff_id*, from every record and review summary given."""
    closed = [r for r in records if r.closed_at in period]
    mine = [r for r in closed if r.staff_id == staff_id]
    escalated = [r for r in mine if r.referral_count > 0]
    sought = [r for r in mine if r.referral_count > 0 or StepUsed.DISCUSSION in r.steps_used]
    open_at_end = [
        r
        for r in reviews
        if r.owner_id == staff_id
        and r.opened_at < period.end
        and (r.closed_at is None or r.closed_at >= period.end)
    ]
    return PdrFigures(
        staff_id=staff_id,
        period=period,
        closed=len(mine),
        reflection_recorded=sum(r.reflection_recorded for r in mine),
        rationale_recorded=sum(r.rationale_recorded for r in mine),
        with_concerns=sum(r.concern_count > 0 for r in mine),
        concerns=sum(r.concern_count for r in mine),
        concerns_by_category=Counter(c for r in mine for c in r.concern_categories),
        steps=Counter(s for r in mine for s in set(r.steps_used)),
        outcomes=Counter(r.outcome_class for r in mine),
        decisions_changed=sum(r.decision_changed for r in mine),
        proceeded_unresolved=sum(r.unresolved_acknowledged > 0 for r in mine),
        escalated=len(escalated),
        referrals=sum(r.referral_count for r in mine),
        followed_through=sum(r.escalations_followed_through for r in escalated),
        advice_sought=len(sought),
        advice_recorded=sum(r.advice_recorded for r in sought),
        later_outcomes=Counter(r.later_outcome for r in mine if r.later_outcome is not None),
        open_at_end=len(open_at_end),
        parts=Counter(part for r in closed for part in r.parts(staff_id)),
    )


def pdr_sample(records: Iterable[ComplianceRecord], size: int, seed: int | None) -> list[ComplianceRecord]:
    """*size* of *records* at random, by closing time; the same records for the same seed."""
    ordered = sorted(records, key=lambda r: (r.closed_at, r.review_id))
    chosen = set(choose_sample([r.review_id for r in ordered], size, seed))
    return [r for r in ordered if r.review_id in chosen]


def department_figures(
    records: Iterable[ComplianceRecord],
    referrals: Iterable[ReferralRecord],
    period: Period,
    *,
    as_of: dt.datetime,
) -> DepartmentFigures:
    """The :class:`DepartmentFigures` from every compliance record and referral given."""
    closed = [r for r in records if r.closed_at in period]
    every = list(referrals)
    submitted = [r for r in every if r.submitted_at in period]
    advised = [r for r in submitted if r.advice_at is not None]
    awaiting = [r for r in every if r.status.awaiting_advice]
    seconds: Counter[str] = Counter()
    for r in advised:
        assert r.advice_at is not None
        seconds[r.route_id] += whole_seconds(r.submitted_at, r.advice_at)
    targets: dict[str, int] = {}
    for r in submitted:
        targets[r.route_id] = max(targets.get(r.route_id, 0), whole_seconds(r.submitted_at, r.due_by))
    challenged = [
        r for r in closed if r.later_outcome is not None and r.later_outcome_kind in CHALLENGES_AT_APPEAL
    ]
    return DepartmentFigures(
        period=period,
        as_of=as_of,
        escalations=Counter((r.route_id, _month(r.submitted_at)) for r in submitted),
        frontline=Counter(r.route_id for r in submitted if r.referred_by_role is StaffRole.FRONTLINE_OFFICER),
        advised=Counter(r.route_id for r in advised),
        within_target=Counter(
            r.route_id for r in advised if r.advice_at is not None and r.advice_at <= r.due_by
        ),
        advice_seconds=seconds,
        target_seconds=targets,
        awaiting=Counter(r.route_id for r in awaiting),
        overdue=Counter(r.route_id for r in awaiting if r.due_by < as_of),
        outcomes=Counter(r.outcome_class for r in closed),
        changed=Counter(r.outcome_class for r in closed if r.decision_changed),
        categories=Counter((_month(r.closed_at), c) for r in closed for c in r.concern_categories),
        challenges=Counter((r.concern_count > 0, r.later_outcome) for r in challenged if r.later_outcome),
    )
