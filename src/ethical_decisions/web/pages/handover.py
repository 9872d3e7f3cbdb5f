"""Handing a review over: to whom, why, then "check your answers".

The owner may hand their review over, and so may a line manager or team leader
the permission policy allows (by default one in the review's business area who,
where the people file says whom managers manage, manages the owner). Who the
review goes to comes from the people file's register of staff when it lists
them; otherwise the page asks their role and team too. Each answer is carried
to the next page in hidden fields, and nothing is recorded until the person
confirms on the check page.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from ethical_decisions.exceptions import ValidationError
from ethical_decisions.model import DecisionMaker, StaffRole, Step
from ethical_decisions.review import Review
from ethical_decisions.web import _http
from ethical_decisions.web.bodies import HandoverBody
from ethical_decisions.web.forms import Form, FormErrors, field_errors, parse_form, read_form
from ethical_decisions.web.steps import handover_target

from ._render import Pages, page_actor, redirect, render
from ._steps import load_review, only_if, take

__all__ = ["PAGES"]

PAGES = Pages()

_FIELDS = ("to", "role", "team", "reason")
_ROLES = [(r.value, r.value.replace("_", " ").capitalize(), "") for r in StaffRole]


def _data(form: Form, *, reason: bool) -> dict[str, Any]:
    return {
        "to": form.get("to") or None,
        "role": form.get("role") or None,
        "team": form.get("team") or None,
        "reason": form.text("reason") if reason else "-",
    }


def _who(request: Request, review: Review, form: Form, *, reason: bool) -> tuple[HandoverBody, DecisionMaker]:
    """The handover the form describes so far, and who it goes to.

    :raises FormErrors: for each answer to correct, never repeating what was typed.
    """
    edm = _http.context(request).edm
    required = [("to", "Enter the staff id of the decision-maker to hand the review to")]
    if not edm.plugins.people.staff:
        required.append(("role", "Select their role"))
    if reason:
        required.append(("reason", "Enter why you are handing the review over"))
    fields = {name: name for name in _FIELDS}
    body: HandoverBody = parse_form(HandoverBody, _data(form, reason=reason), fields, required)
    if body.to == review.owner.staff_id:
        raise FormErrors({"to": "Enter someone other than the decision-maker who holds the review now"})
    try:
        return body, handover_target(edm, review, body)
    except ValidationError as exc:
        raise FormErrors(field_errors(exc, fields)) from None


@PAGES.page("/reviews/{review_id}/handover", methods=("GET", "POST"))
async def handover(request: Request) -> Response:
    """Who to hand the review to; then why; then check the answers and hand it over."""
    by = page_actor(request)
    review = await load_review(request, by)
    only_if(request, by, review, Step.HAND_OVER)
    register = bool(_http.context(request).edm.plugins.people.staff)
    values = {"to": "", "role": "", "team": review.owner.team, "reason": ""}
    page, errors, to = "who", {}, None
    if request.method == "POST":
        form = await read_form(request)
        values = {name: (form.text(name) or "") if name == "reason" else form.get(name) for name in _FIELDS}
        at = form.get("at") or "who"
        try:
            if form.get("change") in ("who", "reason"):
                page = form.get("change")
            elif at == "who":
                _who(request, review, form, reason=False)
                page = "reason"
            elif at in ("reason", "check"):
                body, to = _who(request, review, form, reason=True)
                page = "check"
                if at == "check" and form.get("confirm") == "yes":
                    await take(request, "handover", review.review_id, body, version=form.version())
                    return redirect(f"/reviews/{review.review_id}")
        except FormErrors as exc:
            errors = exc.errors
            page = "who" if set(errors) & {"to", "role", "team"} else "reason"
    titles = {
        "who": "Who are you handing the review over to?",
        "reason": "Why are you handing the review over?",
        "check": "Check your answers before handing the review over",
    }
    return render(
        request,
        "handover.html",
        title=titles[page],
        page=page,
        review=review,
        register=register,
        roles=_ROLES,
        to=to,
        values=values,
        errors=errors,
        status=422 if errors else 200,
        section="/",
    )
