"""Bar charts as inline SVG, drawn from a report's tables, for the HTML format.

Two kinds (:class:`~ethical_decisions.reports.document.Chart`): *trend*, one
small bar chart per row across the months, all on one scale so they can be
read together; and *bars*, one horizontal bar per row. A suppressed count has
no height to draw: it gets a hatched stub and its marker (``<5`` or ``[c]``),
never a guess. All text is escaped; nothing is fetched.
"""

from __future__ import annotations

from html import escape

from .document import NOT_APPLICABLE, Cell, Chart, Row, Table

__all__ = ["HATCH", "chart_svg"]

HATCH = (
    '<svg width="0" height="0" aria-hidden="true" style="position:absolute">'
    '<defs><pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
    'patternTransform="rotate(45)"><rect width="6" height="6" fill="#f3f2f1"/>'
    '<line x1="0" y1="0" x2="0" y2="6" stroke="#b1b4b6" stroke-width="3"/></pattern></defs></svg>'
)
"""The hatching that marks a suppressed bar; put it once in the page before any chart."""

_BAR = "#1d70b8"
_INK = "#0b0c0c"
_MUTED = "#505a5f"


def _number(cell: Cell | None) -> float | None:
    if cell is None or cell.suppressed or not isinstance(cell.value, int | float):
        return None
    return float(cell.value)


def _text(x: float, y: float, text: str, *, anchor: str = "middle", size: int = 12, fill: str = _INK) -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" font-size="{size}" fill="{fill}">'
        f"{escape(text)}</text>"
    )


def _trend(table: Table) -> str:
    rows = [r for r in table.rows if not r.total]
    months = table.headers[:-1]
    top = max((_number(c) or 0 for r in rows for c in r.cells[:-1]), default=0) or 1
    panels = [_panel(row, months, top) for row in rows]
    return f'<div class="multiples">{"".join(panels)}</div>'


def _panel(row: Row, months: tuple[str, ...], top: float) -> str:
    width, height, base = 300, 150, 118
    step = (width - 20) / max(len(months), 1)
    bar = min(step * 0.7, 36)
    parts = [f'<line x1="10" y1="{base}" x2="{width - 10}" y2="{base}" stroke="#b1b4b6"/>']
    for index, (month, cell) in enumerate(zip(months, row.cells, strict=False)):
        x = 10 + step * index + (step - bar) / 2
        value = _number(cell)
        label = cell.shown if cell is not None else ""
        if value is None:
            parts.append(
                f'<rect x="{x:.1f}" y="{base - 14}" width="{bar:.1f}" height="14" fill="url(#hatch)"/>'
            )
            parts.append(_text(x + bar / 2, base - 18, label, size=11, fill=_MUTED))
        else:
            h = (base - 30) * value / top
            parts.append(
                f'<rect x="{x:.1f}" y="{base - h:.1f}" width="{bar:.1f}" height="{h:.1f}" fill="{_BAR}"/>'
            )
            parts.append(_text(x + bar / 2, base - h - 4, label, size=11))
        if len(months) <= 6 or index % 2 == 0:
            parts.append(_text(x + bar / 2, base + 15, month.split()[0], size=11, fill=_MUTED))
    total = row.cells[-1].shown if row.cells and row.cells[-1] is not None else ""
    title = (
        f"<figcaption><strong>{escape(row.label)}</strong> <span>total {escape(total)}</span></figcaption>"
    )
    svg = (
        f'<svg viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
        f'aria-label="{escape(row.label)} by month">{"".join(parts)}</svg>'
    )
    return f'<figure class="panel">{title}{svg}</figure>'


def _bars(table: Table) -> str:
    rows = [r for r in table.rows if not r.total]
    column = table.chart_column
    cells = [r.cells[column] for r in rows]
    label_width = min(max((len(r.label) for r in rows), default=10) * 7 + 20, 340)
    width, line = label_width + 480, 28
    height = line * len(rows) + 10
    shares = all(
        c is None or c.shown.endswith("%") or c.suppressed or c.shown == NOT_APPLICABLE for c in cells
    )
    top = 1.0 if shares else max((_number(c) or 0 for c in cells), default=0) or 1
    room = width - label_width - 60
    parts = []
    for index, (row, cell) in enumerate(zip(rows, cells, strict=True)):
        y = 5 + index * line
        parts.append(_text(label_width - 10, y + 17, row.label, anchor="end", size=13))
        value = _number(cell)
        shown = cell.shown if cell is not None else ""
        if value is None:
            if cell is not None and cell.suppressed:  # hidden, not "nothing to divide by"
                parts.append(
                    f'<rect x="{label_width}" y="{y + 4}" width="24" height="18" fill="url(#hatch)"/>'
                )
            parts.append(_text(label_width + 30, y + 17, shown, anchor="start", size=12, fill=_MUTED))
        else:
            w = room * value / top
            parts.append(f'<rect x="{label_width}" y="{y + 4}" width="{w:.1f}" height="18" fill="{_BAR}"/>')
            parts.append(_text(label_width + w + 6, y + 17, shown, anchor="start", size=12))
    caption = f'<p class="chart-caption">{escape(table.headers[column])}{" (of 100%)" if shares else ""}</p>'
    return (
        f'{caption}<svg class="bars" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-label="{escape(table.title)}">{"".join(parts)}</svg>'
    )


def chart_svg(table: Table) -> str:
    """The chart of *table* as HTML with inline SVG, or ``""`` if it has none."""
    if table.chart is Chart.TREND:
        return _trend(table)
    if table.chart is Chart.BARS:
        return _bars(table)
    return ""
