"""A route team's queue and a referral's page: assign, release, acknowledge, return for information, advise.

The queue lists the signed-in member's route's referrals, oldest first, in four
views (all open, unassigned, assigned to you, overdue); it holds no free text.
A referral's page shows what the team needs to advise: who is working it, the
question, the proposed decision, each concern with what was done about it, and
the history (who assigned, acknowledged, returned, advised). It offers only the
steps the model allows now and the policy lets the member take.
"""

from __future__ import annotations

import attrs
from starlette.requests import Request
from starlette.responses import Response

from ethical_decisions.events import AdviceResponded
from ethical_decisions.guidance import concern_category_label, consulted_role_label, discretion_scope_label
from ethical_decisions.model import RouteTeamMember, Step
from ethical_decisions.review import ConcernStatus, Referral, Review
from ethical_decisions.web import _http, queues
from ethical_decisions.web.access import check_referral
from ethical_decisions.web.forms import FormErrors, parse_form, read_form
from ethical_decisions.web.offers import permission, referral_offers, require_allowed
from ethical_decisions.web.steps import body_type
from ethical_decisions.web.views import queue_item

from ._render import Pages, page_actor, redirect, render
from ._steps import submit_text, take
from .advice import RESPONSES
from .issues import STATUS_LABELS

__all__ = ["PAGES"]

PAGES = Pages()

_KINDS = {
    "referral_acknowledged": "Acknowledged",
    "referral_assigned": "Assigned",
    "referral_released": "Released to the unassigned queue",
    "referral_returned": "Returned for more information",
    "information_provided": "Information provided",
    "advice_given": "Advice given",
    "referral_withdrawn": "Withdrawn",
    "advice_responded": "The decision-maker responded to the advice",
}
"""Each event in a referral's history, in words."""


def _member(request: Request) -> RouteTeamMember:
    return queues.member(page_actor(request), _http.context(request).edm)


async def _referral(request: Request) -> tuple[RouteTeamMember, Referral, Review]:
    by = _member(request)
    edm = _http.context(request).edm
    referral = await _http.threaded(edm.referral, _http.path_id(request, "referral"))
    review = await _http.threaded(edm.review, referral.review_id)
    check_referral(by, referral, review, edm.plugins.people)
    return by, referral, review


@PAGES.page("/queue")
async def queue(request: Request) -> Response:
    """Your route's referrals, oldest first: all open, unassigned, yours, or overdue."""
    by = _member(request)
    ctx = _http.context(request)
    view = queues.view_from(request.query_params.get("view"))
    now = ctx.now()
    rows = await _http.threaded(queues.queue, ctx.edm, by, view, now)
    items = [queue_item(r, now) for r in rows]
    counts = {
        v: len(await _http.threaded(queues.queue, ctx.edm, by, v, now)) if v is not view else len(items)
        for v in queues.QueueView
    }
    name = next((r.name for r in ctx.edm.routes() if r.route_id == by.route_id), by.route_id)
    return render(
        request,
        "queue.html",
        title=f"Referrals to the {name}",
        section="/queue",
        items=items,
        view=view,
        views=list(queues.QueueView),
        counts=counts,
        label=concern_category_label,
    )


def _route_name(request: Request, route_id: str) -> str:
    return next((r.name for r in _http.context(request).edm.routes() if r.route_id == route_id), route_id)


def _offers(request: Request, by: RouteTeamMember, found: Referral, review: Review) -> set[str]:
    """What the referral's page offers *by* now: the steps, and ``take`` (assign it to yourself)."""
    edm = _http.context(request).edm
    offers = {str(step) for step in referral_offers(edm, by, review, found)}
    if permission(edm, by, Step.OPEN_SYSTEMIC_ISSUE, review, referral=found).allowed:
        offers.add(str(Step.OPEN_SYSTEMIC_ISSUE))
    mine = found.assignee is not None and found.assignee.staff_id == by.staff_id
    if not mine and str(Step.ASSIGN_REFERRAL) in offers:
        yourself = permission(edm, by, Step.ASSIGN_REFERRAL, review, referral=found, target=by)
        if yourself.allowed:
            offers.add("take")
    return offers


@attrs.frozen
class AdviceOutcome:
    """What became of a route's advice on one concern, as the route's team sees it.

    :param response: the decision-maker's response to this referral's advice, once recorded.
    :param later: the referrals about the concern made after this advice (escalated again).
    :param acknowledged_unresolved: the decision was taken with the concern acknowledged as unresolved.
    """

    concern_id: str
    response: AdviceResponded | None
    later: tuple[Referral, ...]
    acknowledged_unresolved: bool


def what_became(review: Review, referral: Referral) -> list[AdviceOutcome]:
    """For each concern *referral* asked about: what the decision-maker did with its advice."""
    advised_at = referral.advice_at
    if advised_at is None:
        return []
    found = []
    for concern_id in referral.concern_ids:
        concern = review.concern(concern_id)
        assert concern is not None  # a referral names only the review's concerns
        found.append(
            AdviceOutcome(
                concern_id,
                next((r for r in concern.responses if r.referral_id == referral.referral_id), None),
                tuple(
                    other
                    for other in review.referrals
                    if concern_id in other.concern_ids
                    and other is not referral
                    and other.submitted_at >= advised_at
                ),
                concern.status is ConcernStatus.ACKNOWLEDGED_UNRESOLVED,
            )
        )
    return found


@PAGES.page("/referrals/{referral_id}")
async def referral(request: Request) -> Response:
    """A referral: who is working it, the concerns, the history, and the actions open to you now."""
    by, found, review = await _referral(request)
    concerns = [c for c in review.concerns if c.concern_id in found.concern_ids]
    edm = _http.context(request).edm
    records = await _http.threaded(edm.systemic_issues)
    issues = [
        await _http.threaded(edm.systemic_issue, r.issue_id)
        for r in records
        if found.referral_id in r.referral_ids
    ]
    return render(
        request,
        "referral.html",
        title=f"Referral {found.referral_id}",
        section="/queue",
        referral=found,
        review=review,
        concerns=concerns,
        offers=_offers(request, by, found, review),
        steps=Step,
        kinds=_KINDS,
        label=concern_category_label,
        scope_label=discretion_scope_label,
        consulted_label=consulted_role_label,
        now=_http.context(request).now(),
        route_name=_route_name(request, found.route_id),
        outcomes=what_became(review, found),
        responses=RESPONSES,
        route_names={r.route_id: r.name for r in _http.context(request).edm.routes()},
        issues=issues,
        issue_labels=STATUS_LABELS,
    )


@PAGES.page("/referrals/{referral_id}/assignment", methods=("GET", "POST"))
async def assignment(request: Request) -> Response:
    """Assign the referral: to yourself (a button on its page), or to a colleague on the route's team."""
    by, found, review = await _referral(request)
    edm = _http.context(request).edm
    require_allowed(edm, by, Step.ASSIGN_REFERRAL, review, referral=found)
    members = edm.plugins.people.route_teams.get(found.route_id)
    colleagues = sorted(m for m in members or () if m != by.staff_id)
    errors: dict[str, str] = {}
    values: dict[str, str] = {}
    if request.method == "POST":
        form = await read_form(request)
        values = {"to": form.get("to")}
        try:
            body = parse_form(
                body_type("referral", "assignment"),
                {"to": values["to"] or None},
                {"to": "to"},
                [("to", "Select who to assign the referral to" if colleagues else "Enter their staff id")],
            )
        except FormErrors as exc:
            errors = exc.errors
        else:
            await take(
                request, "assignment", found.referral_id, body, target="referral", version=form.version()
            )
            return redirect(f"/referrals/{found.referral_id}")
    return render(
        request,
        "assignment.html",
        title="Who are you assigning the referral to?",
        section="/queue",
        referral=found,
        review=review,
        colleagues=[(m, m, "") for m in colleagues],
        route_name=_route_name(request, found.route_id),
        values=values,
        errors=errors,
        status=422 if errors else 200,
    )


@PAGES.page("/referrals/{referral_id}/release", methods=("POST",))
async def release(request: Request) -> Response:
    """Release the referral to the route's unassigned queue."""
    found, version = await _posted(request)
    await take(request, "release", found.referral_id, None, target="referral", version=version)
    return redirect(f"/referrals/{found.referral_id}")


async def _posted(request: Request) -> tuple[Referral, int | None]:
    """The referral a button's form acts on, and the version its page showed."""
    _, found, _ = await _referral(request)
    form = await read_form(request)
    return found, form.version()


@PAGES.page("/referrals/{referral_id}/acknowledge", methods=("POST",))
async def acknowledge(request: Request) -> Response:
    """Acknowledge the referral: the team has it."""
    found, version = await _posted(request)
    await take(request, "acknowledgement", found.referral_id, None, target="referral", version=version)
    return redirect(f"/referrals/{found.referral_id}")


async def _answer(request: Request, slug: str) -> Response:
    by, found, review = await _referral(request)
    returning = slug == "return"
    require_allowed(
        _http.context(request).edm,
        by,
        Step.RETURN_REFERRAL if returning else Step.GIVE_ADVICE,
        review,
        referral=found,
    )
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
