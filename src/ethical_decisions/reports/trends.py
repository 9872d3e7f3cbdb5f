"""The department report's trends: rising categories, categories by route, time to escalate, assessments.

Windrush Recommendation 22 asks for trends to be spotted and fed back to policy.
These sections go beside the report's others and enter their counts in the
same :class:`~.ledger.Ledger`, before any cell is drawn, so that one
suppression covers the whole report:

- **concern categories rising** (first in the report): the categories the rule
  of :mod:`ethical_decisions.signals` calls rising in the latest complete month,
  worked out from the concern-categories table's cells as shown (the same
  entries, so suppressed alike), never from a hidden count;
- **concerns referred, by route and category**: what each route is asked about,
  from the referrals submitted in the period;
- **time to escalate**: from the proposed decision to a referral that takes a
  concern to a route for the first time, beside the time from referral to advice;
- **line managers' assessments**: findings recorded in the period on each of the
  model's elements, as suppressed counts (never a note, never a person).

Use: :func:`enter` the counts while the report's others are entered, then
:meth:`Trends.tables` once the ledger is complete.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import attrs

from ethical_decisions.assessments import AssessedElement, Finding
from ethical_decisions.figures import DepartmentFigures
from ethical_decisions.model import ConcernCategory
from ethical_decisions.signals import PREVIOUS_MONTHS, RULE, RisingCategory, most_before, rising

from . import labels
from .document import ALL, Cell, Report, Row, Table, days_cell
from .ledger import Key, Ledger, Matrix

__all__ = ["Trends", "arrange", "enter", "rising_categories", "rising_in"]


@attrs.frozen
class Trends:
    """The trend sections' counts, entered in the report's ledger; drawn by :meth:`tables`."""

    ledger: Ledger
    figures: DepartmentFigures
    routes: Mapping[str, str]
    concerns: Matrix
    """The concern-categories table's matrix (category by month), entered by the report."""
    referred: Matrix
    first: Mapping[str, Key]
    """Each route's referrals taking a concern to it for the first time (and ``ALL``)."""
    assessed: Matrix
    advised: Matrix
    """The time-to-advice table's matrix (route by timing), entered by the report."""

    def rising(self) -> tuple[RisingCategory, ...]:
        """The categories rising in the latest month of the period, by the rule, from the cells as shown."""
        months = self.figures.period.months()
        rows = {
            category: [self.ledger.cell(self.concerns.key(category.value, m)) for m in (*months, ALL)]
            for category in ConcernCategory
        }
        return rising_in(rows, months, self.ledger.threshold)

    def tables(self) -> tuple[Table, tuple[Table, ...]]:
        """The rising categories' table (for the top of the report) and the other trend tables."""
        return self._rising_table(), (self._referred_table(), self._escalate_table(), self._assessed_table())

    def _rising_table(self) -> Table:
        months = self.figures.period.months()
        if len(months) <= PREVIOUS_MONTHS:
            about = (
                f"{RULE} This report's period has {len(months)} whole month(s), so no category is judged: "
                "ask for four or more."
            )
            return Table("rising", "Concern categories rising", about, "Category", (), ())
        shown = months[-1 - PREVIOUS_MONTHS :]
        rows = tuple(
            Row(
                labels.CATEGORY[signal.category],
                tuple(self.ledger.cell(self.concerns.key(signal.category.value, m)) for m in shown),
            )
            for signal in self.rising()
        )
        about = (
            f"{RULE} The latest complete month here is {labels.month_label(months[-1])}. A rising category "
            "is worth a look, and its route and policy team are told (the ethical_decisions_rising_category "
            "hook); it is not a judgement on anyone."
        )
        return Table(
            "rising",
            "Concern categories rising",
            about,
            "Category",
            tuple(labels.month_label(m) for m in shown),
            rows,
        )

    def _referred_table(self) -> Table:
        routes = {**self.routes, ALL: "All routes"}
        rows = tuple(
            Row(
                label,
                tuple(self.ledger.cell(self.referred.key(c, r)) for r in routes),
                total=c == ALL,
            )
            for c, label in {**{c.value: labels.CATEGORY[c] for c in ConcernCategory}, ALL: "All"}.items()
        )
        return Table(
            "referred_categories",
            "Concern categories by route",
            "The concerns referred to each route in referrals submitted in the period, by category: what "
            "each route is asked about. A concern referred twice (escalated again after advice) counts "
            "twice.",
            "Category",
            tuple(routes.values()),
            rows,
        )

    def _escalate_table(self) -> Table:
        f = self.figures
        rows = []
        for r, label in {**self.routes, ALL: "All routes"}.items():
            dims = (("route", r),)
            first = self.ledger.cell(self.first[r])
            advised = self.ledger.cell(self.advised.key(r, ALL))
            escalate = f.escalate_seconds.get(r, 0) if r != ALL else sum(f.escalate_seconds.values())
            advice = f.advice_seconds.get(r, 0) if r != ALL else sum(f.advice_seconds.values())
            cells: tuple[Cell, ...] = (
                first,
                days_cell("mean_days_to_escalate", dims, escalate, over=first),
                advised,
                days_cell("mean_days_to_advice", dims, advice, over=advised),
            )
            rows.append(Row(label, cells, total=r == ALL))
        return Table(
            "time_to_escalate",
            "Time to escalate, beside time to advice",
            "For referrals submitted in the period that took a concern to a route for the first time: the "
            "mean days from the proposed decision (when the review was opened) to the referral. Beside it, "
            "as in the table of time to advice, the mean days from referral to advice. A long time to "
            "escalate may mean a concern waited; it is not a target.",
            "Route",
            ("First referrals", "Mean days to escalate", "Advised", "Mean days to advice"),
            tuple(rows),
        )

    def _assessed_table(self) -> Table:
        findings = (*(f.value for f in Finding), ALL)
        rows = tuple(
            Row(
                label,
                tuple(self.ledger.cell(self.assessed.key(e, fi)) for fi in findings),
                total=e == ALL,
            )
            for e, label in {
                **{e.value: labels.ELEMENT[e] for e in AssessedElement},
                ALL: "All elements",
            }.items()
        )
        return Table(
            "assessments",
            "Line managers' assessments of sampled records",
            "Findings line managers recorded in the period, on the model's elements in sampled records, for "
            "PDR conversations: how often each element was evident. Counts only: never a person, a review "
            "or a note.",
            "Element of the model",
            (*(labels.FINDING[f] for f in Finding), "Assessed"),
            rows,
        )


def _count(cell: Cell) -> int | None:
    """A count as shown, or ``None`` if it is hidden."""
    return cell.value if isinstance(cell.value, int) and not cell.suppressed else None


def rising_in(
    rows: Mapping[ConcernCategory, Sequence[Cell]], months: Sequence[str], threshold: int
) -> tuple[RisingCategory, ...]:
    """The categories the rule calls rising, from each category's cells as shown: months, then total."""
    if len(months) <= PREVIOUS_MONTHS:
        return ()
    found = []
    for category, cells in rows.items():
        *by_month, total = cells
        shown_in_row = sum(c for c in map(_count, by_month) if c is not None)
        now = _count(by_month[-1])
        bound = most_before(
            [_count(c) for c in by_month[-1 - PREVIOUS_MONTHS : -1]], shown_in_row, _count(total)
        )
        if now is not None and bound is not None and rising(now, bound, threshold):
            found.append(RisingCategory(category, months[-1], now, bound, months[0]))
    return tuple(found)


def rising_categories(report: Report) -> tuple[RisingCategory, ...]:
    """The categories a department *report* signals as rising, worked out again from what it publishes.

    Read from the report's table of concern categories by month: the same cells a reader sees.
    """
    (table,) = [t for t in report.tables if t.key == "concern_categories"]
    months = report.period.months()
    rows: dict[ConcernCategory, list[Cell]] = {}
    for row in table.rows:
        cells = [c for c in row.cells if c is not None]
        category = dict(cells[0].dimensions).get("category")
        if category is not None and category != ALL:
            rows[ConcernCategory(category)] = cells
    assert report.threshold is not None  # a department report always suppresses
    return rising_in(rows, months, report.threshold)


def enter(
    ledger: Ledger,
    figures: DepartmentFigures,
    routes: Mapping[str, str],
    *,
    escalations: Matrix,
    concerns: Matrix,
    advised: Matrix,
) -> Trends:
    """Enter the trend sections' counts in *ledger*, beside the report's own matrices.

    A route's first referrals are entered as part of its referrals (the *escalations* matrix's totals),
    so that suppression knows they add up with the referrals taking a concern further after advice.
    """
    f = figures
    referred = ledger.matrix(
        "concerns_referred",
        ("category", [c.value for c in ConcernCategory]),
        ("route", routes),
        lambda c, r: f.referred.get((r, ConcernCategory(c)), 0),
    )
    route_totals = {r: sum(n for (route, _), n in f.escalations.items() if route == r) for r in routes}
    split = ledger.matrix(  # a route's referrals: those taking a concern to it first, and those after advice
        "referrals",
        ("route", routes),
        ("escalation", ("first", "again")),
        lambda r, e: (
            f.first_referrals.get(r, 0) if e == "first" else route_totals[r] - f.first_referrals.get(r, 0)
        ),
        row_totals=lambda r: escalations.key(r, ALL),
        grand=escalations.key(ALL, ALL),
    )
    first = {r: split.key(r, "first") for r in (*routes, ALL)}
    assessed = ledger.matrix(
        "assessments",
        ("element", [e.value for e in AssessedElement]),
        ("finding", [fi.value for fi in Finding]),
        lambda e, fi: f.assessed.get((AssessedElement(e), Finding(fi)), 0),
    )
    return Trends(ledger, f, routes, concerns, referred, first, assessed, advised)


_AFTER = {"time_to_advice": "time_to_escalate", "concern_categories": "referred_categories"}
"""Where the trend tables go among the report's others: each after the table it sits beside."""


def arrange(tables: tuple[Table, ...], trends: Trends) -> tuple[Table, ...]:
    """The report's *tables* with the trends': rising categories first, the others beside their kin."""
    rising_table, others = trends.tables()
    by_key = {t.key: t for t in others}
    arranged = [rising_table]
    for table in tables:
        arranged.append(table)
        follower = _AFTER.get(table.key)
        if follower is not None:
            arranged.append(by_key.pop(follower))
    return (*arranged, *by_key.values())
