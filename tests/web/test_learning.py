"""The learning loop over HTTP: systemic issues, a decision-maker's feedback, speaking up, guidance feedback.

Every refusal checks the status, that the answer, its headers and the logs hold no value that was
sent (the marker), and that the store's chain head and register are as they were.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import structlog
from starlette.testclient import TestClient

from ethical_decisions import EthicalDecisions

from .conftest import DECISION_MAKER, MARKER, ROUTE_ID, client_for, escalated_review

POLICY = {"kind": "policy_team_member", "staff_id": "pol-0001", "policy_team": "settlement_policy"}
OTHER_POLICY = {**POLICY, "staff_id": "pol-0900", "policy_team": "family_policy"}
ISSUE = {
    "title": MARKER,
    "description": MARKER,
    "rule": "Appendix Settlement 4.2",
    "owner": "settlement_policy",
    "due_on": "2030-03-31",
}


@pytest.fixture(name="policy")
def _policy(app: Any) -> Iterator[TestClient]:
    with client_for(app, POLICY) as client:
        yield client


def opened(dm: TestClient, team: TestClient) -> tuple[str, str, str]:
    """A referral and an issue opened from it: (review id, referral id, issue id)."""
    review_id, referral_id = escalated_review(dm)
    answer = team.post(f"/api/referrals/{referral_id}/systemic-issues", json=ISSUE)
    assert 201 == answer.status_code, answer.text
    issue_id: str = answer.json()["issue_id"]
    return review_id, referral_id, issue_id


def unchanged(edm: EthicalDecisions, send: Callable[[], Any], status: int) -> dict[str, Any]:
    """Send a request that must be refused with *status*: no marker anywhere, nothing changed."""
    before = (edm.store.head(), edm.store.systemic_issues())
    with structlog.testing.capture_logs() as logs:
        answer = send()
    assert status == answer.status_code, answer.text
    assert MARKER not in answer.text
    assert MARKER not in str(answer.headers)
    assert MARKER not in str(logs)
    assert before == (edm.store.head(), edm.store.systemic_issues())
    if answer.headers.get("content-type", "").startswith("application/problem+json"):
        problem: dict[str, Any] = answer.json()
        assert problem["detail"]
        return problem
    return {}


def test_a_route_team_member_opens_an_issue_from_a_referral(
    dm: TestClient, team: TestClient, edm: EthicalDecisions
) -> None:
    """Opening answers 201 with Location and the issue's version as ETag; the referral is linked to it."""
    _, referral_id, issue_id = opened(dm, team)
    answer = team.get(f"/api/systemic-issues/{issue_id}")
    assert 200 == answer.status_code
    assert '"2"' == answer.headers["etag"]
    found = answer.json()
    assert [referral_id] == [link["referral_id"] for link in found["links"]]
    assert "open" == found["status"]
    assert ROUTE_ID == found["route_id"]
    assert {"accepted", "declined", "closed"} == set(found["next_statuses"])


def test_the_register_lists_issues_with_titles_to_signed_in_staff(
    dm: TestClient, team: TestClient, app: Any
) -> None:
    """The register lists id, status, route, due date, overdue flag and title, and only when signed in."""
    _, _, issue_id = opened(dm, team)
    rows = dm.get("/api/systemic-issues").json()
    assert [(issue_id, "open", ROUTE_ID, "2030-03-31", MARKER)] == [
        (r["issue_id"], r["status"], r["route_id"], r["due_on"], r["title"]) for r in rows
    ]
    assert rows[0]["overdue"] is False
    with TestClient(app, client=("127.0.0.1", 50000)) as nobody:
        assert 401 == nobody.get("/api/systemic-issues").status_code
        assert MARKER not in nobody.get("/api/systemic-issues").text


def test_a_policy_team_member_moves_the_issue_on_with_if_match(
    dm: TestClient, team: TestClient, policy: TestClient
) -> None:
    """The owning policy team accepts the issue (If-Match current), then the history shows who and what."""
    _, _, issue_id = opened(dm, team)
    answer = policy.post(
        f"/api/systemic-issues/{issue_id}/status", json={"status": "accepted"}, headers={"If-Match": '"2"'}
    )
    assert 200 == answer.status_code, answer.text
    assert '"3"' == answer.headers["etag"]
    assert [("accepted", "pol-0001")] == [(h["status"], h["by"]) for h in answer.json()["history"]]
    assert "policy_team_member" == policy.get("/api/me").json()["kind"]


def test_a_further_referral_is_linked(dm: TestClient, team: TestClient) -> None:
    """A second referral is linked to the issue; the decision-maker's feedback then names the issue."""
    _, _, issue_id = opened(dm, team)
    _, second = escalated_review(dm)
    answer = team.post(f"/api/systemic-issues/{issue_id}/links", json={"referral_id": second})
    assert 200 == answer.status_code, answer.text
    assert 2 == len(answer.json()["links"])
    feedback = dm.get("/api/feedback").json()
    assert [(issue_id, "open")] == [(i["issue_id"], i["status"]) for i in feedback[-1]["issues"]]
    assert second == feedback[-1]["referral_id"]


def test_stale_if_match_on_an_issue_is_412(
    dm: TestClient, team: TestClient, policy: TestClient, edm: EthicalDecisions
) -> None:
    """A status change or a link against a version the issue no longer has records nothing (412)."""
    _, _, issue_id = opened(dm, team)
    _, second = escalated_review(dm)
    stale = {"If-Match": '"1"'}
    problem = unchanged(
        edm,
        lambda: policy.post(
            f"/api/systemic-issues/{issue_id}/status",
            json={"status": "declined", "reason": MARKER},
            headers=stale,
        ),
        412,
    )
    assert problem["type"].endswith("#problem-stale")
    unchanged(
        edm,
        lambda: team.post(
            f"/api/systemic-issues/{issue_id}/links", json={"referral_id": second}, headers=stale
        ),
        412,
    )
    unchanged(
        edm,
        lambda: policy.post(
            f"/api/systemic-issues/{issue_id}/status",
            json={"status": "accepted"},
            headers={"If-Match": MARKER},
        ),
        400,
    )


def test_a_step_the_policy_refuses_is_403_in_its_words(
    app: Any, dm: TestClient, team: TestClient, policy: TestClient, edm: EthicalDecisions
) -> None:
    """Another policy team, a route team member or the decision-maker may not move the issue on (403)."""
    _, referral_id, issue_id = opened(dm, team)
    body = {"status": "declined", "reason": MARKER}
    with client_for(app, OTHER_POLICY) as other:
        problem = unchanged(
            edm, lambda: other.post(f"/api/systemic-issues/{issue_id}/status", json=body), 403
        )
    assert "policy team settlement_policy" in problem["detail"]
    assert "NotPermittedError" == problem["error"]
    unchanged(edm, lambda: team.post(f"/api/systemic-issues/{issue_id}/status", json=body), 403)
    # The decision-maker who made the referral may not open an issue from it either.
    unchanged(edm, lambda: dm.post(f"/api/referrals/{referral_id}/systemic-issues", json=ISSUE), 403)
    # Nor a policy team member, who may not read the referral at all.
    unchanged(edm, lambda: policy.post(f"/api/referrals/{referral_id}/systemic-issues", json=ISSUE), 404)


def test_a_step_the_register_refuses_is_422_without_echo(
    dm: TestClient, team: TestClient, policy: TestClient, edm: EthicalDecisions
) -> None:
    """A closed issue cannot move on, a decline needs a reason, a referral is linked once: 422, no change."""
    _, referral_id, issue_id = opened(dm, team)
    problem = unchanged(
        edm, lambda: policy.post(f"/api/systemic-issues/{issue_id}/status", json={"status": "declined"}), 422
    )
    assert ["reason: declining an issue needs a reason"] == problem["problems"]
    unchanged(
        edm,
        lambda: policy.post(f"/api/systemic-issues/{issue_id}/status", json={"status": "change_made"}),
        422,
    )
    unchanged(
        edm,
        lambda: team.post(f"/api/systemic-issues/{issue_id}/links", json={"referral_id": referral_id}),
        422,
    )
    unchanged(
        edm,
        lambda: team.post(f"/api/systemic-issues/{issue_id}/links", json={"referral_id": f"{MARKER}-R1"}),
        422,
    )


@pytest.mark.parametrize(
    "body",
    [
        {k: v for k, v in ISSUE.items() if k != "title"},
        {**ISSUE, "due_on": MARKER},
        {**ISSUE, "owner": MARKER + " !"},
        {**ISSUE, "title": 7},
        {**ISSUE, "rule": ["x"]},
    ],
    ids=["missing-title", "bad-date", "bad-owner", "title-not-text", "rule-not-text"],
)
def test_bad_issue_bodies_are_422_naming_the_field(
    dm: TestClient, team: TestClient, edm: EthicalDecisions, body: dict[str, Any]
) -> None:
    """A missing field or a wrong type is named, its value never repeated, and no issue is opened."""
    _, referral_id = escalated_review(dm)
    problem = unchanged(
        edm, lambda: team.post(f"/api/referrals/{referral_id}/systemic-issues", json=body), 422
    )
    assert problem["problems"]


@pytest.mark.parametrize(
    "body",
    [{"status": MARKER}, {}, {"status": "accepted", "due_on": MARKER}, {"status": "accepted", "reason": 3}],
)
def test_bad_status_bodies_are_422(
    dm: TestClient, team: TestClient, policy: TestClient, edm: EthicalDecisions, body: dict[str, Any]
) -> None:
    """An unknown status, none, a bad date or a reason that is not text: 422, nothing recorded."""
    _, _, issue_id = opened(dm, team)
    unchanged(edm, lambda: policy.post(f"/api/systemic-issues/{issue_id}/status", json=body), 422)


def test_not_json_malformed_and_unknown_ids(
    dm: TestClient, team: TestClient, policy: TestClient, edm: EthicalDecisions
) -> None:
    """Not JSON is 415, malformed JSON 400, an issue or referral the address names that is not held 404."""
    _, _, issue_id = opened(dm, team)
    unchanged(
        edm,
        lambda: policy.post(
            f"/api/systemic-issues/{issue_id}/status", content=MARKER, headers={"content-type": "text/plain"}
        ),
        415,
    )
    unchanged(
        edm,
        lambda: policy.post(
            f"/api/systemic-issues/{issue_id}/status",
            content="{" + MARKER,
            headers={"content-type": "application/json"},
        ),
        400,
    )
    for path in (f"/api/systemic-issues/si-{MARKER}", f"/api/systemic-issues/{MARKER}"):
        unchanged(edm, lambda p=path: policy.get(p), 404)  # type: ignore[misc]
        unchanged(edm, lambda p=path: policy.post(f"{p}/status", json={"status": "accepted"}), 404)  # type: ignore[misc]
    unchanged(edm, lambda: team.post(f"/api/referrals/{MARKER}/systemic-issues", json=ISSUE), 404)


def test_speaking_up_after_closing_a_review_with_concerns(
    dm: TestClient, team: TestClient, edm: EthicalDecisions
) -> None:
    """The decider of a closed review with concerns answers (204); an open review is refused (422)."""
    review_id, referral_id = escalated_review(dm)
    answers = {"again": "yes", "detriment": "not_sure"}
    unchanged(edm, lambda: dm.post(f"/api/reviews/{review_id}/speak-up", json=answers), 422)
    assert 200 == team.post(f"/api/referrals/{referral_id}/acknowledgement").status_code
    assert (
        200 == team.post(f"/api/referrals/{referral_id}/advice", json={"advice": "Rely on it."}).status_code
    )
    respond = {"concern_id": "C1", "response": "followed", "reason": "Done.", "resolved": True}
    assert 200 == dm.post(f"/api/referrals/{referral_id}/advice-response", json=respond).status_code
    final = {"decision": {"outcome": "grant", "summary": "Grant.", "rationale": "Records."}}
    assert 200 == dm.post(f"/api/reviews/{review_id}/final-decision", json=final).status_code
    unchanged(edm, lambda: dm.post(f"/api/reviews/{review_id}/speak-up", json={"again": MARKER}), 422)
    unchanged(edm, lambda: team.post(f"/api/reviews/{review_id}/speak-up", json=answers), 403)
    answer = dm.post(f"/api/reviews/{review_id}/speak-up", json=answers)
    assert 204 == answer.status_code, answer.text


def test_guidance_feedback_from_a_review(dm: TestClient, team: TestClient, edm: EthicalDecisions) -> None:
    """A decision-maker sends a question about the guidance; a bad kind or no text is 422; others 403/404."""
    review_id, _ = escalated_review(dm)
    with structlog.testing.capture_logs() as logs:
        answer = dm.post(
            f"/api/reviews/{review_id}/guidance-feedback", json={"kind": "question", "text": MARKER}
        )
    assert 200 == answer.status_code, answer.text
    assert answer.json() == {"taken": False}
    assert MARKER not in str(logs)
    unchanged(
        edm,
        lambda: dm.post(f"/api/reviews/{review_id}/guidance-feedback", json={"kind": MARKER, "text": "x"}),
        422,
    )
    unchanged(
        edm, lambda: dm.post(f"/api/reviews/{review_id}/guidance-feedback", json={"kind": "question"}), 422
    )
    body = {"kind": "formatting_error", "text": MARKER}
    unchanged(edm, lambda: team.post(f"/api/reviews/{review_id}/guidance-feedback", json=body), 403)


def test_guidance_feedback_on_a_review_you_may_not_read_is_404(
    app: Any, dm: TestClient, edm: EthicalDecisions
) -> None:
    """Another caseworker cannot send feedback from a review they never held (404, nothing sent)."""
    review_id, _ = escalated_review(dm)
    with client_for(app, {**DECISION_MAKER, "staff_id": "cw-0099"}) as other:
        body = {"kind": "question", "text": MARKER}
        unchanged(edm, lambda: other.post(f"/api/reviews/{review_id}/guidance-feedback", json=body), 404)
