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
from ethical_decisions.routes import Route
from ethical_decisions.web import _http
from ethical_decisions.web.forms import Form, FormErrors
from ethical_decisions.web.problems import HttpProblem

from ._render import Pages, page_actor, redirect, render
from ._steps import load_review, only_if, submit, submit_text, texts

__all__ = ["PAGES"]

PAGES = Pages()


# -- escalation ------------------------------------------------------------------------------


def _escalation_data(form: Form) -> dict[str, Any]:
    return {
        "concern_ids": list(form.all("concern_ids")),
        "question": form.text("question"),
        "route_id": form.get("route_id") or None,
    }


def _tiers(request: Request, route: Route) -> list[Route]:
    """The business area's route, then any second tier that reconsiders its advice."""
    others = [r for r in _http.context(request).edm.routes() if r.policy.reconsiders == route.route_id]
    return [route, *others]


@PAGES.page("/reviews/{review_id}/escalation", methods=("GET", "POST"))
async def escalation(request: Request) -> Response:
    """Step 4: escalate through the business area's route; then check the answers."""
    by = page_actor(request)
    review = await load_review(request, by)
    only_if(request, by, review, Step.ESCALATE)
    try:
        route = _http.context(request).edm.routes().for_business_area(review.business_area)
    except NoRouteError as exc:
        raise HttpProblem(409, "no-route", "No escalation route is installed", str(exc)) from None
    tiers = _tiers(request, route)
    names = {r.route_id: r for r in tiers}
    sent = await submit(
        request,
        "escalations",
        review.review_id,
        fields={"concern_ids": "concern_ids", "question": "question"},
        required=[
            ("concern_ids", "Select the concerns to escalate"),
            ("question", f"Enter what you want to ask the {route.name}"),
        ],
        data=_escalation_data,
        values=lambda form: {
            "concern_ids": form.all("concern_ids"),
            "question": form.text("question") or "",
            "route_id": form.get("route_id") if form.get("route_id") in names else "",
        },
        confirm=True,
    )
    if sent.review is not None:
        return redirect(f"/reviews/{review.review_id}")
    check = sent.checked
    return render(
        request,
        "escalation_check.html" if check else "escalation.html",
        title="Check your answers before escalating" if check else GUIDANCE.step(4).text,
        review=review,
        route=names.get(str(sent.values.get("route_id") or ""), route) if check else route,
        tiers=[(r.route_id, f"{r.business_area_name} \N{EN DASH} {r.name}", r.description) for r in tiers],
        concerns=[c.concern_id for c in (*review.open_concerns, *review.advised_concerns)],
        guidance=GUIDANCE,
        label=concern_category_label,
        values=sent.values or {"concern_ids": (), "question": "", "route_id": ""},
        errors=sent.errors,
        status=sent.status,
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


_FINAL = ("outcome", "summary", "rationale", "proceed")


@PAGES.page("/reviews/{review_id}/final-decision", methods=("GET", "POST"))
async def final_decision(request: Request) -> Response:
    """The final decision with its rationale, acknowledging any concern left unresolved; then check."""
    by = page_actor(request)
    review = await load_review(request, by)
    only_if(request, by, review, Step.FINALISE)
    unresolved = review.open_concerns
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

    def every_one_acknowledged(form: Form) -> None:
        if unresolved and set(form.all("acknowledged")) != {c.concern_id for c in unresolved}:
            raise FormErrors({"acknowledged": "Acknowledge each concern that is still unresolved"})

    sent = await submit(
        request,
        "final-decision",
        review.review_id,
        fields={
            "decision.outcome": "outcome",
            "decision.summary": "summary",
            "decision.rationale": "rationale",
            "unresolved.concern_ids": "acknowledged",
            "unresolved.rationale": "proceed",
        },
        required=required,
        data=lambda form: _final_data(form, review),
        values=lambda form: {**texts(*_FINAL)(form), "acknowledged": form.all("acknowledged")},
        confirm=True,
        check=every_one_acknowledged,
    )
    if sent.review is not None:
        return redirect(f"/reviews/{review.review_id}")
    check = sent.checked
    return render(
        request,
        "final_check.html" if check else "final_decision.html",
        title="Check your answers before taking the decision" if check else "What is your final decision?",
        review=review,
        unresolved=unresolved,
        guidance=GUIDANCE,
        label=concern_category_label,
        values=sent.values or {**dict.fromkeys(_FINAL, ""), "acknowledged": ()},
        errors=sent.errors,
        status=sent.status,
    )


# -- answering a route ------------------------------------------------------------------------


async def _referral_page(request: Request, slug: str, wanted: Step) -> Response:
    by = page_actor(request)
    review = await load_review(request, by)
    referral = review.referral(request.path_params["referral_id"])
    if referral is None:
        raise HttpProblem(404, "not-found", "Not found", "The review has no referral with that id.")
    only_if(request, by, review, wanted, referral=referral)
    information = slug == "information"
    field = "response" if information else "reason"
    message = (
        "Enter the information the route asked for" if information else "Enter why you are withdrawing it"
    )
    sent = await submit_text(request, slug, referral.referral_id, field, message)
    if sent.review is not None:
        return redirect(f"/reviews/{review.review_id}")
    returned = [e for e in referral.history if e.kind == "referral_returned"]
    return render(
        request,
        "text_step.html",
        title="What information does the route need?"
        if information
        else "Why are you withdrawing the referral?",
        review=review,
        referral=referral,
        field=field,
        back=f"/reviews/{review.review_id}",
        asked=getattr(returned[-1].payload, "question", "") if information and returned else "",
        hint="The referral goes back to the route's team."
        if information
        else "The referral closes without advice, and its concerns are open again.",
        button="Send the information" if information else "Withdraw the referral",
        values=sent.values or {field: ""},
        errors=sent.errors,
        status=sent.status,
    )


@PAGES.page("/reviews/{review_id}/referrals/{referral_id}/information", methods=("GET", "POST"))
async def information(request: Request) -> Response:
    """Answer a route's request for more information."""
    return await _referral_page(request, "information", Step.PROVIDE_INFORMATION)


@PAGES.page("/reviews/{review_id}/referrals/{referral_id}/withdrawal", methods=("GET", "POST"))
async def withdrawal(request: Request) -> Response:
    """Withdraw a referral that is awaiting advice, with a reason."""
    return await _referral_page(request, "withdrawal", Step.WITHDRAW_REFERRAL)
