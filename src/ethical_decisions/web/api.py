"""The HTTP API: JSON for every step, a review, a route's queue, the reports and ``verify``.

Every endpoint is declared once as an :class:`Endpoint`; the routes and the
OpenAPI document (:mod:`.openapi`) are both made from that list, so a route
cannot go undocumented. Steps come from :data:`ethical_decisions.web.steps.STEPS`.

Optimistic concurrency: a review's ``ETag`` is its version (``"7"``); send it
back as ``If-Match`` with a step and a review that has changed since is
refused with 412, recording nothing.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

import attrs
from starlette.requests import Request
from starlette.responses import Response

from ethical_decisions import reports
from ethical_decisions._fields import is_identifier
from ethical_decisions.exceptions import ConflictError, ValidationError
from ethical_decisions.learning import SystemicIssue
from ethical_decisions.model import DecisionMaker, RouteTeamMember
from ethical_decisions.review import Review
from ethical_decisions.steps import allowed_steps

from . import _http, assessing, learning, queues
from .access import check_pdr, check_referral, check_review
from .auth import DEV_COOKIE, actor_from_sign_in
from .bodies import (
    AssessmentBody,
    DevSignIn,
    GuidanceFeedbackBody,
    IssueLinkBody,
    IssueStatusBody,
    OpenReviewBody,
    SpeakUpBody,
    SystemicIssueBody,
)
from .problems import HttpProblem
from .steps import STEPS, StepSpec
from .views import (
    ActorView,
    AssessmentView,
    FeedbackView,
    GuidanceFeedbackView,
    IssueItem,
    IssueView,
    QueueItem,
    ReferralView,
    ReviewView,
    SampleItem,
    VerifyView,
    actor_view,
    feedback_view,
    issue_view,
    queue_item,
    referral_view,
    review_view,
    verify_view,
)

__all__ = ["ENDPOINTS", "Endpoint", "Query"]


@attrs.frozen
class Query:
    """A query parameter, as the OpenAPI document describes it."""

    name: str
    description: str
    required: bool = False
    schema: tuple[tuple[str, Any], ...] = (("type", "string"),)


@attrs.frozen
class Endpoint:
    """One endpoint of the API: its route, handler, and what the OpenAPI document says of it.

    :param answer: the type of the JSON answer (``None``: see *media*).
    :param media: the answer's media types when it is not one JSON type (reports).
    :param status: the success status.
    :param errors: the error statuses it may answer with.
    :param etag: the answer carries the review's version as ``ETag``.
    :param if_match: it honours ``If-Match``.
    :param signed_in: it needs someone signed in.
    """

    method: str
    path: str
    run: _http.Handler
    operation_id: str
    summary: str
    tag: str
    body: type | None = None
    answer: Any = None
    media: tuple[str, ...] = ()
    status: int = 200
    errors: tuple[int, ...] = (401,)
    query: tuple[Query, ...] = ()
    etag: bool = False
    if_match: bool = False
    signed_in: bool = True


def _etag(review: Review) -> dict[str, str]:
    return {"ETag": f'"{review.version}"'}


def _review_answer(ctx: _http.Context, review: Review, status: int = 200) -> Response:
    view = review_view(review, allowed_steps(review), ctx.now())  # the review in hand: no second read
    headers = _etag(review)
    if status == 201:
        headers["Location"] = f"/api/reviews/{review.review_id}"
    return _http.json_response(view, status=status, headers=headers)


async def me(request: Request) -> Response:
    """Who is signed in."""
    return _http.json_response(actor_view(_http.actor(request)))


async def sign_in(request: Request) -> Response:
    """Sign in as anyone (development only: loopback, no authentication plugin)."""
    ctx = _http.context(request)
    if not ctx.auth.dev_sign_in_allowed(_http.request_info(request)):
        raise HttpProblem(404, "not-found", "Not found", "There is no development sign-in here.")
    body = await _http.read_json(request, DevSignIn)
    found = actor_from_sign_in(body)
    answer = _http.json_response(actor_view(found))
    answer.set_cookie(
        DEV_COOKIE, ctx.auth.dev_cookie(body), httponly=True, samesite="strict", secure=ctx.secure_cookies
    )
    return answer


async def open_review(request: Request) -> Response:
    """Open a review of a proposed decision."""
    ctx = _http.context(request)
    by = _http.actor(request)
    body = await _http.read_json(request, OpenReviewBody)
    review = await _http.threaded(
        # Any other actor is refused by the library's rules (NotPermittedError, 403).
        lambda: ctx.edm.open_review(by=cast(DecisionMaker, by), case=body.case, proposed=body.proposed)
    )
    return _review_answer(ctx, review, 201)


async def list_reviews(request: Request) -> Response:
    """The reviews the signed-in decision-maker holds (open ones by default)."""
    ctx = _http.context(request)
    by = _http.actor(request)
    rows = await _http.threaded(
        ctx.edm.store.reviews, owner_id=by.staff_id, open_only=request.query_params.get("all") != "true"
    )
    return _http.json_response([r.review_id for r in rows])


async def get_review(request: Request) -> Response:
    """A review as it stands, with the steps it allows now."""
    ctx = _http.context(request)
    by = _http.actor(request)
    review = await _http.threaded(ctx.edm.review, _http.path_id(request, "review"))
    check_review(by, review, ctx.edm.plugins.people)
    return _review_answer(ctx, review)


def _step_handler(spec: StepSpec) -> _http.Handler:
    async def take(request: Request) -> Response:
        ctx = _http.context(request)
        by = _http.actor(request)
        subject = _http.path_id(request, spec.target)
        version = _http.parse_version(request)
        body: Any = None
        if spec.body is not None:
            body = await _http.read_json(request, spec.body)
        else:
            await request.body()  # read (and so limited) even though unused
        review = await _http.threaded(spec.take, ctx.edm, subject, by, body, version)
        if spec.target == "referral" and isinstance(by, RouteTeamMember):
            referral = review.referral(subject)
            assert referral is not None
            view = referral_view(referral, review, ctx.now())
            return _http.json_response(view, headers=_etag(review))
        return _review_answer(ctx, review)

    take.__name__ = f"take_{spec.slug.replace('-', '_')}"
    take.__doc__ = spec.summary
    return take


async def queue(request: Request) -> Response:
    """Your route's referrals, oldest first: all open, unassigned, yours, or overdue (route team members)."""
    ctx = _http.context(request)
    by = queues.member(_http.actor(request), ctx.edm)
    view = queues.view_from(request.query_params.get("view"))
    now = ctx.now()
    closed = request.query_params.get("all") == "true"
    rows = await _http.threaded(queues.queue, ctx.edm, by, view, now, closed=closed)
    return _http.json_response([queue_item(r, now) for r in rows])


async def get_referral(request: Request) -> Response:
    """A referral with its question, history and advice."""
    ctx = _http.context(request)
    by = _http.actor(request)
    referral = await _http.threaded(ctx.edm.referral, _http.path_id(request, "referral"))
    review = await _http.threaded(ctx.edm.review, referral.review_id)
    check_referral(by, referral, review, ctx.edm.plugins.people)
    return _http.json_response(referral_view(referral, review, ctx.now()), headers=_etag(review))


def _date(request: Request, name: str) -> dt.date:
    raw = request.query_params.get(name)
    try:
        return dt.date.fromisoformat(raw or "")
    except ValueError:
        raise ValidationError(
            "The report's period", [f"{name}: expected a date written YYYY-MM-DD, e.g. 2026-11-23"]
        ) from None


def _format(request: Request) -> str:
    chosen = request.query_params.get("format", "json")
    if chosen not in ("json", "csv"):
        raise ValidationError("The report's format", ["format: use json or csv"])
    return chosen


def _report_answer(report: reports.Report, chosen: str) -> Response:
    media = "application/json" if chosen == "json" else "text/csv"
    return Response(reports.render(report, chosen), media_type=media)


async def pdr_report(request: Request) -> Response:
    """A decision-maker's PDR report for a period, as JSON or CSV."""
    ctx = _http.context(request)
    by = _http.actor(request)
    staff_id = request.query_params.get("staff_id", "")
    period = reports.Period.from_dates(_date(request, "from"), _date(request, "to"))
    chosen = _format(request)
    if not staff_id:
        raise ValidationError("The report's subject", ["staff_id: required"])
    check_pdr(by, staff_id, ctx.edm.plugins.people)
    report = await _http.threaded(reports.pdr_report, ctx.edm.store, staff_id, period, seed=1)
    return _report_answer(report, chosen)


def department(ctx: _http.Context, period: reports.Period) -> reports.DepartmentReport:
    """The department report for *period*, with the routes' names."""
    names = {route.route_id: route.name for route in ctx.edm.routes()}
    return reports.department_report(ctx.edm.store, period, route_names=names)


async def department_report(request: Request) -> Response:
    """The department report for a period, as JSON or CSV."""
    ctx = _http.context(request)
    _http.actor(request)
    period = reports.Period.from_dates(_date(request, "from"), _date(request, "to"))
    chosen = _format(request)
    report = await _http.threaded(department, ctx, period)
    return _report_answer(report, chosen)


async def verify(request: Request) -> Response:
    """Check the whole audit chain."""
    ctx = _http.context(request)
    _http.actor(request)
    report = await _http.threaded(ctx.edm.verify)
    return _http.json_response(verify_view(report), status=200)


async def assessment_sample(request: Request) -> Response:
    """A person's sample of closed records to assess for a period, with the findings so far."""
    ctx = _http.context(request)
    by = assessing.assessor(_http.actor(request))
    period = reports.Period.from_dates(_date(request, "from"), _date(request, "to"))
    staff_id = request.query_params.get("staff_id", "")
    if not staff_id:
        raise ValidationError("The sample's subject", ["staff_id: required"])
    if not is_identifier(staff_id):
        raise ValidationError("The sample's subject", ["staff_id: must be a staff id"])
    items = await _http.threaded(assessing.sample, ctx.edm, by, staff_id, period)
    return _http.json_response(items)


async def record_assessment(request: Request) -> Response:
    """Record a line manager's finding on one of the model's elements in a closed review's record."""
    ctx = _http.context(request)
    by = assessing.assessor(_http.actor(request))
    version = _http.parse_version(request)
    body = await _http.read_json(request, AssessmentBody)
    review = await _http.threaded(ctx.edm.review, _http.path_id(request, "review"))
    check_review(by, review, ctx.edm.plugins.people)
    if version is not None and version != review.version:
        raise ConflictError(review.review_id, version, review.version)
    view = await _http.threaded(assessing.record_finding, ctx.edm, by, review, body)
    return _http.json_response(view, headers=_etag(review))


def _issue_answer(ctx: _http.Context, issue: SystemicIssue, status: int = 200) -> Response:
    headers = {"ETag": f'"{issue.version}"'}
    if status == 201:
        headers["Location"] = f"/api/systemic-issues/{issue.issue_id}"
    return _http.json_response(issue_view(issue, ctx.now().date()), status=status, headers=headers)


async def open_systemic_issue(request: Request) -> Response:
    """Open a systemic issue from a referral that raises it, and link the referral to it."""
    ctx = _http.context(request)
    by = _http.actor(request)
    body = await _http.read_json(request, SystemicIssueBody)
    issue = await _http.threaded(learning.open_issue, ctx.edm, by, _http.path_id(request, "referral"), body)
    return _issue_answer(ctx, issue, 201)


async def list_systemic_issues(request: Request) -> Response:
    """The register of systemic issues, oldest first, with their titles (signed-in staff only)."""
    ctx = _http.context(request)
    _http.actor(request)
    items = await _http.threaded(learning.register, ctx.edm, ctx.now().date())
    return _http.json_response(items)


async def get_systemic_issue(request: Request) -> Response:
    """A systemic issue with its status history and linked referrals."""
    ctx = _http.context(request)
    _http.actor(request)
    issue = await _http.threaded(learning.issue, ctx.edm, request.path_params["issue_id"])
    return _issue_answer(ctx, issue)


async def link_systemic_issue(request: Request) -> Response:
    """Link a further referral to a systemic issue."""
    ctx = _http.context(request)
    by = _http.actor(request)
    version = _http.parse_version(request)
    body = await _http.read_json(request, IssueLinkBody)
    issue = await _http.threaded(learning.link, ctx.edm, by, request.path_params["issue_id"], body, version)
    return _issue_answer(ctx, issue)


async def update_systemic_issue(request: Request) -> Response:
    """Move a systemic issue on: a new status, a new due date, or both (its policy team)."""
    ctx = _http.context(request)
    by = _http.actor(request)
    version = _http.parse_version(request)
    body = await _http.read_json(request, IssueStatusBody)
    issue = await _http.threaded(learning.update, ctx.edm, by, request.path_params["issue_id"], body, version)
    return _issue_answer(ctx, issue)


async def my_feedback(request: Request) -> Response:
    """The referrals the signed-in person made, and what came of them (ids, codes and times)."""
    ctx = _http.context(request)
    by = _http.actor(request)
    items = await _http.threaded(ctx.edm.feedback, by.staff_id)
    return _http.json_response([feedback_view(i) for i in items])


async def speak_up(request: Request) -> Response:
    """Answer the speaking-up questions at the close of a review with concerns (kept apart from it)."""
    ctx = _http.context(request)
    by = _http.actor(request)
    body = await _http.read_json(request, SpeakUpBody)
    await _http.threaded(learning.record_speak_up, ctx.edm, by, _http.path_id(request, "review"), body)
    return Response(status_code=204)


async def guidance_feedback(request: Request) -> Response:
    """Send feedback on the guidance itself from within a review: a question, or a formatting error."""
    ctx = _http.context(request)
    by = _http.actor(request)
    body = await _http.read_json(request, GuidanceFeedbackBody)
    taken = await _http.threaded(
        learning.send_guidance_feedback, ctx.edm, by, _http.path_id(request, "review"), body
    )
    return _http.json_response(GuidanceFeedbackView(taken))


async def openapi_document(request: Request) -> Response:
    """The OpenAPI 3.1 document of this API."""
    return _http.json_response(_http.context(request).openapi())


def _period(extra: tuple[Query, ...] = ()) -> tuple[Query, ...]:
    date = (("type", "string"), ("format", "date"))
    return (
        *extra,
        Query("from", "the first day of the period, YYYY-MM-DD", True, date),
        Query("to", "the last day of the period (included), YYYY-MM-DD", True, date),
        Query("format", "json (default) or csv", False, (("type", "string"), ("enum", ("json", "csv")))),
    )


_VIEW = Query(
    "view",
    "open (default): every referral awaiting advice; unassigned: nobody on the team has taken it; "
    "mine: assigned to you; overdue: awaiting advice past the route's response target",
    False,
    (("type", "string"), ("enum", tuple(v.value for v in queues.QueueView))),
)
_ALL = Query("all", "true: include closed ones too", False, (("type", "string"), ("enum", ("true", "false"))))
_STEP_ERRORS = (400, 401, 403, 404, 409, 412, 413, 415, 422)


def _step_endpoint(spec: StepSpec) -> Endpoint:
    answer = ReferralView | ReviewView if spec.target == "referral" else ReviewView
    return Endpoint(
        "POST",
        f"/api/{spec.target}s/{{{spec.target}_id}}/{spec.slug}",
        _step_handler(spec),
        f"{spec.target}_{spec.slug.replace('-', '_')}",
        spec.summary,
        "decision-maker" if spec.target == "review" else "referrals",
        body=spec.body,
        answer=answer,
        errors=_STEP_ERRORS,
        etag=True,
        if_match=True,
    )


def _endpoints() -> tuple[Endpoint, ...]:
    fixed = (
        Endpoint(
            "GET",
            "/openapi.json",
            openapi_document,
            "openapi",
            "This OpenAPI document",
            "service",
            answer=dict[str, Any],
            errors=(),
            signed_in=False,
        ),
        Endpoint("GET", "/api/me", me, "me", "Who is signed in", "service", answer=ActorView),
        Endpoint(
            "POST",
            "/api/dev/sign-in",
            sign_in,
            "dev_sign_in",
            "Development sign-in (loopback only, when no authentication plugin is installed)",
            "service",
            body=DevSignIn,
            answer=ActorView,
            errors=(400, 404, 415, 422),
            signed_in=False,
        ),
        Endpoint(
            "GET",
            "/api/reviews",
            list_reviews,
            "list_reviews",
            "Your reviews' ids (open ones)",
            "decision-maker",
            answer=list[str],
            query=(_ALL,),
        ),
        Endpoint(
            "POST",
            "/api/reviews",
            open_review,
            "open_review",
            "Open a review of a proposed decision",
            "decision-maker",
            body=OpenReviewBody,
            answer=ReviewView,
            status=201,
            etag=True,
            errors=(400, 401, 403, 409, 413, 415, 422),
        ),
        Endpoint(
            "GET",
            "/api/reviews/{review_id}",
            get_review,
            "get_review",
            "A review as it stands, with the steps allowed now",
            "decision-maker",
            answer=ReviewView,
            etag=True,
            errors=(401, 404),
        ),
        Endpoint(
            "GET",
            "/api/referrals",
            queue,
            "queue",
            "Your route's referrals: all open, unassigned, assigned to you, or overdue (route team members)",
            "referrals",
            answer=list[QueueItem],
            query=(_VIEW, _ALL),
            errors=(401, 403, 422),
        ),
        Endpoint(
            "GET",
            "/api/referrals/{referral_id}",
            get_referral,
            "get_referral",
            "A referral with its question, history and advice",
            "referrals",
            answer=ReferralView,
            etag=True,
            errors=(401, 404),
        ),
        Endpoint(
            "GET",
            "/api/reports/pdr",
            pdr_report,
            "pdr_report",
            "A decision-maker's PDR report",
            "reports",
            media=("application/json", "text/csv"),
            errors=(401, 404, 422),
            query=_period((Query("staff_id", "the decision-maker's staff id", True),)),
        ),
        Endpoint(
            "GET",
            "/api/reports/department",
            department_report,
            "department_report",
            "The department report",
            "reports",
            media=("application/json", "text/csv"),
            errors=(401, 422),
            query=_period(),
        ),
        Endpoint(
            "GET",
            "/api/assessments",
            assessment_sample,
            "assessment_sample",
            "A person's sample of closed records to assess for a period, with the findings so far "
            "(line managers and team leaders)",
            "assessments",
            answer=list[SampleItem],
            errors=(401, 403, 422),
            query=(
                Query("staff_id", "whose records: the staff id of someone you manage", True),
                *_period()[:2],
            ),
        ),
        Endpoint(
            "POST",
            "/api/reviews/{review_id}/assessments",
            record_assessment,
            "record_assessment",
            "Record a finding on one of the model's elements in a closed review's record "
            "(line managers and team leaders); recording an element again replaces its finding",
            "assessments",
            body=AssessmentBody,
            answer=AssessmentView,
            etag=True,
            if_match=True,
            errors=(400, 401, 403, 404, 409, 412, 413, 415, 422),
        ),
        Endpoint(
            "GET",
            "/api/systemic-issues",
            list_systemic_issues,
            "list_systemic_issues",
            "The register of systemic issues, oldest first: status, route, due date, overdue, title",
            "systemic issues",
            answer=list[IssueItem],
        ),
        Endpoint(
            "GET",
            "/api/systemic-issues/{issue_id}",
            get_systemic_issue,
            "get_systemic_issue",
            "A systemic issue with its status history and the referrals linked to it",
            "systemic issues",
            answer=IssueView,
            etag=True,
            errors=(401, 404),
        ),
        Endpoint(
            "POST",
            "/api/referrals/{referral_id}/systemic-issues",
            open_systemic_issue,
            "open_systemic_issue",
            "Open a systemic issue from a referral that raises it (a member of the route's team, "
            "never from a referral they made); the referral is linked to it",
            "systemic issues",
            body=SystemicIssueBody,
            answer=IssueView,
            status=201,
            etag=True,
            errors=(400, 401, 403, 404, 409, 413, 415, 422),
        ),
        Endpoint(
            "POST",
            "/api/systemic-issues/{issue_id}/links",
            link_systemic_issue,
            "link_systemic_issue",
            "Link a further referral to a systemic issue (a member of the team of the route it went to)",
            "systemic issues",
            body=IssueLinkBody,
            answer=IssueView,
            etag=True,
            if_match=True,
            errors=(400, 401, 403, 404, 409, 412, 413, 415, 422),
        ),
        Endpoint(
            "POST",
            "/api/systemic-issues/{issue_id}/status",
            update_systemic_issue,
            "update_systemic_issue",
            "Move a systemic issue on: accepted, change made, declined (with a reason), closed, or a new "
            "due date (a member of the policy team that owns it)",
            "systemic issues",
            body=IssueStatusBody,
            answer=IssueView,
            etag=True,
            if_match=True,
            errors=(400, 401, 403, 404, 409, 412, 413, 415, 422),
        ),
        Endpoint(
            "GET",
            "/api/feedback",
            my_feedback,
            "feedback",
            "The referrals you made, and what came of them: advice, and the systemic issues linked",
            "learning",
            answer=list[FeedbackView],
        ),
        Endpoint(
            "POST",
            "/api/reviews/{review_id}/speak-up",
            speak_up,
            "speak_up",
            "Answer the speaking-up questions at the close of a review with concerns you decided; "
            "kept apart from the review (the month and business area only)",
            "learning",
            body=SpeakUpBody,
            status=204,
            errors=(400, 401, 403, 404, 413, 415, 422),
        ),
        Endpoint(
            "POST",
            "/api/reviews/{review_id}/guidance-feedback",
            guidance_feedback,
            "guidance_feedback",
            "Send feedback on the guidance itself from within a review: a question or a formatting error",
            "learning",
            body=GuidanceFeedbackBody,
            answer=GuidanceFeedbackView,
            errors=(400, 401, 403, 404, 413, 415, 422),
        ),
        Endpoint(
            "GET", "/api/verify", verify, "verify", "Check the audit chain", "service", answer=VerifyView
        ),
    )
    return (*fixed[:6], *(_step_endpoint(s) for s in STEPS), *fixed[6:])


ENDPOINTS: tuple[Endpoint, ...] = _endpoints()
"""Every endpoint of the API, in the order the OpenAPI document lists them."""
