"""What the decision-maker's pages share: loading the review, the steps it allows, taking a step."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from ethical_decisions.model import Step
from ethical_decisions.review import Review
from ethical_decisions.web import _http
from ethical_decisions.web.access import check_review
from ethical_decisions.web.hookspecs import WebActor
from ethical_decisions.web.problems import HttpProblem
from ethical_decisions.web.steps import step

from ._render import page_actor

__all__ = ["allowed_now", "load_review", "only_if", "take"]


async def load_review(request: Request, by: WebActor) -> Review:
    review = await _http.threaded(_http.context(request).edm.review, request.path_params["review_id"])
    check_review(by, review)
    return review


def allowed_now(request: Request, review: Review) -> tuple[Step, ...]:
    return _http.context(request).edm.allowed_steps(review.review_id)


def only_if(review: Review, allowed: tuple[Step, ...], wanted: Step) -> None:
    if wanted not in allowed:
        steps = ", ".join(str(s) for s in allowed) or "none"
        raise HttpProblem(
            409,
            "step-refused",
            "This step cannot be taken now",
            f"Cannot {wanted} now. The review is at stage '{review.stage}'; steps allowed now: {steps}.",
        )


async def take(
    request: Request, slug: str, subject: str, body: Any, *, target: str = "review", version: int | None
) -> Review:
    spec = step("review" if target == "review" else "referral", slug)
    ctx = _http.context(request)
    by = page_actor(request)
    return await _http.threaded(spec.take, ctx.edm, subject, by, body, version)
