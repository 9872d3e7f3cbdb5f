"""The HTTP API: a review from proposed decision to final decision, the queue, reports and verify."""

from __future__ import annotations

import csv
import io
from typing import Any

from starlette.testclient import TestClient

from ethical_decisions import EthicalDecisions

from .conftest import MARKER, ROUTE_ID, escalated_review, open_review


def test_walk_a_review_over_http(dm: TestClient, team: TestClient, edm: EthicalDecisions) -> None:
    """Every step of a full review over HTTP is recorded; after the advice is followed it closes resolved."""
    review_id, referral_id = escalated_review(dm)
    assert 200 == team.post(f"/api/referrals/{referral_id}/acknowledgement").status_code
    advised = team.post(f"/api/referrals/{referral_id}/advice", json={"advice": "Accept the records."})
    assert 200 == advised.status_code
    assert "advice_given" == advised.json()["status"]
    assert "advice received: respond to it" == edm.review(review_id).stage
    early = dm.post(
        f"/api/reviews/{review_id}/final-decision",
        json={"decision": {"outcome": "grant", "summary": "Grant.", "rationale": "Our own records show it."}},
    )
    assert 409 == early.status_code
    assert "respond to the advice" in early.json()["allowed_steps"]
    responded = dm.post(
        f"/api/referrals/{referral_id}/advice-response",
        json={"concern_id": "C1", "response": "followed", "reason": "Our records fit.", "resolved": True},
        headers={"If-Match": advised.headers["etag"]},
    )
    assert 200 == responded.status_code, responded.text
    concern = responded.json()["concerns"][0]
    assert ("resolved", "escalation") == (concern["status"], concern["resolved_by"])
    assert "followed" == concern["responses"][0]["response"]
    final = dm.post(
        f"/api/reviews/{review_id}/final-decision",
        json={"decision": {"outcome": "grant", "summary": "Grant.", "rationale": "Our own records show it."}},
    )
    assert 200 == final.status_code, final.text
    body = final.json()
    assert "closed" == body["stage"]
    assert "resolved_after_escalation" == body["outcome_class"]
    assert body["decision_changed"] is True
    assert 9 == edm.review(review_id).version


def test_etag_is_the_review_version_and_if_match_is_honoured(dm: TestClient, edm: EthicalDecisions) -> None:
    """GET gives the version as ETag; a step with that If-Match succeeds and gives the next ETag."""
    review_id = open_review(dm)
    got = dm.get(f"/api/reviews/{review_id}")
    assert '"1"' == got.headers["etag"]
    step = dm.post(
        f"/api/reviews/{review_id}/reflection",
        json={"concerns": []},
        headers={"If-Match": got.headers["etag"]},
    )
    assert 200 == step.status_code
    assert '"2"' == step.headers["etag"]
    assert 2 == edm.review(review_id).version


def test_stale_if_match_is_412_and_records_nothing(dm: TestClient, edm: EthicalDecisions) -> None:
    """A step sent with a version the review no longer has is refused with 412 and a problem document."""
    review_id = open_review(dm)
    dm.post(f"/api/reviews/{review_id}/reflection", json={"concerns": []})
    stale = dm.post(
        f"/api/reviews/{review_id}/final-decision",
        json={"decision": {"outcome": "refuse", "summary": MARKER, "rationale": MARKER}},
        headers={"If-Match": '"1"'},
    )
    assert 412 == stale.status_code
    assert "application/problem+json" == stale.headers["content-type"]
    assert "ConflictError" == stale.json()["error"]
    assert MARKER not in stale.text
    assert 2 == edm.review(review_id).version


def test_open_review_answers_201_with_location(dm: TestClient) -> None:
    """Opening a review answers 201 Created, with the review's address and its version."""
    answer = dm.post(
        "/api/reviews",
        json={"case": {"reference": "CSG-1"}, "proposed": {"outcome": "refuse", "summary": "R."}},
    )
    assert 201 == answer.status_code
    assert f"/api/reviews/{answer.json()['review_id']}" == answer.headers["location"]
    assert ["record the reflection", "hand the review over"] == answer.json()["allowed_steps"]


def test_queue_lists_the_routes_open_referrals_without_free_text(dm: TestClient, team: TestClient) -> None:
    """The queue holds the route's open referrals by id, category and date; never free text."""
    _, referral_id = escalated_review(dm)
    answer = team.get("/api/referrals")
    assert 200 == answer.status_code
    items = answer.json()
    assert [referral_id] == [i["referral_id"] for i in items]
    assert ["evidential_burden"] == items[0]["concern_categories"]
    assert "May we accept" not in answer.text


def test_queue_is_only_for_route_teams(dm: TestClient) -> None:
    """A decision-maker asking for a queue is told only a route's team has one (403)."""
    assert 403 == dm.get("/api/referrals").status_code


def test_referral_of_another_route_is_not_found(app: Any, dm: TestClient) -> None:
    """A member of another route's team cannot read the referral: 404, not confirming it exists."""
    from .conftest import client_for

    _, referral_id = escalated_review(dm)
    with client_for(
        app, {"kind": "route_team_member", "staff_id": "x-1", "route_id": "other_route"}
    ) as other:
        answer = other.get(f"/api/referrals/{referral_id}")
    assert 404 == answer.status_code
    assert referral_id not in answer.text


def test_reports_as_json_and_csv(dm: TestClient) -> None:
    """The department and PDR reports come as JSON and as CSV."""
    period = "from=2025-01-01&to=2025-12-31"  # whole months that have ended (department reports need them)
    department = dm.get(f"/api/reports/department?{period}")
    assert 200 == department.status_code
    assert "application/json" == department.headers["content-type"]
    assert isinstance(department.json(), dict)
    pdr = dm.get(f"/api/reports/pdr?staff_id=cw-0042&{period}&format=csv")
    assert 200 == pdr.status_code
    assert pdr.headers["content-type"].startswith("text/csv")
    assert list(csv.reader(io.StringIO(pdr.text)))


def test_pdr_of_someone_else_is_not_found_for_a_caseworker(dm: TestClient) -> None:
    """A caseworker cannot read another decision-maker's PDR report (404)."""
    assert 404 == dm.get("/api/reports/pdr?staff_id=cw-9999&from=2026-01-01&to=2026-03-31").status_code


def test_verify(dm: TestClient) -> None:
    """GET /api/verify reports an intact chain with its head."""
    open_review(dm)
    answer = dm.get("/api/verify").json()
    assert answer["ok"] is True
    assert 1 == answer["events"]
    assert 1 == answer["head_position"]


def test_me(dm: TestClient) -> None:
    """GET /api/me names who is signed in."""
    assert {"kind": "decision_maker", "staff_id": "cw-0042"}.items() <= dm.get("/api/me").json().items()


def test_no_one_signed_in_is_401(app: Any) -> None:
    """Without a sign-in, the API answers 401 with a problem document."""
    with TestClient(app, client=("127.0.0.1", 1)) as client:
        answer = client.get("/api/me")
    assert 401 == answer.status_code
    assert "application/problem+json" == answer.headers["content-type"]


def test_route_team_cannot_take_a_decision_makers_step(team: TestClient, dm: TestClient) -> None:
    """A route team member recording a reflection is refused by the library's rules with 403."""
    review_id = open_review(dm)
    answer = team.post(f"/api/reviews/{review_id}/reflection", json={"concerns": []})
    assert 403 == answer.status_code
    assert "NotPermittedError" == answer.json()["error"]


def test_returned_referral_is_answered_over_http(dm: TestClient, team: TestClient) -> None:
    """A referral returned for information goes back to the team once the decision-maker answers."""
    review_id, referral_id = escalated_review(dm)
    returned = team.post(f"/api/referrals/{referral_id}/return", json={"question": "Which records?"})
    assert "returned" == returned.json()["status"]
    answered = dm.post(f"/api/referrals/{referral_id}/information", json={"response": "HMRC records."})
    assert 200 == answered.status_code
    assert "acknowledged" == answered.json()["referrals"][0]["status"]
    assert ROUTE_ID == answered.json()["referrals"][0]["route_id"]
    assert review_id == answered.json()["review_id"]


def _advised(dm: TestClient, team: TestClient) -> tuple[str, str]:
    review_id, referral_id = escalated_review(dm)
    team.post(f"/api/referrals/{referral_id}/acknowledgement")
    team.post(f"/api/referrals/{referral_id}/advice", json={"advice": "Rely on the records."})
    return review_id, referral_id


def test_advice_not_followed_leaves_the_concern_to_acknowledge(dm: TestClient, team: TestClient) -> None:
    """Advice not followed, the concern unresolved: it is open again and the decision must acknowledge it."""
    review_id, referral_id = _advised(dm, team)
    answer = dm.post(
        f"/api/referrals/{referral_id}/advice-response",
        json={"concern_id": "C1", "response": "not_followed", "reason": "Not ours.", "resolved": False},
    )
    assert 200 == answer.status_code, answer.text
    body = answer.json()
    assert "open" == body["concerns"][0]["status"]
    assert {"finalise the decision", "escalate"} <= set(body["allowed_steps"])
    bare = {"decision": {"outcome": "refuse", "summary": "Refuse.", "rationale": "R."}}
    assert 409 == dm.post(f"/api/reviews/{review_id}/final-decision", json=bare).status_code
    acknowledged = {**bare, "unresolved": {"concern_ids": ["C1"], "rationale": "Proceed."}}
    final = dm.post(f"/api/reviews/{review_id}/final-decision", json=acknowledged)
    assert 200 == final.status_code, final.text


def test_a_second_response_to_the_same_advice_is_refused(dm: TestClient, team: TestClient) -> None:
    """A response is recorded once for the latest advice: a second is 409 with the rules' message."""
    _, referral_id = _advised(dm, team)
    body = {"concern_id": "C1", "response": "followed_in_part", "reason": "Part.", "resolved": True}
    assert 200 == dm.post(f"/api/referrals/{referral_id}/advice-response", json=body).status_code
    again = dm.post(f"/api/referrals/{referral_id}/advice-response", json=body)
    assert 409 == again.status_code
    assert "StepError" == again.json()["error"]


def test_escalating_again_after_advice_is_offered_and_taken(dm: TestClient, team: TestClient) -> None:
    """With advice awaiting a response, escalation is allowed: the concern goes back to the route."""
    review_id, _ = _advised(dm, team)
    assert "escalate" in dm.get(f"/api/reviews/{review_id}").json()["allowed_steps"]
    again = dm.post(
        f"/api/reviews/{review_id}/escalations",
        json={"concern_ids": ["C1"], "question": "Please reconsider."},
    )
    assert 200 == again.status_code, again.text
    assert ["advice_given", "submitted"] == [r["status"] for r in again.json()["referrals"]]
    assert "escalated" == again.json()["concerns"][0]["status"]


def test_unknown_concern_in_a_response_is_not_repeated(dm: TestClient, team: TestClient) -> None:
    """A response naming a concern the review does not have is 422, listing the review's, not the one sent."""
    _, referral_id = _advised(dm, team)
    answer = dm.post(
        f"/api/referrals/{referral_id}/advice-response",
        json={"concern_id": "C9", "response": "followed", "reason": MARKER, "resolved": True},
    )
    assert 422 == answer.status_code
    assert "C9" not in answer.text
    assert MARKER not in answer.text
    assert "C1" in answer.json()["detail"]
