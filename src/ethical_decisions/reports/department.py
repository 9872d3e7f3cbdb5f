"""The department report: how the model is used across the department, with small counts suppressed.

Windrush Recommendation 17's measures of success are "an increase in case
escalation for ethical considerations" and, over time, fewer decisions
"overturned at tribunal"; Recommendation 22 asks for trends to be spotted and
fed back. The report shows escalations per route per month, who referred,
how reviews ended, time to advice against each route's target, what
concerns were about month by month, and how often challenged decisions were
overturned for reviews with concerns and without.

It is read widely, so every count under the threshold is hidden, with as many
others as it takes that no hidden count can be worked out, or narrowed to
fewer than three values, from everything the report shows (see
:mod:`ethical_decisions.reports.suppression`); shares and means of a
hidden count are hidden too. It covers whole calendar months, so that two
reports cannot be subtracted to give a day or a week.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import attrs

from ethical_decisions.exceptions import ValidationError
from ethical_decisions.figures import DepartmentFigures, Period

from .document import Report, in_words
from .sections import department_tables
from .suppression import DEFAULT_THRESHOLD, check_threshold

__all__ = ["DepartmentReport", "check_period"]


def check_period(period: Period, as_of: dt.datetime) -> Period:
    """*period*, if a department report may cover it: whole calendar months, all ended by *as_of*.

    Two reports whose periods differ by a day could be subtracted to give that
    day's figures, unsuppressed; whole months leave nothing smaller than a month
    to subtract. A month not yet over would be the same: a report of it made
    today and one made tomorrow differ by a day.

    :raises ValidationError: if not, naming the nearest period that is.
    """
    if period.is_whole_months and period.end <= as_of:
        return period
    nearest = period.nearest_whole_months(ended_by=as_of)
    suggestion = (
        f"the nearest is {nearest.describe()} (from {nearest.first_day.isoformat()} "
        f"to {nearest.last_day.isoformat()})"
    )
    if not period.is_whole_months:
        problem = (
            "a department report covers whole calendar months (or quarters), so that two reports cannot "
            f"be subtracted to give a day or a week: {suggestion}"
        )
    else:
        problem = f"a department report covers only months that have ended by {in_words(as_of)}: {suggestion}"
    raise ValidationError("The report period", [f"period: {problem}"])


def _how_to_read(period: str, as_of: dt.datetime, t: int) -> tuple[str, ...]:
    return (
        f"How the Ethical Decision-Making Model was used across the department from {period}: how often "
        "concerns were escalated and by whom, how reviews ended, how quickly each route gave advice, what "
        "concerns were about, and how decisions fared when challenged.",
        "What good looks like: more escalations for ethical considerations, and fewer decisions overturned "
        "at tribunal. A rise in escalations is the aim, not a warning sign: it means staff feel able to "
        "raise concerns.",
        "\u201c[c]\u201d marks a number hidden so that no one can be identified: every number from 1 to "
        f"{t - 1} is hidden, and so are a few others, so that no hidden number can be worked out, or "
        "narrowed down to one or two values, by adding and subtracting what the report shows. It may be "
        "any number, 0 included. 0 means none. A share or average worked out from a hidden number is "
        "hidden too.",
        "Referral figures count referrals submitted in the period; review figures count reviews closed in "
        f"it. \u201cAwaiting advice now\u201d is as of {in_words(as_of)}.",
    )


@attrs.frozen(kw_only=True)
class DepartmentReport(Report):
    """The department report for a period. Build it with :meth:`from_figures`."""

    kind = "department"
    dimensions = (
        "route",
        "month",
        "referred_by",
        "timing",
        "due",
        "outcome_class",
        "decision",
        "category",
        "concerns",
        "result",
        "kind",
        "escalation",
        "element",
        "finding",
        "status",
        "question",
        "answer",
        "guidance_version",
    )

    as_of: dt.datetime

    @classmethod
    def from_figures(
        cls,
        figures: DepartmentFigures,
        *,
        made_at: dt.datetime,
        threshold: int = DEFAULT_THRESHOLD,
        route_names: Mapping[str, str] | None = None,
    ) -> DepartmentReport:
        """The report of *figures*, suppressing counts under *threshold*.

        :param route_names: routes' names by id (from the installed plugins); by default the ids in words.
        :raises ValidationError: if *threshold* is not a whole number of 3 or more, or the figures'
            period is not whole calendar months ended by their ``as_of`` (the message names the
            nearest that is).
        """
        t = check_threshold(threshold)
        check_period(figures.period, figures.as_of)
        tables = department_tables(figures, t, route_names)
        return cls(
            title="Ethical decision-making: department report",
            subject="All business areas",
            period=figures.period,
            made_at=made_at,
            threshold=t,
            suppression=f"Counts from 1 to {t - 1}, and a few others, are hidden so that no one can be "
            "identified.",
            how_to_read=_how_to_read(figures.period.describe(), figures.as_of, t),
            tables=tables,
            as_of=figures.as_of,
        )
