"""A report as plain text for a terminal: aligned tables that read well in 80 columns.

A table too wide for the page is split into several, each repeating the row
labels; a table of text (the PDR sample) is printed as one short block per row.
"""

from __future__ import annotations

import textwrap

from .document import Cell, Report, Row, Table, made

__all__ = ["WIDTH", "render_text"]

WIDTH = 80
"""Characters per line."""
_LABEL = 30
"""The widest the row labels' column may be; longer labels wrap."""
_GAP = 2


def _wrap(text: str, indent: str = "") -> list[str]:
    return textwrap.wrap(text, WIDTH, initial_indent=indent, subsequent_indent=indent) or [""]


def _shown(cell: Cell | None) -> str:
    return "" if cell is None else cell.shown


def _column_width(table: Table, index: int) -> int:
    header = table.headers[index]
    longest_word = max((len(w) for w in header.split()), default=0)
    values = max((len(_shown(row.cells[index])) for row in table.rows), default=0)
    return max(values, longest_word, min(len(header), 10))


def _chunks(widths: list[int], label_width: int) -> list[list[int]]:
    """The columns, in groups that fit the page beside the labels."""
    chunks: list[list[int]] = [[]]
    used = label_width
    for index, width in enumerate(widths):
        if chunks[-1] and used + _GAP + width > WIDTH:
            chunks.append([])
            used = label_width
        chunks[-1].append(index)
        used += _GAP + width
    return chunks


def _grid(table: Table) -> list[str]:
    widths = [_column_width(table, i) for i in range(len(table.headers))]
    label_width = min(_LABEL, max([len(table.corner), *(len(r.label) for r in table.rows)]))
    lines: list[str] = []
    for chunk in _chunks(widths, label_width):
        headers = [textwrap.wrap(table.headers[i], widths[i]) or [""] for i in chunk]
        depth = max(len(h) for h in headers)
        for level in range(depth):
            corner = table.corner if level == depth - 1 else ""
            parts = [(h[level - depth + len(h)] if level >= depth - len(h) else "") for h in headers]
            lines.append(_line(corner, parts, [widths[i] for i in chunk], label_width))
        lines.append("-" * (label_width + sum(_GAP + widths[i] for i in chunk)))
        for row in table.rows:
            lines.extend(_row_lines(row, chunk, widths, label_width))
        lines.append("")
    return lines


def _line(label: str, parts: list[str], widths: list[int], label_width: int) -> str:
    cells = "".join(" " * _GAP + part.rjust(width) for part, width in zip(parts, widths, strict=True))
    return (label.ljust(label_width) + cells).rstrip()


def _row_lines(row: Row, chunk: list[int], widths: list[int], label_width: int) -> list[str]:
    label = textwrap.wrap(row.label, label_width) or [""]
    parts = [_shown(row.cells[i]) for i in chunk]
    first = _line(label[-1], parts, [widths[i] for i in chunk], label_width)
    return [*label[:-1], first]


def _records(table: Table) -> list[str]:
    lines: list[str] = []
    for row in table.rows:
        lines.append(row.label)
        for header, cell in zip(table.headers, row.cells, strict=True):
            lines.extend(_wrap(f"{header}: {_shown(cell)}", "    "))
    return [*lines, ""]


def _section(table: Table) -> list[str]:
    lines = [table.title, "=" * len(table.title), *_wrap(table.about)]
    if table.aim:
        lines += _wrap(table.aim)
    lines.append("")
    if not table.rows:
        return [*lines, "None in this period.", ""]
    textual = any(isinstance(c.value, str) for c in table.cells())
    return lines + (_records(table) if textual else _grid(table))


def render_text(report: Report) -> str:
    """*report* as text for a terminal, 80 columns wide."""
    lines = [report.title, f"{report.subject}, {report.period.describe()}"]
    lines += _wrap(f"Made {made(report)}. {report.suppression}")
    lines += ["", "How to read this", "----------------"]
    for paragraph in report.how_to_read:
        lines += [*_wrap(paragraph), ""]
    for table in report.tables:
        lines += _section(table)
    return "\n".join(lines).rstrip() + "\n"
