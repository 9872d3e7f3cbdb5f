"""The steps a decision-maker checks before taking: the escalation (step 4) and the final decision.

Each is a question page, then "check your answers" (the answers carried in the
check page's hidden fields, with a button to change them), then the step. The
answers to a route's request for information, and withdrawing a referral, are
single pages.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from ethical_decisions.exceptions import NoRouteError
from ethical_decisions.guidance import GUIDANCE, concern_category_label
from ethical_decisions.model import Step
from ethical_decisions.review import Review
from ethical_decisions.web import _http
from ethical_decisions.web.forms import Form, FormErrors, parse_form, read_form
from ethical_decisions.web.problems import HttpProblem
from ethical_decisions.web.steps import body_type

from ._render import Pages, page_actor, redirect, render
from ._steps import allowed_now, load_review, only_if, take

__all__ = ["PAGES"]

PAGES = Pages()


# -- escalation ------------------------------------------------------------------------------


def _escalation_data(form: Form) -> dict[str, Any]:
    return {"concern_ids": list(form.all("concern_ids")), "question": form.text("question")}


@PAGES.page("/reviews/{review_id}/escalation", methods=("GET", "POST"))
async def escalation(request: Request) -> Response:
    """Step 4: escalate through the business area's route; then check the answers."""
    by = page_actor(request)
    review = await load_review(request, by)
    only_if(review, allowed_now(request, review), Step.ESCALATE)
    try:
        route = _http.context(request).edm.routes().for_business_area(review.business_area)
    except NoRouteError as exc:
        raise HttpProblem(409, "no-route", "No escalation route is installed", str(exc)) from None
    errors: dict[str, str] = {}
    values: dict[str, Any] = {"concern_ids": (), "question": ""}
    check = False
    if request.method == "POST":
        form = await read_form(request)
        values = {"concern_ids": form.all("concern_ids"), "question": form.text("question") or ""}
        try:
            body = parse_form(
                body_type("review", "escalations"),
                _escalation_data(form),
                {"concern_ids": "concern_ids", "question": "question"},
                [
                    ("concern_ids", "Select the concerns to escalate"),
                    ("question", f"Enter what you want to ask the {route.name}"),
                ],
            )
        except FormErrors as exc:
            errors = exc.errors
        else:
            if form.get("confirm") == "yes":
                await take(request, "escalations", review.review_id, body, version=form.version())
                return redirect(f"/reviews/{review.review_id}")
            check = form.get("change") != "yes"
    return render(
        request,
        "escalation_check.html" if check else "escalation.html",
        title="Check your answers before escalating" if check else GUIDANCE.step(4).text,
        review=review,
        route=route,
        guidance=GUIDANCE,
        label=concern_category_label,
        values=values,
        errors=errors,
        status=422 if errors else 200,
    )


# -- the final decision -----------------------------------------------------------------------


def _final_data(form: Form, review: Review) -> dict[str, Any]:
    unresolved = [c.concern_id for c in review.open_concerns]
    data: dict[str, Any] = {
        "decision": {
            "outcome": form.get("outcome") or None,
            "summary": form.text("summary"),
            "rationale": form.text("rationale"),
        }
    }
    if unresolved:
        data["unresolved"] = {
            "concern_ids": list(form.all("acknowledged")),
            "rationale": form.text("proceed"),
        }
    return data


@PAGES.page("/reviews/{review_id}/final-decision", methods=("GET", "POST"))
async def final_decision(request: Request) -> Response:
    """The final decision with its rationale, acknowledging any concern left unresolved; then check."""
    by = page_actor(request)
    review = await load_review(request, by)
    only_if(review, allowed_now(request, review), Step.FINALISE)
    unresolved = review.open_concerns
    errors: dict[str, str] = {}
    names = ("outcome", "summary", "rationale", "proceed")
    values: dict[str, Any] = dict.fromkeys(names, "") | {"acknowledged": ()}
    check = False
    if request.method == "POST":
        form = await read_form(request)
        values = {n: form.text(n) or "" for n in names} | {"acknowledged": form.all("acknowledged")}
        required = [
            ("outcome", "Enter the final decision's outcome code"),
            ("summary", "Enter the final decision"),
            ("rationale", "Enter why this decision is right"),
        ]
        if unresolved:
            required += [
                ("acknowledged", "Acknowledge each concern that is still unresolved"),
                ("proceed", "Enter why it is right to proceed with concerns unresolved"),
            ]
        try:
            if unresolved and set(form.all("acknowledged")) != {c.concern_id for c in unresolved}:
                raise FormErrors({"acknowledged": "Acknowledge each concern that is still unresolved"})
            body = parse_form(
                body_type("review", "final-decision"),
                _final_data(form, review),
                {
                    "decision.outcome": "outcome",
                    "decision.summary": "summary",
                    "decision.rationale": "rationale",
                    "unresolved.concern_ids": "acknowledged",
                    "unresolved.rationale": "proceed",
                },
                required,
            )
        except FormErrors as exc:
            errors = exc.errors
        else:
            if form.get("confirm") == "yes":
                await take(request, "final-decision", review.review_id, body, version=form.version())
                return redirect(f"/reviews/{review.review_id}")
            check = form.get("change") != "yes"
    return render(
        request,
        "final_check.html" if check else "final_decision.html",
        title="Check your answers before taking the decision" if check else "What is your final decision?",
        review=review,
        unresolved=unresolved,
        guidance=GUIDANCE,
        label=concern_category_label,
        values=values,
        errors=errors,
        status=422 if errors else 200,
    )


# -- answering a route ------------------------------------------------------------------------


async def _referral_page(request: Request, slug: str, wanted: Step) -> Response:
    by = page_actor(request)
    review = await load_review(request, by)
    referral = review.referral(request.path_params["referral_id"])
    if referral is None:
        raise HttpProblem(404, "not-found", "Not found", "The review has no referral with that id.")
    only_if(review, allowed_now(request, review), wanted)
    field = "response" if slug == "information" else "reason"
    errors: dict[str, str] = {}
    values = {field: ""}
    if request.method == "POST":
        form = await read_form(request)
        values = {field: form.text(field) or ""}
        message = "Enter the information the route asked for" if slug == "information" else "Enter why"
        try:
            body = parse_form(
                body_type("referral", slug), {field: form.text(field)}, {field: field}, [(field, message)]
            )
        except FormErrors as exc:
            errors = exc.errors
        else:
            await take(request, slug, referral.referral_id, body, target="referral", version=form.version())
            return redirect(f"/reviews/{review.review_id}")
    return render(
        request,
        f"referral_{slug}.html",
        title="Give the route the information it asked for"
        if slug == "information"
        else "Withdraw the referral",
        review=review,
        referral=referral,
        field=field,
        values=values,
        errors=errors,
        status=422 if errors else 200,
    )


@PAGES.page("/reviews/{review_id}/referrals/{referral_id}/information", methods=("GET", "POST"))
async def information(request: Request) -> Response:
    """Answer a route's request for more information."""
    return await _referral_page(request, "information", Step.PROVIDE_INFORMATION)


@PAGES.page("/reviews/{review_id}/referrals/{referral_id}/withdrawal", methods=("GET", "POST"))
async def withdrawal(request: Request) -> Response:
    """Withdraw a referral that is awaiting advice, with a reason."""
    return await _referral_page(request, "withdrawal", Step.WITHDRAW_REFERRAL)
