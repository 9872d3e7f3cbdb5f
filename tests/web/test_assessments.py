"""Line managers' assessments over HTTP and on the pages: the sample, a finding, and every refusal.

Who may assess is the library's rule (a line manager or team leader of the business area, never the
person themselves); a refusal records nothing and repeats no value that was sent.
"""

from __future__ import annotations

import html
from collections.abc import Iterator
from typing import Any

import pytest
import structlog
from starlette.testclient import TestClient

from ethical_decisions import EthicalDecisions

from .conftest import AREA, DECISION_MAKER, MARKER, client_for, open_review

MANAGER = {
    "kind": "decision_maker",
    "staff_id": "lm-0001",
    "role": "line_manager",
    "business_area": AREA,
    "team": "Settlement Casework",
}
OTHER_AREA_MANAGER = {**MANAGER, "staff_id": "lm-0900", "business_area": "border_force", "team": "Heathrow"}
FINDING = {"element": "concern_articulated", "finding": "partly_evident", "note": MARKER}


def _period() -> str:
    return "from=2026-01-01&to=2026-01-31"  # the test service's clock starts on 5 January 2026


def closed_review(client: TestClient) -> str:
    """A review with no concerns, decided by the client's decision-maker: its id."""
    review_id = open_review(client)
    assert 200 == client.post(f"/api/reviews/{review_id}/reflection", json={"concerns": []}).status_code
    final = client.post(
        f"/api/reviews/{review_id}/final-decision",
        json={"decision": {"outcome": "refuse", "summary": "Refuse.", "rationale": "No evidence."}},
    )
    assert 200 == final.status_code, final.text
    return review_id


@pytest.fixture(name="manager")
def _manager(app: Any) -> Iterator[TestClient]:
    with client_for(app, MANAGER) as client:
        yield client


def _refused(edm: EthicalDecisions, send: Any, status: int, error: str) -> dict[str, Any]:
    """Send a request that must be refused: the status, the error, no marker anywhere, nothing recorded."""
    before = (edm.store.head(), edm.store.assessments())
    with structlog.testing.capture_logs() as logs:
        answer = send()
    assert status == answer.status_code, answer.text
    assert MARKER not in answer.text
    assert MARKER not in str(answer.headers)
    assert MARKER not in str(logs)
    assert before == (edm.store.head(), edm.store.assessments())
    problem: dict[str, Any] = answer.json()
    assert error == problem["error"]
    assert problem["detail"]
    return problem


def test_a_manager_lists_the_sample_and_records_a_finding(
    dm: TestClient, manager: TestClient, edm: EthicalDecisions
) -> None:
    """The sample lists the person's closed review; a finding is recorded, answered without its note."""
    review_id = closed_review(dm)
    sample = manager.get(f"/api/assessments?staff_id=cw-0042&{_period()}")
    assert 200 == sample.status_code, sample.text
    assert [(review_id, [])] == [(i["review_id"], i["findings"]) for i in sample.json()]
    etag = manager.get(f"/api/reviews/{review_id}").headers["etag"]
    answer = manager.post(f"/api/reviews/{review_id}/assessments", json=FINDING, headers={"If-Match": etag})
    assert 200 == answer.status_code, answer.text
    assert MARKER not in answer.text
    assert {
        "staff_id": "cw-0042",
        "finding": "partly_evident",
        "noted": True,
    }.items() <= answer.json().items()
    assert MARKER == edm.assessments(review_id)[0].note
    listed = manager.get(f"/api/assessments?staff_id=cw-0042&{_period()}")
    assert ["partly_evident"] == [f["finding"] for f in listed.json()[0]["findings"]]
    assert MARKER not in listed.text


def test_a_caseworker_may_not_assess(dm: TestClient, edm: EthicalDecisions, app: Any) -> None:
    """A caseworker is refused: a colleague's review is not theirs to read (404), nor their sample (403)."""
    review_id = closed_review(dm)
    with client_for(app, {**DECISION_MAKER, "staff_id": "cw-0099"}) as colleague:
        url = f"/api/reviews/{review_id}/assessments"
        _refused(edm, lambda: colleague.post(url, json=FINDING), 404, "NotFoundError")
        problem = _refused(
            edm,
            lambda: colleague.get(f"/api/assessments?staff_id=cw-0042&{_period()}"),
            403,
            "AssessmentError",
        )
        assert "line manager or team leader" in problem["detail"]
        assert "cw-0042" not in problem["detail"]


def test_the_person_themselves_may_not_assess(dm: TestClient, edm: EthicalDecisions) -> None:
    """Someone assessing their own record is refused with 403: their line manager does it."""
    review_id = closed_review(dm)
    problem = _refused(
        edm, lambda: dm.post(f"/api/reviews/{review_id}/assessments", json=FINDING), 403, "AssessmentError"
    )
    assert "cannot assess their own records" in problem["detail"]


def test_no_one_lists_their_own_sample(edm: EthicalDecisions, app: Any) -> None:
    """A line manager asking for their own sample to assess is refused (403): their manager assesses them."""
    with client_for(app, OTHER_AREA_MANAGER) as other:
        problem = _refused(
            edm,
            lambda: other.get(f"/api/assessments?staff_id=lm-0900&{_period()}"),
            403,
            "AssessmentError",
        )
    assert "cannot assess their own records" in problem["detail"]


def test_a_route_team_member_may_not_assess(dm: TestClient, team: TestClient, edm: EthicalDecisions) -> None:
    """A route team member is not a line manager: 403, nothing recorded."""
    review_id = closed_review(dm)
    _refused(
        edm, lambda: team.post(f"/api/reviews/{review_id}/assessments", json=FINDING), 403, "AssessmentError"
    )


def test_an_open_review_cannot_be_assessed(
    dm: TestClient, manager: TestClient, edm: EthicalDecisions
) -> None:
    """A review still open is refused by the library with 409 (AssessmentError): wait for the decision."""
    review_id = open_review(dm)
    problem = _refused(
        edm,
        lambda: manager.post(f"/api/reviews/{review_id}/assessments", json=FINDING),
        409,
        "AssessmentError",
    )
    assert problem["type"].endswith("#problem-assessment-refused")


def test_someone_who_took_no_part_is_not_repeated(
    dm: TestClient, manager: TestClient, edm: EthicalDecisions
) -> None:
    """Naming someone who took no part is 409, and the message says "the staff id given", not the id."""
    review_id = closed_review(dm)
    body = {**FINDING, "staff_id": "cw-" + MARKER}
    problem = _refused(
        edm, lambda: manager.post(f"/api/reviews/{review_id}/assessments", json=body), 409, "AssessmentError"
    )
    assert "the staff id given" in problem["detail"]


def test_stale_if_match_is_412(dm: TestClient, manager: TestClient, edm: EthicalDecisions) -> None:
    """An assessment sent with a version the review no longer has is 412 and records nothing."""
    review_id = closed_review(dm)
    _refused(
        edm,
        lambda: manager.post(
            f"/api/reviews/{review_id}/assessments", json=FINDING, headers={"If-Match": '"1"'}
        ),
        412,
        "ConflictError",
    )


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"element": MARKER, "finding": "evident"},
        {"element": "concern_articulated", "finding": MARKER},
        {"element": "concern_articulated", "finding": "evident", "note": [MARKER]},
        {"element": "concern_articulated", "finding": "evident", MARKER: MARKER},
    ],
    ids=["missing", "bad-element", "bad-finding", "note-not-text", "unknown-field"],
)
def test_bad_bodies_are_422_without_echo(
    dm: TestClient, manager: TestClient, edm: EthicalDecisions, body: dict[str, Any]
) -> None:
    """A missing field, a bad code, a note of the wrong type or an unknown field is 422, naming the field."""
    review_id = closed_review(dm)
    problem = _refused(
        edm,
        lambda: manager.post(f"/api/reviews/{review_id}/assessments", json=body),
        422,
        "ValidationError",
    )
    assert problem["problems"]


@pytest.mark.parametrize(
    "query",
    ["staff_id=cw-0042", f"staff_id=cw-0042&from={MARKER}&to=2026-01-31", f"staff_id={MARKER}!&" + "x=1"],
    ids=["no-period", "bad-date", "bad-staff-id"],
)
def test_bad_sample_queries_are_422(manager: TestClient, edm: EthicalDecisions, query: str) -> None:
    """A sample asked for without a period, with a bad date or a malformed staff id is 422 without echo."""
    if "x=1" in query:
        query = query.replace("x=1", _period())
    _refused(edm, lambda: manager.get(f"/api/assessments?{query}"), 422, "ValidationError")


def test_not_json_and_malformed_are_refused(
    dm: TestClient, manager: TestClient, edm: EthicalDecisions
) -> None:
    """A form body is 415 and a body that is not a JSON object is 400, recording nothing."""
    review_id = closed_review(dm)
    url = f"/api/reviews/{review_id}/assessments"
    _refused(edm, lambda: manager.post(url, data={"note": MARKER}), 415, "HttpProblem")
    headers = {"content-type": "application/json"}
    _refused(edm, lambda: manager.post(url, content=f'["{MARKER}"]', headers=headers), 400, "HttpProblem")


def test_unknown_review_is_404(manager: TestClient, edm: EthicalDecisions) -> None:
    """An assessment of a review that does not exist is 404, the id not repeated."""
    _refused(
        edm, lambda: manager.post(f"/api/reviews/{MARKER}/assessments", json=FINDING), 404, "NotFoundError"
    )


def _text(page: str) -> str:
    return html.unescape(page)


# -- the pages ---------------------------------------------------------------------------------

_PAGE_PERIOD = "staff_id=cw-0042&month=1&year=2026"


def _form(client: TestClient, path: str, data: dict[str, str]) -> Any:
    page = client.get(path)
    token = html.unescape(page.text).split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    return client.post(path, data={**data, "csrf_token": token})


def test_the_assessment_pages_walk_to_a_finding(
    dm: TestClient, manager: TestClient, edm: EthicalDecisions
) -> None:
    """Choose a person and month, see the same sample as the API, open a record, record a finding and note."""
    review_id = closed_review(dm)
    assert "Whose records are you assessing?" in html.unescape(manager.get("/assessments").text)
    sample = manager.get(f"/assessments/sample?{_PAGE_PERIOD}")
    assert 200 == sample.status_code, sample.text
    api = manager.get(f"/api/assessments?staff_id=cw-0042&{_period()}").json()
    assert [i["review_id"] for i in api] == [review_id]
    assert review_id in sample.text
    record = manager.get(f"/assessments/{review_id}?{_PAGE_PERIOD}")
    assert "Concern put into words" in record.text
    path = f"/assessments/{review_id}/concern_articulated?{_PAGE_PERIOD}"
    assert "is it evident in the record?" in html.unescape(manager.get(path).text)
    with structlog.testing.capture_logs() as logs:
        answer = _form(manager, path, {"finding": "evident", "note": MARKER})
    assert 303 == answer.status_code, answer.text
    assert MARKER not in str(logs)
    assert [("concern_articulated", "evident", MARKER)] == [
        (a.element.value, a.finding.value, a.note) for a in edm.assessments(review_id)
    ]
    for shown in (f"/assessments/{review_id}?{_PAGE_PERIOD}", f"/assessments/sample?{_PAGE_PERIOD}", path):
        page = manager.get(shown)
        assert MARKER not in page.text, shown  # the note is never shown again
    assert "Evident" in manager.get(f"/assessments/{review_id}?{_PAGE_PERIOD}").text


def test_the_assessment_form_names_a_missing_finding_without_echo(
    dm: TestClient, manager: TestClient, edm: EthicalDecisions
) -> None:
    """No finding chosen: 422 with the GOV.UK error summary, the note typed not repeated, nothing recorded."""
    review_id = closed_review(dm)
    path = f"/assessments/{review_id}/discussion_sought?{_PAGE_PERIOD}"
    answer = _form(manager, path, {"note": MARKER})
    assert 422 == answer.status_code
    assert "Select whether it is evident in the record" in answer.text
    assert MARKER not in answer.text
    assert [] == edm.assessments(review_id)


def test_the_assessment_pages_refuse_in_the_librarys_words(
    dm: TestClient, team: TestClient, edm: EthicalDecisions
) -> None:
    """The person themselves and a route team member are refused (403) with the library's message."""
    review_id = closed_review(dm)
    own = dm.get(f"/assessments/sample?{_PAGE_PERIOD}")
    assert 403 == own.status_code
    assert "cannot assess their own records" in html.unescape(own.text)
    assert 403 == dm.get(f"/assessments/{review_id}?{_PAGE_PERIOD}").status_code
    assert 403 == team.get("/assessments").status_code


def test_an_open_review_is_refused_by_the_rules(
    dm: TestClient, manager: TestClient, edm: EthicalDecisions
) -> None:
    """A finding on a review still open is the library's AssessmentError (409), nothing recorded."""
    review_id = open_review(dm)
    path = f"/assessments/{review_id}/concern_articulated?{_PAGE_PERIOD}"
    answer = _form(manager, path, {"finding": "evident", "note": MARKER})
    assert 409 == answer.status_code
    assert "still open" in html.unescape(answer.text)
    assert MARKER not in answer.text
    assert [] == edm.assessments(review_id)


def test_bad_choices_and_a_forged_token(dm: TestClient, manager: TestClient, edm: EthicalDecisions) -> None:
    """A month that is not one comes back 422; a forged CSRF token is 403 and records nothing."""
    review_id = closed_review(dm)
    bad = manager.get(f"/assessments/sample?staff_id=cw-0042&month=13&year={MARKER}")
    assert 422 == bad.status_code
    assert "Enter the month as a real month and year" in bad.text
    assert MARKER not in bad.text.split('name="year"', 1)[0]  # kept only in its own field
    path = f"/assessments/{review_id}/concern_articulated?{_PAGE_PERIOD}"
    forged = manager.post(path, data={"finding": "evident", "note": MARKER, "csrf_token": "forged"})
    assert 403 == forged.status_code
    assert [] == edm.assessments(review_id)
    stale = _form(manager, path, {"finding": "evident", "version": "1"})
    assert stale.status_code in (409, 412)
    assert [] == edm.assessments(review_id)
