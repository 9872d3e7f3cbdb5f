"""Value types refuse bad values at construction, with messages that never echo the value."""

from __future__ import annotations

import copy
import datetime as dt
import json
import pickle
from collections.abc import Mapping
from typing import Any

import pytest

from ethical_decisions import (
    AdviceResponse,
    CaseReference,
    Concern,
    ConcernCategory,
    DecisionMaker,
    EscalationRequirements,
    EthicalDecisions,
    FinalDecision,
    MemoryStore,
    ProposedDecision,
    RoutePolicy,
    RouteTeamMember,
    StaffRole,
    ValidationError,
    testing,
)
from ethical_decisions._fields import MAX_TEXT_LENGTH, FrozenDict
from ethical_decisions.events import Event, ReflectionRecorded

from .conftest import RoutesPlugin

SECRET = "MARKER-SECRET"


@pytest.mark.parametrize(
    ("build", "problem"),
    [
        (
            lambda: DecisionMaker(SECRET + " x", StaffRole.CASEWORKER, "border_force", "T"),
            "staff_id: must be an id",
        ),
        (
            lambda: DecisionMaker("dm-1", StaffRole.CASEWORKER, SECRET, "T"),
            "business_area: must be a lower-case code",
        ),
        (
            lambda: DecisionMaker("dm-1", StaffRole.CASEWORKER, "border_force", SECRET + "\n"),
            "team: must be a single line",
        ),
        (lambda: Concern(ConcernCategory.OTHER, " \t"), "statement: must not be empty or only whitespace"),
        (
            lambda: Concern(ConcernCategory.OTHER, SECRET * 5000),
            f"statement: must be at most {MAX_TEXT_LENGTH}",
        ),
        (
            lambda: CaseReference("ref", {"Full Name": SECRET}),
            "personal_details: keys must be lower-case names",
        ),
        (lambda: CaseReference("ref", {"full_name": " "}), "personal_details: every value must be non-blank"),
        (lambda: ProposedDecision(SECRET, "Refuse."), "outcome: must be a lower-case code"),
        (
            lambda: RoutePolicy("r", "1", "border_force", response_target_days=0),
            "response_target_days: must be a whole",
        ),
        (lambda: ReflectionRecorded(note=""), "note: must not be empty"),
    ],
)
def test_bad_values_are_refused_without_echoing_them(build: Any, problem: str) -> None:
    """Each bad value raises the library's ValidationError naming the field and the rule."""
    with pytest.raises(ValidationError) as caught:
        build()
    assert caught.value.problems[0].startswith(problem)
    assert SECRET not in str(caught.value)


def test_enum_fields_accept_their_string_values() -> None:
    """Enum-typed fields turn their string values into the enum."""
    maker = DecisionMaker("dm-1", "frontline_officer", "immigration_enforcement", "T")  # type: ignore[arg-type]
    assert maker.role is StaffRole.FRONTLINE_OFFICER


def test_event_times_must_be_utc(dm: DecisionMaker) -> None:
    """Events without a timezone, or in another one, are refused: the trail is in UTC."""
    payload = ReflectionRecorded()
    for when in (
        dt.datetime(2026, 1, 5, 9, 0),
        dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=1))),
    ):
        with pytest.raises(ValidationError, match="occurred_at: must be a timezone-aware time in UTC"):
            Event(review_id="rv-1", sequence=1, occurred_at=when, actor=dm, payload=payload)


def test_a_clock_without_a_timezone_is_refused(
    dm: DecisionMaker, case: CaseReference, proposed: ProposedDecision
) -> None:
    """A misconfigured clock is caught before anything is recorded."""
    edm = EthicalDecisions(
        MemoryStore(), plugins=testing.plugins(), clock=lambda: dt.datetime(2026, 1, 5, 9, 0)
    )
    with pytest.raises(ValidationError, match="the clock returned a time without a timezone"):
        edm.open_review(by=dm, case=case, proposed=proposed)
    assert list(edm.store.chain()) == []


def test_free_text_stays_out_of_repr(case: CaseReference) -> None:
    """Free text and applicant details never show in repr(), so not in logs or tracebacks either."""
    assert "A. Applicant" not in repr(case)
    assert "CSG-2026" not in repr(case)
    assert (
        repr(Concern(ConcernCategory.OTHER, SECRET)) == "Concern(category=<ConcernCategory.OTHER: 'other'>)"
    )


def _mappings(dm: DecisionMaker) -> dict[str, Mapping[Any, Any]]:
    """Every mapping inside a closed, escalated review and its compliance record, by where it is."""
    lenient = EscalationRequirements(discretion_considered=False, discussion_held=False)
    policy = RoutePolicy(
        route_id="ccu_test",
        version="1.0",
        business_area=dm.business_area,
        requirements_by_role={dm.role: lenient},
    )
    route = testing.route("ccu_test", business_area=dm.business_area, policy=policy)
    edm = testing.service(RoutesPlugin(route))
    review = edm.open_review(
        by=dm,
        case=CaseReference("CASE-1", {"full_name": "A. Applicant"}),
        proposed=ProposedDecision("refuse", "No"),
    )
    rid = review.review_id
    edm.record_reflection(rid, by=dm, concerns=[Concern(ConcernCategory.OTHER, "Unsure.")])
    review = edm.escalate(rid, by=dm, concern_ids=["C1"], question="May we?")
    referral_id = review.referrals[-1].referral_id
    team = RouteTeamMember("rt-1", route.route_id)
    edm.acknowledge_referral(referral_id, by=team)
    edm.give_advice(referral_id, by=team, advice="Yes.")
    edm.respond_to_advice(
        referral_id, by=dm, concern_id="C1", response=AdviceResponse.FOLLOWED, reason="Agreed.", resolved=True
    )
    review = edm.finalise(rid, by=dm, decision=FinalDecision("grant", "Grant", "Advised."))
    (record,) = edm.store.compliance_records()
    return {
        "personal_details": review.case.personal_details,
        "routes": review.routes,
        "requirements_by_role": review.routes[route.route_id].requirements_by_role,
        "extensions": record.extensions,
    }


def test_the_mappings_in_records_cannot_be_changed(dm: DecisionMaker) -> None:
    """Applicant details, route rules, their requirements and compliance extensions refuse any change.

    So the library can give its records to plugins without copying them.
    """
    for where, mapping in _mappings(dm).items():
        assert isinstance(mapping, FrozenDict), where
        for change in (
            lambda m: m.__setitem__("x", 1),
            lambda m: m.__delitem__(next(iter(m), "x")),
            lambda m: m.clear(),
            lambda m: m.update(x=1),
            lambda m: m.pop("x", None),
            lambda m: m.popitem(),
            lambda m: m.setdefault("x", 1),
            lambda m: m.__ior__({"x": 1}),
        ):
            before = dict(mapping)
            with pytest.raises(TypeError, match="cannot be changed"):
                change(mapping)
            assert dict(mapping) == before, where


def test_a_frozen_mapping_reads_copies_and_pickles_as_a_dict() -> None:
    """It equals its dict, encodes as JSON, and copies or pickles to an equal frozen mapping."""
    mapping = FrozenDict({"full_name": "A. Applicant", "nationality": "Jamaican"})
    assert mapping == {"full_name": "A. Applicant", "nationality": "Jamaican"}
    assert json.loads(json.dumps(mapping)) == mapping
    assert copy.copy(mapping) is mapping
    for copied in (copy.deepcopy(mapping), pickle.loads(pickle.dumps(mapping))):
        assert copied == mapping
        assert type(copied) is FrozenDict
    changeable = mapping.copy()
    changeable["x"] = "y"
    assert type(changeable) is dict
    assert "x" not in mapping
