"""A line manager's assessment of a sampled record against the model's own elements.

A PDR report cannot show whether the model was used *well* from what the rules
already force (every closed review has a reflection and a rationale, because
the library requires them). What can differ is judged by a person: the line
manager reads a few of a decision-maker's closed reviews, picked at random,
and records for each of the model's elements whether it is evident in the
record (the approach of the VA's IntegratedEthics, where a reviewer assesses
sampled consultation records against the standard).

The elements are the model's own steps, in its order: the concern put into
words (step 1), discretion considered inside and then outside the Rules (step
2), discussion sought (step 3), escalation where the concern stayed unresolved
(step 4), a rationale that explains the decision, and the use made of advice.
Each finding is evident, partly evident or not evident, with an optional note.

An :class:`Assessment` is its own record, never an event of the review: the
review's trail is what the decision-maker did, and an assessment is someone
else's view of it. It is kept by the store beside the compliance records. The
note is free text: it is erased with the review's free text, and never reaches
a report, a log, an error or a compliance record. Reports see only counts of
findings: a PDR report the person's own, a department report suppressed counts
per element.

Who may assess (:func:`assessor_problem`): a line manager or team leader (the
roles of :attr:`People.handover_roles <ethical_decisions.policy.People.handover_roles>`)
in the review's business area, never the person assessed, and, where the
deployment says whom each manager manages, only their own people.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection

import attrs

from ._fields import FREE_TEXT_FIELD, validate_identifier, validate_optional_free_text, validate_utc
from .model import DecisionMaker, StaffRole, _Code

__all__ = [
    "ELEMENT_LABELS",
    "FINDING_LABELS",
    "AssessedElement",
    "Assessment",
    "Finding",
    "assessment_order",
    "assessor_problem",
    "sample_seed",
]


class AssessedElement(_Code):
    """One of the model's elements that a line manager looks for in a sampled record."""

    CONCERN_ARTICULATED = "concern_articulated"
    """Step 1: what made the decision-maker uncomfortable, put into words."""
    DISCRETION_CONSIDERED = "discretion_considered"
    """Step 2: discretion considered inside the Immigration Rules, then, where it applies, outside them."""
    DISCUSSION_SOUGHT = "discussion_sought"
    """Step 3: the case discussed with a technical specialist, line manager, team leader or colleague."""
    ESCALATION_WHERE_UNRESOLVED = "escalation_where_unresolved"
    """Step 4: a concern still unresolved escalated through the business area's route."""
    RATIONALE_EXPLAINS = "rationale_explains"
    """The final decision's rationale explains it: a reader can follow why."""
    USE_OF_ADVICE = "use_of_advice"
    """Advice from a discussion or a route weighed, and what was done with it said."""


class Finding(_Code):
    """Whether an element is evident in the record."""

    EVIDENT = "evident"
    PARTLY_EVIDENT = "partly_evident"
    NOT_EVIDENT = "not_evident"


ELEMENT_LABELS = {
    AssessedElement.CONCERN_ARTICULATED: "Concern put into words",
    AssessedElement.DISCRETION_CONSIDERED: "Discretion considered, inside and then outside the Rules",
    AssessedElement.DISCUSSION_SOUGHT: "Discussion sought",
    AssessedElement.ESCALATION_WHERE_UNRESOLVED: "Escalation where the concern stayed unresolved",
    AssessedElement.RATIONALE_EXPLAINS: "A rationale that explains the decision",
    AssessedElement.USE_OF_ADVICE: "Use made of advice",
}
"""Each element in words, in the model's order."""

FINDING_LABELS = {
    Finding.EVIDENT: "Evident",
    Finding.PARTLY_EVIDENT: "Partly evident",
    Finding.NOT_EVIDENT: "Not evident",
}
"""Each finding in words."""


def _element(value: str) -> AssessedElement:
    return AssessedElement(value)


def _finding(value: str) -> Finding:
    return Finding(value)


@attrs.frozen
class Assessment:
    """A line manager's finding on one element of one person's part in one closed review.

    One finding per review, person and element: recording it again replaces it
    (a manager may change their mind after the conversation).

    :param review_id: the closed review assessed.
    :param staff_id: whose use of the model is assessed (by default, who took the final decision).
    :param assessed_by: the line manager's staff id.
    :param business_area: the review's business area.
    :param note: what the manager noticed, for the conversation: free text, erased with the review's
        free text, never in a report.
    """

    review_id: str = attrs.field(validator=validate_identifier)
    staff_id: str = attrs.field(validator=validate_identifier)
    element: AssessedElement = attrs.field(converter=_element)
    finding: Finding = attrs.field(converter=_finding)
    assessed_by: str = attrs.field(validator=validate_identifier)
    assessed_at: dt.datetime = attrs.field(validator=validate_utc)
    business_area: str = attrs.field(validator=validate_identifier)
    note: str | None = attrs.field(
        default=None, validator=validate_optional_free_text, repr=False, metadata=FREE_TEXT_FIELD
    )


def sample_seed(staff_id: str, first_day: dt.date) -> int:
    """The seed that picks *staff_id*'s sample of records to assess for a period starting *first_day*.

    The same person and period always give the same sample, so a line manager can work through it over
    several sittings (``ethical-decisions assessments``), and a PDR report made with it talks about the
    records assessed.
    """
    return int(first_day.strftime("%Y%m%d")) * 1_000 + sum(map(ord, staff_id)) % 1_000


_ELEMENT_ORDER = {element: n for n, element in enumerate(AssessedElement)}


def assessment_order(assessment: Assessment) -> tuple[str, str, int]:
    """The order stores list assessments in: by review, person assessed, then element in the model's order."""
    return (assessment.review_id, assessment.staff_id, _ELEMENT_ORDER[assessment.element])


def assessor_problem(
    assessor: DecisionMaker,
    staff_id: str,
    business_area: str,
    *,
    roles: Collection[StaffRole],
    managed: Collection[str] | None,
) -> str | None:
    """Why *assessor* may not assess *staff_id*'s part in a review of *business_area*; ``None`` if they may.

    :param roles: the roles that assess (the deployment's handover roles: line managers and team leaders).
    :param managed: whom the assessor manages, where the deployment says; ``None`` where it does not.
    """
    if assessor.staff_id == staff_id:
        return f"{staff_id} cannot assess their own records; their line manager does"
    if assessor.role not in roles:
        return (
            f"a record is assessed by a line manager or team leader, and {assessor.staff_id} is a "
            f"{assessor.role.value.replace('_', ' ')}"
        )
    if assessor.business_area != business_area:
        return (
            f"the review belongs to business area {business_area}, and {assessor.staff_id} is in "
            f"{assessor.business_area}"
        )
    if managed is not None and staff_id not in managed:
        return f"{assessor.staff_id} does not manage {staff_id}"
    return None
