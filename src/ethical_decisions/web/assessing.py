"""A line manager's assessment of sampled records, as the API and the pages both take it.

Who may assess whom is the library's rule (:func:`~ethical_decisions.assessments.assessor_problem`,
given the deployment's people file, exactly as
:meth:`EthicalDecisions.assess <ethical_decisions.EthicalDecisions.assess>` asks it): a line
manager or team leader of the business area, never the person themselves, and only their own
people where the people file says whom they manage. The web service asks it before showing a
sample or taking a finding, and answers 403 with its words; what the review's state refuses
(still open, erased, the person took no part) is the library's
:class:`~ethical_decisions.AssessmentError` (409). The sample is the one ``ethical-decisions
assessments`` lists: the same each time for a person and period.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from ethical_decisions.assessments import AssessedElement, Assessment, assessor_problem, sample_seed
from ethical_decisions.exceptions import EthicalDecisionsError
from ethical_decisions.figures import Period
from ethical_decisions.model import DecisionMaker
from ethical_decisions.review import Review
from ethical_decisions.service import EthicalDecisions

from .bodies import AssessmentBody
from .hookspecs import WebActor
from .problems import HttpProblem
from .steps import GIVEN
from .views import AssessmentView, SampleItem, assessment_view

__all__ = ["SAMPLE_SIZE", "assessor", "check_assessor", "record_finding", "sample"]

SAMPLE_SIZE = 3
"""How many of a person's records are sampled for a period (as ``ethical-decisions assessments``)."""


def _refused(problem: str, would_allow: str) -> HttpProblem:
    detail = f"Cannot record the assessment: {problem}. To record it: {would_allow}. Nothing was recorded."
    return HttpProblem(
        403, "not-permitted", "You may not assess these records", detail, error="AssessmentError"
    )


def assessor(actor: WebActor) -> DecisionMaker:
    """*actor* as an assessor: a decision-maker (a line manager or team leader).

    :raises HttpProblem: 403 for a route team member or a records officer.
    """
    if not isinstance(actor, DecisionMaker):
        raise _refused(
            f"a record is assessed by a line manager or team leader, and {actor.staff_id} is not a "
            "decision-maker",
            "ask the person's line manager",
        )
    return actor


def check_assessor(edm: EthicalDecisions, by: DecisionMaker, staff_id: str, business_area: str) -> None:
    """Refuse (403) unless the library's rule lets *by* assess *staff_id*'s records in *business_area*.

    A staff id the client sent is never repeated: the message says "the staff id given".
    """
    people = edm.plugins.people
    managed = people.managers.get(by.staff_id, frozenset()) if people.managers else None
    problem = assessor_problem(by, staff_id, business_area, roles=people.handover_roles, managed=managed)
    if problem is not None:
        subject = GIVEN if staff_id != by.staff_id else staff_id
        raise _refused(problem.replace(staff_id, subject), f"ask {subject}'s line manager")


def area_of(edm: EthicalDecisions, by: DecisionMaker, staff_id: str) -> str:
    """The business area of *staff_id*: the register of staff's, else the assessor's own."""
    listed = edm.plugins.people.staff.get(staff_id)
    return listed.business_area if listed is not None else by.business_area


def sample(edm: EthicalDecisions, by: DecisionMaker, staff_id: str, period: Period) -> list[SampleItem]:
    """*staff_id*'s sample of records closed in *period* to assess, with the findings so far.

    :raises HttpProblem: 403 if *by* may not assess *staff_id*.
    """
    check_assessor(edm, by, staff_id, area_of(edm, by, staff_id))
    seed = sample_seed(staff_id, period.first_day)
    records = edm.store.pdr_sample(staff_id, period, size=SAMPLE_SIZE, seed=seed)
    found = edm.store.assessments(staff_id=staff_id, closed_from=period.start, closed_before=period.end)
    order = list(AssessedElement)
    by_review: dict[str, list[Assessment]] = {}
    for assessment in found:
        by_review.setdefault(assessment.review_id, []).append(assessment)
    return [
        SampleItem(
            record.review_id,
            record.closed_at,
            record.outcome_class,
            tuple(
                assessment_view(a)
                for a in sorted(by_review.get(record.review_id, []), key=lambda a: order.index(a.element))
            ),
        )
        for record in records
    ]


@contextlib.contextmanager
def _unsaid(value: str | None) -> Iterator[None]:
    """Let no library message raised within repeat *value* (a staff id the client sent)."""
    try:
        yield
    except EthicalDecisionsError as exc:
        if value:
            exc.args = tuple(a.replace(value, GIVEN) if isinstance(a, str) else a for a in exc.args)
        raise


def record_finding(
    edm: EthicalDecisions, by: DecisionMaker, review: Review, body: AssessmentBody
) -> AssessmentView:
    """Record *body*'s finding on *review* as *by*; its view (never the note).

    :raises HttpProblem: 403 if *by* may not assess the person.
    :raises AssessmentError: if the review is open or erased, or the person took no part (409).
    """
    subject = body.staff_id if body.staff_id is not None else review.decided_by
    if subject is not None:  # an open review has nobody who decided it: the library says so (409)
        check_assessor(edm, by, subject, review.business_area)
    given = body.staff_id if body.staff_id != by.staff_id else None
    with _unsaid(given):
        assessment = edm.assess(
            review.review_id,
            by=by,
            element=body.element,
            finding=body.finding,
            note=body.note,
            staff_id=body.staff_id,
        )
    return assessment_view(assessment)
