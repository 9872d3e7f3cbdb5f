"""Bad input to every endpoint and form: the right status, a clear message, no value echoed, no change.

Every case sends a distinctive marker in its free text (or as its bad value) and
checks that the answer, its headers and the server's log lines never hold it,
and that the store's chain head is what it was before.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import attrs
import pytest
import structlog

from ethical_decisions import EthicalDecisions
from ethical_decisions.web.steps import STEPS, StepSpec

from .conftest import (
    DECISION_MAKER,
    MARKER,
    ROUTE_MEMBER,
    client_for,
    csrf_token,
    escalated_review,
    open_review,
)

OFFICER = {"kind": "records_officer", "staff_id": "ro-0001"}
COLLEAGUE = {**DECISION_MAKER, "staff_id": "cw-0099"}
"""A caseworker in the same team who does not hold the reviews: the policy refuses them the owner's steps."""

VALID: dict[str, Any] = {
    "reflection": {"concerns": [{"category": "vulnerability", "statement": MARKER}], "note": None},
    "concerns": {"category": "vulnerability", "statement": MARKER},
    "discretion": {
        "concern_id": "C1",
        "scope": "inside_rules",
        "guidance": MARKER,
        "reason": MARKER,
        "result": "not_resolved",
    },
    "discussions": {
        "concern_id": "C1",
        "consulted_role": "colleague",
        "consulted": MARKER,
        "advice": MARKER,
        "result": "not_resolved",
    },
    "escalations": {"concern_ids": ["C1"], "question": MARKER},
    "final-decision": {"decision": {"outcome": "grant", "summary": MARKER, "rationale": MARKER}},
    "later-outcomes": {"challenge": "appeal", "result": "upheld", "decided_on": "2026-01-05"},
    "erasure": {"reason": "retention_period_ended"},
    "handover": {"to": "cw-0077", "reason": MARKER, "role": "caseworker", "team": "Settlement Casework"},
    "assignment": {"to": "ccu-0012"},
    "release": None,
    "information": {"response": MARKER},
    "withdrawal": {"reason": MARKER},
    "acknowledgement": None,
    "return": {"question": MARKER},
    "advice": {"advice": MARKER},
    "advice-response": {"concern_id": "C1", "response": "not_followed", "reason": MARKER, "resolved": False},
}
"""A body each step would take, with the marker in every free text."""

# slug: (state the policy test acts on, who the policy refuses; state the rules refuse, who acts there)
SCENES: dict[str, tuple[str, str, str, str]] = {
    "reflection": ("escalated", "team", "closed", "dm"),
    "concerns": ("escalated", "team", "closed", "dm"),
    "discretion": ("open", "team", "closed", "dm"),
    "discussions": ("open", "team", "closed", "dm"),
    "escalations": ("open", "team", "closed", "dm"),
    "final-decision": ("open", "team", "closed", "dm"),
    "later-outcomes": ("closed", "team", "open", "officer"),
    "erasure": ("closed", "dm", "open", "officer"),
    "handover": ("open", "colleague", "closed", "dm"),
    "assignment": ("escalated", "dm", "closed", "team"),
    "release": ("escalated", "dm", "closed", "team"),
    "information": ("escalated", "team", "closed", "dm"),
    "withdrawal": ("escalated", "team", "closed", "dm"),
    "acknowledgement": ("escalated", "dm", "closed", "team"),
    "return": ("escalated", "dm", "closed", "team"),
    "advice": ("escalated", "dm", "closed", "team"),
    "advice-response": ("advised", "team", "closed", "dm"),
}
BODY_STEPS = [s for s in STEPS if s.body is not None]
REQUIRED_STEPS = [s for s in BODY_STEPS if any(a.default is attrs.NOTHING for a in attrs.fields(s.body))]
"""The steps whose bodies have a field that must be given."""
DEFAULTED_STEPS = [s for s in BODY_STEPS if s not in REQUIRED_STEPS]
"""The steps whose bodies' fields all have defaults: an empty object is a whole body."""
ACTOR = {
    "later-outcomes": "officer",
    "erasure": "officer",
    "acknowledgement": "team",
    "return": "team",
    "advice": "team",
    "assignment": "team",
    "release": "team",
}
"""Who takes each step where it is allowed (the decision-maker who holds the review, if not listed)."""


class World:
    """Reviews in each state, clients for each actor, and the checks every case makes."""

    def __init__(self, app: Any, edm: EthicalDecisions) -> None:
        self.edm = edm
        self.clients = {
            "dm": client_for(app, DECISION_MAKER),
            "team": client_for(app, ROUTE_MEMBER),
            "officer": client_for(app, OFFICER),
            "colleague": client_for(app, COLLEAGUE),
        }
        dm, team = self.clients["dm"], self.clients["team"]
        self.open = open_review(dm)
        concern = {"category": "vulnerability", "statement": "Stored before the test."}
        dm.post(f"/api/reviews/{self.open}/reflection", json={"concerns": [concern]})
        self.escalated, self.escalated_referral = escalated_review(dm)
        self.closed, self.closed_referral = escalated_review(dm)
        team.post(f"/api/referrals/{self.closed_referral}/acknowledgement")
        team.post(f"/api/referrals/{self.closed_referral}/advice", json={"advice": "Advice."})
        responded = dm.post(
            f"/api/referrals/{self.closed_referral}/advice-response",
            json={"concern_id": "C1", "response": "followed", "reason": "Followed.", "resolved": True},
        )
        assert 200 == responded.status_code, responded.text
        final = dm.post(
            f"/api/reviews/{self.closed}/final-decision",
            json={"decision": {"outcome": "grant", "summary": "G.", "rationale": "R."}},
        )
        assert 200 == final.status_code, final.text
        self.advised, self.advised_referral = escalated_review(dm)
        team.post(f"/api/referrals/{self.advised_referral}/acknowledgement")
        team.post(f"/api/referrals/{self.advised_referral}/advice", json={"advice": "Advice."})

    def subject(self, spec: StepSpec, state: str) -> str:
        """The address of *spec* on the review (or its referral) in *state*."""
        if spec.target == "review":
            review_id = {
                "open": self.open,
                "escalated": self.escalated,
                "closed": self.closed,
                "advised": self.advised,
            }[state]
            return f"/api/reviews/{review_id}/{spec.slug}"
        referral_id = {
            "escalated": self.escalated_referral,
            "closed": self.closed_referral,
            "advised": self.advised_referral,
        }[state]
        return f"/api/referrals/{referral_id}/{spec.slug}"

    def head(self) -> object:
        """The chain's head: unchanged when nothing was recorded."""
        return self.edm.store.head()

    def close(self) -> None:
        """Close the clients."""
        for client in self.clients.values():
            client.close()


@pytest.fixture(name="world")
def _world(app: Any, edm: EthicalDecisions) -> Iterator[World]:
    found = World(app, edm)
    yield found
    found.close()


def refused(world: World, send: Callable[[], Any], status: int, error: str | None = None) -> dict[str, Any]:
    """Send a request that must be refused with *status*: no marker anywhere, nothing recorded."""
    before = world.head()
    with structlog.testing.capture_logs() as logs:
        answer = send()
    assert status == answer.status_code, answer.text
    assert MARKER not in answer.text
    assert MARKER not in str(answer.headers)
    assert MARKER not in str(logs)
    assert before == world.head()
    if answer.headers["content-type"] == "application/problem+json":
        problem: dict[str, Any] = answer.json()
        assert problem["detail"]
        assert status == problem["status"]
        if error is not None:
            assert error == problem["error"]
        return problem
    return {}


def _ids(spec: StepSpec) -> str:
    return spec.slug


@pytest.mark.parametrize("spec", REQUIRED_STEPS, ids=_ids)
def test_missing_fields_are_named(world: World, spec: StepSpec) -> None:
    """An empty object, where fields are required, is 422 naming each missing field."""
    state = SCENES[spec.slug][0]
    actor = ACTOR.get(spec.slug, "dm")
    problem = refused(world, lambda: world.clients[actor].post(world.subject(spec, state), json={}), 422)
    assert "ValidationError" == problem["error"]
    assert all("required field missing" in p for p in problem["problems"])


def test_the_steps_whose_bodies_have_only_defaults() -> None:
    """Only the reflection (no concerns) and the erasure (the retention code) need no field at all."""
    assert ["reflection", "erasure"] == [s.slug for s in DEFAULTED_STEPS]


@pytest.mark.parametrize("spec", DEFAULTED_STEPS, ids=_ids)
def test_an_empty_body_is_the_defaults(world: World, spec: StepSpec) -> None:
    """A step whose body's fields all have defaults takes {} as those defaults: nothing is missing."""
    if spec.slug == "reflection":
        review_id = open_review(world.clients["dm"])
        answer = world.clients["dm"].post(f"/api/reviews/{review_id}/reflection", json={})
        assert 200 == answer.status_code, answer.text
        assert (True, ()) == (answer.json()["reflected"], world.edm.review(review_id).concerns)
    else:
        answer = world.clients["officer"].post(world.subject(spec, "closed"), json={})
        assert 200 == answer.status_code, answer.text
        assert world.edm.review(world.closed).erased_at is not None


@pytest.mark.parametrize("spec", BODY_STEPS, ids=_ids)
def test_wrong_types_are_named_without_values(world: World, spec: StepSpec) -> None:
    """Every field of the wrong type, and an unknown field, is 422 with one line per fault and no value."""
    state = SCENES[spec.slug][0]
    body: dict[str, Any] = {name: [MARKER] for name in VALID[spec.slug]}
    body[MARKER] = MARKER
    problem = refused(world, lambda: world.clients["dm"].post(world.subject(spec, state), json=body), 422)
    assert len(problem["problems"]) >= len(VALID[spec.slug])


@pytest.mark.parametrize("spec", BODY_STEPS, ids=_ids)
def test_bad_codes_are_refused_without_echo(world: World, spec: StepSpec) -> None:
    """A code or enum outside the allowed values is 422, listing the allowed ones, not the one sent."""
    state = SCENES[spec.slug][0]
    body = dict(VALID[spec.slug])
    for name in ("category", "scope", "result", "consulted_role", "challenge", "reason"):
        if name in body and spec.slug not in ("withdrawal",):
            body[name] = MARKER
    if body == VALID[spec.slug]:
        body = {**body, next(iter(body)): 12345}
    refused(world, lambda: world.clients["dm"].post(world.subject(spec, state), json=body), 422)


@pytest.mark.parametrize("spec", BODY_STEPS, ids=_ids)
def test_malformed_json_is_400(world: World, spec: StepSpec) -> None:
    """A body that is not JSON (or not an object) is 400 and says so."""
    state = SCENES[spec.slug][0]
    url = world.subject(spec, state)
    client = world.clients["dm"]
    headers = {"content-type": "application/json"}
    refused(world, lambda: client.post(url, content=f'{{"{MARKER}": ', headers=headers), 400, "HttpProblem")
    refused(world, lambda: client.post(url, content=f'["{MARKER}"]', headers=headers), 400, "HttpProblem")


@pytest.mark.parametrize("spec", BODY_STEPS, ids=_ids)
def test_not_json_is_415(world: World, spec: StepSpec) -> None:
    """A body sent as a form or text to the JSON API is 415."""
    state = SCENES[spec.slug][0]
    url = world.subject(spec, state)
    refused(world, lambda: world.clients["dm"].post(url, data={"x": MARKER}), 415, "HttpProblem")


@pytest.mark.parametrize("spec", STEPS, ids=_ids)
def test_huge_bodies_are_413(world: World, spec: StepSpec) -> None:
    """A body over the limit is 413, whether it declares its length or streams without one."""
    state = SCENES[spec.slug][0]
    url = world.subject(spec, state)
    huge = ('{"x": "' + MARKER * 60_000 + '"}').encode()
    client = world.clients["dm"]
    headers = {"content-type": "application/json"}
    refused(world, lambda: client.post(url, content=huge, headers=headers), 413, "HttpProblem")

    def stream() -> Iterator[bytes]:
        for start in range(0, len(huge), 65536):
            yield huge[start : start + 65536]

    refused(world, lambda: client.post(url, content=stream(), headers=headers), 413, "HttpProblem")


@pytest.mark.parametrize("spec", STEPS, ids=_ids)
def test_stale_if_match_is_412(world: World, spec: StepSpec) -> None:
    """A step sent with a version the review no longer has is 412 (ConflictError), whoever sends it."""
    state, _, _, _ = SCENES[spec.slug]
    actor = ACTOR.get(spec.slug, "dm")
    url = world.subject(spec, state)
    refused(
        world,
        lambda: world.clients[actor].post(url, json=VALID[spec.slug], headers={"If-Match": '"1"'}),
        412,
        "ConflictError",
    )


@pytest.mark.parametrize("spec", STEPS, ids=_ids)
def test_malformed_if_match_is_400(world: World, spec: StepSpec) -> None:
    """An If-Match that is not one quoted version is 400, not repeated."""
    url = world.subject(spec, SCENES[spec.slug][0])
    send = lambda: world.clients["dm"].post(url, json=VALID[spec.slug], headers={"If-Match": MARKER})  # noqa: E731
    refused(world, send, 400, "HttpProblem")


@pytest.mark.parametrize("spec", STEPS, ids=_ids)
def test_step_the_rules_refuse_is_409(world: World, spec: StepSpec) -> None:
    """A step the model does not allow now is 409 with the library's StepError message and steps."""
    _, _, state, actor = SCENES[spec.slug]
    url = world.subject(spec, state)
    problem = refused(world, lambda: world.clients[actor].post(url, json=VALID[spec.slug]), 409, "StepError")
    assert problem["detail"].startswith("Cannot ")
    assert "stage" in problem


@pytest.mark.parametrize("spec", STEPS, ids=_ids)
def test_step_the_policy_refuses_is_403(world: World, spec: StepSpec) -> None:
    """A step its actor may not take is 403 with the library's NotPermittedError message."""
    state, actor, _, _ = SCENES[spec.slug]
    url = world.subject(spec, state)
    refused(world, lambda: world.clients[actor].post(url, json=VALID[spec.slug]), 403, "NotPermittedError")


def test_unknown_concern_id_is_not_repeated(world: World) -> None:
    """A concern id the review does not have is 422, naming the review's own concerns, not the one sent."""
    body = {**VALID["discretion"], "concern_id": MARKER}
    problem = refused(
        world, lambda: world.clients["dm"].post(world.subject(STEPS[2], "open"), json=body), 422
    )
    assert "C1" in problem["detail"]


def test_unknown_route_is_not_repeated(world: World) -> None:
    """An escalation to a route that is not installed is 422, listing the installed routes."""
    body = {**VALID["escalations"], "route_id": MARKER}
    spec = next(s for s in STEPS if s.slug == "escalations")
    refused(world, lambda: world.clients["dm"].post(world.subject(spec, "open"), json=body), 422)


@pytest.mark.parametrize(
    "path", [f"/api/reviews/{MARKER}", f"/api/referrals/{MARKER}-R3", f"/api/referrals/{MARKER}"]
)
def test_unknown_ids_in_the_address_are_404_without_echo(world: World, path: str) -> None:
    """An id in the address that names nothing is 404, and the answer does not repeat it."""
    refused(world, lambda: world.clients["dm"].get(path), 404)


def test_open_review_bad_input(world: World) -> None:
    """Opening a review with missing, wrong or huge input is refused without echo and records nothing."""
    client = world.clients["dm"]
    refused(world, lambda: client.post("/api/reviews", json={}), 422)
    bad = {"case": {"reference": MARKER}, "proposed": {"outcome": MARKER, "summary": 7}}
    refused(world, lambda: client.post("/api/reviews", json=bad), 422)
    refused(world, lambda: client.post("/api/reviews", content=b"x" * 600_000), 413)
    refused(
        world,
        lambda: world.clients["team"].post(
            "/api/reviews",
            json={"case": {"reference": MARKER}, "proposed": {"outcome": "refuse", "summary": MARKER}},
        ),
        403,
    )


@pytest.mark.parametrize(
    "query",
    [
        f"from={MARKER}&to=2026-01-31",
        f"from=2026-01-01&to=2026-01-31&format={MARKER}",
        "from=2026-02-01&to=2026-01-01",
    ],
)
def test_report_queries_are_checked(world: World, query: str) -> None:
    """A report asked for with a bad date, format or period is 422 without the value."""
    refused(
        world, lambda: world.clients["dm"].get(f"/api/reports/department?{query}"), 422, "ValidationError"
    )


def test_dev_sign_in_bad_input(world: World) -> None:
    """A development sign-in with a bad kind or missing fields is 422 without echo."""
    client = world.clients["dm"]
    refused(world, lambda: client.post("/api/dev/sign-in", json={"kind": MARKER, "staff_id": "x"}), 422)
    refused(
        world, lambda: client.post("/api/dev/sign-in", json={"kind": "decision_maker", "staff_id": "x"}), 422
    )


# -- the pages' forms ------------------------------------------------------------------------------


def _form_cases(world: World) -> list[tuple[str, dict[str, str]]]:
    review = world.open
    return [
        ("/reviews/new", {"reference": MARKER, "outcome": "refuse", "summary": MARKER}),
        (f"/reviews/{world.escalated}/concerns/new", {"statement": MARKER, "category": "vulnerability"}),
        (
            f"/reviews/{review}/concerns/C1/discretion/inside",
            {"guidance": MARKER, "reason": MARKER, "result": "not_resolved"},
        ),
        (
            f"/reviews/{review}/concerns/C1/discussion",
            {"consulted_role": "colleague", "consulted": MARKER, "advice": MARKER, "result": "not_resolved"},
        ),
        (f"/reviews/{review}/escalation", {"concern_ids": "C1", "question": MARKER, "confirm": "yes"}),
        (
            f"/reviews/{review}/final-decision",
            {"outcome": "grant", "summary": MARKER, "rationale": MARKER, "confirm": "yes"},
        ),
        (
            f"/reviews/{review}/handover",
            {"at": "check", "to": "cw-0077", "role": "caseworker", "reason": MARKER, "confirm": "yes"},
        ),
    ]


def test_forged_csrf_token_is_403_and_changes_nothing(world: World) -> None:
    """Every form posted with a forged, missing or another cookie's token is 403, before anything is taken."""
    client = world.clients["dm"]
    csrf_token(client)
    for path, fields in _form_cases(world):
        for token in ("forged", "", world.clients["team"].cookies.get("edm_csrf") or "x.y"):
            refused(world, lambda p=path, f=fields, t=token: client.post(p, data={**f, "csrf_token": t}), 403)
    team = world.clients["team"]
    team_token = csrf_token(team, "/queue")
    del team_token
    for path in (
        f"/referrals/{world.escalated_referral}/acknowledge",
        f"/referrals/{world.escalated_referral}/advice",
        f"/referrals/{world.escalated_referral}/assignment",
        f"/referrals/{world.escalated_referral}/release",
    ):
        refused(world, lambda p=path: team.post(p, data={"csrf_token": "forged", "advice": MARKER}), 403)


def test_forms_with_missing_fields_name_them(world: World) -> None:
    """A form with its required fields missing is 422 with an error summary linking to each field."""
    client = world.clients["dm"]
    token = csrf_token(client)
    for path, fields in _form_cases(world):
        blank = {name: "" for name in fields if name != "confirm"}
        answer = refused(world, lambda p=path, b=blank: client.post(p, data={**b, "csrf_token": token}), 422)
        del answer
        page = client.post(path, data={**blank, "csrf_token": token})
        assert "There is a problem" in page.text
        assert 'govuk-error-summary__list"' in page.text


def test_forms_errors_never_hold_the_typed_text(world: World) -> None:
    """A form refused for a missing choice keeps the typed text in its field; no error message holds it."""
    client = world.clients["dm"]
    token = csrf_token(client)
    path = f"/reviews/{world.open}/concerns/C1/discretion/inside"
    before = world.head()
    page = client.post(path, data={"guidance": MARKER, "reason": MARKER, "csrf_token": token})
    assert 422 == page.status_code
    summary = page.text.split('govuk-error-summary__list"')[1].split("</ul>")[0]
    assert "Select whether it resolves the concern" in summary
    assert MARKER not in summary
    assert all(
        MARKER not in part.split("</p>")[0] for part in page.text.split('class="govuk-error-message"')[1:]
    )
    assert before == world.head()


def test_form_with_stale_version_is_refused(world: World) -> None:
    """A form posted from a page showing an older version is refused with the ConflictError message."""
    client = world.clients["dm"]
    token = csrf_token(client)
    path = f"/reviews/{world.open}/concerns/C1/discussion"
    fields = {"consulted_role": "colleague", "consulted": MARKER, "advice": MARKER, "result": "not_resolved"}
    refused(world, lambda: client.post(path, data={**fields, "version": "1", "csrf_token": token}), 409)


def test_form_for_a_step_the_rules_refuse(world: World) -> None:
    """A form for a step the review no longer allows shows the refusal and records nothing."""
    client = world.clients["dm"]
    token = csrf_token(client)
    path = f"/reviews/{world.closed}/final-decision"
    fields = {
        "outcome": "grant",
        "summary": MARKER,
        "rationale": MARKER,
        "confirm": "yes",
        "csrf_token": token,
    }
    refused(world, lambda: client.post(path, data=fields), 409)


def test_form_for_a_step_the_policy_refuses(world: World) -> None:
    """A route team member posting a decision-maker's form is refused (403) with the library's message."""
    team = world.clients["team"]
    token = csrf_token(team, "/queue")
    path = f"/reviews/{world.escalated}/concerns/new"
    data = {"statement": MARKER, "category": "vulnerability", "csrf_token": token}
    refused(world, lambda: team.post(path, data=data), 403)


def test_huge_form_is_413(world: World) -> None:
    """A form over the body limit is 413 and records nothing."""
    client = world.clients["dm"]
    token = csrf_token(client)
    data = {"statement": MARKER * 60_000, "category": "vulnerability", "csrf_token": token}
    refused(world, lambda: client.post(f"/reviews/{world.escalated}/concerns/new", data=data), 413)


def test_assignment_form_without_anyone_named_is_422(world: World) -> None:
    """The assignment form with no staff id is 422 with the error summary, and assigns nobody."""
    team = world.clients["team"]
    token = csrf_token(team, "/queue")
    path = f"/referrals/{world.escalated_referral}/assignment"
    refused(world, lambda: team.post(path, data={"to": "", "csrf_token": token}), 422)
    assert "Enter their staff id" in team.post(path, data={"to": "", "csrf_token": token}).text


def test_assignment_form_to_someone_the_policy_refuses_does_not_repeat_them(world: World) -> None:
    """Assigning, in the form, the referral to the decision-maker who made it is 403, the id unsaid."""
    team = world.clients["team"]
    token = csrf_token(team, "/queue")
    path = f"/referrals/{world.escalated_referral}/assignment"
    page = refused(world, lambda: team.post(path, data={"to": "cw-0042", "csrf_token": token}), 403)
    del page
    answer = team.post(path, data={"to": "cw-0042", "csrf_token": token})
    assert "the staff id given made referral" in answer.text
    assert "cw-0042" not in answer.text.split("<main")[1]


def test_release_form_with_a_stale_version_changes_nothing(world: World) -> None:
    """A release posted from a page showing an older version is refused (409) and the assignee stays."""
    team = world.clients["team"]
    team.post(f"/api/referrals/{world.escalated_referral}/assignment", json={"to": "ccu-0007"})
    token = csrf_token(team, "/queue")
    path = f"/referrals/{world.escalated_referral}/release"
    refused(world, lambda: team.post(path, data={"version": "1", "csrf_token": token}), 409)
    assert "ccu-0007" == world.edm.referral(world.escalated_referral).assignee.staff_id  # type: ignore[union-attr]


def test_handover_form_by_someone_the_policy_refuses(world: World) -> None:
    """A route team member, who may read the review but not hand it over, is refused (403) with the form.

    The page itself answers with the same refusal, before anything is typed.
    """
    colleague = world.clients["team"]
    token = csrf_token(colleague, "/queue")
    path = f"/reviews/{world.escalated}/handover"
    fields = {"at": "check", "to": "cw-0077", "role": "caseworker", "reason": MARKER, "confirm": "yes"}
    refused(world, lambda: colleague.post(path, data={**fields, "csrf_token": token}), 403)
    assert 403 == colleague.get(path).status_code
