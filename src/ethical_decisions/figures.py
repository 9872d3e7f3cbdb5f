"""The raw figures behind the reports: what a store counts, before anything is suppressed or worded.

A store computes these (:meth:`~ethical_decisions.store.Store.pdr_figures`,
:meth:`~ethical_decisions.store.Store.department_figures`); the report
builders turn them into tables. Every mapping of counts keeps only its non-zero
entries, sorted by key, so two stores that counted the same things give equal
figures. Timings are in whole seconds, each time cut to the second before
subtracting, so that every store rounds alike.

The figures sit below both the stores and the reports: this module imports only
the model, the compliance record, the assessments' codes and the errors. :mod:`ethical_decisions.reports`
re-exports :class:`Period`, :class:`PdrFigures` and :class:`DepartmentFigures`,
and documents them there.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TypeVar

import attrs

from ethical_decisions.assessments import AssessedElement, Finding
from ethical_decisions.compliance import Part, StepUsed
from ethical_decisions.exceptions import ValidationError
from ethical_decisions.model import (
    AdviceResponse,
    ConcernCategory,
    LaterOutcomeKind,
    LaterOutcomeResult,
    OutcomeClass,
)

__all__ = [
    "CHALLENGES_AT_APPEAL",
    "DepartmentFigures",
    "PdrFigures",
    "Period",
    "choose_sample",
    "tally",
    "whole_seconds",
]

_K = TypeVar("_K")
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_SECOND = dt.timedelta(seconds=1)


def _order(key: object) -> tuple[str, ...]:
    return tuple(str(k) for k in key) if isinstance(key, tuple) else (str(key),)


def _counts(value: Mapping[_K, int]) -> dict[_K, int]:
    return {key: value[key] for key in sorted(value, key=_order) if value[key]}


def whole_seconds(start: dt.datetime, end: dt.datetime) -> int:
    """Seconds from *start* to *end*, each cut to the whole second first (as the SQL stores count)."""
    return (end - _EPOCH) // _SECOND - (start - _EPOCH) // _SECOND


def _utc(instance: object, attribute: attrs.Attribute[Any], value: dt.datetime) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValidationError(
            "The report period", [f"{attribute.name}: give a time with a timezone, e.g. UTC"]
        )


def _to_utc(value: dt.datetime) -> dt.datetime:
    return value.astimezone(dt.UTC) if value.tzinfo is not None else value


@attrs.frozen
class Period:
    """The time a report covers: from *start* (included) to *end* (excluded), in UTC.

    Build one from days with :meth:`from_dates`, or from whole calendar months
    with :meth:`from_months` or :meth:`quarter`. A department report covers
    whole months only (:attr:`is_whole_months`), so that two reports cannot be
    subtracted to give a day or a week; a PDR report may cover any days.
    """

    start: dt.datetime = attrs.field(validator=_utc, converter=_to_utc)
    end: dt.datetime = attrs.field(validator=_utc, converter=_to_utc)

    def __attrs_post_init__(self) -> None:
        if self.end <= self.start:
            raise ValidationError("The report period", ["end: must be after the start; check the dates"])

    @classmethod
    def from_dates(cls, first_day: dt.date, last_day: dt.date) -> Period:
        """The whole days from *first_day* to *last_day*, both included, in UTC."""
        if last_day < first_day:
            raise ValidationError("The report period", ["to: the last day is before the first day"])
        start = dt.datetime.combine(first_day, dt.time(), tzinfo=dt.UTC)
        return cls(start, dt.datetime.combine(last_day, dt.time(), tzinfo=dt.UTC) + dt.timedelta(days=1))

    @classmethod
    def from_months(cls, first_month: str, last_month: str | None = None) -> Period:
        """The whole calendar months from *first_month* to *last_month* (by default the same), as ``YYYY-MM``.

        :raises ValidationError: if a month is not written ``YYYY-MM``, or the last is before the first.
        """
        first = _month(first_month, "from")
        last = first if last_month is None else _month(last_month, "to")
        if last < first:
            raise ValidationError("The report period", ["to: the last month is before the first month"])
        return cls(_midnight(first), _midnight(_next_month(last)))

    @classmethod
    def quarter(cls, year: int, quarter: int) -> Period:
        """Calendar quarter *quarter* (1 to 4) of *year*: ``Period.quarter(2026, 1)`` is January to March.

        :raises ValidationError: if *quarter* is not 1, 2, 3 or 4.
        """
        if quarter not in (1, 2, 3, 4):
            raise ValidationError("The report period", ["quarter: give 1, 2, 3 or 4"])
        first = dt.date(year, 3 * quarter - 2, 1)
        return cls(_midnight(first), _midnight(_next_month(dt.date(year, 3 * quarter, 1))))

    @property
    def is_whole_months(self) -> bool:
        """Whether the period starts and ends at midnight UTC on the first day of a month."""
        return all(t == _midnight(t.date().replace(day=1)) for t in (self.start, self.end))

    def nearest_whole_months(self, *, ended_by: dt.datetime | None = None) -> Period:
        """The whole calendar months nearest this period (at least one), all ended by *ended_by* if given.

        Each end moves to the nearer first of a month; a period shorter than a
        month becomes the month holding most of it.
        """
        start, end = _nearest_month_start(self.start), _nearest_month_start(self.end)
        if end <= start:
            middle = self.start + (self.end - self.start) / 2
            start = _midnight(middle.date().replace(day=1))
            end = _midnight(_next_month(start.date()))
        if ended_by is not None and end > ended_by:
            end = _midnight(ended_by.astimezone(dt.UTC).date().replace(day=1))
            start = min(start, _midnight(_previous_month(end.date())))
        return Period(start, end)

    @property
    def first_day(self) -> dt.date:
        """The first day in the period."""
        return self.start.date()

    @property
    def last_day(self) -> dt.date:
        """The last day in the period (the day of the last moment before :attr:`end`)."""
        return (self.end - dt.timedelta(microseconds=1)).date()

    def __contains__(self, when: object) -> bool:
        return isinstance(when, dt.datetime) and self.start <= when < self.end

    def months(self) -> tuple[str, ...]:
        """Every month the period touches, as ``YYYY-MM``, in order."""
        year, month = self.start.year, self.start.month
        last = (self.last_day.year, self.last_day.month)
        found = []
        while (year, month) <= last:
            found.append(f"{year:04d}-{month:02d}")
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return tuple(found)

    def describe(self) -> str:
        """The period in words, e.g. ``"1 January 2026 to 31 March 2026"``."""
        return f"{_day(self.first_day)} to {_day(self.last_day)}"


def _day(day: dt.date) -> str:
    return f"{day.day} {day:%B %Y}"


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)


def _next_month(day: dt.date) -> dt.date:
    return dt.date(day.year + 1, 1, 1) if day.month == 12 else dt.date(day.year, day.month + 1, 1)


def _previous_month(day: dt.date) -> dt.date:
    return dt.date(day.year - 1, 12, 1) if day.month == 1 else dt.date(day.year, day.month - 1, 1)


def _nearest_month_start(moment: dt.datetime) -> dt.datetime:
    """The first of the month nearest *moment*, at midnight UTC (the earlier one when halfway)."""
    before = _midnight(moment.date().replace(day=1))
    after = _midnight(_next_month(before.date()))
    return before if moment - before <= after - moment else after


def _month(text: str, field: str) -> dt.date:
    try:
        if len(text) != 7 or text[4] != "-":  # strptime would take "2026-1"
            raise ValueError(text)
        return dt.datetime.strptime(text, "%Y-%m").date()
    except (TypeError, ValueError):
        raise ValidationError("The report period", [f"{field}: give a month as YYYY-MM"]) from None


def _count_field() -> Any:
    return attrs.field(factory=dict, converter=_counts)


@attrs.frozen
class PdrFigures:
    """One decision-maker's use of the model in a period: counts over the reviews they decided in it.

    :attr:`parts` credits them with every part they took in reviews closed in
    the period, whoever decided them (opening a review and handing it over, say);
    :attr:`open_at_end` counts the reviews they hold; :attr:`assessed` counts
    their line manager's findings on their part in reviews closed in the period.
    Every other figure counts the reviews they took the final decision on.

    Nothing here is forced by the rules: every closed review has a reflection and
    a rationale because the library requires them, so those are not counted.
    """

    staff_id: str
    period: Period
    closed: int = 0
    """Reviews closed in the period."""
    with_concerns: int = 0
    """Reviews with at least one concern articulated."""
    concerns: int = 0
    """Concerns articulated, in all."""
    concerns_by_category: Mapping[ConcernCategory, int] = _count_field()
    steps: Mapping[StepUsed, int] = _count_field()
    """Reviews that used each step."""
    outcomes: Mapping[OutcomeClass, int] = _count_field()
    decisions_changed: int = 0
    proceeded_unresolved: int = 0
    """Reviews finalised with concerns unresolved, each acknowledged with reasons."""
    unresolved_acknowledged: int = 0
    """Concerns acknowledged as unresolved when the decision was taken, with reasons."""
    escalated: int = 0
    """Reviews with at least one referral."""
    referrals: int = 0
    returned: int = 0
    """Referrals the route returned for more information before advising."""
    advice_responses: Mapping[AdviceResponse, int] = _count_field()
    """What they did with each route's advice on each concern: followed, followed in part, not followed."""
    re_escalations: int = 0
    """Referrals that took a concern further after a route's advice (to the same route or a second tier)."""
    later_outcomes: Mapping[LaterOutcomeResult, int] = _count_field()
    """The latest recorded challenge's result (administrative review, appeal or tribunal), by result."""
    open_at_end: int = 0
    """Reviews the decision-maker holds that were opened before the period's end and not closed by then."""
    parts: Mapping[Part, int] = _count_field()
    """Reviews closed in the period in which they took each part (opened, reflected, escalated, decided…)."""
    assessed: Mapping[tuple[AssessedElement, Finding], int] = _count_field()
    """Their line manager's findings on their part in reviews closed in the period, by element and finding."""
    assessed_reviews: int = 0
    """Reviews closed in the period with at least one finding on their part in it."""


@attrs.frozen
class DepartmentFigures:
    """The department's use of the model in a period.

    Referral figures count referrals *submitted* in the period; outcome and
    concern figures count reviews *closed* in it; :attr:`awaiting` and
    :attr:`overdue` are every referral awaiting advice when the report is made
    (*as_of*), whenever submitted.
    """

    period: Period
    as_of: dt.datetime
    escalations: Mapping[tuple[str, str], int] = _count_field()
    """Referrals by route and month of submission (``YYYY-MM``)."""
    frontline: Mapping[str, int] = _count_field()
    """Referrals made by frontline officers, by route."""
    advised: Mapping[str, int] = _count_field()
    """Referrals that got advice, by route."""
    within_target: Mapping[str, int] = _count_field()
    """Referrals whose advice came by their due time, by route."""
    advice_seconds: Mapping[str, int] = _count_field()
    """Whole seconds from submission to advice, summed over :attr:`advised`, by route."""
    target_seconds: Mapping[str, int] = _count_field()
    """The longest response target among the route's referrals, in seconds."""
    awaiting: Mapping[str, int] = _count_field()
    """Referrals awaiting advice at *as_of*, by route."""
    overdue: Mapping[str, int] = _count_field()
    """Of :attr:`awaiting`, those due before *as_of*."""
    outcomes: Mapping[OutcomeClass, int] = _count_field()
    """Reviews by how they ended."""
    changed: Mapping[OutcomeClass, int] = _count_field()
    """Reviews whose final decision differs from the proposed one, by how they ended."""
    categories: Mapping[tuple[str, ConcernCategory], int] = _count_field()
    """Concerns by month of closing and category."""
    challenges: Mapping[tuple[bool, LaterOutcomeResult], int] = _count_field()
    """Reviews whose latest challenge was an appeal or tribunal, by whether they had concerns and result."""
    later_outcomes: Mapping[tuple[LaterOutcomeKind, LaterOutcomeResult], int] = _count_field()
    """Reviews by their latest later outcome's kind (appeal, complaint, MP letter...) and result."""
    referred: Mapping[tuple[str, ConcernCategory], int] = _count_field()
    """Concerns referred to each route in referrals submitted in the period, by route and category."""
    first_referrals: Mapping[str, int] = _count_field()
    """Referrals submitted in the period that took their concerns to a route for the first time, by route."""
    escalate_seconds: Mapping[str, int] = _count_field()
    """Whole seconds from the proposed decision to the referral, summed over :attr:`first_referrals`."""
    assessed: Mapping[tuple[AssessedElement, Finding], int] = _count_field()
    """Line managers' findings recorded in the period, by element and finding."""
    issues: Mapping[tuple[str, str], int] = _count_field()
    """Systemic issues opened in the period, by the route that raised them and their status now."""
    speak_up: Mapping[tuple[str, str], int] = _count_field()
    """Answers to the speaking-up questions given in the period, by question (``again``,
    ``detriment``) and answer (``yes``, ``no``, ``not_sure``)."""
    guidance_feedback: Mapping[tuple[str, str], int] = _count_field()
    """Feedback on the guidance sent in the period, by guidance version and kind."""

    @property
    def routes(self) -> tuple[str, ...]:
        """Every route that appears in the figures, sorted."""
        keys: set[str] = {route for route, _ in self.escalations}
        keys.update(self.awaiting, self.advised)
        return tuple(sorted(keys))


CHALLENGES_AT_APPEAL = frozenset({LaterOutcomeKind.APPEAL, LaterOutcomeKind.TRIBUNAL})
"""The challenges the department report's overturn rate counts (administrative reviews are not)."""


def choose_sample(ids: Sequence[str], size: int, seed: int | None) -> list[str]:
    """*size* of *ids* at random (all of them if fewer), in their given order; the same for the same seed.

    :raises ValidationError: if *size* is negative.
    """
    if size < 0:
        raise ValidationError("The sample size", ["size: must be zero or more"])
    chosen = set(random.Random(seed).sample(list(ids), min(size, len(ids))))
    return [i for i in ids if i in chosen]


def tally(pairs: Iterable[tuple[_K, int]]) -> dict[_K, int]:
    """Add up ``(key, count)`` pairs by key."""
    found: dict[_K, int] = {}
    for key, count in pairs:
        found[key] = found.get(key, 0) + count
    return found
