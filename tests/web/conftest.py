"""Fixtures for the web service's tests: an app over a memory store with one route, and signed-in clients."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from ethical_decisions import EthicalDecisions, Route, RouteRegistrar, hookimpl, testing
from ethical_decisions.web import create_app

ROUTE_ID = "ccu_test"
AREA = "customer_services_group"
MARKER = "ZQXMARKER7731"
"""A distinctive string put in submitted values: it must never come back in an error, a log or a header."""

DECISION_MAKER = {
    "kind": "decision_maker",
    "staff_id": "cw-0042",
    "role": "caseworker",
    "business_area": AREA,
    "team": "Settlement Casework",
}
ROUTE_MEMBER = {"kind": "route_team_member", "staff_id": "ccu-0007", "route_id": ROUTE_ID}
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


class RoutesPlugin:
    """Registers one route for the Customer Services Group."""

    def __init__(self, route: Route) -> None:
        self.route = route

    @hookimpl
    def ethical_decisions_register_routes(self, register: RouteRegistrar) -> None:
        """Register the route."""
        register(self.route)


@pytest.fixture(name="edm")
def _edm() -> EthicalDecisions:
    route = testing.route(ROUTE_ID, business_area=AREA, name="Chief Caseworker Unit")
    return testing.service(RoutesPlugin(route))


@pytest.fixture(name="app")
def _app(edm: EthicalDecisions) -> Any:
    return create_app(edm, dev_sign_in=True, entry_points=False, secret=b"s" * 32)


def client_for(app: Any, who: dict[str, str] | None = None) -> TestClient:
    """A client on the loopback address, signed in through the development sign-in as *who*."""
    client = TestClient(app, client=("127.0.0.1", 50000), follow_redirects=False)
    if who is not None:
        answer = client.post("/api/dev/sign-in", json=who)
        assert answer.status_code == 200, answer.text
    return client


@pytest.fixture(name="dm")
def _dm(app: Any) -> Iterator[TestClient]:
    with client_for(app, DECISION_MAKER) as client:
        yield client


@pytest.fixture(name="team")
def _team(app: Any) -> Iterator[TestClient]:
    with client_for(app, ROUTE_MEMBER) as client:
        yield client


def csrf_token(client: TestClient, path: str = "/") -> str:
    """The CSRF token of the form on *path* (which also sets the cookie)."""
    page = client.get(path)
    found = _TOKEN.search(page.text)
    assert found is not None, f"no form on {path}"
    return found.group(1)


def open_review(client: TestClient) -> str:
    """Open a review through the API; its id."""
    answer = client.post(
        "/api/reviews",
        json={
            "case": {"reference": "CSG-2026-000123"},
            "proposed": {"outcome": "refuse", "summary": "Refuse."},
        },
    )
    assert answer.status_code == 201, answer.text
    review_id: str = answer.json()["review_id"]
    return review_id


def escalated_review(client: TestClient) -> tuple[str, str]:
    """A review with concern C1 escalated to the route: (review id, referral id)."""
    review_id = open_review(client)
    steps: list[tuple[str, dict[str, Any]]] = [
        (
            "reflection",
            {"concerns": [{"category": "evidential_burden", "statement": "We hold the records."}]},
        ),
        (
            "discretion",
            {
                "concern_id": "C1",
                "scope": "inside_rules",
                "guidance": "Evidential flexibility",
                "reason": "Does not reach it.",
                "result": "not_resolved",
            },
        ),
        (
            "discussions",
            {
                "concern_id": "C1",
                "consulted_role": "technical_specialist",
                "consulted": "ts-0007",
                "advice": "Escalate it.",
                "result": "not_resolved",
            },
        ),
        ("escalations", {"concern_ids": ["C1"], "question": "May we accept our own records?"}),
    ]
    for slug, body in steps:
        answer = client.post(f"/api/reviews/{review_id}/{slug}", json=body)
        assert answer.status_code == 200, answer.text
    referral_id: str = answer.json()["referrals"][0]["referral_id"]
    return review_id, referral_id
