"""Who is signed in, and what every answer carries: the auth hook, the local sign-in, headers, CSRF."""

from __future__ import annotations

from typing import Any

import pytest
import structlog
from starlette.testclient import TestClient

from ethical_decisions import DecisionMaker, EthicalDecisions, RouteTeamMember, StaffRole, hookimpl
from ethical_decisions.cli import main
from ethical_decisions.web import RequestInfo, create_app
from ethical_decisions.web.pages.service import report_policy

from .conftest import AREA, DECISION_MAKER, MARKER, client_for, csrf_token, open_review


class HeaderAuth:
    """Trusts an X-Staff-Id header (as if set by a proxy) for a Customer Services Group caseworker."""

    def __init__(self) -> None:
        self.seen: list[RequestInfo] = []

    @hookimpl
    def ethical_decisions_web_actor(self, request: RequestInfo) -> DecisionMaker | None:
        """The caseworker the header names, if any."""
        self.seen.append(request)
        staff_id = request.headers.get("x-staff-id")
        return DecisionMaker(staff_id, StaffRole.CASEWORKER, AREA, "Settlement") if staff_id else None


class Second:
    """A second plugin, asked only when the first has no answer."""

    @hookimpl
    def ethical_decisions_web_actor(self, request: RequestInfo) -> RouteTeamMember | None:
        """A route team member for every request."""
        return RouteTeamMember("rt-9", "ccu_test")


class Broken:
    """A plugin that raises with free text in its message."""

    @hookimpl
    def ethical_decisions_web_actor(self, request: RequestInfo) -> None:
        """Fail."""
        raise RuntimeError(MARKER)


class Garbage:
    """A plugin that answers with something that is not an actor."""

    @hookimpl
    def ethical_decisions_web_actor(self, request: RequestInfo) -> object:
        """Answer with text."""
        return MARKER


def _app(edm: EthicalDecisions, *plugins: object, dev_sign_in: bool = True) -> Any:
    return create_app(
        edm, dev_sign_in=dev_sign_in, auth_plugins=plugins, entry_points=False, secret=b"k" * 32
    )


def test_auth_plugin_names_the_actor(edm: EthicalDecisions) -> None:
    """The hook's answer is who is signed in; it is told the request's headers, path and client."""
    plugin = HeaderAuth()
    with TestClient(_app(edm, plugin)) as client:
        answer = client.get("/api/me", headers={"X-Staff-Id": "cw-7"})
    assert "cw-7" == answer.json()["staff_id"]
    assert "/api/me" == plugin.seen[-1].path
    assert "cw-7" == plugin.seen[-1].headers["x-staff-id"]


def test_first_answer_wins(edm: EthicalDecisions) -> None:
    """With two plugins the first to answer decides (firstresult); the other answers when it has none."""
    with TestClient(_app(edm, Second(), HeaderAuth())) as client:
        assert "cw-7" == client.get("/api/me", headers={"X-Staff-Id": "cw-7"}).json()["staff_id"]
        assert "rt-9" == client.get("/api/me").json()["staff_id"]


def test_plugin_that_raises_fails_closed_without_its_message(edm: EthicalDecisions) -> None:
    """A plugin that raises refuses the request (500); its message reaches neither answer nor log."""
    with structlog.testing.capture_logs() as logs, TestClient(_app(edm, Broken())) as client:
        answer = client.get("/api/me")
    assert 500 == answer.status_code
    assert MARKER not in answer.text
    assert MARKER not in str(logs)
    assert any(e.get("error_type") == "RuntimeError" for e in logs)


def test_plugin_that_answers_garbage_fails_closed(edm: EthicalDecisions) -> None:
    """A plugin answering with something that is not an actor refuses the request with 500."""
    with TestClient(_app(edm, Garbage())) as client:
        answer = client.get("/api/me")
    assert 500 == answer.status_code
    assert MARKER not in answer.text


def test_dev_sign_in_is_off_when_an_auth_plugin_is_installed(edm: EthicalDecisions) -> None:
    """With an authentication plugin, the development sign-in does not exist, even on loopback."""
    with TestClient(_app(edm, HeaderAuth()), client=("127.0.0.1", 1)) as client:
        assert 404 == client.post("/api/dev/sign-in", json=DECISION_MAKER).status_code
        assert 404 == client.get("/sign-in").status_code


@pytest.mark.parametrize("host", ["10.0.0.7", "192.168.1.20", "2001:db8::1", "example.org"])
def test_dev_sign_in_works_only_from_loopback(edm: EthicalDecisions, host: str) -> None:
    """From any other address no one can sign in, and a cookie signed earlier is not honoured."""
    app = _app(edm)
    with client_for(app, DECISION_MAKER) as local:
        cookie = local.cookies.get("edm_dev_actor")
    with TestClient(app, client=(host, 1)) as remote:
        assert 404 == remote.post("/api/dev/sign-in", json=DECISION_MAKER).status_code
        remote.cookies.set("edm_dev_actor", cookie or "")
        assert 401 == remote.get("/api/me").status_code


def test_dev_sign_in_refused_behind_a_proxy(edm: EthicalDecisions) -> None:
    """A loopback request that carries a proxy's forwarding header is not a local one: no sign-in."""
    with client_for(_app(edm), DECISION_MAKER) as client:
        assert 401 == client.get("/api/me", headers={"X-Forwarded-For": "203.0.113.9"}).status_code
        assert 401 == client.get("/api/me", headers={"Forwarded": "for=203.0.113.9"}).status_code


def test_forged_dev_cookie_is_ignored(edm: EthicalDecisions) -> None:
    """A sign-in cookie not signed by this server's key signs no one in."""
    with TestClient(_app(edm), client=("127.0.0.1", 1)) as client:
        client.cookies.set("edm_dev_actor", "eyJraW5kIjoicmVjb3Jkc19vZmZpY2VyIiwic3RhZmZfaWQiOiJ4In0.forged")
        assert 401 == client.get("/api/me").status_code


def test_pages_redirect_to_the_sign_in_when_no_one_is_signed_in(app: Any) -> None:
    """A page asked for without a sign-in goes to the development sign-in (on loopback)."""
    with TestClient(app, client=("127.0.0.1", 1), follow_redirects=False) as client:
        answer = client.get("/")
    assert 303 == answer.status_code
    assert "/sign-in" == answer.headers["location"]


def test_security_headers_on_pages_and_api(dm: TestClient) -> None:
    """Pages and API answers carry the CSP (no inline script or style), frame denial, nosniff, no-store."""
    review_id = open_review(dm)
    for path in ("/", f"/reviews/{review_id}", f"/api/reviews/{review_id}", "/api/nothing-here"):
        headers = dm.get(path).headers
        csp = headers["content-security-policy"]
        assert "script-src 'self'" in csp
        assert "style-src 'self'" in csp
        assert "unsafe-inline" not in csp
        assert "frame-ancestors 'none'" in csp
        assert "DENY" == headers["x-frame-options"]
        assert "nosniff" == headers["x-content-type-options"]
        assert "no-referrer" == headers["referrer-policy"]
        assert "no-store" == headers["cache-control"]


def test_static_files_are_cacheable_and_shipped(dm: TestClient) -> None:
    """GOV.UK Frontend's CSS, JS and licence are served from the package, cacheable."""
    for path in (
        "/static/govuk/govuk-frontend.min.css",
        "/static/govuk/init.js",
        "/static/govuk/LICENSE.txt",
    ):
        answer = dm.get(path)
        assert 200 == answer.status_code, path
        assert "no-store" != answer.headers["cache-control"]
    css = dm.get("/static/govuk/govuk-frontend.min.css").text
    assert "GDS Transport" not in css
    assert "@font-face" not in css


def test_pages_hold_no_inline_script_or_style(dm: TestClient) -> None:
    """No page holds an inline script, a style element or a style attribute (the CSP would refuse them)."""
    review_id = open_review(dm)
    for path in (
        "/",
        "/reviews/new",
        f"/reviews/{review_id}",
        f"/reviews/{review_id}/reflection",
        "/reports",
    ):
        html = dm.get(path).text
        assert "<script>" not in html
        assert "<style" not in html
        assert " style=" not in html
        assert 'src="http' not in html
        assert 'href="http' not in html


def test_report_documents_allow_only_their_own_styles() -> None:
    """A report's CSP lists its inline styles by hash, with no script and no unsafe-inline."""
    policy = report_policy('<style>p{}</style><svg style="position:absolute"></svg>')
    assert "'sha256-" in policy
    assert "'unsafe-inline'" not in policy
    assert "script-src" not in policy
    assert policy.startswith("default-src 'none'")


def test_csrf_cookie_is_http_only_and_same_site(app: Any) -> None:
    """The CSRF and sign-in cookies are HttpOnly and SameSite=Strict."""
    with client_for(app) as client:
        signed = client.post("/api/dev/sign-in", json=DECISION_MAKER)
        page = client.get("/reviews/new")
    for answer in (signed, page):
        cookie = answer.headers["set-cookie"].lower()
        assert "httponly" in cookie
        assert "samesite=strict" in cookie


def test_csrf_token_of_one_session_is_refused_in_another(app: Any) -> None:
    """A token taken from one browser does not pass with another browser's cookie (403)."""
    with client_for(app, DECISION_MAKER) as first, client_for(app, DECISION_MAKER) as second:
        stolen = csrf_token(first, "/reviews/new")
        csrf_token(second, "/reviews/new")
        data = {"csrf_token": stolen, "reference": "R", "outcome": "refuse", "summary": "S"}
        assert 403 == second.post("/reviews/new", data=data).status_code


def test_serve_refuses_a_public_address_without_an_auth_plugin(capsys: pytest.CaptureFixture[str]) -> None:
    """`serve --host 0.0.0.0` with no authentication plugin exits 1 and says why, starting nothing."""
    assert 1 == main(["serve", "--host", "0.0.0.0", "--port", "8765"])
    assert "without an authentication plugin" in capsys.readouterr().err
