"""The reports built from the figures, in every format: wording, suppression, shape, self-containment."""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import json
import re

import pytest

from ethical_decisions import ValidationError
from ethical_decisions.compliance import Part
from ethical_decisions.figures import PdrFigures
from ethical_decisions.reports import (
    FORMATS,
    DepartmentReport,
    Mark,
    PdrReport,
    Period,
    Report,
    department_report,
    pdr_report,
    render,
)
from ethical_decisions.store import Store

from .conftest import AS_OF, CCU, QUARTER, SVM

FORBIDDEN = re.compile(
    r"\b(rank\w*|league|percentile|quota|targets?|top|bottom|best|worst|compar\w*|average|benchmark\w*"
    r"|score\w*|goals?|better than|worse than|above|below|expected number|colleagues?)\b",
    re.IGNORECASE,
)
"""Words that would rank people, set them against each other, or set a number to reach."""


@pytest.fixture(name="pdr")
def _pdr(memory_quarter: Store) -> PdrReport:
    return pdr_report(memory_quarter, "dm-0001", QUARTER, seed=7, made_at=AS_OF)


@pytest.fixture(name="department")
def _department(memory_quarter: Store) -> DepartmentReport:
    return department_report(memory_quarter, QUARTER, as_of=AS_OF, route_names={CCU: "Casework Unit"})


@pytest.fixture(name="reports")
def _reports(pdr: PdrReport, department: DepartmentReport) -> list[Report]:
    return [pdr, department]


def _words(page: str, fmt: str) -> str:
    """What a reader sees of *page*: for HTML, the text without styles, markup or SVG drawing."""
    if fmt != "html":
        return page
    without_style = re.sub(r"<style>.*?</style>", " ", page, flags=re.DOTALL)
    return html.unescape(re.sub(r"<[^>]+>", " ", without_style))


@pytest.mark.parametrize("fmt", FORMATS)
def test_pdr_never_ranks_compares_or_sets_a_number_to_reach(pdr: PdrReport, fmt: str) -> None:
    """No PDR format has wording that ranks, compares people or implies a number of escalations to reach."""
    words = _words(render(pdr, fmt), fmt)

    assert "concern" in words.lower()
    assert FORBIDDEN.findall(words) == []


def test_pdr_says_raising_concerns_never_counts_against_anyone(pdr: PdrReport) -> None:
    """Every PDR format with words as well as figures says raising a concern never counts against anyone."""
    for fmt in ("text", "json", "html"):
        words = " ".join(render(pdr, fmt).split())
        assert "Raising a concern never counts against anyone" in words
        assert "to enable staff to articulate and raise concerns" in words


def test_pdr_shows_every_count_and_says_why(pdr: PdrReport) -> None:
    """A PDR report suppresses nothing (it is about one person's own work) and explains that."""
    cells = [c for t in pdr.tables for c in t.cells()]

    assert not any(c.suppressed for c in cells)
    assert pdr.threshold is None
    assert "No counts are suppressed" in pdr.suppression


FORCED = ("reflection_recorded", "rationale_recorded", "advice_recorded", "followed_through")
"""What the step rules force on every closed review: never a PDR figure."""


@pytest.mark.parametrize("fmt", FORMATS)
def test_pdr_shows_no_share_and_states_each_guarantee_once(pdr: PdrReport, fmt: str) -> None:
    """No PDR figure is a share (no % at all), none counts what the rules force; the guarantee is said once.

    Each format with words as well as figures says once that every closed review has a reflection and a
    rationale because the library requires them.
    """
    page = render(pdr, fmt)
    measures = [c.measure for t in pdr.tables for c in t.cells()]

    assert "%" not in _words(page, fmt)
    assert [m for m in measures if m.endswith("_share") or any(f in m for f in FORCED)] == []
    if fmt != "csv":  # CSV lists the figures alone
        assert 1 == " ".join(_words(page, fmt).split()).count(
            "Every closed review has a reflection on the proposed decision and a rationale for the final "
            "decision, and every referral ended with advice or was withdrawn with a reason, because the "
            "library requires them"
        )


def test_pdr_sample_shows_ids_dates_parts_categories_steps_and_outcome(pdr: PdrReport) -> None:
    """Sampled reviews are listed by id: closing date, part, categories, steps, advice, ending, assessed."""
    (sample,) = [t for t in pdr.tables if t.key == "sample"]

    assert 3 == len(sample.rows)
    assert all(r.label.startswith("rv-test-") for r in sample.rows)
    assert (
        "Closed on",
        "Your part",
        "Concern categories",
        "Steps used",
        "After advice",
        "How it ended",
        "Decision changed",
        "Assessed",
    ) == sample.headers


def test_department_shows_no_count_under_the_threshold(department: DepartmentReport) -> None:
    """Every count the department report shows is 0 or at least the threshold."""
    shown = [
        c.value
        for t in department.tables
        for c in t.cells()
        if isinstance(c.value, int) and not c.measure.startswith(("share", "mean", "target"))
    ]

    assert shown
    assert [v for v in shown if 0 < v < 5] == []


def test_department_suppresses_shares_and_means_of_hidden_counts(memory_quarter: Store) -> None:
    """With a threshold of 3, a share or mean worked out from a suppressed count is suppressed too."""
    report = department_report(memory_quarter, QUARTER, as_of=AS_OF, threshold=3)
    (advice,) = [t for t in report.tables if t.key == "time_to_advice"]

    for row in advice.rows:
        advised, share, mean = row.cells[1], row.cells[4], row.cells[5]
        assert advised is not None
        assert share is not None
        assert mean is not None
        if advised.suppressed:
            assert (share.suppressed, mean.suppressed) == (True, True)


def test_department_with_threshold_three_shows_what_it_safely_can(memory_quarter: Store) -> None:
    """A lower threshold shows more: the quarter's 17 closed reviews are shown; its 1s and 2s are not."""
    report = department_report(memory_quarter, QUARTER, as_of=AS_OF, threshold=3)
    cells = {(c.measure, c.dimensions): c for t in report.tables for c in t.cells()}

    assert 17 == cells["reviews", (("outcome_class", "all"), ("decision", "all"))].value
    assert "[c]" == cells["referrals", (("route", SVM), ("month", "2026-01"))].shown
    assert [c for c in cells.values() if isinstance(c.value, int) and 0 < c.value < 3 and not c.of] == []


def test_every_hidden_count_is_shown_alike(memory_quarter: Store) -> None:
    """Small counts and those hidden to protect them are both "[c]": a reader is not told which is small."""
    report = department_report(memory_quarter, QUARTER, as_of=AS_OF)
    hidden = {c.mark: c.shown for t in report.tables for c in t.cells() if c.suppressed}

    assert {Mark.SMALL: "[c]", Mark.HIDDEN: "[c]"} == hidden
    assert "<5" not in render(report, "text")


def test_department_explains_the_aims(department: DepartmentReport) -> None:
    """The escalation and tribunal sections say which way is the aim, quoting Recommendation 17."""
    aims = {t.key: t.aim for t in department.tables if t.aim}

    assert "an increase in case escalation for ethical considerations" in aims["escalations"]
    assert "Fewer decisions overturned at tribunal" in aims["overturned"]
    assert "Casework Unit" in render(department, "text")


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_renders_both_reports(reports: list[Report], fmt: str) -> None:
    """Each format renders each report to non-empty text naming the title and the period."""
    for report in reports:
        page = render(report, fmt)
        assert page.endswith("\n")
        if fmt != "csv":
            assert report.title in page


def test_text_fits_80_columns(reports: list[Report]) -> None:
    """The terminal format never runs past 80 characters a line."""
    for report in reports:
        lines = render(report, "text").splitlines()
        assert max(len(line) for line in lines) <= 80


def test_html_is_one_self_contained_file(reports: list[Report]) -> None:
    """The HTML needs no network or other file: no http(s), no src or external links, no scripts."""
    for report in reports:
        page = render(report, "html")
        assert not re.search(r"https?:|//[a-z]", page, re.IGNORECASE)
        assert not re.search(r"<(script|link|img|iframe)\b|\bsrc=|@import|url\((?!#)", page, re.IGNORECASE)
        assert page.count("<svg") >= 2
        assert "How to read this" in page


def test_html_escapes_text(memory_quarter: Store) -> None:
    """Text from outside (here a route's name) is escaped, never taken as markup."""
    report = department_report(
        memory_quarter, QUARTER, as_of=AS_OF, route_names={CCU: "<b>Casework</b> & Co"}
    )

    page = render(report, "html")

    assert "<b>Casework</b>" not in page
    assert "&lt;b&gt;Casework&lt;/b&gt; &amp; Co" in page


def test_json_shape(department: DepartmentReport) -> None:
    """The JSON has the documented top-level keys and a list of figures per section."""
    data = json.loads(render(department, "json"))

    assert ("ethical-decisions-report", 1, "department") == (
        data["format"],
        data["format_version"],
        data["report"],
    )
    assert {"start": "2026-01-01T00:00:00Z", "end": "2026-04-01T00:00:00Z"}.items() <= data["period"].items()
    assert {"threshold": 5}.items() <= data["suppression"].items()
    assert "2026-04-15T12:00:00Z" == data["as_of"]
    figure = next(f for s in data["sections"] for f in s["figures"])
    assert {"measure", "dimensions", "value", "shown", "suppressed"} == set(figure)
    assert all(f["value"] is None for s in data["sections"] for f in s["figures"] if f["suppressed"])


def test_csv_is_one_tidy_table(department: DepartmentReport) -> None:
    """The CSV has one row per figure with fixed columns, a blank value where suppressed."""
    rows = list(csv.DictReader(io.StringIO(render(department, "csv"))))
    header = list(rows[0])

    assert [
        "report",
        "section",
        "measure",
        *DepartmentReport.dimensions,
        "value",
        "shown",
        "suppressed",
    ] == header
    assert all(r["value"] == "" for r in rows if r["suppressed"] == "true")
    assert {r["section"] for r in rows} == {t.key for t in department.tables if t.rows}
    count = sum(len(t.cells()) for t in department.tables)
    assert count == len(rows)


def test_unknown_format_is_refused(pdr: PdrReport) -> None:
    """Asking for a format that does not exist names the ones that do."""
    with pytest.raises(ValidationError, match="format: use one of text, json, csv, html"):
        render(pdr, "pdf")


def test_report_of_an_empty_period(memory_quarter: Store) -> None:
    """A period with nothing in it renders in every format, with zeros and no sampled reviews."""
    empty = Period.from_months("2025-06")

    for report in (
        pdr_report(memory_quarter, "dm-0001", empty, made_at=AS_OF),
        department_report(memory_quarter, empty, as_of=AS_OF),
    ):
        for fmt in FORMATS:
            assert render(report, fmt)


def test_report_time_needs_a_timezone(memory_quarter: Store) -> None:
    """A report time without a timezone is refused, saying what to give."""
    with pytest.raises(ValidationError, match="as_of: give a time with a timezone"):
        department_report(memory_quarter, QUARTER, as_of=dt.datetime(2026, 4, 1))


def test_pdr_shows_their_part_in_every_format_as_plain_counts() -> None:
    """The table of the person's part lists each part with its reviews, in every format, with no share.

    A person who opened two reviews, reflected on both and handed one over: each part is a count of
    reviews, in the order a review takes them; none is a percentage.
    """
    parts = {Part.OPENED: 2, Part.REFLECTED: 2, Part.HANDED_OVER: 1}
    report = PdrReport.from_figures(PdrFigures("cw-0002", QUARTER, parts=parts), [], made_at=AS_OF)
    (table,) = [t for t in report.tables if t.key == "parts"]

    assert "Your part in reviews closed in the period" == table.title
    assert [
        ("Opened", "2"),
        ("Reflected on", "2"),
        ("Escalated", "0"),
        ("Decided", "0"),
        ("Handed over", "1"),
        ("Received by handover", "0"),
    ] == [(row.label, cell.shown) for row in table.rows for cell in row.cells if cell is not None]
    assert re.search(r"\nHanded over +1\n", render(report, "text"))
    (section,) = [s for s in json.loads(render(report, "json"))["sections"] if s["key"] == "parts"]
    handed_over = {"measure": "reviews", "dimensions": {"part": "handed_over"}, "value": 1, "shown": "1"}
    assert handed_over.items() <= section["figures"][4].items()
    rows = [r for r in csv.DictReader(io.StringIO(render(report, "csv"))) if r["section"] == "parts"]
    assert [
        ("opened", "2"),
        ("reflected", "2"),
        ("escalated", "0"),
        ("decided", "0"),
        ("handed_over", "1"),
        ("received", "0"),
    ] == [(r["part"], r["value"]) for r in rows]
    page = render(report, "html")
    assert "Your part in reviews closed in the period" in page
    assert "Received by handover" in page
    assert not any("%" in cell.shown for cell in table.cells())
