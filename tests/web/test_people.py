"""People and permissions over HTTP: handover, a route team's queue views, assignment, who reads what.

The app here is given a people file's worth of :class:`~ethical_decisions.policy.People`:
the route's team (ccu-0007 and ccu-0012), whom a line manager manages, and no
register of staff (so a handover names the role of whom it goes to), except where
a test makes one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
import structlog
from starlette.testclient import TestClient

from ethical_decisions import DecisionMaker, EthicalDecisions, MemoryStore, StaffRole, make_plugins, testing
from ethical_decisions.policy import People
from ethical_decisions.web import create_app

from .conftest import (
    AREA,
    DECISION_MAKER,
    MARKER,
    ROUTE_ID,
    ROUTE_MEMBER,
    RoutesPlugin,
    client_for,
    csrf_token,
    escalated_review,
    open_review,
)

NEW_OWNER = {**DECISION_MAKER, "staff_id": "cw-0077"}
MANAGER = {**DECISION_MAKER, "staff_id": "lm-0001", "role": "line_manager"}
OTHER_MANAGER = {**DECISION_MAKER, "staff_id": "lm-0002", "role": "line_manager"}
COLLEAGUE = {**ROUTE_MEMBER, "staff_id": "ccu-0012"}
OUTSIDER = {**ROUTE_MEMBER, "staff_id": "ccu-0999"}
TEAM = ("ccu-0007", "ccu-0012")
HANDOVER = {"to": "cw-0077", "reason": "On leave for two weeks.", "role": "caseworker"}


def _people(**extra: Any) -> People:
    return People(
        route_teams={ROUTE_ID: frozenset(TEAM)},
        managers={"lm-0001": frozenset({"cw-0042", "cw-0077"}), "lm-0002": frozenset({"cw-0500"})},
        **extra,
    )


def _app(people: People, days_ago: int) -> tuple[Any, EthicalDecisions]:
    """The app, with its service's clock started *days_ago* (the queue's "overdue" is by the wall clock)."""
    route = testing.route(ROUTE_ID, business_area=AREA, name="Chief Caseworker Unit")
    start = dt.datetime.now(dt.UTC) - dt.timedelta(days=days_ago)
    edm = EthicalDecisions(
        MemoryStore(),
        plugins=make_plugins(blocked=(), entry_points=False, extra=[RoutesPlugin(route)], people=people),
        clock=testing.FakeClock(now=start),
    )
    return create_app(edm, dev_sign_in=True, entry_points=False, secret=b"p" * 32), edm


class Folk:
    """The app, its service, and a signed-in client for each person."""

    def __init__(self, people: People, days_ago: int = 0) -> None:
        self.app, self.edm = _app(people, days_ago)
        whos = {
            "owner": DECISION_MAKER,
            "new_owner": NEW_OWNER,
            "manager": MANAGER,
            "other_manager": OTHER_MANAGER,
            "member": ROUTE_MEMBER,
            "colleague": COLLEAGUE,
            "outsider": OUTSIDER,
        }
        self.clients = {name: client_for(self.app, who) for name, who in whos.items()}

    def __getattr__(self, name: str) -> TestClient:
        return self.clients[name]

    def close(self) -> None:
        """Close every client."""
        for client in self.clients.values():
            client.close()


@pytest.fixture(name="folk")
def _folk() -> Iterator[Folk]:
    found = Folk(_people())
    yield found
    found.close()


# -- handover ---------------------------------------------------------------------------------------


def test_the_owner_hands_over_and_the_new_owner_continues(folk: Folk) -> None:
    """After a handover the new owner takes the review's steps; the old owner is refused but still reads it.

    The review names its owner and holders; the old owner's step gets the policy's message.
    """
    review_id = open_review(folk.owner)
    answer = folk.owner.post(f"/api/reviews/{review_id}/handover", json=HANDOVER)
    assert 200 == answer.status_code, answer.text
    body = answer.json()
    assert ("cw-0077", ["cw-0042", "cw-0077"]) == (body["owner"]["staff_id"], body["holders"])
    assert "hand the review over" == body["steps_taken"][-1]["step"]
    refused = folk.owner.post(f"/api/reviews/{review_id}/reflection", json={"concerns": []})
    assert 403 == refused.status_code
    assert "the review is held by cw-0077" in refused.json()["detail"]
    assert 200 == folk.owner.get(f"/api/reviews/{review_id}").status_code
    assert (
        200 == folk.new_owner.post(f"/api/reviews/{review_id}/reflection", json={"concerns": []}).status_code
    )
    assert [review_id] == folk.new_owner.get("/api/reviews").json()
    assert [] == folk.owner.get("/api/reviews").json()


def test_a_line_manager_hands_over_a_review_of_someone_they_manage(folk: Folk) -> None:
    """The owner's line manager may hand the review over; another manager may neither read nor hand it."""
    review_id = open_review(folk.owner)
    assert 404 == folk.other_manager.get(f"/api/reviews/{review_id}").status_code
    other = folk.other_manager.post(f"/api/reviews/{review_id}/handover", json=HANDOVER)
    assert 403 == other.status_code
    assert "whom lm-0002 does not manage" in other.json()["detail"]
    assert 200 == folk.manager.get(f"/api/reviews/{review_id}").status_code
    answer = folk.manager.post(f"/api/reviews/{review_id}/handover", json=HANDOVER)
    assert 200 == answer.status_code, answer.text
    assert ["lm-0001"] == [
        s["by"] for s in answer.json()["steps_taken"] if s["step"] == "hand the review over"
    ]


def test_a_colleague_who_never_held_the_review_cannot_read_it(folk: Folk) -> None:
    """A caseworker in the same business area who has not held a review gets 404 for it."""
    review_id = open_review(folk.owner)
    with client_for(folk.app, {**DECISION_MAKER, "staff_id": "cw-0500"}) as stranger:
        assert 404 == stranger.get(f"/api/reviews/{review_id}").status_code
        assert 404 == stranger.get(f"/reviews/{review_id}").status_code


def test_handover_to_someone_the_register_does_not_list_is_refused_without_the_id() -> None:
    """With a register of staff, a handover to a staff id it does not list is 422, never repeating it.

    A listed one is taken from the register, and a role that contradicts it is refused.
    """
    register = {
        "cw-0042": DecisionMaker("cw-0042", StaffRole.CASEWORKER, AREA, "Settlement Casework"),
        "cw-0077": DecisionMaker("cw-0077", StaffRole.SENIOR_CASEWORKER, AREA, "Appeals"),
    }
    folk = Folk(_people(staff=register))
    try:
        review_id = open_review(folk.owner)
        before = folk.edm.store.head()
        with structlog.testing.capture_logs() as logs:
            unknown = folk.owner.post(
                f"/api/reviews/{review_id}/handover", json={"to": MARKER, "reason": "Leave."}
            )
        assert 422 == unknown.status_code
        assert MARKER not in unknown.text
        assert MARKER not in str(logs)
        assert ["to: not in the register"] == [
            p[: len("to: not in the register")] for p in unknown.json()["problems"]
        ]
        contradicts = folk.owner.post(
            f"/api/reviews/{review_id}/handover", json={"to": "cw-0077", "reason": "L.", "role": "caseworker"}
        )
        assert 422 == contradicts.status_code
        assert before == folk.edm.store.head()
        listed = folk.owner.post(f"/api/reviews/{review_id}/handover", json={"to": "cw-0077", "reason": "L."})
        assert 200 == listed.status_code, listed.text
        assert ("senior_caseworker", "Appeals") == (
            listed.json()["owner"]["role"],
            listed.json()["owner"]["team"],
        )
    finally:
        folk.close()


def test_handover_without_a_register_needs_the_role(folk: Folk) -> None:
    """With no register of staff, a handover that does not give the role is 422 naming the role field."""
    review_id = open_review(folk.owner)
    answer = folk.owner.post(f"/api/reviews/{review_id}/handover", json={"to": "cw-0077", "reason": "Leave."})
    assert 422 == answer.status_code
    assert answer.json()["problems"][0].startswith("role: required")


# -- the queue and assignment -----------------------------------------------------------------------


def _queue(client: TestClient, view: str) -> list[str]:
    answer = client.get(f"/api/referrals?view={view}")
    assert 200 == answer.status_code, answer.text
    return [item["referral_id"] for item in answer.json()]


def test_queue_views_follow_assignment(folk: Folk) -> None:
    """A referral is unassigned until a member takes it, then under "mine" for them only, until released.

    Released, it is back in the unassigned view.
    """
    _, referral_id = escalated_review(folk.owner)
    assert [referral_id] == _queue(folk.member, "unassigned") == _queue(folk.member, "open")
    assert [] == _queue(folk.member, "mine")
    taken = folk.member.post(f"/api/referrals/{referral_id}/assignment", json={"to": "ccu-0007"})
    assert 200 == taken.status_code, taken.text
    assert "ccu-0007" == taken.json()["assignee"]["staff_id"]
    assert "ccu-0007" == taken.json()["history"][-1]["assignee"]
    assert [referral_id] == _queue(folk.member, "mine")
    assert [] == _queue(folk.colleague, "mine") == _queue(folk.colleague, "unassigned")
    assert ["ccu-0007"] == [i["assignee_id"] for i in folk.colleague.get("/api/referrals").json()]
    released = folk.colleague.post(f"/api/referrals/{referral_id}/release")
    assert 200 == released.status_code, released.text
    assert [referral_id] == _queue(folk.member, "unassigned")


def test_overdue_view_lists_referrals_past_their_target(folk: Folk) -> None:
    """The overdue view lists a referral once the route's response target has passed, and not before."""
    escalated_review(folk.owner)
    assert [] == _queue(folk.member, "overdue")
    late = Folk(_people(), days_ago=365)
    try:
        _, referral_id = escalated_review(late.owner)
        assert [referral_id] == _queue(late.member, "overdue")
        assert [True] == [i["overdue"] for i in late.member.get("/api/referrals?view=overdue").json()]
    finally:
        late.close()


def test_only_the_assignee_answers_an_assigned_referral(folk: Folk) -> None:
    """Once a referral is assigned only the assignee answers it; a colleague may reassign it to themselves.

    The colleague's acknowledgement is refused with the policy's message; the assignee's is taken.
    """
    _, referral_id = escalated_review(folk.owner)
    folk.member.post(f"/api/referrals/{referral_id}/assignment", json={"to": "ccu-0007"})
    refused = folk.colleague.post(f"/api/referrals/{referral_id}/acknowledgement")
    assert 403 == refused.status_code
    assert "is assigned to ccu-0007" in refused.json()["detail"]
    assert 200 == folk.member.post(f"/api/referrals/{referral_id}/acknowledgement").status_code
    again = folk.colleague.post(f"/api/referrals/{referral_id}/assignment", json={"to": "ccu-0012"})
    assert 200 == again.status_code, again.text
    assert (
        200 == folk.colleague.post(f"/api/referrals/{referral_id}/advice", json={"advice": "A."}).status_code
    )


@pytest.mark.parametrize("to", [MARKER, "cw-0042"])
def test_assigning_to_someone_the_policy_refuses_never_repeats_the_id(folk: Folk, to: str) -> None:
    """Assigning to someone not on the team, or to who made the referral, is 403 without the id sent.

    The policy's reason says "the staff id given" instead of the id, and nothing is recorded.
    """
    _, referral_id = escalated_review(folk.owner)
    before = folk.edm.store.head()
    with structlog.testing.capture_logs() as logs:
        answer = folk.member.post(f"/api/referrals/{referral_id}/assignment", json={"to": to})
    assert 403 == answer.status_code
    assert "NotPermittedError" == answer.json()["error"]
    assert "the staff id given" in answer.json()["detail"]
    assert to not in answer.text
    assert to not in str([e for e in logs if e.get("event") != "ethical_decisions.permission_refused"])
    assert before == folk.edm.store.head()


def test_a_member_not_on_the_routes_team_has_no_queue_and_reads_no_referral(folk: Folk) -> None:
    """Acting for the route but not on its team in the people file: 403 for the queue, 404 for a referral."""
    _, referral_id = escalated_review(folk.owner)
    assert 403 == folk.outsider.get("/api/referrals").status_code
    assert 404 == folk.outsider.get(f"/api/referrals/{referral_id}").status_code
    assert 403 == folk.outsider.get("/queue").status_code


def test_a_view_that_does_not_exist_is_422_without_echo(folk: Folk) -> None:
    """An unknown queue view is 422 listing the views, not the one sent."""
    answer = folk.member.get(f"/api/referrals?view={MARKER}")
    assert 422 == answer.status_code
    assert MARKER not in answer.text
    assert "unassigned" in answer.json()["detail"]


# -- the pages --------------------------------------------------------------------------------------


def test_handover_pages_ask_who_then_why_then_check(folk: Folk) -> None:
    """A manager's handover in the pages goes: who, why, check your answers, handed over.

    Nothing is recorded before the confirmation, and a missing answer comes back with an error summary.
    """
    review_id = open_review(folk.owner)
    manager = folk.manager
    home = manager.get("/").text
    assert "Open reviews held by people you manage" in home
    assert review_id in home
    assert f"/reviews/{review_id}/handover" in manager.get(f"/reviews/{review_id}").text
    token = csrf_token(manager, f"/reviews/{review_id}/handover")
    path = f"/reviews/{review_id}/handover"
    base = {"csrf_token": token, "version": "1", "team": "Settlement Casework"}
    blank = manager.post(path, data={**base, "at": "who", "to": "", "role": ""})
    assert 422 == blank.status_code
    assert "Enter the staff id of the decision-maker" in blank.text
    assert "Select their role" in blank.text
    why = manager.post(path, data={**base, "at": "who", "to": "cw-0077", "role": "caseworker"})
    assert "Why are you handing the review over?" in why.text
    check = manager.post(
        path, data={**base, "at": "reason", "to": "cw-0077", "role": "caseworker", "reason": "Leave."}
    )
    assert "Check your answers before handing the review over" in check.text
    assert 1 == folk.edm.review(review_id).version
    done = manager.post(
        path,
        data={
            **base,
            "at": "check",
            "to": "cw-0077",
            "role": "caseworker",
            "reason": "Leave.",
            "confirm": "yes",
        },
    )
    assert 303 == done.status_code
    review = folk.edm.review(review_id)
    assert ("cw-0077", ("cw-0042", "cw-0077")) == (review.owner.staff_id, review.holders)
    page = folk.new_owner.get(f"/reviews/{review_id}").text
    assert "Who has held the review" in page
    assert f"/reviews/{review_id}/reflection" in page


def test_the_old_owner_sees_the_policys_refusal_on_a_step_page(folk: Folk) -> None:
    """After a handover the old owner's step page answers 403 with the library's NotPermittedError message.

    The review page offers them no step.
    """
    review_id = open_review(folk.owner)
    folk.owner.post(f"/api/reviews/{review_id}/handover", json=HANDOVER)
    page = folk.owner.get(f"/reviews/{review_id}/reflection")
    assert 403 == page.status_code
    assert (
        "the review is held by cw-0077, and only a decision-maker who holds it takes this step" in page.text
    )
    assert f"/reviews/{review_id}/reflection" not in folk.owner.get(f"/reviews/{review_id}").text


def test_referral_page_offers_assignment_and_shows_the_history(folk: Folk) -> None:
    """A referral's page offers assignment while unassigned, release once taken, and shows who assigned it.

    A colleague is offered no answer to a referral assigned to someone else, and its advice page refuses them.
    """
    _, referral_id = escalated_review(folk.owner)
    page = folk.member.get(f"/referrals/{referral_id}").text
    assert "Assign it to me" in page
    assert "Assign it to a colleague" in page
    token = csrf_token(folk.member, f"/referrals/{referral_id}")
    taken = folk.member.post(
        f"/referrals/{referral_id}/assignment", data={"csrf_token": token, "to": "ccu-0007", "version": "5"}
    )
    assert 303 == taken.status_code
    page = folk.member.get(f"/referrals/{referral_id}").text
    assert "Release it to the unassigned queue" in page
    assert "Assigned to ccu-0007" in " ".join(page.split())
    colleague = folk.colleague.get(f"/referrals/{referral_id}").text
    assert "Acknowledge the referral" not in colleague
    assert "ccu-0007 is working this referral" not in colleague  # a colleague may still reassign it
    advice = folk.colleague.get(f"/referrals/{referral_id}/advice")
    assert 403 == advice.status_code
    assert "is assigned to ccu-0007" in advice.text


def test_assignment_page_lists_the_routes_team(folk: Folk) -> None:
    """Assigning to a colleague offers the route's team from the people file (not yourself) as radios."""
    _, referral_id = escalated_review(folk.owner)
    page = folk.member.get(f"/referrals/{referral_id}/assignment").text
    assert 'value="ccu-0012"' in page
    assert 'value="ccu-0007"' not in page
    token = csrf_token(folk.member, f"/referrals/{referral_id}/assignment")
    blank = folk.member.post(f"/referrals/{referral_id}/assignment", data={"csrf_token": token})
    assert 422 == blank.status_code
    assert "Select who to assign the referral to" in blank.text


def test_queue_page_has_the_four_views(folk: Folk) -> None:
    """The queue page links to all open, unassigned, assigned to you and overdue, marking the current one."""
    escalated_review(folk.owner)
    page = folk.member.get("/queue?view=unassigned").text
    for label in ("All open (1)", "Unassigned (1)", "Assigned to you (0)", "Overdue (0)"):
        assert label in page
    assert 'aria-current="page">Unassigned' in page
