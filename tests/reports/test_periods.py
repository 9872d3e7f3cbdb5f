"""Report periods: department reports cover whole calendar months that have ended; PDR reports any days."""

from __future__ import annotations

import datetime as dt

import pytest

from ethical_decisions import ValidationError
from ethical_decisions.reports import DepartmentReport, Period, department_report, pdr_report
from ethical_decisions.store import Store

from .conftest import AS_OF, QUARTER


def test_whole_months_and_quarters() -> None:
    """A month, a run of months and a quarter are built from their names, and are whole months."""
    assert Period.from_months("2026-01", "2026-03") == Period.quarter(2026, 1) == QUARTER
    december = Period.from_months("2025-12")

    assert (december.first_day, december.last_day) == (dt.date(2025, 12, 1), dt.date(2025, 12, 31))
    assert december.is_whole_months
    assert not Period.from_dates(dt.date(2026, 1, 1), dt.date(2026, 1, 30)).is_whole_months


@pytest.mark.parametrize(
    ("first", "last", "nearest"),
    [
        (dt.date(2025, 6, 7), dt.date(2025, 12, 6), "1 June 2025 to 30 November 2025"),
        (dt.date(2025, 6, 10), dt.date(2025, 6, 20), "1 June 2025 to 30 June 2025"),
        (dt.date(2025, 6, 25), dt.date(2025, 7, 4), "1 June 2025 to 30 June 2025"),
        (dt.date(2025, 12, 20), dt.date(2026, 3, 31), "1 January 2026 to 31 March 2026"),
    ],
)
def test_the_nearest_whole_months(first: dt.date, last: dt.date, nearest: str) -> None:
    """Each end moves to the nearer first of a month; less than a month becomes the month with most of it."""
    assert Period.from_dates(first, last).nearest_whole_months().describe() == nearest


@pytest.mark.parametrize(("first", "last"), [("2026-1", None), ("January", None), ("2026-03", "2026-01")])
def test_months_must_be_written_in_order(first: str, last: str | None) -> None:
    """A month not written YYYY-MM, or a last month before the first, is refused saying what to give."""
    with pytest.raises(ValidationError, match=r"(from|to): "):
        Period.from_months(first, last)


def test_a_quarter_is_one_to_four() -> None:
    """Quarter 5 is refused."""
    with pytest.raises(ValidationError, match="quarter: give 1, 2, 3 or 4"):
        Period.quarter(2026, 5)


def test_department_report_refuses_part_of_a_month_naming_the_nearest(memory_quarter: Store) -> None:
    """Two reports a day apart could be subtracted to give that day: part of a month is refused.

    The message names the nearest whole months, with the dates to ask for.
    """
    days = Period.from_dates(dt.date(2026, 1, 7), dt.date(2026, 3, 6))

    with pytest.raises(ValidationError) as refused:
        department_report(memory_quarter, days, as_of=AS_OF)

    assert refused.value.problems == (
        "period: a department report covers whole calendar months (or quarters), so that two reports cannot "
        "be subtracted to give a day or a week: the nearest is 1 January 2026 to 28 February 2026 "
        "(from 2026-01-01 to 2026-02-28)",
    )


def test_department_report_refuses_a_month_not_yet_over(memory_quarter: Store) -> None:
    """A report of a month still running, made on two days, would differ by a day: it is refused."""
    with pytest.raises(
        ValidationError, match="only months that have ended by 15 April 2026 12:00 UTC: the nearest is"
    ):
        department_report(memory_quarter, Period.from_months("2026-03", "2026-04"), as_of=AS_OF)
    figures = memory_quarter.department_figures(Period.from_months("2026-04"), as_of=AS_OF)
    with pytest.raises(ValidationError, match="the nearest is 1 March 2026 to 31 March 2026"):
        DepartmentReport.from_figures(figures, made_at=AS_OF)


def test_pdr_report_keeps_any_days(memory_quarter: Store) -> None:
    """A PDR report is one person's own, read with their manager, not published: any days will do."""
    days = Period.from_dates(dt.date(2026, 1, 7), dt.date(2026, 3, 6))

    report = pdr_report(memory_quarter, "dm-0001", days, made_at=AS_OF)

    assert report.period == days
