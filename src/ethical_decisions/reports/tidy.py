"""A report as data: JSON with a documented shape, and CSV as one tidy table.

JSON (``format_version`` 1; new keys may be added, none removed or renamed
without a new version)::

    {
      "format": "ethical-decisions-report",
      "format_version": 1,
      "report": "pdr" | "department",
      "title": str, "subject": str,
      "period": {"start": "2026-01-01T00:00:00Z", "end": "2026-04-01T00:00:00Z",
                 "first_day": "2026-01-01", "last_day": "2026-03-31"},
      "made_at": "...Z",
      "staff_id": str,                      (PDR only)
      "as_of": "...Z",                      (department only)
      "suppression": {"threshold": 5 | null, "note": str},
      "how_to_read": [str, ...],
      "sections": [
        {"key": "escalations", "title": str, "about": str, "aim": str,
         "figures": [
           {"measure": "referrals", "dimensions": {"route": "...", "month": "2026-01"},
            "value": 12 | 0.86 | "text" | null, "shown": "12" | "<5" | "[c]" | "86%",
            "suppressed": false}
         ]}
      ]
    }

A dimension value of ``"all"`` marks a total. ``value`` is ``null`` when the
figure is suppressed (then ``suppressed`` is true) or has nothing to divide by
(``shown`` is ``"-"``). Shares are fractions from 0 to 1; days are decimal days.

CSV has one row per figure: ``report``, ``section``, ``measure``, a column per
dimension the report uses (blank where a figure lacks it), ``value`` (blank
when suppressed), ``shown`` and ``suppressed`` (``true``/``false``).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from typing import Any

from .document import Cell, Report, Table

__all__ = ["FORMAT_VERSION", "render_csv", "render_json"]

FORMAT_VERSION = 1
"""The version of the JSON shape."""


def _time(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def _figure(cell: Cell) -> dict[str, Any]:
    return {
        "measure": cell.measure,
        "dimensions": dict(cell.dimensions),
        "value": cell.value,
        "shown": cell.shown,
        "suppressed": cell.suppressed,
    }


def _section(table: Table) -> dict[str, Any]:
    return {
        "key": table.key,
        "title": table.title,
        "about": table.about,
        "aim": table.aim,
        "figures": [_figure(c) for c in table.cells()],
    }


def render_json(report: Report) -> str:
    """*report* as JSON (the shape is in this module's docstring)."""
    period = report.period
    data: dict[str, Any] = {
        "format": "ethical-decisions-report",
        "format_version": FORMAT_VERSION,
        "report": report.kind,
        "title": report.title,
        "subject": report.subject,
        "period": {
            "start": _time(period.start),
            "end": _time(period.end),
            "first_day": period.first_day.isoformat(),
            "last_day": period.last_day.isoformat(),
        },
        "made_at": _time(report.made_at),
    }
    for name in ("staff_id", "as_of"):
        value = getattr(report, name, None)
        if value is not None:
            data[name] = _time(value) if isinstance(value, dt.datetime) else value
    data["suppression"] = {"threshold": report.threshold, "note": report.suppression}
    data["how_to_read"] = list(report.how_to_read)
    data["sections"] = [_section(t) for t in report.tables]
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def render_csv(report: Report) -> str:
    """*report* as CSV: one tidy table, a row per figure."""
    dimensions = list(report.dimensions)
    for table in report.tables:
        for cell in table.cells():
            dimensions += [name for name, _ in cell.dimensions if name not in dimensions]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["report", "section", "measure", *dimensions, "value", "shown", "suppressed"])
    for table in report.tables:
        for cell in table.cells():
            values = dict(cell.dimensions)
            value = "" if cell.value is None else cell.value
            suppressed = "true" if cell.suppressed else "false"
            row = [report.kind, table.key, cell.measure, *(values.get(d, "") for d in dimensions)]
            writer.writerow([*row, value, cell.shown, suppressed])
    return out.getvalue()
