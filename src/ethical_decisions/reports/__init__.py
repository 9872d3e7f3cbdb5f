"""PDR and department reports on how the Ethical Decision-Making Model is used.

Windrush Recommendation 17 asks for compliance with the ethical standard to be
monitored in the Performance Development Review, and for success to be seen as
more escalations for ethical considerations and fewer decisions overturned at
tribunal. A store counts the figures (:class:`PdrFigures`,
:class:`DepartmentFigures`); a report words them, suppressing small counts
where someone could be identified; :func:`render` writes a report as text,
JSON, CSV or one self-contained HTML page::

    from ethical_decisions import reports

    period = reports.Period.from_dates(dt.date(2026, 1, 1), dt.date(2026, 3, 31))
    page = reports.render(reports.department_report(store, period), "html")
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ethical_decisions.figures import DepartmentFigures, PdrFigures, Period

if TYPE_CHECKING:
    from .api import FORMATS, department_report, pdr_report, render, signals, tell
    from .department import DepartmentReport
    from .document import Cell, Chart, Report, Row, Table
    from .pdr import PdrReport
    from .suppression import DEFAULT_THRESHOLD, Mark

_LAZY = {
    "FORMATS": "api",
    "department_report": "api",
    "pdr_report": "api",
    "render": "api",
    "signals": "api",
    "tell": "api",
    "DepartmentReport": "department",
    "Cell": "document",
    "Chart": "document",
    "Report": "document",
    "Row": "document",
    "Table": "document",
    "PdrReport": "pdr",
    "DEFAULT_THRESHOLD": "suppression",
    "Mark": "suppression",
}
"""Loaded on first use: code that needs only the figures' types does not load the builders and renderers."""


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


__all__ = [
    "DEFAULT_THRESHOLD",
    "FORMATS",
    "Cell",
    "Chart",
    "DepartmentFigures",
    "DepartmentReport",
    "Mark",
    "PdrFigures",
    "PdrReport",
    "Period",
    "Report",
    "Row",
    "Table",
    "department_report",
    "pdr_report",
    "render",
    "signals",
    "tell",
]
