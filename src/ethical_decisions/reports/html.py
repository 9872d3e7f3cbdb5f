"""A report as one self-contained HTML page: inline CSS, inline SVG charts, nothing fetched.

The page opens with what the report is, the period and how small numbers are
treated, then "How to read this" in plain words for someone who has never seen
it, then one section per table, each with what it measures, which way is
better where the department has said, a chart where one helps, and the table.
Every piece of text is escaped. The page references no other file or address,
so it can be mailed, archived or opened without a network.
"""

from __future__ import annotations

from html import escape

from .charts import HATCH, chart_svg
from .document import Cell, Report, Row, Table, made

__all__ = ["render_html"]

_CSS = """
:root { --ink: #0b0c0c; --muted: #505a5f; --line: #b1b4b6; --soft: #f3f2f1; --blue: #1d70b8; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--ink); background: #fff;
  font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1040px; margin: 0 auto; padding: 0 24px 48px; }
header { background: var(--ink); color: #fff; padding: 28px 0 24px; margin-bottom: 24px; }
header .inner { max-width: 1040px; margin: 0 auto; padding: 0 24px; }
.kicker { margin: 0; color: #b1b4b6; font-size: 14px; letter-spacing: .04em; text-transform: uppercase; }
h1 { margin: 4px 0 16px; font-size: 32px; line-height: 1.2; }
.facts { display: grid; grid-template-columns: repeat(auto-fit, minmax(200px, 1fr));
  gap: 8px 24px; margin: 0; }
.facts dt { color: #b1b4b6; font-size: 13px; }
.facts dd { margin: 0; font-weight: 600; }
.guide { background: var(--soft); border-left: 6px solid var(--blue); padding: 16px 24px; margin: 0 0 32px; }
.guide h2 { margin-top: 0; }
.legend span { display: inline-block; min-width: 3em; padding: 0 6px; margin-right: 4px; text-align: center;
  background: #fff; border: 1px solid var(--line); border-radius: 3px; font-weight: 600; }
nav ol { columns: 2; padding-left: 20px; margin: 0 0 32px; }
nav a, nav a:visited { color: var(--blue); }
section.report { border-top: 2px solid var(--ink); padding-top: 8px; margin-bottom: 40px; }
h2 { font-size: 24px; margin: 8px 0; }
.about { max-width: 46em; margin: 0 0 8px; }
.aim { max-width: 46em; margin: 0 0 16px; padding: 8px 12px; border-left: 4px solid #00703c;
  background: #f0f7f3; }
.multiples { display: flex; flex-wrap: wrap; gap: 16px 24px; margin: 16px 0; }
.panel { margin: 0; }
.panel figcaption { font-size: 14px; }
.panel figcaption span { color: var(--muted); }
svg.bars { max-width: 100%; height: auto; margin: 0 0 12px; }
.chart-caption { margin: 12px 0 0; color: var(--muted); font-size: 14px; font-weight: 600; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; margin: 12px 0; font-size: 15px; font-variant-numeric: tabular-nums; }
th, td { padding: 6px 8px; border-bottom: 1px solid var(--line); text-align: right; vertical-align: top; }
th:first-child, td:first-child { text-align: left; min-width: 11em; }
thead th { border-bottom: 2px solid var(--ink); font-size: 14px; }
table.textual th, table.textual td { text-align: left; }
table.textual td:nth-child(2) { white-space: nowrap; }
td.text { max-width: 18em; }
tr.total td { font-weight: 700; border-top: 2px solid var(--ink); }
td.withheld { color: var(--muted); background: var(--soft); }
footer { color: var(--muted); font-size: 14px; border-top: 1px solid var(--line); padding-top: 12px; }
@media print { header { background: #fff; color: var(--ink); } .facts dt, .kicker { color: var(--muted); } }
"""


def _cell(cell: Cell | None) -> str:
    if cell is None:
        return "<td></td>"
    if cell.suppressed:
        why = "Hidden so that no one can be identified"
        return f'<td class="withheld" title="{why}">{escape(cell.shown)}</td>'
    kind = ' class="text"' if isinstance(cell.value, str) else ""
    return f"<td{kind}>{escape(cell.shown)}</td>"


def _row(row: Row) -> str:
    style = ' class="total"' if row.total else ""
    return f"<tr{style}><td>{escape(row.label)}</td>{''.join(_cell(c) for c in row.cells)}</tr>"


def _table(table: Table) -> str:
    head = "".join(f'<th scope="col">{escape(h)}</th>' for h in (table.corner, *table.headers))
    body = "".join(_row(r) for r in table.rows) or (
        f'<tr><td colspan="{len(table.headers) + 1}">None in this period.</td></tr>'
    )
    textual = ' class="textual"' if any(isinstance(c.value, str) for c in table.cells()) else ""
    table_html = f"<table{textual}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    return f'<div class="scroll">{table_html}</div>'


def _section(table: Table) -> str:
    aim = f'<p class="aim">{escape(table.aim)}</p>' if table.aim else ""
    return (
        f'<section class="report" id="{escape(table.key)}"><h2>{escape(table.title)}</h2>'
        f'<p class="about">{escape(table.about)}</p>{aim}{chart_svg(table)}{_table(table)}</section>'
    )


def _facts(report: Report) -> str:
    small = (
        f"1 to {report.threshold - 1}, and a few more, hidden as [c]"
        if report.threshold is not None
        else "None hidden: one person's own reviews"
    )
    facts = [("About", report.subject), ("Period", report.period.describe())]
    facts += [("Made", made(report)), ("Small numbers", small)]
    items = "".join(f"<div><dt>{escape(k)}</dt><dd>{escape(v)}</dd></div>" for k, v in facts)
    return f'<dl class="facts">{items}</dl>'


def _legend(report: Report) -> str:
    if report.threshold is None:
        return f"<p>{escape(report.suppression)}</p>"
    t = report.threshold
    return (
        '<p class="legend"><span>[c]</span> hidden so that no one can be identified: a number from 1 to '
        f"{t - 1}, "
        "or one hidden so that those cannot be worked out (it may be 0) &nbsp; <span>0</span> none &nbsp; "
        "<span>-</span> nothing to work a share or average from</p>"
    )


def render_html(report: Report) -> str:
    """*report* as one self-contained HTML page."""
    guide = "".join(f"<p>{escape(p)}</p>" for p in report.how_to_read)
    contents = "".join(f'<li><a href="#{escape(t.key)}">{escape(t.title)}</a></li>' for t in report.tables)
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(report.title)}: {escape(report.period.describe())}</title>"
        f"<style>{_CSS}</style></head>"
        f'<body>{HATCH}<header><div class="inner"><p class="kicker">Ethical Decision-Making Model</p>'
        f"<h1>{escape(report.title)}</h1>{_facts(report)}</div></header><main>"
        f'<section class="guide"><h2>How to read this</h2>{guide}{_legend(report)}</section>'
        f'<nav aria-label="Contents"><h2>Contents</h2><ol>{contents}</ol></nav>'
        f"{''.join(_section(t) for t in report.tables)}"
        "<footer><p>Made by ethical-decisions from compliance records, which hold no applicant details "
        "and no free text. This page is complete in itself: it needs no network.</p></footer>"
        "</main></body></html>\n"
    )
