"""A line manager's assessment: choose a person and a month, open a sampled record, record findings.

The sample is the one ``GET /api/assessments`` and ``ethical-decisions assessments``
list (:func:`ethical_decisions.web.assessing.sample`). Who may assess whom is the
library's rule (:func:`~ethical_decisions.assessments.assessor_problem`), asked
before anything is shown; a refusal is the error page in its words. Each element
of the model is a page of its own: a finding (evident, partly evident, not
evident) and an optional note. The note is never shown again, in a list or
anywhere else, and never logged.
"""

from __future__ import annotations

import calendar
import datetime as dt
import urllib.parse
from collections.abc import Mapping

from starlette.requests import Request
from starlette.responses import Response

from ethical_decisions import reports
from ethical_decisions._fields import is_identifier
from ethical_decisions.assessments import ELEMENT_LABELS, FINDING_LABELS, AssessedElement, Finding
from ethical_decisions.exceptions import ConflictError
from ethical_decisions.model import DecisionMaker
from ethical_decisions.review import Review
from ethical_decisions.web import _http, assessing
from ethical_decisions.web.access import managed_by
from ethical_decisions.web.bodies import AssessmentBody
from ethical_decisions.web.forms import FormErrors, parse_form, read_form
from ethical_decisions.web.problems import HttpProblem

from ._render import Pages, page_actor, redirect, render

__all__ = ["PAGES"]

PAGES = Pages()

_FINDINGS = [(f.value, FINDING_LABELS[f], "") for f in Finding]


def _assessor(request: Request) -> DecisionMaker:
    return assessing.assessor(page_actor(request))


def _chosen(request: Request) -> tuple[dict[str, str], dict[str, str], reports.Period | None]:
    """The person and month the query names: (values, errors by field, the month as a period)."""
    values = {n: request.query_params.get(n, "").strip() for n in ("staff_id", "month", "year")}
    errors: dict[str, str] = {}
    if not is_identifier(values["staff_id"]):
        errors["staff_id"] = "Enter the staff id of the person whose records you are assessing"
    period = None
    try:
        month, year = int(values["month"]), int(values["year"])
        first = dt.date(year, month, 1)
        period = reports.Period.from_dates(first, first.replace(day=calendar.monthrange(year, month)[1]))
    except ValueError:
        errors["month"] = "Enter the month as a real month and year, for example 1 2026"
    return values, errors, period


def _query(values: Mapping[str, str]) -> str:
    return urllib.parse.urlencode({n: values[n] for n in ("staff_id", "month", "year")})


def _people(request: Request, by: DecisionMaker) -> list[tuple[str, str, str]]:
    """The people the file says *by* manages, as radio items (none when it does not say)."""
    managed = managed_by(by, _http.context(request).edm.plugins.people)
    return [(p, p, "") for p in sorted(managed or ())]


@PAGES.page("/assessments")
async def choose(request: Request) -> Response:
    """Whose records, and which month: the start of an assessment."""
    by = _assessor(request)
    last = dt.date.today().replace(day=1) - dt.timedelta(days=1)
    return _chooser(request, by, {"month": str(last.month), "year": str(last.year)}, {})


def _chooser(
    request: Request, by: DecisionMaker, values: Mapping[str, str], errors: Mapping[str, str]
) -> Response:
    return render(
        request,
        "assess_choose.html",
        title="Whose records are you assessing?",
        section="/assessments",
        people=_people(request, by),
        values=values,
        errors=errors,
        status=422 if errors else 200,
    )


@PAGES.page("/assessments/sample")
async def sample(request: Request) -> Response:
    """The person's sample of records closed in the month: the same as ``GET /api/assessments``."""
    by = _assessor(request)
    values, errors, period = _chosen(request)
    if errors or period is None:
        return _chooser(request, by, values, errors)
    edm = _http.context(request).edm
    items = await _http.threaded(assessing.sample, edm, by, values["staff_id"], period)
    return render(
        request,
        "assess_sample.html",
        title=f"Records of {values['staff_id']} to assess",
        section="/assessments",
        items=items,
        month=period.first_day.strftime("%B %Y"),
        query=_query(values),
        elements=len(AssessedElement),
    )


async def _record(request: Request) -> tuple[DecisionMaker, Review, dict[str, str]]:
    """The record the address names, once the library's rule lets the signed-in person assess the person."""
    by = _assessor(request)
    values, errors, _ = _chosen(request)
    if "staff_id" in errors:
        raise HttpProblem(404, "not-found", "Not found", "Choose the person again from the sample.")
    edm = _http.context(request).edm
    review = await _http.threaded(edm.review, _http.path_id(request, "review"))
    assessing.check_assessor(edm, by, values["staff_id"], review.business_area)
    return by, review, values


@PAGES.page("/assessments/{review_id}")
async def record(request: Request) -> Response:
    """One sampled record: each of the model's elements, with the finding recorded so far (never the note)."""
    _, review, values = await _record(request)
    edm = _http.context(request).edm
    found = await _http.threaded(edm.store.assessments, review_id=review.review_id)
    findings = {a.element: a.finding for a in found if a.staff_id == values["staff_id"]}
    return render(
        request,
        "assess_record.html",
        title=f"Review {review.review_id}",
        section="/assessments",
        review=review,
        staff_id=values["staff_id"],
        rows=[(e, ELEMENT_LABELS[e], findings.get(e)) for e in AssessedElement],
        findings=FINDING_LABELS,
        query=_query(values),
    )


@PAGES.page("/assessments/{review_id}/{element}", methods=("GET", "POST"))
async def element(request: Request) -> Response:
    """One element of the model in the record: is it evident? With an optional note, never shown again."""
    by, review, values = await _record(request)
    try:
        chosen = AssessedElement(request.path_params["element"])
    except ValueError:
        raise HttpProblem(404, "not-found", "Not found", "The model has no element by that name.") from None
    back = f"/assessments/{review.review_id}?{_query(values)}"
    errors: Mapping[str, str] = {}
    finding = ""
    if request.method == "POST":
        form = await read_form(request)
        finding = form.get("finding")
        data = {
            "element": chosen.value,
            "finding": finding or None,
            "note": form.text("note"),
            "staff_id": values["staff_id"],
        }
        try:
            body = parse_form(
                AssessmentBody,
                data,
                {"finding": "finding", "note": "note"},
                [("finding", "Select whether it is evident in the record")],
            )
        except FormErrors as exc:
            errors = exc.errors
        else:
            edm = _http.context(request).edm
            current = await _http.threaded(edm.review, review.review_id)
            version = form.version()
            if version is not None and version != current.version:
                raise ConflictError(review.review_id, version, current.version)
            await _http.threaded(assessing.record_finding, edm, by, current, body)
            return redirect(back)
    return render(
        request,
        "assess_element.html",
        title=f"{ELEMENT_LABELS[chosen]}: is it evident in the record?",
        section="/assessments",
        review=review,
        staff_id=values["staff_id"],
        findings=_FINDINGS,
        chosen=finding,
        back=back,
        errors=errors,
        status=422 if errors else 200,
    )
