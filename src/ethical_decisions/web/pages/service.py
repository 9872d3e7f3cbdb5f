"""The reports as pages, ``verify`` as a status page, and the development sign-in.

A report page is the very document :func:`ethical_decisions.reports.render`
writes as HTML. It carries its CSS inline, so its response's Content Security
Policy allows exactly those styles by their SHA-256 hashes (and still no
script, and nothing from elsewhere).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import re

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from ethical_decisions import reports
from ethical_decisions.exceptions import ValidationError
from ethical_decisions.model import KNOWN_BUSINESS_AREAS, StaffRole
from ethical_decisions.web import _http
from ethical_decisions.web.access import check_pdr
from ethical_decisions.web.api import department
from ethical_decisions.web.auth import DEV_COOKIE, actor_from_sign_in
from ethical_decisions.web.bodies import DevSignIn
from ethical_decisions.web.forms import FormErrors, field_errors, parse_form, read_form
from ethical_decisions.web.problems import HttpProblem

from ._render import Pages, page_actor, redirect, render

__all__ = ["PAGES", "report_policy"]

PAGES = Pages()

_STYLE_ELEMENT = re.compile(r"<style>(.*?)</style>", re.DOTALL)
_STYLE_ATTRIBUTE = re.compile(r' style="([^"]*)"')


def _hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def report_policy(document: str) -> str:
    """The CSP for a report document: its own inline styles by hash, nothing else inline, no script."""
    styles = [_hash(s) for s in _STYLE_ELEMENT.findall(document)]
    attributes = sorted({_hash(s) for s in _STYLE_ATTRIBUTE.findall(document)})
    style = " ".join([*styles, *(["'unsafe-hashes'", *attributes] if attributes else [])]) or "'none'"
    return (
        f"default-src 'none'; style-src {style}; img-src 'self' data:; "
        "form-action 'none'; frame-ancestors 'none'; base-uri 'none'"
    )


def _document(html: str) -> Response:
    return HTMLResponse(html, headers={"Content-Security-Policy": report_policy(html)})


def _default_period() -> tuple[dt.date, dt.date]:
    """The six whole calendar months before this one: a period a department report can cover."""
    first_of_this_month = dt.date.today().replace(day=1)
    last = first_of_this_month - dt.timedelta(days=1)
    year, month = divmod(last.year * 12 + last.month - 1 - 5, 12)
    return dt.date(year, month + 1, 1), last


def _dates(request: Request) -> tuple[dict[str, str], dict[str, str], reports.Period | None]:
    values = {n: request.query_params.get(n, "").strip() for n in ("from", "to", "staff_id")}
    errors: dict[str, str] = {}
    days = {}
    for name, label in (("from", "the first day"), ("to", "the last day")):
        try:
            days[name] = dt.date.fromisoformat(values[name])
        except ValueError:
            errors[name] = f"Enter {label} of the period as a date, for example 2026-01-31"
    if errors:
        return values, errors, None
    try:
        return values, errors, reports.Period.from_dates(days["from"], days["to"])
    except ValidationError as exc:
        return values, field_errors(exc, {"first_day": "from", "last_day": "to"}), None


@PAGES.page("/reports")
async def reports_page(request: Request) -> Response:
    """Choose a report: the department's, or one decision-maker's PDR report."""
    by = page_actor(request)
    first, last = _default_period()
    return render(
        request,
        "reports.html",
        title="Reports",
        section="/reports",
        first=first.isoformat(),
        last=last.isoformat(),
        staff_id=by.staff_id,
        values={},
    )


def _choose_again(request: Request, values: dict[str, str], errors: dict[str, str], which: str) -> Response:
    """The reports page again, with what needs correcting in the form for *which* report."""
    return render(
        request,
        "reports.html",
        title="Reports",
        section="/reports",
        status=422,
        errors=errors,
        values=values,
        first=values["from"],
        last=values["to"],
        staff_id=values["staff_id"],
        which=which,
    )


@PAGES.page("/reports/department")
async def department_page(request: Request) -> Response:
    """The department report for a period, as the HTML document the command writes."""
    page_actor(request)
    values, errors, period = _dates(request)
    if period is None:
        return _choose_again(request, values, errors, "department")
    report = await _http.threaded(department, _http.context(request), period)
    return _document(reports.render(report, "html"))


@PAGES.page("/reports/pdr")
async def pdr_page(request: Request) -> Response:
    """A decision-maker's PDR report for a period, as the HTML document the command writes."""
    by = page_actor(request)
    values, errors, period = _dates(request)
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,99}", values["staff_id"]):
        errors["staff_id"] = "Enter the decision-maker's staff id"
    if period is None or errors:
        return _choose_again(request, values, errors, "pdr")
    check_pdr(by, values["staff_id"], _http.context(request).edm.plugins.people)
    store = _http.context(request).edm.store
    report = await _http.threaded(reports.pdr_report, store, values["staff_id"], period, seed=1)
    return _document(reports.render(report, "html"))


@PAGES.page("/verify")
async def verify_page(request: Request) -> Response:
    """Whether the audit chain verifies."""
    page_actor(request)
    report = await _http.threaded(_http.context(request).edm.verify)
    return render(request, "verify.html", title="Audit trail", section="/verify", report=report)


_KINDS = [
    ("decision_maker", "Decision-maker", ""),
    ("route_team_member", "Member of a route\N{RIGHT SINGLE QUOTATION MARK}s team", ""),
    ("records_officer", "Records officer", ""),
    ("policy_team_member", "Member of a policy team", ""),
]


@PAGES.page("/sign-in", methods=("GET", "POST"))
async def sign_in(request: Request) -> Response:
    """The development sign-in: be anyone (loopback only, no authentication plugin installed)."""
    ctx = _http.context(request)
    if not ctx.auth.dev_sign_in_allowed(_http.request_info(request)):
        raise HttpProblem(
            404,
            "not-found",
            "Not found",
            "There is no development sign-in here: the deployment signs people in.",
        )
    errors: dict[str, str] = {}
    values: dict[str, str] = {}
    if request.method == "POST":
        form = await read_form(request)
        names = ("kind", "staff_id", "role", "business_area", "team", "route_id", "policy_team")
        values = {n: form.get(n) for n in names}
        data = {n: values[n] or None for n in names}
        kind = values["kind"]
        for unused in {
            "decision_maker": ("route_id", "policy_team"),
            "route_team_member": ("role", "business_area", "team", "policy_team"),
            "policy_team_member": ("role", "business_area", "team", "route_id"),
        }.get(kind, ("role", "business_area", "team", "route_id", "policy_team")):
            data[unused] = None
        try:
            body = parse_form(
                DevSignIn,
                data,
                {n: n for n in names},
                [("kind", "Select who you are"), ("staff_id", "Enter your staff id")],
            )
            actor = actor_from_sign_in(body)
        except FormErrors as exc:
            errors = exc.errors
        except ValidationError as exc:
            errors = field_errors(exc, {n: n for n in names})
        else:
            response = redirect("/")
            response.set_cookie(
                DEV_COOKIE,
                ctx.auth.dev_cookie(body),
                httponly=True,
                samesite="strict",
                secure=ctx.secure_cookies,
            )
            del actor
            return response
    routes = sorted((r.route_id, r.name) for r in ctx.edm.routes())
    return render(
        request,
        "sign_in.html",
        title="Sign in for development",
        actor=None,
        kinds=_KINDS,
        roles=[(r.value, r.value.replace("_", " ").capitalize(), "") for r in StaffRole],
        areas=[(k, v, "") for k, v in KNOWN_BUSINESS_AREAS.items()],
        routes=[(k, v, "") for k, v in routes],
        values=values,
        errors=errors,
        status=422 if errors else 200,
    )


@PAGES.page("/sign-out", methods=("POST",))
async def sign_out(request: Request) -> Response:
    """Forget the development sign-in."""
    await read_form(request)
    response = redirect("/sign-in")
    response.delete_cookie(DEV_COOKIE)
    return response
