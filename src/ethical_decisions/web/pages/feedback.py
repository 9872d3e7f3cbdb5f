"""A decision-maker's side of the learning loop: what came of their referrals, speaking up, the guidance.

The feedback page is :meth:`EthicalDecisions.feedback <ethical_decisions.EthicalDecisions.feedback>`:
each referral the person made, the advice, and the systemic issues it was linked
to with their status now. On a closed review with concerns that they decided,
the review offers the speaking-up questions, verbatim
(:data:`~ethical_decisions.learning.SPEAK_UP_QUESTION` and
:data:`~ethical_decisions.learning.DETRIMENT_QUESTION`), as an optional form; the
answers are kept apart from the review. Any review they may read offers a form
for feedback on the guidance itself (a question, or a formatting error).
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.requests import Request
from starlette.responses import Response

from ethical_decisions.exceptions import ValidationError
from ethical_decisions.learning import DETRIMENT_QUESTION, SPEAK_UP_QUESTION, Answer, GuidanceFeedbackKind
from ethical_decisions.web import _http, learning
from ethical_decisions.web.bodies import GuidanceFeedbackBody, SpeakUpBody
from ethical_decisions.web.forms import FormErrors, field_errors, parse_form, read_form
from ethical_decisions.web.views import feedback_view

from ._render import Pages, page_actor, redirect, render
from ._steps import load_review
from .issues import STATUS_LABELS

__all__ = ["ANSWERS", "KINDS", "PAGES"]

PAGES = Pages()

ANSWERS = [
    (Answer.YES.value, "Yes", ""),
    (Answer.NO.value, "No", ""),
    (Answer.NOT_SURE.value, "Not sure", ""),
]
"""The answers to each speaking-up question."""

KINDS = [
    (
        GuidanceFeedbackKind.QUESTION.value,
        "A question about the guidance",
        "It goes to the Chief Casework Unit.",
    ),
    (
        GuidanceFeedbackKind.FORMATTING_ERROR.value,
        "A formatting error in the guidance",
        "It goes to the Guidance Review, Atlas and Forms team.",
    ),
]
"""What feedback on the guidance may be, and where the model's Contacts send each."""


@PAGES.page("/feedback")
async def feedback(request: Request) -> Response:
    """The referrals you made and what came of them: the advice, and the systemic issues linked."""
    by = learning.decision_maker(page_actor(request), "has referrals of their own")
    ctx = _http.context(request)
    items = await _http.threaded(ctx.edm.feedback, by.staff_id)
    return render(
        request,
        "feedback.html",
        title="What came of your referrals",
        section="/feedback",
        items=[feedback_view(i) for i in reversed(items)],
        labels=STATUS_LABELS,
        route_names={r.route_id: r.name for r in ctx.edm.routes()},
    )


@PAGES.page("/reviews/{review_id}/speaking-up", methods=("GET", "POST"))
async def speaking_up(request: Request) -> Response:
    """The speaking-up questions at the close of a review with concerns you decided (optional)."""
    by = learning.decision_maker(page_actor(request), "who closed a review with concerns answers these")
    review = await load_review(request, by)
    if not learning.speak_up_offered(by, review):
        raise ValidationError(
            "The speaking-up answer",
            ["review_id: the questions are asked of whoever closed a review with concerns, once closed"],
        )
    values: dict[str, str] = {}
    errors: Mapping[str, str] = {}
    if request.method == "POST":
        form = await read_form(request)
        values = {n: form.get(n) for n in ("again", "detriment")}
        try:
            body = parse_form(
                SpeakUpBody,
                {n: v or None for n, v in values.items()},
                {"again": "again", "detriment": "detriment"},
                [
                    ("again", "Select whether you would speak up again"),
                    ("detriment", "Select whether you suffered any detriment"),
                ],
            )
        except FormErrors as exc:
            errors = exc.errors
        else:
            ctx = _http.context(request)
            await _http.threaded(learning.record_speak_up, ctx.edm, by, review.review_id, body)
            return redirect(f"/reviews/{review.review_id}/speaking-up/thanks")
    return render(
        request,
        "speaking_up.html",
        title="Speaking up",
        section="/",
        review=review,
        again=SPEAK_UP_QUESTION,
        detriment=DETRIMENT_QUESTION,
        answers=ANSWERS,
        values=values,
        errors=errors,
        status=422 if errors else 200,
    )


@PAGES.page("/reviews/{review_id}/speaking-up/thanks")
async def spoke_up(request: Request) -> Response:
    """Your answers are kept, apart from the review."""
    by = page_actor(request)
    review = await load_review(request, by)
    return render(
        request,
        "done.html",
        title="Thank you: your answers are kept",
        section="/",
        review=review,
        body="They are kept apart from the review: the month and the business area only, never your name "
        "or the review. The department report counts them.",
    )


@PAGES.page("/reviews/{review_id}/guidance-feedback", methods=("GET", "POST"))
async def guidance_feedback(request: Request) -> Response:
    """Feedback on the guidance itself, from within a review: a question, or a formatting error."""
    by = learning.decision_maker(page_actor(request), "sends feedback on the guidance from a review")
    review = await load_review(request, by)
    fields = {"kind": "kind", "text": "text"}
    values: dict[str, str] = {}
    errors: Mapping[str, str] = {}
    if request.method == "POST":
        form = await read_form(request)
        values = {"kind": form.get("kind"), "text": form.text("text") or ""}
        try:
            body = parse_form(
                GuidanceFeedbackBody,
                {"kind": values["kind"] or None, "text": form.text("text")},
                fields,
                [
                    ("kind", "Select whether it is a question or a formatting error"),
                    ("text", "Enter your question or the error"),
                ],
            )
            ctx = _http.context(request)
            taken = await _http.threaded(learning.send_guidance_feedback, ctx.edm, by, review.review_id, body)
        except FormErrors as exc:
            errors = exc.errors
        except ValidationError as exc:
            errors = field_errors(exc, fields)
        else:
            return redirect(
                f"/reviews/{review.review_id}/guidance-feedback/sent?taken={'yes' if taken else 'no'}"
            )
    return render(
        request,
        "guidance_feedback.html",
        title="What is your feedback on the guidance?",
        section="/",
        review=review,
        kinds=KINDS,
        values=values,
        errors=errors,
        status=422 if errors else 200,
    )


@PAGES.page("/reviews/{review_id}/guidance-feedback/sent")
async def guidance_feedback_sent(request: Request) -> Response:
    """Your feedback on the guidance is sent (or, where no one takes it, counted)."""
    by = page_actor(request)
    review = await load_review(request, by)
    taken = request.query_params.get("taken") == "yes"
    return render(
        request,
        "done.html",
        title="Your feedback on the guidance is sent"
        if taken
        else "Your feedback on the guidance is counted",
        section="/",
        review=review,
        body="It carries none of the case: only the guidance's version and your words about it."
        if taken
        else "This service passes it to no team yet, so it is counted by guidance version for the "
        "department report; ask your team leader where to send it.",
    )
