"""``edm-reliability-figures``: the figures of the last reliability run, rendered from its JSON file.

The reliability suite (``tests/reliability``) writes what each test counted, how long it took and what
it ran on when ``EDM_FIGURES_FILE`` names a file (see ``tests/reliability/conftest.py``). The file is
committed next to the pages; this directive turns it into three things on the page:

* the headline figures (kills survived, concurrent writers, faults injected, fuzz examples), each
  summed from the tests that counted it;
* when, on what machine and with which versions the run was made, and whether it passed;
* one row per test: its figures and its duration.

Usage (MyST)::

    ```{edm-reliability-figures} reliability-figures.json
    ```

The path is relative to the page. A missing or unreadable file is a build error, not an empty table.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.errors import ExtensionError
from sphinx.util.docutils import SphinxDirective

__all__ = ["HEADLINES", "headline_figures", "setup"]

HEADLINES: tuple[tuple[str, str, str], ...] = (
    ("Kills survived", "kills_survived", "SIGKILLs of a writer, each followed by the full set of checks"),
    ("Concurrent writers", "threads", "writer threads at once (across processes), largest run"),
    ("Concurrent processes", "processes", "writer processes at once, largest run"),
    ("Racing commands", "rounds", "rounds of four contenders taking one command on one review"),
    ("Delivery faults injected", "faults_injected", "refusals, timeouts, 500s, slow answers, relay deaths"),
    ("Plugin failures logged", "observer_failures_logged", "observer calls that raised or hung, each logged"),
    ("Enrichment faults", "enrichment_faults", "enrichment plugins that raised, hung or returned garbage"),
    ("Fuzz examples", "examples", "Hypothesis examples across the fuzz tests"),
    ("Table edits located", "edits_located", "SQL edits of the tables built from the events, each named"),
    ("Ledger edits located", "ledger_edits_located", "SQL edits of the outbox ledger, each found"),
)
"""(label, figure name, what it counts) for the headline table."""

_LARGEST = {"threads", "processes"}
"""Figures that are the size of one run rather than a count to add up across runs."""


def headline_figures(document: dict[str, Any]) -> list[tuple[str, int | float, str]]:
    """(label, value, what it counts) for every headline figure some test recorded."""
    rows = []
    for label, name, meaning in HEADLINES:
        values = [v[name] for v in document["tests"].values() if isinstance(v.get(name), int | float)]
        if values:
            rows.append((label, max(values) if name in _LARGEST else sum(values), meaning))
    return rows


def _short(nodeid: str) -> str:
    """``tests/reliability/test_x.py::test_y[p]`` as ``test_x.py::test_y[p]``."""
    return nodeid.removeprefix("tests/reliability/")


def _shown(value: Any) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {v}" for k, v in value.items()) + "}"
    return str(value)


def _table(header: list[str], rows: list[list[nodes.Node | str]], widths: list[int]) -> nodes.table:
    table = nodes.table(classes=["edm-figures"])
    group = nodes.tgroup(cols=len(header))
    table += group
    for width in widths:
        group += nodes.colspec(colwidth=width)
    head = nodes.thead()
    group += head
    head += _row([nodes.Text(h) for h in header])
    body = nodes.tbody()
    group += body
    for row in rows:
        body += _row(row)
    return table


def _row(cells: list[nodes.Node | str]) -> nodes.row:
    row = nodes.row()
    for cell in cells:
        entry = nodes.entry()
        paragraph = nodes.paragraph()
        paragraph += cell if isinstance(cell, nodes.Node) else nodes.Text(cell)
        entry += paragraph
        row += entry
    return row


def _fields(pairs: list[tuple[str, str]]) -> nodes.field_list:
    fields = nodes.field_list()
    for name, value in pairs:
        field = nodes.field()
        field += nodes.field_name("", name)
        body = nodes.field_body()
        body += nodes.paragraph("", value)
        field += body
        fields += field
    return fields


class ReliabilityFigures(SphinxDirective):
    """The headline figures, the run's details, and every test's figures, from one JSON file."""

    required_arguments = 1
    has_content = False

    def run(self) -> list[nodes.Node]:
        """Read the figures file now and render it."""
        relative, path = self.env.relfn2path(self.arguments[0], self.env.docname)
        self.env.note_dependency(relative)
        try:
            document = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ExtensionError(f"edm-reliability-figures: cannot read {relative}: {exc}") from exc

        headlines = _table(
            ["Figure", "Last run", "What it counts"],
            [[label, f"{value:,}", meaning] for label, value, meaning in headline_figures(document)],
            [20, 10, 50],
        )
        status = "all passed" if document["exit_status"] == 0 else f"FAILED (exit {document['exit_status']})"
        run = _fields(
            [
                ("Taken", document["generated_at"]),
                ("Result", status),
                ("Machine", f"{document['platform']}, {document['cpus']} CPUs"),
                ("Python", document["python"]),
                ("SQLite", document["sqlite"]),
                ("PostgreSQL", document["postgresql"] or "not reached (its tests were skipped)"),
                ("Time in reliability tests", f"{document['total_seconds']} s"),
            ]
        )
        per_test = _table(
            ["Test", "Seconds", "Figures"],
            [
                [
                    nodes.literal("", _short(nodeid)),
                    f"{values['seconds']:.2f}",
                    ", ".join(f"{k}={_shown(v)}" for k, v in values.items() if k != "seconds"),
                ]
                for nodeid, values in document["tests"].items()
            ],
            [40, 8, 52],
        )
        return [headlines, run, per_test]


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the directive."""
    app.add_directive("edm-reliability-figures", ReliabilityFigures)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
