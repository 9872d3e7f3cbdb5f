"""The register of systemic issues: flagged from a referral's page, listed, and moved on by a policy team.

A member of the team of the route a referral went to flags a systemic issue
from the referral's page: a new issue on the register, or a link to one already
there. Everyone signed in reads the register (it is an internal page: titles
are free text about rules and guidance, never about an applicant) and each
issue's page (its status history and the referrals linked to it); a member of
the policy team that owns an issue moves it on. Who may do what is the
permission policy's (asked exactly as the service asks it, before anything is
typed); what the register allows is the library's
(:func:`~ethical_decisions.learning.check_update`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from ethical_decisions.exceptions import NotPermittedError, ValidationError
from ethical_decisions.guidance import concern_category_label
from ethical_decisions.learning import SystemicIssue
from ethical_decisions.model import RouteTeamMember, Stage, Step, SystemicIssueStatus
from ethical_decisions.policy import describe_actor
from ethical_decisions.review import Referral, Review
from ethical_decisions.web import _http, learning
from ethical_decisions.web.bodies import IssueLinkBody, IssueStatusBody, SystemicIssueBody
from ethical_decisions.web.forms import Form, FormErrors, field_errors, parse_form, read_form
from ethical_decisions.web.hookspecs import WebActor
from ethical_decisions.web.offers import require

from ._render import Pages, page_actor, redirect, render

__all__ = ["PAGES", "STATUS_LABELS", "date_from", "status_colour"]

PAGES = Pages()

STATUS_LABELS = {
    SystemicIssueStatus.OPEN: "Open",
    SystemicIssueStatus.ACCEPTED: "Accepted",
    SystemicIssueStatus.CHANGE_MADE: "Change made",
    SystemicIssueStatus.DECLINED: "Declined",
    SystemicIssueStatus.CLOSED: "Closed",
}
"""Each status of an issue in words."""

_COLOURS = {
    SystemicIssueStatus.OPEN: "blue",
    SystemicIssueStatus.ACCEPTED: "purple",
    SystemicIssueStatus.CHANGE_MADE: "green",
    SystemicIssueStatus.DECLINED: "orange",
    SystemicIssueStatus.CLOSED: "grey",
}


def status_colour(status: SystemicIssueStatus) -> str:
    """The GOV.UK tag colour for an issue's status."""
    return _COLOURS[status]


def date_from(form: Form, name: str, label: str, *, required: bool) -> str | None:
    """The date in the GOV.UK date input *name* (``name-day``, ``-month``, ``-year``), as ``YYYY-MM-DD``.

    :raises FormErrors: naming the field when it is missing (and *required*) or not a real date.
    """
    parts = [form.get(f"{name}-{part}") for part in ("day", "month", "year")]
    if not any(parts):
        if required:
            raise FormErrors({name: f"Enter {label}"})
        return None
    try:
        day, month, year = (int(p) for p in parts)
        return dt.date(year, month, day).isoformat()
    except ValueError:
        raise FormErrors({name: f"Enter {label} as a real date, for example 31 3 2027"}) from None


def _date_values(form: Form, name: str) -> dict[str, str]:
    return {f"{name}-{part}": form.get(f"{name}-{part}") for part in ("day", "month", "year")}


async def _flagging(request: Request) -> tuple[WebActor, Referral, Review]:
    """The referral the address names, once the policy lets the signed-in person open an issue from it."""
    by = page_actor(request)
    edm = _http.context(request).edm
    referral, review = await _http.threaded(
        learning.readable_referral, edm, by, _http.path_id(request, "referral")
    )
    require(edm, by, Step.OPEN_SYSTEMIC_ISSUE, review, referral=referral)
    return by, referral, review


def _linkable(edm_issues: list[SystemicIssue], referral: Referral) -> list[SystemicIssue]:
    return [
        i
        for i in edm_issues
        if i.status is not SystemicIssueStatus.CLOSED and referral.referral_id not in i.referral_ids
    ]


async def _issues(request: Request) -> list[SystemicIssue]:
    edm = _http.context(request).edm
    records = await _http.threaded(edm.systemic_issues)
    return [await _http.threaded(edm.systemic_issue, r.issue_id) for r in records]


@PAGES.page("/referrals/{referral_id}/systemic-issue", methods=("GET", "POST"))
async def flag(request: Request) -> Response:
    """Flag a systemic issue: open a new one, or link the referral to one already on the register."""
    _, referral, _ = await _flagging(request)
    base = f"/referrals/{referral.referral_id}/systemic-issue"
    linkable = _linkable(await _issues(request), referral)
    if not linkable:
        return redirect(f"{base}/new")
    errors: dict[str, str] = {}
    if request.method == "POST":
        chosen = (await read_form(request)).get("how")
        if chosen in ("new", "link"):
            return redirect(f"{base}/{chosen}")
        errors = {"how": "Select whether to open a new issue or link the referral to one"}
    return render(
        request,
        "issue_flag.html",
        title="Does the referral raise a new systemic issue?",
        section="/queue",
        referral=referral,
        choices=[
            ("new", "Yes: open a new systemic issue", ""),
            ("link", "No: it raises one already on the register", f"{len(linkable)} open on the register"),
        ],
        errors=errors,
        status=422 if errors else 200,
    )


_ISSUE_FIELDS = {"title": "title", "description": "description", "rule": "rule", "owner": "owner"}
_ISSUE_FIELDS["due_on"] = "due_on"
_ISSUE_REQUIRED = [
    ("title", "Enter a title for the issue"),
    ("description", "Describe what the route's team has seen"),
    ("rule", "Enter the rule or guidance the issue concerns"),
    ("owner", "Enter the policy team that owns the rule or guidance"),
]


def _issue_body(form: Form, values: Mapping[str, str]) -> SystemicIssueBody:
    """The new issue's body from the form; every answer to correct named at once (the date last)."""
    dated: Mapping[str, str] = {}
    due = None
    try:
        due = date_from(form, "due_on", "the date the owner is to answer by", required=True)
    except FormErrors as exc:
        dated = exc.errors
    data: dict[str, Any] = {n: values[n] or None for n in ("title", "description", "rule", "owner")}
    try:
        body: SystemicIssueBody = parse_form(
            SystemicIssueBody, data | {"due_on": due or "2000-01-01"}, _ISSUE_FIELDS, _ISSUE_REQUIRED
        )
    except FormErrors as exc:
        raise FormErrors({**exc.errors, **dated}) from None
    if dated:
        raise FormErrors(dated)
    return body


@PAGES.page("/referrals/{referral_id}/systemic-issue/new", methods=("GET", "POST"))
async def new_issue(request: Request) -> Response:
    """Open a systemic issue from the referral: title, description, rule or guidance, owner, due date."""
    by, referral, _ = await _flagging(request)
    edm = _http.context(request).edm
    values: dict[str, str] = {}
    errors: Mapping[str, str] = {}
    if request.method == "POST":
        form = await read_form(request)
        values = {n: form.text(n) or "" for n in ("title", "description")}
        values |= {n: form.get(n) for n in ("rule", "owner")} | _date_values(form, "due_on")
        try:
            body = _issue_body(form, values)
            issue = await _http.threaded(learning.open_issue, edm, by, referral.referral_id, body)
        except FormErrors as exc:
            errors = exc.errors
        except ValidationError as exc:
            errors = field_errors(exc, _ISSUE_FIELDS)
        else:
            return redirect(f"/systemic-issues/{issue.issue_id}")
    return render(
        request,
        "issue_new.html",
        title="Open a systemic issue",
        section="/queue",
        referral=referral,
        values=values,
        errors=errors,
        status=422 if errors else 200,
    )


@PAGES.page("/referrals/{referral_id}/systemic-issue/link", methods=("GET", "POST"))
async def link_issue(request: Request) -> Response:
    """Link the referral to an issue already on the register (one not closed, not linked to it yet)."""
    by, referral, review = await _flagging(request)
    edm = _http.context(request).edm
    linkable = _linkable(await _issues(request), referral)
    errors: Mapping[str, str] = {}
    if request.method == "POST":
        form = await read_form(request)
        chosen = form.get("issue_id")
        found = next((i for i in linkable if i.issue_id == chosen), None)
        if found is None:
            errors = {"issue_id": "Select the systemic issue the referral raises"}
        else:
            require(edm, by, Step.LINK_SYSTEMIC_ISSUE, review, referral=referral)
            version = form.version()
            body = IssueLinkBody(referral.referral_id)
            await _http.threaded(learning.link, edm, by, found.issue_id, body, version)
            return redirect(f"/systemic-issues/{found.issue_id}")
    return render(
        request,
        "issue_link.html",
        title="Which systemic issue does the referral raise?",
        section="/queue",
        referral=referral,
        issues=linkable,
        labels=STATUS_LABELS,
        errors=errors,
        status=422 if errors else 200,
    )


@PAGES.page("/systemic-issues")
async def register(request: Request) -> Response:
    """The register of systemic issues, oldest first: status, route, due date, overdue, and titles."""
    page_actor(request)
    ctx = _http.context(request)
    items = await _http.threaded(learning.register, ctx.edm, ctx.now().date())
    return render(
        request,
        "issues.html",
        title="Systemic issues",
        section="/systemic-issues",
        items=items,
        labels=STATUS_LABELS,
        colour=status_colour,
        route_names={r.route_id: r.name for r in ctx.edm.routes()},
    )


def _may_update(request: Request, by: WebActor, issue: SystemicIssue) -> bool:
    edm = _http.context(request).edm
    return learning.issue_permission(edm, by, Step.UPDATE_SYSTEMIC_ISSUE, owner=issue.owner).allowed


@PAGES.page("/systemic-issues/{issue_id}")
async def issue_page(request: Request) -> Response:
    """A systemic issue: what it is, its status history, the referrals linked, and moving it on."""
    by = page_actor(request)
    ctx = _http.context(request)
    issue = await _http.threaded(learning.issue, ctx.edm, request.path_params["issue_id"])
    return render(
        request,
        "issue.html",
        title=f"Systemic issue {issue.issue_id}",
        section="/systemic-issues",
        issue=issue,
        overdue=issue.overdue(ctx.now().date()),
        labels=STATUS_LABELS,
        colour=status_colour,
        category=concern_category_label,
        may_update=_may_update(request, by, issue) and bool(issue.status.next_statuses),
        route_team=isinstance(by, RouteTeamMember) and by.route_id == issue.route_id,
        route_names={r.route_id: r.name for r in ctx.edm.routes()},
    )


_STATUS_FIELDS = {"status": "status", "reason": "reason", "due_on": "due_on"}


@PAGES.page("/systemic-issues/{issue_id}/status", methods=("GET", "POST"))
async def status(request: Request) -> Response:
    """Move the issue on (its policy team): a new status, with a reason to decline, or a new due date."""
    by = page_actor(request)
    edm = _http.context(request).edm
    issue = await _http.threaded(learning.issue, edm, request.path_params["issue_id"])
    answer = learning.issue_permission(edm, by, Step.UPDATE_SYSTEMIC_ISSUE, owner=issue.owner)
    if not answer.allowed:
        raise NotPermittedError(
            Step.UPDATE_SYSTEMIC_ISSUE,
            Stage.NOT_OPENED,
            (),
            answer.reason,
            actor=describe_actor(by),
            would_allow=answer.would_allow,
        )
    values: dict[str, str] = {}
    errors: Mapping[str, str] = {}
    if request.method == "POST":
        form = await read_form(request)
        values = {"status": form.get("status"), "reason": form.text("reason") or ""}
        values |= _date_values(form, "due_on")
        try:
            due = date_from(form, "due_on", "the new due date", required=False)
            data = {"status": values["status"] or None, "reason": form.text("reason"), "due_on": due}
            body = parse_form(
                IssueStatusBody, data, _STATUS_FIELDS, [("status", "Select the issue's status now")]
            )
            await _http.threaded(learning.update, edm, by, issue.issue_id, body, form.version())
        except FormErrors as exc:
            errors = exc.errors
        except ValidationError as exc:
            errors = field_errors(exc, _STATUS_FIELDS)
        else:
            return redirect(f"/systemic-issues/{issue.issue_id}")
    choices = [
        (s.value, STATUS_LABELS[s], "") for s in SystemicIssueStatus if s in issue.status.next_statuses
    ]
    choices.append(
        (issue.status.value, f"Still {STATUS_LABELS[issue.status].lower()}: a new due date only", "")
    )
    return render(
        request,
        "issue_status.html",
        title="What is the issue\N{RIGHT SINGLE QUOTATION MARK}s status now?",
        section="/systemic-issues",
        issue=issue,
        choices=choices,
        values=values,
        errors=errors,
        status=422 if errors else 200,
    )
