"""Making and rendering reports in one call: :func:`pdr_report`, :func:`department_report`, :func:`render`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

import attrs

from ethical_decisions.exceptions import ValidationError
from ethical_decisions.figures import DepartmentFigures, Period, tally
from ethical_decisions.learning import issue_from
from ethical_decisions.signals import PREVIOUS_MONTHS

from .department import DepartmentReport, check_period
from .document import Report, Row, Table
from .html import render_html
from .pdr import PdrReport
from .suppression import DEFAULT_THRESHOLD, check_threshold
from .text import render_text
from .tidy import render_csv, render_json
from .trends import rising_categories

if TYPE_CHECKING:
    from ethical_decisions.plugins import Plugins
    from ethical_decisions.signals import RisingCategory
    from ethical_decisions.store.base import Store

__all__ = ["FORMATS", "department_report", "pdr_report", "render", "signals", "tell"]

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

    It shows the line manager's findings on their part in reviews closed in the period
    (never the notes).

    :param seed: picks the same sample each time (by default a fresh one).
    :param made_at: when the report is made; by default now.
    :raises ValidationError: if *sample_size* is negative.
    """
    figures = store.pdr_figures(staff_id, period)
    sample = store.pdr_sample(staff_id, period, size=sample_size, seed=seed)
    assessed = store.assessments(staff_id=staff_id, closed_from=period.start, closed_before=period.end)
    return PdrReport.from_figures(figures, sample, made_at=_now(made_at, "made_at"), assessments=assessed)


def department_report(
    store: Store,
    period: Period,
    *,
    threshold: int = DEFAULT_THRESHOLD,
    as_of: dt.datetime | None = None,
    route_names: Mapping[str, str] | None = None,
    issue_titles: bool = False,
) -> DepartmentReport:
    """The department report for *period*, with counts under *threshold* suppressed.

    :param period: whole calendar months (:meth:`Period.from_months`, :meth:`Period.quarter`)
        that have ended by *as_of*.
    :param as_of: when the report is made (referrals due before it and still
        awaiting advice are overdue); by default now.
    :param route_names: routes' names by id, e.g. from
        :meth:`EthicalDecisions.routes() <ethical_decisions.EthicalDecisions.routes>`.
        Every route named is listed, whether or not it had referrals.
    :param issue_titles: list the titles of the systemic issues opened in the period, for a
        deployment that has decided its issues' titles may be read by the report's readers (they are
        free text, written about rules and guidance, never about an applicant). Titles only, in
        alphabetical order, never a route, a status or a person; and only when the report shows how
        many issues were opened, so that the list cannot show a hidden count. Erased titles are left out.
    :raises ValidationError: if *threshold* is not a whole number of 3 or more, or *period* is not
        whole calendar months ended by *as_of* (the message names the nearest that is).
    """
    when = _now(as_of, "as_of")
    check_threshold(threshold)
    check_period(period, when)
    figures = learning_figures(store, store.department_figures(period, as_of=when))
    report = DepartmentReport.from_figures(
        figures, made_at=when, threshold=threshold, route_names=route_names
    )
    return _with_issue_titles(report, store) if issue_titles else report


def _with_issue_titles(report: DepartmentReport, store: Store) -> DepartmentReport:
    """*report* with the titles of the systemic issues it counts (see :func:`department_report`)."""
    (issues,) = [t for t in report.tables if t.key == "systemic_issues"]
    total = issues.rows[-1].cells[-1]
    shown = total is not None and isinstance(total.value, int) and not total.suppressed
    period = report.period
    titles: list[str] = []
    if shown:
        for record in store.systemic_issues():
            if period.start <= record.opened_at < period.end:
                issue = issue_from(r.event() for r in store.load(record.issue_id))
                if issue.erased_at is None:
                    titles.append(issue.title)
    about = (
        "The titles of the systemic issues opened in the period and counted above, in alphabetical order "
        "(this deployment lists them; erased titles are left out)."
        if shown
        else "Titles are listed only when the report shows how many issues were opened in the period; "
        "here that count is hidden, so the titles are too."
    )
    table = Table(
        "systemic_issue_titles",
        "Titles of the systemic issues",
        about,
        "Title",
        (),
        tuple(Row(title, ()) for title in sorted(titles, key=str.casefold)),
    )
    at = report.tables.index(issues) + 1
    return attrs.evolve(report, tables=(*report.tables[:at], table, *report.tables[at:]))


def learning_figures(store: Store, figures: DepartmentFigures) -> DepartmentFigures:
    """*figures* with the learning loop's counts for their period added, from *store*.

    Systemic issues opened in the period (by the route that raised them and their status
    now), answers to the speaking-up questions and feedback on the guidance given in it.
    """
    months = set(figures.period.months())
    period = figures.period
    issues = tally(
        ((i.route_id, i.status.value), 1)
        for i in store.systemic_issues()
        if period.start <= i.opened_at < period.end
    )
    answers = [a for a in store.speak_up_answers() if a.month in months]
    speak_up = tally(
        [
            *((("again", a.again.value), 1) for a in answers),
            *((("detriment", a.detriment.value), 1) for a in answers),
        ]
    )
    guidance = tally(
        ((n.guidance_version, n.kind.value), 1) for n in store.guidance_feedback() if n.month in months
    )
    return attrs.evolve(figures, issues=issues, speak_up=speak_up, guidance_feedback=guidance)


def tell(plugins: Plugins, report: DepartmentReport) -> tuple[RisingCategory, ...]:
    """Tell *plugins* (the ``ethical_decisions_rising_category`` hook) each category *report* shows rising.

    :returns: the signals told, worked out from what the report publishes (:mod:`ethical_decisions.signals`).
    """
    found = rising_categories(report)
    for signal in found:
        plugins.rising_category(signal)
    return found


def signals(
    store: Store,
    *,
    plugins: Plugins | None = None,
    as_of: dt.datetime | None = None,
    months: int = 6,
    threshold: int = DEFAULT_THRESHOLD,
    route_names: Mapping[str, str] | None = None,
) -> tuple[RisingCategory, ...]:
    """The concern categories rising in the last whole month before *as_of*, told to *plugins* if given.

    For a scheduler to call once a month: it makes the department report of the
    *months* whole calendar months before *as_of*'s month, with counts under
    *threshold* suppressed, and reads its signals (the latest month against the
    three before it, from what that report shows: see :mod:`ethical_decisions.signals`).

    :param as_of: when it is called; by default now.
    :param months: how many whole months the report covers: at least four. Six, by default, as a
        department report of half a year shows the same signal.
    :raises ValidationError: if *threshold* is not a whole number of 3 or more, or *months* is under four.
    """
    if months <= PREVIOUS_MONTHS:
        raise ValidationError("The signals' period", [f"months: give {PREVIOUS_MONTHS + 1} or more"])
    when = _now(as_of, "as_of")
    this_month = dt.datetime(when.year, when.month, 1, tzinfo=dt.UTC)
    back = when.year * 12 + when.month - 1 - months
    period = Period(dt.datetime(back // 12, back % 12 + 1, 1, tzinfo=dt.UTC), this_month)
    report = department_report(store, period, threshold=threshold, as_of=when, route_names=route_names)
    return tell(plugins, report) if plugins is not None else rising_categories(report)


def render(report: Report, format: str) -> str:
    """*report* in *format* (one of :data:`FORMATS`); writing it anywhere is the caller's job.

    :raises ValidationError: if *format* is not one of :data:`FORMATS`.
    """
    renderer = _RENDERERS.get(format)
    if renderer is None:
        raise ValidationError("The report format", [f"format: use one of {', '.join(FORMATS)}"])
    return renderer(report)
