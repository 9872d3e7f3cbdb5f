"""The pages without a browser: the model's words, only the steps allowed now, refusals, a round trip."""

from __future__ import annotations

import html

from starlette.testclient import TestClient

from ethical_decisions import GUIDANCE, EthicalDecisions

from .conftest import csrf_token, escalated_review, open_review


def _text(page: str) -> str:
    return html.unescape(page)


def test_reflection_page_asks_the_models_question_verbatim(dm: TestClient) -> None:
    """The reflection page shows the guidance's reflection, question, example, no-concerns line, steps."""
    review_id = open_review(dm)
    page = _text(dm.get(f"/reviews/{review_id}/reflection").text)
    for words in (GUIDANCE.reflection, GUIDANCE.question, GUIDANCE.question_example, GUIDANCE.no_concerns):
        assert words in page
    for number in range(1, 5):
        assert GUIDANCE.step(number).text in page


def test_step_pages_use_the_models_steps_as_their_questions(dm: TestClient) -> None:
    """Steps 1 to 4 of the model head the concern, discretion, discussion and escalation pages."""
    review_id = open_review(dm)
    assert GUIDANCE.step(1).text in _text(dm.get(f"/reviews/{review_id}/reflection/concern").text)
    dm.post(
        f"/api/reviews/{review_id}/reflection", json={"concerns": [{"category": "other", "statement": "S."}]}
    )
    assert GUIDANCE.step(2).text in _text(dm.get(f"/reviews/{review_id}/concerns/C1/discretion/inside").text)
    assert GUIDANCE.step(3).text in _text(dm.get(f"/reviews/{review_id}/concerns/C1/discussion").text)
    assert GUIDANCE.step(4).text in _text(dm.get(f"/reviews/{review_id}/escalation").text)


def test_overview_offers_only_the_steps_allowed_now(dm: TestClient) -> None:
    """A new review offers the reflection and nothing else; after it, no second reflection."""
    review_id = open_review(dm)
    page = dm.get(f"/reviews/{review_id}").text
    assert f"/reviews/{review_id}/reflection" in page
    assert "final-decision" not in page
    assert "concerns/new" not in page
    dm.post(f"/api/reviews/{review_id}/reflection", json={"concerns": []})
    page = dm.get(f"/reviews/{review_id}").text
    assert f'href="/reviews/{review_id}/reflection"' not in page
    assert "final-decision" in page


def test_a_page_for_a_step_not_allowed_shows_why(dm: TestClient) -> None:
    """A step's page, when the review does not allow the step, shows why and the steps allowed (409)."""
    review_id = open_review(dm)
    page = dm.get(f"/reviews/{review_id}/final-decision")
    assert 409 == page.status_code
    assert "Cannot finalise the decision: the review does not allow it at this stage" in page.text
    assert "record the reflection" in page.text


def test_a_refused_form_shows_the_librarys_message(dm: TestClient, edm: EthicalDecisions) -> None:
    """Discretion outside the Rules before inside is refused with the rules' message; nothing recorded."""
    review_id = open_review(dm)
    dm.post(
        f"/api/reviews/{review_id}/reflection", json={"concerns": [{"category": "other", "statement": "S."}]}
    )
    token = csrf_token(dm, f"/reviews/{review_id}")
    data = {"guidance": "G", "reason": "R", "result": "not_resolved", "csrf_token": token}
    page = dm.post(f"/reviews/{review_id}/concerns/C1/discretion/outside", data=data)
    assert 409 == page.status_code
    assert "discretion inside the Immigration Rules must be considered" in _text(page.text)
    assert 2 == edm.review(review_id).version


def test_returned_referral_answered_and_withdrawn_through_the_pages(
    dm: TestClient, team: TestClient, edm: EthicalDecisions
) -> None:
    """The team returns a referral on its page; the decision-maker answers on theirs, then withdraws it."""
    review_id, referral_id = escalated_review(dm)
    token = csrf_token(team, f"/referrals/{referral_id}")
    returned = team.post(
        f"/referrals/{referral_id}/return", data={"question": "Which records?", "csrf_token": token}
    )
    assert 303 == returned.status_code
    overview = dm.get(f"/reviews/{review_id}").text
    assert f"/reviews/{review_id}/referrals/{referral_id}/information" in overview
    page = dm.get(f"/reviews/{review_id}/referrals/{referral_id}/information")
    assert "Which records?" in page.text
    token = csrf_token(dm, f"/reviews/{review_id}")
    answered = dm.post(
        f"/reviews/{review_id}/referrals/{referral_id}/information",
        data={"response": "HMRC's.", "csrf_token": token, "version": str(edm.review(review_id).version)},
    )
    assert 303 == answered.status_code
    withdrawn = dm.post(
        f"/reviews/{review_id}/referrals/{referral_id}/withdrawal",
        data={"reason": "Found them.", "csrf_token": token},
    )
    assert 303 == withdrawn.status_code
    referral = edm.review(review_id).referral(referral_id)
    assert referral is not None
    assert "withdrawn" == referral.status


def test_another_business_areas_review_is_not_found(app: object, dm: TestClient) -> None:
    """A decision-maker of another business area cannot open the review's pages (404)."""
    from .conftest import client_for

    review_id = open_review(dm)
    other = {
        "kind": "decision_maker",
        "staff_id": "bf-1",
        "role": "caseworker",
        "business_area": "border_force",
        "team": "Heathrow",
    }
    with client_for(app, other) as client:
        assert 404 == client.get(f"/reviews/{review_id}").status_code


def _advised(dm: TestClient, team: TestClient) -> tuple[str, str]:
    review_id, referral_id = escalated_review(dm)
    team.post(f"/api/referrals/{referral_id}/acknowledgement")
    team.post(f"/api/referrals/{referral_id}/advice", json={"advice": "Rely on the records."})
    return review_id, referral_id


def test_after_advice_the_review_offers_a_response_not_the_decision(dm: TestClient, team: TestClient) -> None:
    """With advice awaiting a response, the review offers a response and escalating again, not finalising."""
    review_id, referral_id = _advised(dm, team)
    page = _text(dm.get(f"/reviews/{review_id}").text)
    assert f"/reviews/{review_id}/referrals/{referral_id}/concerns/C1/response" in page
    assert "Respond to the advice on concern C1" in page
    assert "Escalate again" in page
    assert "final-decision" not in page
    assert 409 == dm.get(f"/reviews/{review_id}/final-decision").status_code


def test_responding_to_advice_one_question_per_page(
    dm: TestClient, team: TestClient, edm: EthicalDecisions
) -> None:
    """The advice, then followed or not, then why, then resolved or not, then check: only then recorded."""
    review_id, referral_id = _advised(dm, team)
    url = f"/reviews/{review_id}/referrals/{referral_id}/concerns/C1/response"
    first = _text(dm.get(url).text)
    assert "Rely on the records." in first
    assert "Did you follow the advice?" in first
    token = csrf_token(dm, url)
    version = str(edm.review(review_id).version)
    base = {"csrf_token": token, "version": version}
    empty = dm.post(url, data={**base, "at": "response"})
    assert 422 == empty.status_code
    assert "Select whether you followed the advice" in empty.text
    reason = dm.post(url, data={**base, "at": "response", "response": "followed_in_part"})
    assert "Why did you follow the advice, in part, or not?" in _text(reason.text)
    answers = {**base, "response": "followed_in_part", "reason": "Part of it fits."}
    resolved = dm.post(url, data={**answers, "at": "reason"})
    assert "Is the concern now resolved?" in resolved.text
    check = dm.post(url, data={**answers, "at": "resolved", "resolved": "yes"})
    assert "Check your answers before recording your response" in check.text
    assert int(version) == edm.review(review_id).version
    done = dm.post(url, data={**answers, "at": "check", "resolved": "yes", "confirm": "yes"})
    assert 303 == done.status_code
    concern = edm.review(review_id).concern("C1")
    assert concern is not None
    assert ("resolved", "followed_in_part") == (concern.status, concern.responses[0].response)
    page = dm.get(f"/reviews/{review_id}").text
    assert "final-decision" in page
    again = dm.get(url)
    assert 409 == again.status_code
    assert "Cannot respond to the advice" in _text(again.text)


def test_the_route_team_sees_what_became_of_its_advice(dm: TestClient, team: TestClient) -> None:
    """The referral's page tells the route's team the response, whether it is resolved, and the reason."""
    review_id, referral_id = _advised(dm, team)
    assert "Awaiting the decision-maker" in _text(team.get(f"/referrals/{referral_id}").text)
    dm.post(
        f"/api/referrals/{referral_id}/advice-response",
        json={
            "concern_id": "C1",
            "response": "not_followed",
            "reason": "Our policy differs.",
            "resolved": False,
        },
    )
    dm.post(f"/api/reviews/{review_id}/escalations", json={"concern_ids": ["C1"], "question": "Again?"})
    page = _text(team.get(f"/referrals/{referral_id}").text)
    assert "What became of the advice" in page
    assert "The decision-maker did not follow the advice; the concern is not resolved." in page
    assert "Our policy differs." in page
    assert "Escalated again to the Chief Caseworker Unit" in page


def test_a_route_team_member_may_not_respond_to_advice(dm: TestClient, team: TestClient) -> None:
    """The response page, for someone the policy refuses (a route team member), is 403 before any typing."""
    review_id, referral_id = _advised(dm, team)
    page = team.get(f"/reviews/{review_id}/referrals/{referral_id}/concerns/C1/response")
    assert 403 == page.status_code
    assert "You may not take this step" in page.text
