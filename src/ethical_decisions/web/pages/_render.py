"""Rendering the pages: the templates, who is signed in, the CSRF cookie, and the error page."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import jinja2
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from ethical_decisions.guidance import GUIDANCE, concern_category_label
from ethical_decisions.model import (
    ConcernCategory,
    DecisionMaker,
    PolicyTeamMember,
    RouteTeamMember,
    StaffRole,
)
from ethical_decisions.review import Review
from ethical_decisions.web import _http
from ethical_decisions.web.access import is_manager
from ethical_decisions.web.forms import CSRF_COOKIE, read_form
from ethical_decisions.web.hookspecs import WebActor
from ethical_decisions.web.problems import Problem

__all__ = ["Pages", "optional_actor", "page_actor", "redirect", "render", "role_label"]

_TEMPLATES = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent.parent / "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def _concern_items(
    ids: Sequence[str], review: Review, label: Callable[[ConcernCategory], str]
) -> list[tuple[str, str, str]]:
    """Checkbox items for concerns: (id, "Concern C1: category", the statement)."""
    items = []
    for concern_id in ids:
        found = review.concern(concern_id)
        assert found is not None
        items.append((concern_id, f"Concern {concern_id}: {label(found.category)}", found.concern.statement))
    return items


def role_label(role: StaffRole) -> str:
    """A staff role in words: ``line manager``."""
    return role.value.replace("_", " ")


_TEMPLATES.filters["role"] = role_label
_TEMPLATES.filters["zip_concerns"] = _concern_items
_TEMPLATES.filters["category"] = concern_category_label
_TEMPLATES.filters["lowerfirst"] = lambda text: text[:1].lower() + text[1:]


def _nav(actor: WebActor, manager: bool) -> list[tuple[str, str]]:
    items = []
    if isinstance(actor, DecisionMaker):
        items += [("/", "Your reviews"), ("/feedback", "Your referrals")]
        if manager:
            items.append(("/assessments", "Assessments"))
    if isinstance(actor, RouteTeamMember):
        items.append(("/queue", "Referrals"))
    items += [("/systemic-issues", "Systemic issues"), ("/reports", "Reports"), ("/verify", "Audit trail")]
    return items


def _actor_label(actor: WebActor, names: dict[str, str]) -> str:
    if isinstance(actor, DecisionMaker):
        return f"{role_label(actor.role)}, {actor.team}"
    if isinstance(actor, RouteTeamMember):
        return f"{names.get(actor.route_id, actor.route_id)} team"
    if isinstance(actor, PolicyTeamMember):
        return f"policy team {actor.team}"
    return "records officer"


def optional_actor(request: Request) -> WebActor | None:
    """Who is signed in, if anyone."""
    return _http.context(request).auth.actor(_http.request_info(request))


def page_actor(request: Request) -> WebActor:
    """Who is signed in; the request ends with the sign-in page (or 401) if no one is."""
    found = optional_actor(request)
    if found is None:
        raise _http.not_signed_in()
    return found


def render(
    request: Request, template: str, *, status: int = 200, section: str = "", **values: Any
) -> Response:
    """*template* filled in with *values* and what every page shows."""
    ctx = _http.context(request)
    token = request.cookies.get(CSRF_COOKIE)
    fresh = ctx.signer.unsign("csrf", token) is None
    if fresh:
        token = ctx.signer.new_token()
    actor = values.pop("actor", None) or optional_actor(request)
    values.setdefault("errors", {})
    html = _TEMPLATES.get_template(template).render(
        actor=actor,
        actor_label=_actor_label(actor, {r.route_id: r.name for r in ctx.edm.routes()}) if actor else "",
        nav=_nav(actor, is_manager(actor, ctx.edm.plugins.people)) if actor else [],
        section=section,
        csrf_token=token,
        guidance_label=GUIDANCE.label,
        dev_sign_in=ctx.auth.dev_sign_in_allowed(_http.request_info(request)),
        **values,
    )
    response = HTMLResponse(html, status_code=status)
    if fresh:
        assert token is not None
        response.set_cookie(CSRF_COOKIE, token, httponly=True, samesite="strict", secure=ctx.secure_cookies)
    return response


def redirect(path: str) -> Response:
    """See other: after a step, the page to go to next (POST, redirect, GET)."""
    return RedirectResponse(path, status_code=303)


async def problem_page(request: Request, problem: Problem) -> Response:
    """The error page for *problem*: its title and the library's message, never a submitted value."""
    if problem.status == 401 and _http.context(request).auth.dev_sign_in_allowed(_http.request_info(request)):
        return redirect("/sign-in")
    try:
        actor = optional_actor(request)
    except Exception:  # the authentication plugin failed: show the error without a name
        actor = None
    return render(
        request, "error.html", status=problem.status, problem=problem, title=problem.title, actor=actor
    )


class Pages:
    """A module's pages, registered by :meth:`page` and turned into routes by :meth:`routes`."""

    def __init__(self) -> None:
        self._pages: list[tuple[str, Sequence[str], _http.Handler]] = []

    def page(self, path: str, methods: Sequence[str] = ("GET",)) -> Callable[[_http.Handler], _http.Handler]:
        """Register the decorated handler at *path*."""

        def register(function: _http.Handler) -> _http.Handler:
            self._pages.append((path, methods, function))
            return function

        return register

    def routes(self) -> list[BaseRoute]:
        """The pages as routes, each answering its errors with the error page.

        A ``POST`` is answered only once its form's CSRF token has passed (403 otherwise),
        before the handler runs: no page can take a step on a forged form.
        """
        return [
            Route(path, _http.handler(path, page=problem_page)(_checked(function)), methods=list(methods))
            for path, methods, function in self._pages
        ]


def _checked(function: _http.Handler) -> _http.Handler:
    async def run(request: Request) -> Response:
        if request.method == "POST":
            await read_form(request)  # raises 403 for a forged token; the body is kept for the handler
        return await function(request)

    run.__name__ = function.__name__
    run.__doc__ = function.__doc__
    return run
