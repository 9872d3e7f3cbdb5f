"""What a report is made of, whatever its format: sections of tables of cells, each cell one figure.

A :class:`Cell` is one figure with its name (*measure*), what it is broken
down by (*dimensions*, e.g. route and month), its value and how it is shown.
Tables arrange cells for reading; the JSON and CSV formats list the cells
themselves, so every figure keeps the same name and dimensions in every format.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import ClassVar

import attrs

from ethical_decisions.figures import Period

from .suppression import Mark

__all__ = [
    "ALL",
    "NOT_APPLICABLE",
    "WITHHELD",
    "Cell",
    "Chart",
    "Report",
    "Row",
    "Table",
    "count_cell",
    "days_cell",
    "made",
    "share_cell",
    "text_cell",
]

ALL = "all"
"""The dimension value of a total."""
NOT_APPLICABLE = "-"
"""Shown for a rate or mean with nothing to divide by."""

Dimensions = tuple[tuple[str, str], ...]


@attrs.frozen
class Cell:
    """One figure as a report shows it.

    :param measure: what is counted, e.g. ``"referrals"``.
    :param dimensions: what it is broken down by, e.g. ``(("route", "ccu"), ("month", "2026-01"))``.
    :param value: the number (or text); ``None`` when suppressed or not applicable.
    :param shown: the value as printed: ``"12"``, ``"[c]"``, ``"86%"``.
    :param mark: whether, and why, the value is withheld.
    :param of: for a share, the counts it divides (the part, then the whole); for a
        mean, the count it is over; each as ``(measure, dimensions)``. Empty for a
        count, a text or a fixed figure such as a route's target.
    """

    measure: str
    dimensions: Dimensions
    value: int | float | str | None
    shown: str
    mark: Mark = Mark.SHOWN
    of: tuple[tuple[str, Dimensions], ...] = ()

    @property
    def suppressed(self) -> bool:
        """Whether the value is withheld so that no one can be identified."""
        return self.mark is not Mark.SHOWN


WITHHELD = "[c]"
"""How a suppressed figure is shown, whatever the reason: a reader is not told which counts are small."""


def count_cell(measure: str, dimensions: Dimensions, count: int, mark: Mark = Mark.SHOWN) -> Cell:
    """A count, withheld as ``[c]`` when *mark* says so."""
    if mark is not Mark.SHOWN:
        return Cell(measure, dimensions, None, WITHHELD, mark)
    return Cell(measure, dimensions, count, f"{count:,}")


def share_cell(measure: str, dimensions: Dimensions, part: Cell, whole: Cell) -> Cell:
    """*part* as a share of *whole* (0 to 1, shown as a percentage); withheld if either is."""
    of = (_ref(part), _ref(whole))
    if part.suppressed or whole.suppressed:
        return Cell(measure, dimensions, None, WITHHELD, Mark.HIDDEN, of)
    if not whole.value or not isinstance(part.value, int) or not isinstance(whole.value, int):
        return Cell(measure, dimensions, None, NOT_APPLICABLE, of=of)
    share = part.value / whole.value
    return Cell(measure, dimensions, round(share, 4), f"{share:.0%}", of=of)


def days_cell(measure: str, dimensions: Dimensions, seconds: int | None, over: Cell | None = None) -> Cell:
    """A length of time in days; with *over*, the mean over that count, withheld if it is."""
    of = () if over is None else (_ref(over),)
    if over is not None and over.suppressed:
        return Cell(measure, dimensions, None, WITHHELD, Mark.HIDDEN, of)
    if seconds is None or (over is not None and not over.value):
        return Cell(measure, dimensions, None, NOT_APPLICABLE, of=of)
    days = seconds / 86400 / (over.value if over is not None and isinstance(over.value, int) else 1)
    return Cell(measure, dimensions, round(days, 2), f"{days:.1f}", of=of)


def _ref(cell: Cell) -> tuple[str, Dimensions]:
    return cell.measure, cell.dimensions


def text_cell(measure: str, dimensions: Dimensions, text: str) -> Cell:
    """A piece of text (an id, a date, a list of codes)."""
    return Cell(measure, dimensions, text, text)


@attrs.frozen
class Row:
    """A row of a table: a label and its cells (``None`` for a blank); *total* rows are set apart."""

    label: str
    cells: tuple[Cell | None, ...]
    total: bool = False


class Chart(enum.StrEnum):
    """How the HTML format draws a table."""

    TREND = "trend"
    """One small bar chart per row (a route, a category), across the columns (months)."""
    BARS = "bars"
    """One horizontal bar per row, for the table's :attr:`~Table.chart_column`."""


@attrs.frozen
class Table:
    """A section of a report: a title, what it shows in plain words, and its table.

    :param key: the section's stable name in JSON and CSV, e.g. ``"escalations"``.
    :param corner: the heading over the row labels.
    :param aim: which way is better, where the department has said so.
    """

    key: str
    title: str
    about: str
    corner: str
    headers: tuple[str, ...]
    rows: tuple[Row, ...]
    chart: Chart | None = None
    aim: str = ""
    chart_column: int = 0
    """The column a :attr:`Chart.BARS` chart draws."""

    def cells(self) -> list[Cell]:
        """Every cell, row by row."""
        return [cell for row in self.rows for cell in row.cells if cell is not None]


@attrs.frozen(kw_only=True)
class Report:
    """What every report has: a title, a period, how to read it, and its sections."""

    kind: ClassVar[str] = "report"
    dimensions: ClassVar[tuple[str, ...]] = ()
    """Every dimension the report's figures may have, in the order of the CSV columns."""

    title: str
    subject: str
    """Whom or what the report is about, in words."""
    period: Period
    made_at: dt.datetime
    threshold: int | None
    """Counts under this are suppressed; ``None`` where nothing is."""
    suppression: str
    """What is suppressed and why, in plain words."""
    how_to_read: tuple[str, ...]
    tables: tuple[Table, ...]


def made(report: Report) -> str:
    """When *report* was made, in words: ``"2 July 2025 09:00 UTC"``."""
    return in_words(report.made_at)


def in_words(moment: dt.datetime) -> str:
    """*moment* in UTC, in words: ``"2 July 2025 09:00 UTC"``."""
    when = moment.astimezone(dt.UTC)
    return f"{when.day} {when:%B %Y %H:%M} UTC"
