"""A line manager's assessment of a sampled record: who may record it, what it holds, where it never goes."""

from __future__ import annotations

import datetime as dt

import pytest
from structlog.testing import capture_logs

from ethical_decisions import (
    AdviceResponse,
    AssessedElement,
    Assessment,
    AssessmentError,
    DecisionMaker,
    EthicalDecisions,
    FinalDecision,
    Finding,
    MemoryStore,
    NotFoundError,
    RecordsOfficer,
    StaffRole,
    ValidationError,
    reports,
    testing,
)
from ethical_decisions.log import ALLOWED_FIELDS, LogEvent
from ethical_decisions.plugins import make_plugins
from ethical_decisions.policy import People

from . import scenarios
from .conftest import RoutesPlugin

CSG = "customer_services_group"
DM = testing.decision_maker("cw-1")
COLLEAGUE = testing.decision_maker("cw-2")
MANAGER = DecisionMaker("lm-1", StaffRole.LINE_MANAGER, CSG, "Settlement Casework")
NOTE = "MARKERNOTE she put the concern well but the rationale does not say why"
EL, FI = AssessedElement, Finding


@pytest.fixture(name="edm")
def _edm() -> EthicalDecisions:
    return testing.service(RoutesPlugin(testing.route("ccu_test", business_area=CSG)))


def _closed(edm: EthicalDecisions, by: DecisionMaker = DM) -> str:
    """A review *by* escalated, advised, responded to and closed: every element has something to show."""
    review = scenarios.escalated(edm, by)
    referral_id = review.referrals[0].referral_id
    team = testing.route_team_member("ccu_test")
    edm.acknowledge_referral(referral_id, by=team)
    edm.give_advice(referral_id, by=team, advice="Check our own records.")
    scenarios.respond(edm, referral_id, by, response=AdviceResponse.FOLLOWED_IN_PART)
    edm.finalise(review.review_id, by=by, decision=FinalDecision("grant", "Grant.", "Our records show it."))
    return review.review_id


def test_a_line_manager_records_a_finding_with_a_note(edm: EthicalDecisions) -> None:
    """The finding is kept as its own record (not an event of the review), with the note, for the decider."""
    rid = _closed(edm)
    events = len(edm.trail(rid))

    assessment = edm.assess(
        rid, by=MANAGER, element=EL.RATIONALE_EXPLAINS, finding=FI.PARTLY_EVIDENT, note=NOTE
    )

    assert (assessment.staff_id, assessment.assessed_by, assessment.business_area) == ("cw-1", "lm-1", CSG)
    assert [assessment] == edm.assessments(rid)
    assert events == len(edm.trail(rid))  # never an event of the review
    assert NOTE not in repr(assessment)


def test_assessing_an_element_again_replaces_the_finding(edm: EthicalDecisions) -> None:
    """One finding per review, person and element: the later one stands, others are kept."""
    rid = _closed(edm)
    edm.assess(rid, by=MANAGER, element=EL.USE_OF_ADVICE, finding=FI.NOT_EVIDENT)
    edm.assess(rid, by=MANAGER, element=EL.CONCERN_ARTICULATED, finding=FI.EVIDENT)

    edm.assess(rid, by=MANAGER, element=EL.USE_OF_ADVICE, finding=FI.EVIDENT, note="On a second reading.")

    found = [(a.element, a.finding) for a in edm.assessments(rid)]
    assert [(EL.CONCERN_ARTICULATED, FI.EVIDENT), (EL.USE_OF_ADVICE, FI.EVIDENT)] == found


def test_someone_who_took_another_part_is_assessed_when_named(edm: EthicalDecisions) -> None:
    """Whoever took the final decision is assessed by default; someone who took another part, when named."""
    review = scenarios.open_with_concern(edm, DM)
    edm.hand_over(review.review_id, by=DM, to=COLLEAGUE, reason="Leave.")
    scenarios.close_unresolved(edm, review.review_id, COLLEAGUE)

    default = edm.assess(review.review_id, by=MANAGER, element=EL.CONCERN_ARTICULATED, finding=FI.EVIDENT)
    named = edm.assess(
        review.review_id,
        by=MANAGER,
        element=EL.CONCERN_ARTICULATED,
        finding=FI.PARTLY_EVIDENT,
        staff_id="cw-1",
    )

    assert ("cw-2", "cw-1") == (default.staff_id, named.staff_id)


REFUSED = {
    "an open review": (MANAGER, None, True, "is still open"),
    "their own record": (
        DecisionMaker("cw-1", StaffRole.LINE_MANAGER, CSG, "T"),
        None,
        False,
        "cw-1 cannot assess their own records",
    ),
    "by a caseworker": (COLLEAGUE, None, False, "cw-2 is a caseworker"),
    "in another business area": (
        DecisionMaker("lm-9", StaffRole.LINE_MANAGER, "border_force", "Heathrow"),
        None,
        False,
        "lm-9 is in border_force",
    ),
    "of someone who took no part": (MANAGER, "cw-7", False, "cw-7 took no part in review"),
}
"""Who assesses, whose part (``None``: the decider), whether the review is open, and why it is refused."""


@pytest.mark.parametrize(("by", "staff_id", "still_open", "why"), REFUSED.values(), ids=REFUSED.keys())
def test_an_assessment_that_may_not_be_recorded_is_refused_and_changes_nothing(
    edm: EthicalDecisions, by: DecisionMaker, staff_id: str | None, still_open: bool, why: str
) -> None:
    """AssessmentError says why, never repeats the note, records nothing, and logs ids only."""
    rid = _closed(edm)
    open_rid = scenarios.open_with_concern(edm, DM).review_id

    with capture_logs() as logs, pytest.raises(AssessmentError) as refused:
        edm.assess(
            open_rid if still_open else rid,
            by=by,
            element=EL.USE_OF_ADVICE,
            finding=FI.EVIDENT,
            note=NOTE,
            staff_id=staff_id,
        )

    assert why in str(refused.value)
    assert "Nothing was recorded" in str(refused.value)
    assert [] == edm.assessments(rid) == edm.assessments(open_rid)
    assert NOTE not in str(refused.value) + repr(logs)
    assert [LogEvent.ASSESSMENT_REFUSED.value] == [e["event"] for e in logs if "assessment" in e["event"]]
    assert all(set(e) - {"event", "log_level"} <= ALLOWED_FIELDS for e in logs)


def test_only_the_managers_own_people_where_the_deployment_says_whom_they_manage() -> None:
    """With a people file naming whom lm-1 manages, lm-1 assesses cw-2's records and not cw-1's."""
    people = People(managers={"lm-1": ["cw-2"]})
    plugins = make_plugins(
        blocked=(), entry_points=False, extra=[RoutesPlugin(testing.route("ccu_test"))], people=people
    )
    edm = EthicalDecisions(MemoryStore(), plugins=plugins, clock=testing.FakeClock())
    mine, theirs = _closed(edm, COLLEAGUE), _closed(edm, DM)

    edm.assess(mine, by=MANAGER, element=EL.USE_OF_ADVICE, finding=FI.EVIDENT)
    with pytest.raises(AssessmentError, match="lm-1 does not manage cw-1"):
        edm.assess(theirs, by=MANAGER, element=EL.USE_OF_ADVICE, finding=FI.EVIDENT)


BAD_INPUT = {
    "element": ({"element": "MARKERELEMENT"}, "must be one of concern_articulated"),
    "finding": ({"finding": "MARKERFINDING"}, "must be one of evident, partly_evident, not_evident"),
    "staff id": ({"staff_id": "MARKER staff who is not an id"}, "staff_id: must be a staff id"),
    "blank note": ({"note": "   "}, "note: must not be empty"),
    "note too long": ({"note": "MARKER" * 4000}, "note: must be at most"),
}


@pytest.mark.parametrize(("changes", "why"), BAD_INPUT.values(), ids=BAD_INPUT.keys())
def test_malformed_input_is_refused_without_repeating_it(
    edm: EthicalDecisions, changes: dict[str, str], why: str
) -> None:
    """A wrong code, a staff id that is not one, a blank or long note: ValidationError, nothing kept."""
    rid = _closed(edm)
    kwargs: dict[str, object] = {"element": EL.USE_OF_ADVICE, "finding": FI.EVIDENT, **changes}

    with pytest.raises(ValidationError) as refused:
        edm.assess(rid, by=MANAGER, **kwargs)  # type: ignore[arg-type]

    assert why in str(refused.value)
    assert "MARKER" not in str(refused.value)
    assert [] == edm.assessments(rid)


def test_an_unknown_review_is_not_found(edm: EthicalDecisions) -> None:
    """Assessing a review the store does not have raises NotFoundError."""
    with pytest.raises(NotFoundError):
        edm.assess("rv-nope", by=MANAGER, element=EL.USE_OF_ADVICE, finding=FI.EVIDENT)


def test_erasing_a_reviews_free_text_erases_the_notes_and_no_more_are_taken(edm: EthicalDecisions) -> None:
    """The notes go with the review's words at the end of retention; findings stay; no more are taken."""
    rid = _closed(edm)
    edm.assess(rid, by=MANAGER, element=EL.RATIONALE_EXPLAINS, finding=FI.PARTLY_EVIDENT, note=NOTE)

    edm.erase_free_text(rid, by=RecordsOfficer("ro-1"))

    (kept,) = edm.assessments(rid)
    assert (kept.finding, kept.note) == (FI.PARTLY_EVIDENT, None)
    with pytest.raises(AssessmentError, match="free text has been erased"):
        edm.assess(rid, by=MANAGER, element=EL.USE_OF_ADVICE, finding=FI.EVIDENT)


def test_the_note_never_reaches_a_report_a_log_or_a_compliance_record(edm: EthicalDecisions) -> None:
    """The PDR and department reports show the finding in every format, never the note; logs hold codes."""
    rid = _closed(edm)
    with capture_logs() as logs:
        edm.assess(rid, by=MANAGER, element=EL.RATIONALE_EXPLAINS, finding=FI.PARTLY_EVIDENT, note=NOTE)
    period = reports.Period.from_dates(dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    made = dt.datetime(2027, 1, 2, tzinfo=dt.UTC)
    pdr = reports.pdr_report(edm.store, "cw-1", period, made_at=made)
    department = reports.department_report(edm.store, period, as_of=made, threshold=3)

    pages = [reports.render(r, fmt) for r in (pdr, department) for fmt in reports.FORMATS]
    assert all("MARKER" not in page for page in pages)
    assert "Partly evident" in reports.render(pdr, "text")
    assert "MARKER" not in repr(logs) + repr(list(edm.store.compliance_records()))
    (recorded,) = [e for e in logs if e["event"] == LogEvent.ASSESSMENT_RECORDED.value]
    assert (recorded["element"], recorded["finding"]) == ("rationale_explains", "partly_evident")


def test_an_assessment_is_a_value_with_checked_fields() -> None:
    """Made by hand, an Assessment converts its codes and refuses a time without a timezone."""
    made = Assessment(
        "rv-1", "cw-1", "use_of_advice", "evident", "lm-1", dt.datetime(2026, 1, 1, tzinfo=dt.UTC), CSG
    )  # type: ignore[arg-type]
    assert (made.element, made.finding, made.note) == (EL.USE_OF_ADVICE, FI.EVIDENT, None)
    with pytest.raises(ValidationError, match="assessed_at"):
        Assessment("rv-1", "cw-1", EL.USE_OF_ADVICE, FI.EVIDENT, "lm-1", dt.datetime(2026, 1, 1), CSG)
