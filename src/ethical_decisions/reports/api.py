"""Making and rendering reports in one call: :func:`pdr_report`, :func:`department_report`, :func:`render`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from ethical_decisions.exceptions import ValidationError
from ethical_decisions.figures import Period

from .department import DepartmentReport, check_period
from .document import Report
from .html import render_html
from .pdr import PdrReport
from .suppression import DEFAULT_THRESHOLD, check_threshold
from .text import render_text
from .tidy import render_csv, render_json

if TYPE_CHECKING:
    from ethical_decisions.store.base import Store

__all__ = ["FORMATS", "department_report", "pdr_report", "render"]

_RENDERERS: Mapping[str, Callable[[Report], str]] = {
    "text": render_text,
    "json": render_json,
    "csv": render_csv,
    "html": render_html,
}
FORMATS = tuple(_RENDERERS)
"""The formats :func:`render` writes: ``"text"``, ``"json"``, ``"csv"``, ``"html"``."""


def _now(value: dt.datetime | None, name: str) -> dt.datetime:
    if value is None:
        return dt.datetime.now(dt.UTC)
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValidationError("The report's time", [f"{name}: give a time with a timezone, e.g. UTC"])
    return value.astimezone(dt.UTC)


def pdr_report(
    store: Store,
    staff_id: str,
    period: Period,
    *,
    sample_size: int = 3,
    seed: int | None = None,
    made_at: dt.datetime | None = None,
) -> PdrReport:
    """The PDR report of decision-maker *staff_id* for *period*, with *sample_size* records picked at random.

    :param seed: picks the same sample each time (by default a fresh one).
    :param made_at: when the report is made; by default now.
    :raises ValidationError: if *sample_size* is negative.
    """
    figures = store.pdr_figures(staff_id, period)
    sample = store.pdr_sample(staff_id, period, size=sample_size, seed=seed)
    return PdrReport.from_figures(figures, sample, made_at=_now(made_at, "made_at"))


def department_report(
    store: Store,
    period: Period,
    *,
    threshold: int = DEFAULT_THRESHOLD,
    as_of: dt.datetime | None = None,
    route_names: Mapping[str, str] | None = None,
) -> DepartmentReport:
    """The department report for *period*, with counts under *threshold* suppressed.

    :param period: whole calendar months (:meth:`Period.from_months`, :meth:`Period.quarter`)
        that have ended by *as_of*.
    :param as_of: when the report is made (referrals due before it and still
        awaiting advice are overdue); by default now.
    :param route_names: routes' names by id, e.g. from
        :meth:`EthicalDecisions.routes() <ethical_decisions.EthicalDecisions.routes>`.
        Every route named is listed, whether or not it had referrals.
    :raises ValidationError: if *threshold* is not a whole number of 3 or more, or *period* is not
        whole calendar months ended by *as_of* (the message names the nearest that is).
    """
    when = _now(as_of, "as_of")
    check_threshold(threshold)
    check_period(period, when)
    figures = store.department_figures(period, as_of=when)
    return DepartmentReport.from_figures(figures, made_at=when, threshold=threshold, route_names=route_names)


def render(report: Report, format: str) -> str:
    """*report* in *format* (one of :data:`FORMATS`); writing it anywhere is the caller's job.

    :raises ValidationError: if *format* is not one of :data:`FORMATS`.
    """
    renderer = _RENDERERS.get(format)
    if renderer is None:
        raise ValidationError("The report format", [f"format: use one of {', '.join(FORMATS)}"])
    return renderer(report)
