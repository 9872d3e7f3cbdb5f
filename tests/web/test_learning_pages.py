"""The learning loop's pages: flagging a systemic issue from a referral, the register, an issue moved on.

A page for something the policy refuses answers 403 in the policy's words before anything is typed;
a form with a missing answer comes back naming the field, never repeating what was typed; a forged
CSRF token changes nothing.
"""

from __future__ import annotations

import html
from collections.abc import Iterator
from typing import Any

import pytest
import structlog
from starlette.testclient import TestClient

from ethical_decisions import EthicalDecisions

from .conftest import MARKER, client_for, csrf_token, escalated_review
from .test_learning import ISSUE, POLICY, opened

NEW_ISSUE = {
    "title": MARKER,
    "description": MARKER,
    "rule": "Appendix Settlement 4.2",
    "owner": "settlement_policy",
    "due_on-day": "31",
    "due_on-month": "3",
    "due_on-year": "2030",
}


@pytest.fixture(name="policy")
def _policy(app: Any) -> Iterator[TestClient]:
    with client_for(app, POLICY) as client:
        yield client


def _post(client: TestClient, path: str, data: dict[str, str]) -> Any:
    return client.post(path, data={**data, "csrf_token": csrf_token(client, path)})


def _state(edm: EthicalDecisions) -> tuple[Any, ...]:
    return (edm.store.head(), edm.store.systemic_issues())


def test_the_referral_page_offers_to_flag_a_systemic_issue(dm: TestClient, team: TestClient) -> None:
    """The route team's referral page offers "Flag a systemic issue"; with none listed it opens one."""
    _, referral_id = escalated_review(dm)
    page = team.get(f"/referrals/{referral_id}")
    assert "Flag a systemic issue" in page.text
    first = team.get(f"/referrals/{referral_id}/systemic-issue")
    assert 303 == first.status_code
    assert first.headers["location"].endswith("/systemic-issue/new")


def test_opening_an_issue_through_the_form(dm: TestClient, team: TestClient, edm: EthicalDecisions) -> None:
    """The form opens the issue and shows its page; the register then lists it with its title."""
    _, referral_id = escalated_review(dm)
    answer = _post(team, f"/referrals/{referral_id}/systemic-issue/new", NEW_ISSUE)
    assert 303 == answer.status_code, answer.text
    issue_id = answer.headers["location"].rsplit("/", 1)[1]
    assert [referral_id] == list(edm.systemic_issue(issue_id).referral_ids)
    page = team.get(f"/systemic-issues/{issue_id}")
    assert "Status history" in page.text
    assert referral_id in page.text
    register = dm.get("/systemic-issues")
    assert issue_id in register.text
    assert MARKER in register.text  # titles are for signed-in staff
    assert issue_id in team.get(f"/referrals/{referral_id}").text


def test_the_form_with_missing_answers_names_them_without_echo(
    dm: TestClient, team: TestClient, edm: EthicalDecisions
) -> None:
    """No title and a date that is not a date: 422 naming both, what was typed kept only in its field."""
    _, referral_id = escalated_review(dm)
    before = _state(edm)
    data = {**NEW_ISSUE, "title": "", "due_on-day": "31", "due_on-month": "2", "due_on-year": "2030"}
    answer = _post(team, f"/referrals/{referral_id}/systemic-issue/new", data)
    assert 422 == answer.status_code
    text = html.unescape(answer.text)
    assert "Enter the date the owner is to answer by as a real date" in text
    answer = _post(team, f"/referrals/{referral_id}/systemic-issue/new", {**NEW_ISSUE, "title": ""})
    assert "Enter a title for the issue" in html.unescape(answer.text)
    assert 1 == html.unescape(answer.text).count(MARKER)  # the description, in its own field only
    assert before == _state(edm)


def test_the_flag_page_is_refused_to_whoever_made_the_referral(dm: TestClient, edm: EthicalDecisions) -> None:
    """The decision-maker who referred it may read the referral but not flag an issue from it (403)."""
    _, referral_id = escalated_review(dm)
    page = dm.get(f"/referrals/{referral_id}/systemic-issue/new")
    assert page.status_code in (403, 404)


def test_linking_a_referral_to_an_issue_on_the_register(
    dm: TestClient, team: TestClient, edm: EthicalDecisions
) -> None:
    """With an issue on the register, the choice page offers to link; the link form links the referral."""
    _, _, issue_id = opened(dm, team)
    _, second = escalated_review(dm)
    choice = team.get(f"/referrals/{second}/systemic-issue")
    assert 200 == choice.status_code
    empty = _post(team, f"/referrals/{second}/systemic-issue", {})
    assert 422 == empty.status_code
    assert "Select whether to open a new issue" in empty.text
    chosen = _post(team, f"/referrals/{second}/systemic-issue", {"how": "link"})
    assert chosen.headers["location"].endswith("/systemic-issue/link")
    assert 422 == _post(team, f"/referrals/{second}/systemic-issue/link", {"issue_id": MARKER}).status_code
    linked = _post(team, f"/referrals/{second}/systemic-issue/link", {"issue_id": issue_id})
    assert 303 == linked.status_code, linked.text
    assert second in edm.systemic_issue(issue_id).referral_ids


def test_a_policy_team_member_moves_the_issue_on(
    dm: TestClient, team: TestClient, policy: TestClient, edm: EthicalDecisions
) -> None:
    """The owning policy team's page offers "Move the issue on"; declining without a reason is refused."""
    _, _, issue_id = opened(dm, team)
    assert "Move the issue on" in policy.get(f"/systemic-issues/{issue_id}").text
    assert "Move the issue on" not in team.get(f"/systemic-issues/{issue_id}").text
    path = f"/systemic-issues/{issue_id}/status"
    before = _state(edm)
    refused = _post(policy, path, {"status": "declined", "version": "2"})
    assert 422 == refused.status_code
    assert "Declining an issue needs a reason" in refused.text
    assert 422 == _post(policy, path, {"version": "2"}).status_code
    assert before == _state(edm)
    moved = _post(policy, path, {"status": "declined", "reason": MARKER, "version": "2"})
    assert 303 == moved.status_code, moved.text
    assert "declined" == edm.systemic_issue(issue_id).status.value


def test_a_stale_version_on_the_status_form_is_412(
    dm: TestClient, team: TestClient, policy: TestClient, edm: EthicalDecisions
) -> None:
    """A status form from a page the issue has moved on since records nothing (412)."""
    _, _, issue_id = opened(dm, team)
    before = _state(edm)
    answer = _post(policy, f"/systemic-issues/{issue_id}/status", {"status": "accepted", "version": "1"})
    assert 412 == answer.status_code
    assert before == _state(edm)


def test_the_status_page_is_refused_to_anyone_else_in_the_policys_words(
    dm: TestClient, team: TestClient, edm: EthicalDecisions
) -> None:
    """A route team member asking to move the issue on gets 403 with the policy's reason."""
    _, _, issue_id = opened(dm, team)
    page = team.get(f"/systemic-issues/{issue_id}/status")
    assert 403 == page.status_code
    assert "only a member of it updates it" in html.unescape(page.text)


def test_a_forged_csrf_token_changes_nothing(
    dm: TestClient, team: TestClient, policy: TestClient, edm: EthicalDecisions
) -> None:
    """The flag and status forms with a forged token are 403 and record nothing, nor log the text."""
    _, referral_id, issue_id = opened(dm, team)
    _, second = escalated_review(dm)
    before = _state(edm)
    with structlog.testing.capture_logs() as logs:
        forged = {**NEW_ISSUE, "csrf_token": "forged"}
        assert 403 == team.post(f"/referrals/{second}/systemic-issue/new", data=forged).status_code
        data = {"status": "declined", "reason": MARKER, "csrf_token": "forged"}
        answer = policy.post(f"/systemic-issues/{issue_id}/status", data=data)
        assert 403 == answer.status_code
        assert MARKER not in answer.text
    assert MARKER not in str(logs)
    assert before == _state(edm)
    del referral_id


def test_unknown_issue_page_is_404(policy: TestClient) -> None:
    """An issue id that names nothing is 404, the id not repeated."""
    answer = policy.get(f"/systemic-issues/si-{MARKER}")
    assert 404 == answer.status_code
    assert MARKER not in answer.text


def test_a_policy_team_member_signs_in_and_lands_on_the_register(app: Any) -> None:
    """The development sign-in makes a policy team member, whose home is the register."""
    with TestClient(app, client=("127.0.0.1", 50000), follow_redirects=False) as client:
        data = {"kind": "policy_team_member", "staff_id": "pol-0001", "policy_team": "settlement_policy"}
        signed = client.post("/sign-in", data={**data, "csrf_token": csrf_token(client, "/sign-in")})
        assert 303 == signed.status_code, signed.text
        assert client.get("/").headers["location"] == "/systemic-issues"
        assert "policy team settlement_policy" in client.get("/systemic-issues").text
        missing = {**data, "policy_team": ""}
        refused = client.post("/sign-in", data={**missing, "csrf_token": csrf_token(client, "/sign-in")})
        assert 422 == refused.status_code


del ISSUE


def _closed_with_concerns(dm: TestClient, team: TestClient) -> tuple[str, str]:
    """A review with a concern, advised, responded to and decided: (review id, referral id)."""
    review_id, referral_id = escalated_review(dm)
    assert 200 == team.post(f"/api/referrals/{referral_id}/acknowledgement").status_code
    assert (
        200 == team.post(f"/api/referrals/{referral_id}/advice", json={"advice": "Rely on it."}).status_code
    )
    respond = {"concern_id": "C1", "response": "followed", "reason": "Done.", "resolved": True}
    assert 200 == dm.post(f"/api/referrals/{referral_id}/advice-response", json=respond).status_code
    final = {"decision": {"outcome": "grant", "summary": "Grant.", "rationale": "Records."}}
    assert 200 == dm.post(f"/api/reviews/{review_id}/final-decision", json=final).status_code
    return review_id, referral_id


def test_the_feedback_page_shows_what_came_of_each_referral(
    dm: TestClient, team: TestClient, edm: EthicalDecisions
) -> None:
    """The decision-maker's feedback page lists their referral, the advice, and the issue linked to it."""
    _, referral_id, issue_id = opened(dm, team)
    page = dm.get("/feedback")
    assert 200 == page.status_code
    assert referral_id in page.text
    assert issue_id in page.text
    assert 403 == team.get("/feedback").status_code


def test_speaking_up_is_offered_on_a_closed_review_with_concerns(
    dm: TestClient, team: TestClient, edm: EthicalDecisions
) -> None:
    """The questions are offered verbatim; no answer is 422; answering keeps them; an open review is 422."""
    open_id, _ = escalated_review(dm)
    assert "speaking up" not in dm.get(f"/reviews/{open_id}").text
    assert 422 == dm.get(f"/reviews/{open_id}/speaking-up").status_code
    review_id, _ = _closed_with_concerns(dm, team)
    assert "Answer two questions about speaking up" in dm.get(f"/reviews/{review_id}").text
    path = f"/reviews/{review_id}/speaking-up"
    page = html.unescape(dm.get(path).text)
    assert "Given your experience, would you speak up again?" in page
    assert "Did you suffer any detriment as a result of raising your concern?" in page
    empty = _post(dm, path, {})
    assert 422 == empty.status_code
    assert "Select whether you would speak up again" in empty.text
    sent = _post(dm, path, {"again": "yes", "detriment": "no"})
    assert 303 == sent.status_code, sent.text
    assert "your answers are kept" in dm.get(sent.headers["location"]).text
    forged = dm.post(path, data={"again": "yes", "detriment": "no", "csrf_token": "forged"})
    assert 403 == forged.status_code


def test_guidance_feedback_form(dm: TestClient, team: TestClient) -> None:
    """A review links to the guidance feedback form; missing answers are named, the text never repeated."""
    review_id, _ = escalated_review(dm)
    assert "Give feedback on the guidance" in dm.get(f"/reviews/{review_id}").text
    path = f"/reviews/{review_id}/guidance-feedback"
    with structlog.testing.capture_logs() as logs:
        missing = _post(dm, path, {"text": MARKER})
        assert 422 == missing.status_code
        assert "Select whether it is a question or a formatting error" in missing.text
        assert 1 == missing.text.count(MARKER)  # in its own field only
        bad = _post(dm, path, {"kind": MARKER, "text": "x"})
        assert 422 == bad.status_code
        assert MARKER not in bad.text
        sent = _post(dm, path, {"kind": "question", "text": MARKER})
    assert 303 == sent.status_code, sent.text
    assert MARKER not in str(logs)
    assert "counted" in dm.get(sent.headers["location"]).text
    assert 403 == team.get(path).status_code
