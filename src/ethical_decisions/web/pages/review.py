"""A decision-maker's review, one question per page, in the model's own words.

The proposed decision opens the review; the reflection asks the model's
question; each concern is articulated on a page of its own (step 1), then
discretion inside and outside the Rules (step 2), the discussion (step 3), the
escalation to the business area's route (step 4), and the final decision,
with "check your answers" before the two steps that cannot be undone. Every
page offers only the steps the review allows now; the words come from
:data:`ethical_decisions.GUIDANCE` and the guidance's labels.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, cast

from starlette.requests import Request
from starlette.responses import Response

from ethical_decisions.events import ReviewHandedOver
from ethical_decisions.exceptions import NoRouteError
from ethical_decisions.guidance import (
    GUIDANCE,
    concern_category_label,
    consulted_role_label,
    discretion_scope_label,
)
from ethical_decisions.model import (
    ConcernCategory,
    ConsultedRole,
    DecisionMaker,
    DiscretionResult,
    DiscretionScope,
    DiscussionResult,
    PolicyTeamMember,
    Step,
)
from ethical_decisions.projections import ReviewRecord
from ethical_decisions.review import ConcernRecord, ConcernStatus, Review
from ethical_decisions.web import _http, learning
from ethical_decisions.web.access import managed_by
from ethical_decisions.web.bodies import OpenReviewBody
from ethical_decisions.web.forms import Form, FormErrors, parse_form, read_form
from ethical_decisions.web.offers import awaiting_response, referral_offers
from ethical_decisions.web.problems import HttpProblem

from ._render import Pages, page_actor, redirect, render, role_label
from ._steps import load_review, offered_now, only_if, submit, texts
from .advice import RESPONSES

__all__ = ["PAGES"]

PAGES = Pages()

CATEGORIES = [(c.value, concern_category_label(c), "") for c in ConcernCategory]
CONSULTED = [(r.value, consulted_role_label(r), "") for r in ConsultedRole]
DISCRETION_RESULTS = [
    (DiscretionResult.RESOLVED.value, "It resolves the concern", ""),
    (DiscretionResult.NOT_RESOLVED.value, "It does not resolve the concern", ""),
    (
        DiscretionResult.BEYOND_AUTHORITY.value,
        "A different decision may be possible, but not on my authority",
        "",
    ),
]
DISCUSSION_RESULTS = [
    (DiscussionResult.RESOLVED.value, "It resolved the concern", ""),
    (DiscussionResult.NOT_RESOLVED.value, "It did not resolve the concern", ""),
]
SCOPES = {"inside": DiscretionScope.INSIDE_RULES, "outside": DiscretionScope.OUTSIDE_RULES}


def _concern(review: Review, concern_id: str) -> ConcernRecord:
    concern = review.concern(concern_id)
    if concern is None:
        raise HttpProblem(404, "not-found", "Not found", "The review has no concern with that id.")
    return concern


# -- the start ------------------------------------------------------------------------------


@PAGES.page("/")
async def home(request: Request) -> Response:
    """Your reviews (those you hold, those you handed over), and your team's; or your route's queue."""
    by = page_actor(request)
    if not isinstance(by, DecisionMaker):
        if isinstance(by, PolicyTeamMember):
            return redirect("/systemic-issues")
        return redirect("/queue" if hasattr(by, "route_id") else "/reports")
    edm = _http.context(request).edm
    held = await _http.threaded(edm.store.reviews, owner_id=by.staff_id)
    opened = await _http.threaded(edm.store.reviews, staff_id=by.staff_id)
    team: list[ReviewRecord] = []
    managed = managed_by(by, edm.plugins.people)
    if managed is None or managed:
        rows = await _http.threaded(edm.store.reviews, business_area=by.business_area, open_only=True)
        team = [r for r in rows if r.owner_id != by.staff_id and (managed is None or r.owner_id in managed)]
    return render(
        request,
        "home.html",
        title="Your reviews",
        section="/",
        held=list(reversed(held)),
        handed_over=[r for r in reversed(opened) if r.owner_id != by.staff_id],
        team=list(reversed(team)),
        manager=managed is None or bool(managed),
    )


@PAGES.page("/reviews/new", methods=("GET", "POST"))
async def new_review(request: Request) -> Response:
    """The proposed decision: the model starts here."""
    page_actor(request)
    values: dict[str, str] = {}
    errors: dict[str, str] = {}
    if request.method == "POST":
        form = await read_form(request)
        values = {n: form.get(n) for n in ("reference", "outcome")} | {"summary": form.text("summary") or ""}
        data = {
            "case": {"reference": form.text("reference")},
            "proposed": {"outcome": form.get("outcome"), "summary": form.text("summary")},
        }
        try:
            body = parse_form(
                OpenReviewBody,
                data,
                {"case.reference": "reference", "proposed.outcome": "outcome", "proposed.summary": "summary"},
                [
                    ("reference", "Enter the case reference"),
                    ("outcome", "Enter the proposed decision's outcome code"),
                    ("summary", "Enter the proposed decision"),
                ],
            )
        except FormErrors as exc:
            errors = exc.errors
        else:
            by = page_actor(request)
            edm = _http.context(request).edm
            review = await _http.threaded(
                # Any other actor is refused by the library's rules (NotPermittedError, 403).
                lambda: edm.open_review(by=cast(DecisionMaker, by), case=body.case, proposed=body.proposed)
            )
            return redirect(f"/reviews/{review.review_id}")
    return render(
        request,
        "new_review.html",
        title="What is the proposed decision?",
        values=values,
        errors=errors,
        status=422 if errors else 200,
        guidance=GUIDANCE,
    )


@PAGES.page("/reviews/{review_id}")
async def overview(request: Request) -> Response:
    """The review as it stands: who holds it and who held it, and the steps open to you now."""
    by = page_actor(request)
    review = await load_review(request, by)
    edm = _http.context(request).edm
    allowed = offered_now(request, by, review)
    trail = await _http.threaded(edm.trail, review.review_id)
    route = None
    try:
        route = edm.routes().for_business_area(review.business_area)
    except NoRouteError:
        route = None
    return render(
        request,
        "review.html",
        title="Review of a proposed decision",
        review=review,
        allowed=allowed,
        referral_offers={r.referral_id: referral_offers(edm, by, review, r) for r in review.referrals},
        awaiting=awaiting_response(review) if Step.RESPOND_TO_ADVICE in allowed else (),
        responses=RESPONSES,
        steps=Step,
        route=route,
        label=concern_category_label,
        open_status=ConcernStatus.OPEN,
        handovers=[e for e in trail if isinstance(e.payload, ReviewHandedOver)],
        route_names={r.route_id: r.name for r in edm.routes()},
        role_label=role_label,
        section="/",
        speak_up=learning.speak_up_offered(by, review),
        guidance_feedback=isinstance(by, DecisionMaker),
    )


# -- the reflection and the concerns -------------------------------------------------------


@PAGES.page("/reviews/{review_id}/reflection", methods=("GET", "POST"))
async def reflection(request: Request) -> Response:
    """The model's question: do consequences in the proposed decision concern you."""
    by = page_actor(request)
    review = await load_review(request, by)
    only_if(request, by, review, Step.RECORD_REFLECTION)
    if request.method == "POST" and (await read_form(request)).get("concerned") == "yes":
        return redirect(f"/reviews/{review.review_id}/reflection/concern")
    sent = await submit(
        request,
        "reflection",
        review.review_id,
        fields={"note": "note", "concerned": "concerned"},
        required=[],
        data=lambda form: {"concerns": [], "note": form.text("note")},
        values=texts("concerned", "note"),
        check=_answered_no,
    )
    if sent.review is not None:
        return redirect(f"/reviews/{review.review_id}")
    return render(
        request,
        "reflection.html",
        title=GUIDANCE.question,
        review=review,
        guidance=GUIDANCE,
        values=sent.values,
        errors=sent.errors,
        status=sent.status,
    )


def _answered_no(form: Form) -> None:
    if form.get("concerned") != "no":
        raise FormErrors(
            {"concerned": "Select yes if there are consequences in the proposed decision that concern you"}
        )


_CONCERN_REQUIRED = [
    ("statement", "Enter what it is about the proposed decision that makes you feel uncomfortable"),
    ("category", "Select the kind of concern"),
]


def _concern_data(form: Form) -> dict[str, Any]:
    return {"category": form.get("category") or None, "statement": form.text("statement")}


async def _concern_page(request: Request, *, first: bool) -> Response:
    by = page_actor(request)
    review = await load_review(request, by)
    only_if(request, by, review, Step.RECORD_REFLECTION if first else Step.RAISE_CONCERN)
    if first:  # recorded with the reflection, as its first concern
        fields = {"concerns[0].statement": "statement", "concerns[0].category": "category"}
        sent = await submit(
            request,
            "reflection",
            review.review_id,
            fields=fields,
            required=_CONCERN_REQUIRED,
            data=lambda form: {"concerns": [_concern_data(form)]},
            values=texts("statement", "category"),
        )
    else:
        sent = await submit(
            request,
            "concerns",
            review.review_id,
            fields={"statement": "statement", "category": "category"},
            required=_CONCERN_REQUIRED,
            data=_concern_data,
            values=texts("statement", "category"),
        )
    if sent.review is not None:
        return redirect(f"/reviews/{review.review_id}/concerns/{sent.review.concerns[-1].concern_id}")
    return render(
        request,
        "concern_form.html",
        title=GUIDANCE.step(1).text,
        review=review,
        guidance=GUIDANCE,
        categories=CATEGORIES,
        first=first,
        values=sent.values,
        errors=sent.errors,
        status=sent.status,
    )


@PAGES.page("/reviews/{review_id}/reflection/concern", methods=("GET", "POST"))
async def first_concern(request: Request) -> Response:
    """Step 1 of the model, recorded with the reflection: what makes you uncomfortable."""
    return await _concern_page(request, first=True)


@PAGES.page("/reviews/{review_id}/concerns/new", methods=("GET", "POST"))
async def further_concern(request: Request) -> Response:
    """A further concern, after the reflection."""
    return await _concern_page(request, first=False)


@PAGES.page("/reviews/{review_id}/concerns/{concern_id}")
async def concern(request: Request) -> Response:
    """One concern, what has been done about it, and what may be done next."""
    by = page_actor(request)
    review = await load_review(request, by)
    record = _concern(review, request.path_params["concern_id"])
    allowed_now = offered_now(request, by, review)
    return render(
        request,
        "concern.html",
        title=f"Concern {record.concern_id}",
        review=review,
        concern=record,
        allowed=allowed_now,
        steps=Step,
        label=concern_category_label,
        scope_label=discretion_scope_label,
        consulted_label=consulted_role_label,
        inside=DiscretionScope.INSIDE_RULES,
        outside=DiscretionScope.OUTSIDE_RULES,
        open_status=ConcernStatus.OPEN,
        responses=RESPONSES,
        awaiting=awaiting_response(review) if Step.RESPOND_TO_ADVICE in allowed_now else (),
    )


async def _concern_step(
    request: Request,
    *,
    wanted: Step,
    slug: str,
    template: str,
    required: Sequence[tuple[str, str]],
    data: Callable[[Form, ConcernRecord], dict[str, Any]],
    extra: Callable[[Review, ConcernRecord], Awaitable[dict[str, Any]]] | None = None,
) -> Response:
    """A page for a step about one concern (discretion, a discussion): its form, then back to the concern."""
    by = page_actor(request)
    review = await load_review(request, by)
    record = _concern(review, request.path_params["concern_id"])
    shown = await extra(review, record) if extra is not None else {}
    only_if(request, by, review, wanted)
    names = [name for name, _ in required]
    sent = await submit(
        request,
        slug,
        review.review_id,
        fields={name: name for name in names},
        required=required,
        data=lambda form: {"concern_id": record.concern_id, **data(form, record)},
        values=texts(*names),
    )
    if sent.review is not None:
        return redirect(f"/reviews/{review.review_id}/concerns/{record.concern_id}")
    number = {Step.CONSIDER_DISCRETION: 2, Step.RECORD_DISCUSSION: 3}[wanted]
    return render(
        request,
        template,
        title=GUIDANCE.step(number).text,
        review=review,
        concern=record,
        guidance=GUIDANCE,
        label=concern_category_label,
        values=sent.values,
        errors=sent.errors,
        status=sent.status,
        **shown,
    )


@PAGES.page("/reviews/{review_id}/concerns/{concern_id}/discretion/{scope}", methods=("GET", "POST"))
async def discretion(request: Request) -> Response:
    """Step 2: a different decision by applying current rules and guidance, inside then outside the Rules."""
    scope = SCOPES.get(request.path_params["scope"])
    if scope is None:
        raise HttpProblem(404, "not-found", "Not found", "There is no such page.")
    edm = _http.context(request).edm

    async def prompts(review: Review, record: ConcernRecord) -> dict[str, Any]:
        offered = await _http.threaded(edm.discretion_guidance, review.review_id, record.concern_id)
        return {
            "prompts": [g for g in offered if g.scope is scope],
            "scope_label": discretion_scope_label(scope),
            "results": DISCRETION_RESULTS,
        }

    return await _concern_step(
        request,
        wanted=Step.CONSIDER_DISCRETION,
        slug="discretion",
        template="discretion.html",
        required=[
            ("guidance", "Enter the rules or guidance you considered"),
            ("reason", "Enter what you found"),
            ("result", "Select whether it resolves the concern"),
        ],
        data=lambda form, _: {
            "scope": scope.value,
            "guidance": form.text("guidance"),
            "reason": form.text("reason"),
            "result": form.get("result") or None,
        },
        extra=prompts,
    )


@PAGES.page("/reviews/{review_id}/concerns/{concern_id}/discussion", methods=("GET", "POST"))
async def discussion(request: Request) -> Response:
    """Step 3: discuss the case with a technical specialist, line manager, team leader or colleague."""

    async def choices(review: Review, record: ConcernRecord) -> dict[str, Any]:
        return {"roles": CONSULTED, "results": DISCUSSION_RESULTS}

    return await _concern_step(
        request,
        wanted=Step.RECORD_DISCUSSION,
        slug="discussions",
        template="discussion.html",
        required=[
            ("consulted_role", "Select who you discussed the case with"),
            ("consulted", "Enter who you discussed the case with"),
            ("advice", "Enter what they advised"),
            ("result", "Select whether the discussion resolved the concern"),
        ],
        data=lambda form, _: {
            "consulted_role": form.get("consulted_role") or None,
            "consulted": form.text("consulted"),
            "advice": form.text("advice"),
            "result": form.get("result") or None,
        },
        extra=choices,
    )
