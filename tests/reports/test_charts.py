"""The HTML format's charts draw what the figures say."""

from __future__ import annotations

import datetime as dt
import re

from ethical_decisions.reports.charts import chart_svg
from ethical_decisions.reports.department import DepartmentReport
from ethical_decisions.reports.document import Chart, Row, Table, count_cell, share_cell
from ethical_decisions.reports.suppression import Mark
from ethical_decisions.store import Store

from .conftest import QUARTER


def _shares(*rows: tuple[str, int, int]) -> Table:
    cells = []
    for label, part, whole in rows:
        dims = (("route", label),)
        share = share_cell("share", dims, count_cell("n", dims, part), count_cell("n", dims, whole))
        cells.append(Row(label, (share,)))
    return Table("t", "T", "About.", "Route", ("Within target",), tuple(cells), chart=Chart.BARS)


def test_a_share_beside_one_with_nothing_to_divide_by_is_drawn_of_100_percent() -> None:
    """40% is drawn at 40% of the width beside a row showing "-" (nothing to divide by), not hatched."""
    svg = chart_svg(_shares(("a", 2, 5), ("b", 0, 0)))

    assert "(of 100%)" in svg
    widths = [
        float(w) for w in re.findall(r'<rect x="\d+" y="\d+" width="([\d.]+)" height="18" fill="#', svg)
    ]
    full = float(re.search(r'viewBox="0 0 (\d+)', svg).group(1))  # type: ignore[union-attr]
    assert len(widths) == 1
    assert widths[0] < full / 2
    assert "url(#hatch)" not in svg


def test_a_hidden_share_is_hatched() -> None:
    """A share withheld for privacy is drawn as the hatched stub, so a reader sees it is hidden."""
    dims = (("route", "a"),)
    hidden = count_cell("n", dims, 3, Mark.SMALL)
    table = _shares(("b", 2, 5))
    table = Table(
        "t", "T", "About.", "Route", ("Within target",),
        (*table.rows, Row("a", (share_cell("share", dims, hidden, hidden),))),
        chart=Chart.BARS,
    )  # fmt: skip

    assert chart_svg(table).count("url(#hatch)") == 1


def test_as_of_is_given_in_utc(memory_quarter: Store) -> None:
    """A report made with a local time says when in UTC, the same as its "made" time."""
    local = dt.timezone(dt.timedelta(hours=1))
    as_of = dt.datetime(2026, 4, 2, 10, 0, tzinfo=local)
    figures = memory_quarter.department_figures(QUARTER, as_of=as_of)

    report = DepartmentReport.from_figures(figures, made_at=as_of)

    assert any("is as of 2 April 2026 09:00 UTC" in line for line in report.how_to_read)
