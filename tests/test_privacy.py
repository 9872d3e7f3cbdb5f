"""No applicant data or free text reaches a log, an error message, a repr or a compliance record."""

from __future__ import annotations

import datetime as dt
import itertools
import traceback
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import structlog
from structlog.testing import capture_logs

from ethical_decisions import (
    AdviceResponse,
    AssessedElement,
    CaseReference,
    Concern,
    ConcernCategory,
    ConsultedRole,
    DecisionMaker,
    DiscretionResult,
    DiscretionScope,
    DiscussionResult,
    EthicalDecisions,
    EthicalDecisionsError,
    FinalDecision,
    Finding,
    LaterOutcomeKind,
    LaterOutcomeResult,
    ProposedDecision,
    RecordsOfficer,
    StaffRole,
    UnresolvedAcknowledgement,
    reports,
    testing,
)
from ethical_decisions.log import redact_personal_data
from ethical_decisions.model import PolicyTeamMember
from ethical_decisions.serialization import parse, unparse

from .conftest import RoutesPlugin

PERIOD = reports.Period.from_dates(dt.date(2020, 1, 1), dt.date(2030, 12, 31))
NOW = dt.datetime(2031, 1, 1, tzinfo=dt.UTC)


class Markers:
    """Hands out a fresh marker string for every free-text field, and remembers them all."""

    def __init__(self) -> None:
        self._counter = itertools.count(1)
        self.issued: list[str] = []

    def __call__(self, field: str) -> str:
        """A new marker naming *field*."""
        marker = f"MARKER{next(self._counter):03d}X{field.upper()}"
        self.issued.append(marker)
        return marker

    def found_in(self, text: str) -> list[str]:
        """The markers that occur in *text*."""
        return [m for m in self.issued if m in text]


@pytest.fixture(name="markers")
def _markers() -> Markers:
    return Markers()


def _errors(attempts: list[Callable[[], object]]) -> Iterator[BaseException]:
    for attempt in attempts:
        try:
            attempt()
        except EthicalDecisionsError as exc:
            yield exc
        else:  # pragma: no cover - each attempt is built to fail
            pytest.fail("expected the attempt to be refused")


def _walk(edm: EthicalDecisions, m: Markers, dm: DecisionMaker) -> tuple[str, list[BaseException]]:
    """A whole review through every step, with refused steps along the way; returns the errors."""
    team = testing.route_team_member("ccu_test")
    review = edm.open_review(
        by=dm,
        case=CaseReference(m("reference"), {"full_name": m("name"), "date_of_birth": m("dob")}),
        proposed=ProposedDecision("refuse", m("proposed")),
    )
    rid = review.review_id
    errors: list[BaseException] = list(
        _errors(
            [lambda: edm.finalise(rid, by=dm, decision=FinalDecision("grant", m("summary"), m("rationale")))]
        )
    )
    edm.record_reflection(
        rid,
        by=dm,
        concerns=[
            Concern(ConcernCategory.ERROR_IN_RECORDS, m("statement")),
            Concern(ConcernCategory.OTHER, m("s2")),
        ],
        note=m("note"),
    )
    edm.raise_concern(rid, by=dm, category=ConcernCategory.VULNERABILITY, statement=m("statement"))
    errors += _errors(
        [
            lambda: edm.consider_discretion(
                rid,
                by=dm,
                concern_id="C1",
                scope=DiscretionScope.OUTSIDE_RULES,
                guidance=m("guidance"),
                reason=m("reason"),
                result=DiscretionResult.RESOLVED,
            ),
            lambda: edm.escalate(rid, by=dm, concern_ids=["C1"], question=m("question")),
            lambda: edm.record_reflection(
                rid, by=dm, concerns=[Concern(ConcernCategory.OTHER, m("statement"))]
            ),
        ]
    )
    edm.consider_discretion(
        rid,
        by=dm,
        concern_id="C1",
        scope=DiscretionScope.INSIDE_RULES,
        guidance=m("guidance"),
        reason=m("reason"),
        result=DiscretionResult.NOT_RESOLVED,
    )
    edm.consider_discretion(
        rid,
        by=dm,
        concern_id="C1",
        scope=DiscretionScope.OUTSIDE_RULES,
        guidance=m("guidance"),
        reason=m("reason"),
        result=DiscretionResult.BEYOND_AUTHORITY,
    )
    edm.record_discussion(
        rid,
        by=dm,
        concern_id="C1",
        consulted_role=ConsultedRole.LINE_MANAGER,
        consulted=m("consulted"),
        advice=m("advice"),
        result=DiscussionResult.NOT_RESOLVED,
    )
    edm.record_discussion(
        rid,
        by=dm,
        concern_id="C3",
        consulted_role=ConsultedRole.COLLEAGUE,
        consulted=m("consulted"),
        advice=m("advice"),
        result=DiscussionResult.RESOLVED,
    )
    review = edm.escalate(rid, by=dm, concern_ids=["C1"], question=m("question"))
    referral_id = review.referrals[0].referral_id
    errors += _errors(
        [
            lambda: edm.give_advice(referral_id, by=team, advice=m("advice")),
            lambda: edm.acknowledge_referral(referral_id, by=testing.route_team_member("svm")),
            lambda: edm.finalise(rid, by=dm, decision=FinalDecision("grant", m("summary"), m("rationale"))),
        ]
    )
    edm.acknowledge_referral(referral_id, by=team)
    edm.return_referral(referral_id, by=team, question=m("question"))
    edm.provide_information(referral_id, by=dm, response=m("response"))
    edm.give_advice(referral_id, by=team, advice=m("advice"))
    errors += list(_register(edm, m, dm, rid, referral_id))

    def respond(concern_id: str, response: AdviceResponse = AdviceResponse.FOLLOWED) -> object:
        return edm.respond_to_advice(
            referral_id, by=dm, concern_id=concern_id, response=response, reason=m("reason"), resolved=True
        )

    errors += _errors(
        [
            lambda: edm.finalise(rid, by=dm, decision=FinalDecision("grant", m("summary"), m("rationale"))),
            lambda: edm.record_reflection(rid, by=dm, expected_version=1),
            lambda: respond("C2"),  # the referral did not ask about it
            lambda: respond(m("concern")),  # not a concern id at all
        ]
    )
    respond("C1", AdviceResponse.NOT_FOLLOWED)
    errors += _errors([lambda: respond("C1")])  # a second response to the same advice
    edm.finalise(
        rid,
        by=dm,
        decision=FinalDecision("grant", m("summary"), m("rationale")),
        unresolved=UnresolvedAcknowledgement(("C2",), m("rationale")),
    )
    edm.record_later_outcome(
        rid,
        by=RecordsOfficer("ro-1"),
        challenge=LaterOutcomeKind.APPEAL,
        result=LaterOutcomeResult.UPHELD,
        decided_on=edm.review(rid).closed_at.date(),  # type: ignore[union-attr]
    )
    manager = DecisionMaker("lm-1", StaffRole.LINE_MANAGER, dm.business_area, "Line management")
    edm.assess(
        rid, by=manager, element=AssessedElement.RATIONALE_EXPLAINS, finding=Finding.EVIDENT, note=m("note")
    )
    errors += _errors(
        [
            lambda: edm.assess(
                rid, by=dm, element=AssessedElement.USE_OF_ADVICE, finding=Finding.EVIDENT, note=m("note")
            ),
            lambda: edm.assess(
                rid,
                by=manager,
                element=m("element"),
                finding=Finding.EVIDENT,
                note=m("note"),  # type: ignore[arg-type]
            ),
            lambda: edm.assess(
                rid,
                by=manager,
                element=AssessedElement.USE_OF_ADVICE,
                finding=Finding.EVIDENT,
                staff_id=m("staff") + " x",
            ),
            lambda: edm.assess(
                rid,
                by=manager,
                element=AssessedElement.USE_OF_ADVICE,
                finding=Finding.EVIDENT,
                note=m("long") * 3000,
            ),
        ]
    )
    return rid, errors


def _register(
    edm: EthicalDecisions, m: Markers, dm: DecisionMaker, rid: str, referral_id: str
) -> Iterator[BaseException]:
    """The learning loop with markers in every free-text field: an issue, its updates, guidance feedback."""
    team = testing.route_team_member("ccu_test")
    policy = PolicyTeamMember("pol-1", "settlement_policy")
    due = dt.date(2026, 3, 1)
    issue = edm.open_systemic_issue(
        referral_id,
        by=team,
        title=m("title"),
        description=m("description"),
        rule="Appendix Settlement 4.2",
        owner="settlement_policy",
        due_on=due,
    )
    iid = issue.issue_id
    yield from _errors(
        [
            lambda: edm.link_systemic_issue(iid, m("referral"), by=team),
            lambda: edm.link_systemic_issue(m("issue"), referral_id, by=team),
            lambda: edm.update_systemic_issue(iid, by=policy, status="declined"),
            lambda: edm.update_systemic_issue(iid, by=policy, status=m("status"), reason=m("reason")),
            lambda: edm.update_systemic_issue(iid, by=policy, status="change_made", reason=m("reason")),
            lambda: edm.update_systemic_issue(
                iid, by=PolicyTeamMember("pol-2", "other_policy"), status="accepted", reason=m("reason")
            ),
            lambda: edm.send_guidance_feedback(rid, by=dm, kind=m("kind"), text=m("guidance_feedback")),
        ]
    )
    edm.update_systemic_issue(iid, by=policy, status="declined", reason=m("reason"))
    edm.send_guidance_feedback(rid, by=dm, kind="question", text=m("guidance_feedback"))


def _bad_input(m: Markers) -> Iterator[BaseException]:
    """Outside input carrying markers in values and field names, refused by validation."""
    samples: list[tuple[type, Any]] = [
        (Concern, {"category": m("category"), "statement": m("statement")}),
        (Concern, {"category": "other", "statement": 12, m("field"): m("value")}),
        (Concern, {"category": "other", "statement": m("long") * 3000}),
        (
            DecisionMaker,
            {"staff_id": m("staff"), "role": "caseworker", "business_area": m("area"), "team": "T"},
        ),
        (FinalDecision, [m("list")]),
    ]
    for cls, data in samples:
        with pytest.raises(EthicalDecisionsError) as caught:
            parse(cls, data)
        yield caught.value


def test_markers_in_every_free_text_field_never_leak(markers: Markers, route: Any) -> None:
    """A whole review, its assessment, refused steps and bad input leak no free text anywhere people look.

    Not in a log, an error or its traceback, a compliance record, a queue, a repr, or any report in any
    format: assessment notes and reasons for responses to advice included.
    """
    edm = testing.service(RoutesPlugin(route))
    dm = testing.decision_maker()
    with capture_logs() as logs:
        review_id, errors = _walk(edm, markers, dm)
        errors += list(_bad_input(markers))
    assert len(errors) >= 19
    edm.record_speak_up(review_id, by=dm, again="yes", detriment="no")
    review = edm.review(review_id)
    # The markers really are in the review: the check below could fail.
    assert markers.found_in(unparse(edm.trail(review_id)).__repr__())
    seen = {
        "logs": repr(logs),
        "errors": "\n".join(str(e) + repr(e.args) for e in errors),
        "tracebacks": "\n".join("".join(traceback.format_exception(e)) for e in errors),
        "compliance": repr([unparse(r) for r in edm.store.compliance_records()]),
        "referral queue": repr(edm.store.referrals()),
        "outbox": repr(edm.store.outbox()),
        "review repr": repr(review) + repr(review.concerns) + repr(review.referrals),
        "event repr": repr(edm.trail(review_id)),
        "assessment repr": repr(edm.assessments(review_id)),
        "register": repr(edm.systemic_issues())
        + "".join(repr(edm.systemic_issue(i.issue_id)) for i in edm.systemic_issues()),
        "feedback": repr(edm.feedback(dm.staff_id)),
        "learning tables": repr(edm.store.speak_up_answers()) + repr(edm.store.guidance_feedback()),
        "reports": "\n".join(
            reports.render(report, fmt)
            for report in (
                reports.pdr_report(edm.store, dm.staff_id, PERIOD, made_at=NOW),
                reports.department_report(edm.store, PERIOD, as_of=NOW, threshold=3),
            )
            for fmt in reports.FORMATS
        ),
    }
    leaks = {where: markers.found_in(text) for where, text in seen.items() if markers.found_in(text)}
    assert leaks == {}


def test_redaction_processor_scrubs_an_applications_log(dm: DecisionMaker) -> None:
    """Applications that log the library's objects or free-text keys get them redacted."""
    concern = Concern(ConcernCategory.VULNERABILITY, "MARKERSTATEMENT")
    case = CaseReference("MARKERREF", {"full_name": "MARKERNAME"})
    event_dict = {
        "event": "casework.saved",
        "concern": concern,
        "case": case,
        "statement": "MARKERRAW",
        "nested": {"advice": "MARKERADVICE", "count": 3},
        "items": [concern],
        "staff": dm,
    }
    redacted = redact_personal_data(None, "info", dict(event_dict))
    assert "MARKER" not in repr(redacted)
    assert redacted["concern"] == {"type": "Concern", "category": ConcernCategory.VULNERABILITY}
    assert redacted["nested"] == {"advice": "[redacted]", "count": 3}
    assert redacted["staff"]["staff_id"] == dm.staff_id


def test_redaction_processor_works_in_a_structlog_chain() -> None:
    """Added to an application's structlog configuration, the processor runs before rendering."""
    output: list[str] = []
    structlog.configure(
        processors=[redact_personal_data, structlog.processors.JSONRenderer()],
        logger_factory=lambda *args: structlog.PrintLogger(file=_Sink(output)),
    )
    try:
        structlog.get_logger().info("casework.saved", rationale="MARKERRATIONALE", review_id="rv-1")
    finally:
        structlog.reset_defaults()
    assert "".join(output) == '{"rationale": "[redacted]", "review_id": "rv-1", "event": "casework.saved"}\n'


class _Sink:
    def __init__(self, lines: list[str]) -> None:
        self.lines = lines

    def write(self, text: str) -> None:
        self.lines.append(text)

    def flush(self) -> None:
        """Nothing buffered."""


def test_case_references_never_leak_from_later_outcomes_or_retention(markers: Markers, tmp_path: Any) -> None:
    """Later outcomes by case reference, a CSV import and a retention sweep leak no reference or free text.

    Not in a log, an error, an import's or a sweep's report, a compliance record, a department report in
    any format, or the case index (which holds keyed digests only).
    """
    from ethical_decisions.exceptions import CaseNotFoundError
    from ethical_decisions.outcomes import import_outcomes
    from ethical_decisions.retention import parse_period, sweep

    edm = testing.service(case_index_key="privacy-test-key-0123456789")
    dm = testing.decision_maker()
    officer = RecordsOfficer("ro-0001")
    reference = markers("reference")
    review = edm.open_review(
        by=dm,
        case=CaseReference(reference, {"full_name": markers("name")}),
        proposed=ProposedDecision("refuse", markers("proposed")),
    )
    edm.record_reflection(review.review_id, by=dm, note=markers("note"))
    edm.finalise(
        review.review_id, by=dm, decision=FinalDecision("refuse", markers("summary"), markers("rationale"))
    )
    day = NOW.date().replace(year=2026, month=1, day=5)
    good = tmp_path / "good.csv"
    good.write_text(
        "case_reference,kind,result,decided_on\n"
        f"{reference},mp_letter,pending,{day}\n{markers('unknown')},complaint,upheld,{day}\n"
    )
    bad = tmp_path / "bad.csv"
    bad.write_text(
        f"case_reference,kind,result,decided_on\n{reference},{markers('kind')},upheld,{markers('date')}\n"
    )
    with capture_logs() as logs:
        dry = import_outcomes(edm, good, by=officer, dry_run=True)
        done = import_outcomes(edm, good, by=officer)
        edm.record_later_outcome_by_case(
            reference,
            by=officer,
            challenge=LaterOutcomeKind.MP_LETTER,
            result=LaterOutcomeResult.UPHELD,
            decided_on=day,
        )
        errors = list(
            _errors(
                [
                    lambda: import_outcomes(edm, bad, by=officer),
                    lambda: edm.case_review(markers("missing")),
                    lambda: parse_period(markers("period")),
                ]
            )
        )
        held = sweep(edm, by=officer, period=parse_period("P1Y"), now=NOW, dry_run=True)
        swept = sweep(edm, by=officer, period=parse_period("P1Y"), now=NOW)
    assert done.recorded == 1
    assert swept.erased == 1
    assert any(isinstance(e, CaseNotFoundError) for e in errors)
    index = edm.store.find_cases([markers("x")])  # the store answers only to a digest
    seen = {
        "logs": repr(logs),
        "errors": "\n".join(str(e) + repr(e.args) for e in errors),
        "tracebacks": "\n".join("".join(traceback.format_exception(e)) for e in errors),
        "reports of the import and sweep": repr([dry, done, held, swept]) + dry.summary() + swept.summary(),
        "compliance": repr([unparse(r) for r in edm.store.compliance_records()]),
        "case index": repr(index) + repr(getattr(edm.store, "_case_index", {})),
        "reports": "\n".join(
            reports.render(reports.department_report(edm.store, PERIOD, as_of=NOW, threshold=3), fmt)
            for fmt in reports.FORMATS
        ),
    }
    leaks = {where: markers.found_in(text) for where, text in seen.items() if markers.found_in(text)}
    assert leaks == {}
