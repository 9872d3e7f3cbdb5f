"""Responding to a route's advice: one question per page, then "check your answers".

Advice informs; the decision-maker decides. For each concern a route advised
on, the decision-maker says whether they followed the advice (in part, or not),
why, and whether the concern is now resolved. The pages are offered only when
the review allows the step now and the policy lets the signed-in person take
it (:mod:`ethical_decisions.web.offers`); each answer is carried to the next
page in hidden fields, and nothing is recorded until the person confirms.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from ethical_decisions.events import AdviceResponded
from ethical_decisions.guidance import concern_category_label
from ethical_decisions.model import AdviceResponse, Step
from ethical_decisions.review import ConcernRecord, Referral, Review
from ethical_decisions.steps import decide
from ethical_decisions.web import _http
from ethical_decisions.web.bodies import AdviceResponseBody
from ethical_decisions.web.forms import Form, FormErrors, parse_form, read_form
from ethical_decisions.web.offers import awaiting_response
from ethical_decisions.web.problems import HttpProblem

from ._render import Pages, page_actor, redirect, render
from ._steps import load_review, only_if, take

__all__ = ["PAGES", "RESPONSES"]

PAGES = Pages()

RESPONSES = {
    AdviceResponse.FOLLOWED: "I followed the advice",
    AdviceResponse.FOLLOWED_IN_PART: "I followed the advice in part",
    AdviceResponse.NOT_FOLLOWED: "I did not follow the advice",
}
"""Each response to advice, in words."""

_RESPONSE_ITEMS = [(r.value, words, "") for r, words in RESPONSES.items()]
_RESOLVED_ITEMS = [
    ("yes", "Yes", "The concern is resolved."),
    ("no", "No", "You can escalate it again, or acknowledge it as unresolved when you take the decision."),
]
_FIELDS = ("response", "reason", "resolved")
_PAGES = ("response", "reason", "resolved", "check")
_REQUIRED = {
    "response": ("response", "Select whether you followed the advice"),
    "reason": ("reason", "Enter why you followed the advice, in part, or not"),
    "resolved": ("resolved", "Select yes if the concern is now resolved"),
}


def _found(request: Request, review: Review) -> tuple[Referral, ConcernRecord]:
    referral = review.referral(request.path_params["referral_id"])
    concern = review.concern(request.path_params["concern_id"])
    if referral is None or concern is None or concern.concern_id not in referral.concern_ids:
        raise HttpProblem(404, "not-found", "Not found", "The review has no such advice to respond to.")
    return referral, concern


def _data(form: Form, concern: ConcernRecord, upto: str) -> dict[str, Any]:
    """The body so far: the answers of the pages up to *upto*, placeholders for the pages after it."""
    asked = _PAGES[: _PAGES.index(upto) + 1]
    resolved = {"yes": True, "no": False}.get(form.get("resolved"))
    return {
        "concern_id": concern.concern_id,
        "response": (form.get("response") or None) if "response" in asked else "followed",
        "reason": form.text("reason") if "reason" in asked else "-",
        "resolved": resolved if "resolved" in asked else True,
    }


def _check(form: Form, concern: ConcernRecord, upto: str) -> AdviceResponseBody:
    """The answers so far, parsed by the library's converter.

    :raises FormErrors: for each answer to correct, never repeating what was typed.
    """
    required = [_REQUIRED[name] for name in _PAGES[: _PAGES.index(upto) + 1] if name in _REQUIRED]
    body: AdviceResponseBody = parse_form(
        AdviceResponseBody, _data(form, concern, upto), {name: name for name in _FIELDS}, required
    )
    return body


@PAGES.page(
    "/reviews/{review_id}/referrals/{referral_id}/concerns/{concern_id}/response", methods=("GET", "POST")
)
async def response(request: Request) -> Response:
    """What you did with the route's advice on a concern: followed or not, why, resolved or not; check."""
    by = page_actor(request)
    review = await load_review(request, by)
    referral, concern = _found(request, review)
    only_if(request, by, review, Step.RESPOND_TO_ADVICE, referral=referral)
    if (referral, concern) not in awaiting_response(review):
        # Ask the rules themselves (decide is pure: nothing is recorded), so the page shows their words.
        probe = AdviceResponded(referral.referral_id, concern.concern_id, AdviceResponse.FOLLOWED, "-", True)
        decide(review, probe, actor=by, now=_http.context(request).now())
    values = dict.fromkeys(_FIELDS, "")
    page, errors = "response", {}
    if request.method == "POST":
        form = await read_form(request)
        values = {name: (form.text(name) or "") if name == "reason" else form.get(name) for name in _FIELDS}
        at = form.get("at") if form.get("at") in _PAGES else "response"
        change = form.get("change")
        try:
            if change in _REQUIRED:
                page = change
            else:
                body = _check(form, concern, at)
                page = _PAGES[min(_PAGES.index(at) + 1, len(_PAGES) - 1)]
                if at == "check" and form.get("confirm") == "yes":
                    await take(
                        request,
                        "advice-response",
                        referral.referral_id,
                        body,
                        target="referral",
                        version=form.version(),
                    )
                    return redirect(f"/reviews/{review.review_id}")
        except FormErrors as exc:
            errors = exc.errors
            page = next(name for name in _FIELDS if name in errors)
    titles = {
        "response": "Did you follow the advice?",
        "reason": "Why did you follow the advice, in part, or not?",
        "resolved": "Is the concern now resolved?",
        "check": "Check your answers before recording your response",
    }
    route_names = {r.route_id: r.name for r in _http.context(request).edm.routes()}
    return render(
        request,
        "advice_response.html",
        title=titles[page],
        page=page,
        review=review,
        referral=referral,
        concern=concern,
        route_name=route_names.get(referral.route_id, referral.route_id),
        label=concern_category_label,
        responses=_RESPONSE_ITEMS,
        response_words={r.value: words for r, words in RESPONSES.items()},
        resolved_items=_RESOLVED_ITEMS,
        values=values,
        errors=errors,
        status=422 if errors else 200,
        section="/",
    )
