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

from ethical_decisions.assessments import Assessment
from ethical_decisions.compliance import ComplianceRecord
from ethical_decisions.figures import (
    CHALLENGES_AT_APPEAL,
    DepartmentFigures,
    PdrFigures,
    Period,
    choose_sample,
    tally,
    whole_seconds,
)
from ethical_decisions.model import AdviceResponse, StaffRole

if TYPE_CHECKING:
    from .base import ReferralRecord, ReviewRecord

__all__ = ["department_figures", "pdr_figures", "pdr_sample"]


def _month(when: dt.datetime) -> str:
    return f"{when.astimezone(dt.UTC):%Y-%m}"


def pdr_figures(
    records: Iterable[ComplianceRecord],
    reviews: Iterable[ReviewRecord],
    staff_id: str,
    period: Period,
    assessments: Iterable[Assessment] = (),
) -> PdrFigures:
    """The :class:`PdrFigures` of *staff_id*, from every record, review summary and assessment given."""
    closed = [r for r in records if r.closed_at in period]
    mine = [r for r in closed if r.staff_id == staff_id]
    in_period = {r.review_id for r in closed}
    assessed = [a for a in assessments if a.staff_id == staff_id and a.review_id in in_period]
    responses: Counter[AdviceResponse] = Counter()
    for record in mine:
        responses.update(record.advice_responses)
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
        with_concerns=sum(r.concern_count > 0 for r in mine),
        concerns=sum(r.concern_count for r in mine),
        concerns_by_category=Counter(c for r in mine for c in r.concern_categories),
        steps=Counter(s for r in mine for s in set(r.steps_used)),
        outcomes=Counter(r.outcome_class for r in mine),
        decisions_changed=sum(r.decision_changed for r in mine),
        proceeded_unresolved=sum(r.unresolved_acknowledged > 0 for r in mine),
        unresolved_acknowledged=sum(r.unresolved_acknowledged for r in mine),
        escalated=sum(r.referral_count > 0 for r in mine),
        referrals=sum(r.referral_count for r in mine),
        returned=sum(r.referrals_returned for r in mine),
        advice_responses=responses,
        re_escalations=sum(r.re_escalations for r in mine),
        later_outcomes=Counter(r.later_outcome for r in mine if r.later_outcome is not None),
        open_at_end=len(open_at_end),
        parts=Counter(part for r in closed for part in r.parts(staff_id)),
        assessed=Counter((a.element, a.finding) for a in assessed),
        assessed_reviews=len({a.review_id for a in assessed}),
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
    assessments: Iterable[Assessment] = (),
    *,
    as_of: dt.datetime,
) -> DepartmentFigures:
    """The :class:`DepartmentFigures` from every compliance record, referral and assessment given."""
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
    first = [r for r in submitted if not r.re_escalation]
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
        later_outcomes=Counter(
            (r.later_outcome_kind, r.later_outcome)
            for r in closed
            if r.later_outcome_kind is not None and r.later_outcome is not None
        ),
        referred=Counter((r.route_id, c) for r in submitted for c in r.concern_categories),
        first_referrals=Counter(r.route_id for r in first),
        escalate_seconds=tally((r.route_id, whole_seconds(r.proposed_at, r.submitted_at)) for r in first),
        assessed=Counter((a.element, a.finding) for a in assessments if a.assessed_at in period),
    )
