"""A route team's queue and a referral's page: acknowledge, return for information, advise.

The queue lists the open referrals to the signed-in member's route, oldest
first, with the overdue ones flagged; it holds no free text. A referral's page
shows what the team needs to advise: the question, the proposed decision, each
concern with its category and what was done about it, and the history.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from ethical_decisions.guidance import concern_category_label, consulted_role_label, discretion_scope_label
from ethical_decisions.model import RouteTeamMember, Step
from ethical_decisions.review import Referral, ReferralStatus, Review
from ethical_decisions.steps import allowed_steps
from ethical_decisions.web import _http
from ethical_decisions.web.access import check_referral
from ethical_decisions.web.forms import read_form
from ethical_decisions.web.problems import HttpProblem
from ethical_decisions.web.views import queue_item

from ._render import Pages, page_actor, redirect, render
from ._steps import submit_text, take

__all__ = ["PAGES"]

PAGES = Pages()


def _member(request: Request) -> RouteTeamMember:
    by = page_actor(request)
    if not isinstance(by, RouteTeamMember):
        raise HttpProblem(
            403, "not-route-team", "Only a route's team has a queue", "Sign in as a route team member."
        )
    return by


async def _referral(request: Request) -> tuple[Referral, Review]:
    by = _member(request)
    edm = _http.context(request).edm
    referral = await _http.threaded(edm.referral, request.path_params["referral_id"])
    review = await _http.threaded(edm.review, referral.review_id)
    check_referral(by, referral, review)
    return referral, review


@PAGES.page("/queue")
async def queue(request: Request) -> Response:
    """Your route's open referrals, oldest first; the overdue ones flagged."""
    by = _member(request)
    ctx = _http.context(request)
    rows = await _http.threaded(ctx.edm.referrals, by.route_id)
    now = ctx.now()
    items = [queue_item(r, now) for r in rows]
    name = next((r.name for r in ctx.edm.routes() if r.route_id == by.route_id), by.route_id)
    return render(
        request,
        "queue.html",
        title=f"Referrals to the {name}",
        section="/queue",
        items=items,
        label=concern_category_label,
        overdue=sum(i.overdue for i in items),
    )


def _actions(referral: Referral, allowed: tuple[Step, ...]) -> dict[str, bool]:
    status = referral.status
    return {
        "acknowledge": Step.ACKNOWLEDGE_REFERRAL in allowed and status is ReferralStatus.SUBMITTED,
        "return": Step.RETURN_REFERRAL in allowed
        and status in (ReferralStatus.SUBMITTED, ReferralStatus.ACKNOWLEDGED),
        "advise": Step.GIVE_ADVICE in allowed and status is ReferralStatus.ACKNOWLEDGED,
    }


@PAGES.page("/referrals/{referral_id}")
async def referral(request: Request) -> Response:
    """A referral with the concerns, the history, and the actions open to the team now."""
    found, review = await _referral(request)
    allowed = allowed_steps(review)
    concerns = [c for c in review.concerns if c.concern_id in found.concern_ids]
    return render(
        request,
        "referral.html",
        title=f"Referral {found.referral_id}",
        section="/queue",
        referral=found,
        review=review,
        concerns=concerns,
        actions=_actions(found, allowed),
        label=concern_category_label,
        scope_label=discretion_scope_label,
        consulted_label=consulted_role_label,
        now=_http.context(request).now(),
        route_name=next(
            (r.name for r in _http.context(request).edm.routes() if r.route_id == found.route_id),
            found.route_id,
        ),
    )


@PAGES.page("/referrals/{referral_id}/acknowledge", methods=("POST",))
async def acknowledge(request: Request) -> Response:
    """Acknowledge the referral: the team has it."""
    found, _ = await _referral(request)
    form = await read_form(request)
    await take(request, "acknowledgement", found.referral_id, None, target="referral", version=form.version())
    return redirect(f"/referrals/{found.referral_id}")


async def _answer(request: Request, slug: str) -> Response:
    found, review = await _referral(request)
    returning = slug == "return"
    field = "question" if returning else "advice"
    sent = await submit_text(
        request,
        slug,
        found.referral_id,
        field,
        "Enter what you need to know" if returning else "Enter your advice",
    )
    if sent.review is not None:
        return redirect(f"/referrals/{found.referral_id}")
    return render(
        request,
        "text_step.html",
        title="What do you need to know?" if returning else "What is your advice?",
        section="/queue",
        referral=found,
        review=review,
        field=field,
        back=f"/referrals/{found.referral_id}",
        asked="",
        hint="The referral goes back to the decision-maker until they answer."
        if returning
        else "Your advice informs the decision-maker; the decision stays theirs.",
        button="Return the referral" if returning else "Give the advice",
        values=sent.values or {field: ""},
        errors=sent.errors,
        status=sent.status,
    )


@PAGES.page("/referrals/{referral_id}/return", methods=("GET", "POST"))
async def return_referral(request: Request) -> Response:
    """Return the referral to the decision-maker, asking for more information."""
    return await _answer(request, "return")


@PAGES.page("/referrals/{referral_id}/advice", methods=("GET", "POST"))
async def advice(request: Request) -> Response:
    """Give the route's advice. It informs the decision; it does not decide."""
    return await _answer(request, "advice")
