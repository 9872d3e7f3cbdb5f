"""What the step pages share: loading the review, the steps it allows, and submitting a step's form.

:func:`submit` is a step page's ``POST``: read the (CSRF-checked) form, check
the required answers, parse the body with the library's converter, and take
the step through the same table as the API (:mod:`ethical_decisions.web.steps`)
— or, for a step with "check your answers", stop at the check page until the
person confirms. A new step page is a template and a call to it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import attrs
from starlette.requests import Request

from ethical_decisions.model import Step
from ethical_decisions.review import Referral, Review
from ethical_decisions.web import _http
from ethical_decisions.web.access import check_review
from ethical_decisions.web.forms import Form, FormErrors, parse_form, read_form
from ethical_decisions.web.hookspecs import WebActor
from ethical_decisions.web.offers import offered, require_allowed
from ethical_decisions.web.steps import Target, body_type, step

from ._render import page_actor

__all__ = ["Submission", "load_review", "offered_now", "only_if", "submit", "submit_text", "take", "texts"]


async def load_review(request: Request, by: WebActor) -> Review:
    """The review the address names, if *by* may read it (else 404)."""
    ctx = _http.context(request)
    review = await _http.threaded(ctx.edm.review, _http.path_id(request, "review"))
    check_review(by, review, ctx.edm.plugins.people)
    return review


def offered_now(request: Request, by: WebActor, review: Review) -> frozenset[Step]:
    """The steps on *review* the model allows now and the policy lets *by* take."""
    return offered(_http.context(request).edm, by, review)


def only_if(
    request: Request, by: WebActor, review: Review, wanted: Step, *, referral: Referral | None = None
) -> None:
    """Refuse a page for a step *by* may not take (403, the policy's message) or not now (409)."""
    require_allowed(_http.context(request).edm, by, wanted, review, referral=referral)


async def take(
    request: Request, slug: str, subject: str, body: Any, *, target: Target = "review", version: int | None
) -> Review:
    """Take the step at *slug* on *subject* (a review or referral id) as the signed-in person."""
    spec = step(target, slug)
    ctx = _http.context(request)
    return await _http.threaded(spec.take, ctx.edm, subject, page_actor(request), body, version)


@attrs.frozen
class Submission:
    """What became of a step page's form.

    :param values: the answers, to fill the form in again.
    :param errors: a message for each answer to correct, by field.
    :param review: the review after the step, once taken.
    :param checked: the answers are valid and wait on the "check your answers" page.
    """

    values: Mapping[str, Any] = attrs.field(factory=dict)
    errors: Mapping[str, str] = attrs.field(factory=dict)
    review: Review | None = None
    checked: bool = False

    @property
    def status(self) -> int:
        """The page's status: 422 when answers need correcting."""
        return 422 if self.errors else 200


async def submit(
    request: Request,
    slug: str,
    subject: str,
    *,
    fields: Mapping[str, str],
    required: Sequence[tuple[str, str]],
    data: Callable[[Form], Any],
    values: Callable[[Form], Mapping[str, Any]],
    target: Target = "review",
    confirm: bool = False,
    check: Callable[[Form], None] | None = None,
) -> Submission:
    """A step page's ``POST`` (for a ``GET``, an empty :class:`Submission`).

    :param fields: the form field for each path of the body (``"decision.rationale": "rationale"``).
    :param required: (field, message) for each answer that must be given.
    :param data: the step's body, as JSON-like data, from the form.
    :param values: the answers to show again if the form comes back.
    :param confirm: the step waits for "check your answers" (a ``confirm=yes`` field) before it is taken.
    :param check: further checks of the form, raising :class:`FormErrors`.
    """
    if request.method != "POST":
        return Submission()
    form = await read_form(request)
    shown = values(form)
    try:
        if check is not None:
            check(form)
        body = parse_form(body_type(target, slug), data(form), fields, required)
    except FormErrors as exc:
        return Submission(shown, exc.errors)
    if confirm and form.get("confirm") != "yes":
        return Submission(shown, checked=form.get("change") != "yes")
    review = await take(request, slug, subject, body, target=target, version=form.version())
    return Submission(shown, review=review)


async def submit_text(
    request: Request, slug: str, subject: str, field: str, message: str, *, target: Target = "referral"
) -> Submission:
    """:func:`submit` for a step whose only answer is one text, *field* (*message* if it is missing)."""
    return await submit(
        request,
        slug,
        subject,
        fields={field: field},
        required=[(field, message)],
        data=lambda form: {field: form.text(field)},
        values=texts(field),
        target=target,
    )


def texts(*names: str) -> Callable[[Form], dict[str, str]]:
    """The answers *names*, as typed, to fill a form in again."""
    return lambda form: {name: form.text(name) or "" for name in names}
