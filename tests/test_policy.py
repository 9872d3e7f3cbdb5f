"""The default permission policy, as a pure function, and the deployment's file about people."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from ethical_decisions import (
    CaseReference,
    Concern,
    ConcernCategory,
    DecisionMaker,
    ProposedDecision,
    RecordsOfficer,
    RouteTeamMember,
    StaffRole,
    Step,
    ValidationError,
    testing,
)
from ethical_decisions.events import (
    DiscretionConsidered,
    DiscussionHeld,
    Event,
    Payload,
    ReferralAssigned,
    ReferralSubmitted,
    ReflectionRecorded,
    ReviewHandedOver,
    ReviewOpened,
)
from ethical_decisions.model import ConsultedRole, DiscretionResult, DiscretionScope, DiscussionResult
from ethical_decisions.policy import (
    People,
    Permission,
    PermissionRequest,
    default_policy,
    load_people,
    people_from_environment,
)
from ethical_decisions.review import Referral, Review, replay

CSG = "customer_services_group"
OWNER = testing.decision_maker("cw-a")
COLLEAGUE = testing.decision_maker("cw-b")
MANAGER = testing.decision_maker("lm-1", role=StaffRole.LINE_MANAGER)
ELSEWHERE = testing.decision_maker("lm-9", role=StaffRole.LINE_MANAGER, business_area="border_force")
ROUTE = testing.route("ccu", business_area=CSG)
MEMBER = RouteTeamMember("ccu-1", "ccu")
OTHER_MEMBER = RouteTeamMember("ccu-2", "ccu")
OFFICER = RecordsOfficer("ro-1")
START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def _trail(*steps: tuple[object, Payload]) -> list[Event]:
    opened = ReviewOpened(CaseReference("CASE-1"), ProposedDecision("refuse", "Refuse."))
    events = [Event("rv-1", 1, START, OWNER, opened)]
    for sequence, (actor, payload) in enumerate(steps, start=2):
        events.append(
            Event("rv-1", sequence, START + dt.timedelta(minutes=sequence), actor, payload)  # type: ignore[arg-type]
        )
    return events


def _escalated(*more: tuple[object, Payload]) -> tuple[Review, Referral]:
    review = replay(
        _trail(
            (OWNER, ReflectionRecorded((Concern(ConcernCategory.UNFAIR_OUTCOME, "Unfair."),))),
            (
                OWNER,
                DiscretionConsidered(
                    "C1",
                    DiscretionScope.INSIDE_RULES,
                    "Guidance.",
                    "None fits.",
                    DiscretionResult.NOT_RESOLVED,
                ),
            ),
            (
                OWNER,
                DiscussionHeld(
                    "C1", ConsultedRole.LINE_MANAGER, "lm-1", "Escalate it.", DiscussionResult.NOT_RESOLVED
                ),
            ),
            (OWNER, ReferralSubmitted(ROUTE.policy, ("C1",), "What can we do?")),
            *more,
        )
    )
    (referral,) = review.referrals
    return review, referral


def _ask(actor: object, step: Step, review: Review | None, **kwargs: object) -> Permission:
    return default_policy(PermissionRequest(actor, step, review, **kwargs))  # type: ignore[arg-type]


@pytest.fixture(name="opened")
def _opened() -> Review:
    return replay(_trail())


def test_only_the_owner_takes_the_decision_makers_steps(opened: Review) -> None:
    """The owner may reflect; a colleague in the same team may not, and is told whom to ask."""
    assert _ask(OWNER, Step.RECORD_REFLECTION, opened).allowed
    refused = _ask(COLLEAGUE, Step.RECORD_REFLECTION, opened)
    assert not refused.allowed
    assert "held by cw-a" in refused.reason
    assert "handed over to you" in refused.would_allow


def test_after_a_handover_the_new_owner_acts_and_the_old_one_cannot() -> None:
    """A handover moves the decision-maker's steps to the new owner."""
    review = replay(_trail((OWNER, ReviewHandedOver("cw-a", COLLEAGUE, "Leave."))))
    assert review.owner == COLLEAGUE
    assert _ask(COLLEAGUE, Step.FINALISE, review).allowed
    assert not _ask(OWNER, Step.FINALISE, review).allowed


def test_the_owner_or_a_manager_in_the_area_hands_over(opened: Review) -> None:
    """The owner and a line manager of the business area may hand over; a colleague or outsider may not."""
    assert _ask(OWNER, Step.HAND_OVER, opened, target=COLLEAGUE).allowed
    assert _ask(MANAGER, Step.HAND_OVER, opened, target=COLLEAGUE).allowed
    assert not _ask(COLLEAGUE, Step.HAND_OVER, opened, target=COLLEAGUE).allowed
    refused = _ask(ELSEWHERE, Step.HAND_OVER, opened, target=COLLEAGUE)
    assert "business area customer_services_group" in refused.reason


def test_when_managers_are_named_only_the_owners_manager_hands_over(opened: Review) -> None:
    """With the file saying whom each manager manages, another manager cannot hand the review over."""
    people = People(managers={"lm-1": ["cw-x"], "lm-2": ["cw-a"]})
    request = PermissionRequest(MANAGER, Step.HAND_OVER, opened, target=COLLEAGUE)
    refused = default_policy(request, people)
    assert "does not manage" in refused.reason
    lm2 = testing.decision_maker("lm-2", role=StaffRole.LINE_MANAGER)
    assert default_policy(PermissionRequest(lm2, Step.HAND_OVER, opened, target=COLLEAGUE), people).allowed


def test_a_register_of_staff_refuses_unknown_people(opened: Review) -> None:
    """With a register, an unknown decision-maker can neither open a review nor be handed one."""
    people = People(staff={"cw-a": OWNER})
    assert default_policy(PermissionRequest(OWNER, Step.OPEN_REVIEW, None), people).allowed
    refused = default_policy(PermissionRequest(COLLEAGUE, Step.OPEN_REVIEW, None), people)
    assert "not in the deployment's register" in refused.reason
    handover = PermissionRequest(OWNER, Step.HAND_OVER, opened, target=COLLEAGUE)
    assert not default_policy(handover, people).allowed


def test_a_route_team_acts_only_on_its_routes_referrals() -> None:
    """A member of another route's team may not acknowledge; the route's own member may."""
    review, referral = _escalated()
    assert _ask(MEMBER, Step.ACKNOWLEDGE_REFERRAL, review, referral=referral).allowed
    stranger = RouteTeamMember("svm-1", "svm")
    refused = _ask(stranger, Step.ACKNOWLEDGE_REFERRAL, review, referral=referral)
    assert "made to route ccu" in refused.reason


def test_nobody_answers_their_own_referral_or_a_referral_on_their_own_review() -> None:
    """The referrer, or the review's owner, acting as a route team member is refused."""
    review, referral = _escalated()
    as_referrer = RouteTeamMember("cw-a", "ccu")
    refused = _ask(as_referrer, Step.GIVE_ADVICE, review, referral=referral)
    assert "nobody answers their own referral" in refused.reason
    handed, referral = _escalated((OWNER, ReviewHandedOver("cw-a", COLLEAGUE, "Leave.")))
    as_owner = RouteTeamMember("cw-b", "ccu")
    refused = _ask(as_owner, Step.ACKNOWLEDGE_REFERRAL, handed, referral=referral)
    assert "on their own review" in refused.reason


def test_a_listed_team_takes_steps_only_from_its_members() -> None:
    """With the route's team listed, someone not on it may not act, nor be assigned the referral."""
    review, referral = _escalated()
    people = People(route_teams={"ccu": ["ccu-1"]})
    ask = PermissionRequest(OTHER_MEMBER, Step.ACKNOWLEDGE_REFERRAL, review, referral=referral)
    assert "not on route ccu's team" in default_policy(ask, people).reason
    assign = PermissionRequest(MEMBER, Step.ASSIGN_REFERRAL, review, referral=referral, target=OTHER_MEMBER)
    assert "ccu-2 is not on route ccu's team" in default_policy(assign, people).reason


def test_an_assigned_referral_is_worked_by_its_assignee() -> None:
    """Once assigned, a colleague may not advise on it, but may reassign it to themselves."""
    review, referral = _escalated((MEMBER, ReferralAssigned("rv-1-R5", MEMBER)))
    assert referral.assignee == MEMBER
    refused = _ask(OTHER_MEMBER, Step.GIVE_ADVICE, review, referral=referral)
    assert "assigned to ccu-1" in refused.reason
    assert _ask(MEMBER, Step.GIVE_ADVICE, review, referral=referral).allowed
    assert _ask(OTHER_MEMBER, Step.ASSIGN_REFERRAL, review, referral=referral, target=OTHER_MEMBER).allowed


def test_only_a_records_officer_erases(opened: Review) -> None:
    """Erasure is a records officer's; a later outcome is also the owner's to record."""
    assert _ask(OFFICER, Step.ERASE_FREE_TEXT, opened).allowed
    assert not _ask(OWNER, Step.ERASE_FREE_TEXT, opened).allowed
    assert _ask(OWNER, Step.RECORD_LATER_OUTCOME, opened).allowed
    assert not _ask(COLLEAGUE, Step.RECORD_LATER_OUTCOME, opened).allowed
    listed = People(records_officers=frozenset({"ro-2"}))
    assert not default_policy(PermissionRequest(OFFICER, Step.ERASE_FREE_TEXT, opened), listed).allowed


def test_a_people_file_is_read(tmp_path: Path) -> None:
    """The TOML file names route teams, managers, handover roles, records officers and staff."""
    path = tmp_path / "people.toml"
    path.write_text(
        'handover_roles = ["team_leader"]\n'
        'records_officers = ["ro-1"]\n'
        '[route_teams]\nccu = ["ccu-1", "ccu-2"]\n'
        '[managers]\nlm-1 = ["cw-a"]\n'
        '[staff.cw-a]\nrole = "caseworker"\nbusiness_area = "customer_services_group"\n'
        'team = "Settlement Casework"\n'
    )
    people = load_people(path)
    assert people.route_teams == {"ccu": frozenset({"ccu-1", "ccu-2"})}
    assert people.managers == {"lm-1": frozenset({"cw-a"})}
    assert people.handover_roles == frozenset({StaffRole.TEAM_LEADER})
    assert people.records_officers == frozenset({"ro-1"})
    assert people.staff == {"cw-a": DecisionMaker("cw-a", StaffRole.CASEWORKER, CSG, "Settlement Casework")}
    assert people_from_environment({"EDM_PEOPLE_FILE": str(path)}) == people
    assert people_from_environment({}) == People()


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("not toml = = =", "$: is not valid TOML"),
        ('surprise = "Jane Doe, 12 High Street"', "surprise: unknown key"),
        ('handover_roles = ["boss"]', "handover_roles: must be a list of role codes"),
        ('[route_teams]\nccu = "Jane Doe"', "route_teams.[…]: each entry must name an id"),
        ('[staff.cw-a]\nrole = "caseworker"', "staff.[…]: each entry is a staff id with exactly a role"),
    ],
)
def test_a_bad_people_file_names_the_key_never_the_value(tmp_path: Path, text: str, problem: str) -> None:
    """A wrong file is refused naming the key that is wrong, and no value from it."""
    path = tmp_path / "people.toml"
    path.write_text(text)
    with pytest.raises(ValidationError) as caught:
        load_people(path)
    assert problem in str(caught.value)
    assert "Jane Doe" not in str(caught.value)


def test_a_missing_people_file_is_refused_clearly(tmp_path: Path) -> None:
    """A file that cannot be read is named, with why."""
    with pytest.raises(ValidationError, match="cannot be read"):
        load_people(tmp_path / "absent.toml")
