"""An outsider's attack on a published report: how far integer programming narrows each hidden count.

The attacker has only what the report publishes, in any of its formats (they
all carry the same cells): every table's cells, row and column totals, shares
and means, and what the legend promises a hidden cell may be. From these the
attack builds the constraints an outsider would write down:

* **every shown count** is a fixed integer; **every hidden count** is an integer
  within what the legend promises for its marker (``[c]``: at least 0, say; the
  old ``<5``: 1 to 4);
* **every published sum**: a figure whose dimension is ``"all"`` is the sum of the
  figures of the same measure over that dimension's values, with the other
  dimensions the same. A figure published in two tables is one unknown, and a
  total published in one table and implied in another (a route's referrals, as
  the sum of its months and as frontline plus others) is one unknown too;
  a sum that is not published is an unknown of its own, so that two breakdowns
  of it still tie their parts together;
* **every share and mean** that is shown, from the precision it is published with
  (a share to four decimal places in JSON, a mean to two): a share ``p`` of
  ``part / whole`` gives ``(p - 0.00005) * whole <= part <= (p + 0.00005) * whole``;
  a mean gives a range for a hidden sum of days (an unknown at least 0 and at
  most the count times the longest a referral could have waited);
* **facts stated in words** (:data:`FACTS`, one function per report section that
  states any): that referrals advised are some of the referrals submitted, that
  challenged reviews are some of the reviews closed…

Then, for every hidden count, it minimises and maximises the count with
:func:`scipy.optimize.milp` (HiGHS) over the integers, and, where the two differ
by two or more, looks for a value strictly between. A count with fewer than
three possible values is a finding.

The attack checks itself first: the true counts (from the same report built with
nothing hidden) must satisfy every constraint it wrote, so it never claims a
leak from a constraint that is not a fact, and never misses one because it read
a table wrongly.

New report sections need nothing here unless their words state a relation
between figures that no ``"all"`` total shows: then they add a function to
:data:`FACTS` under the section's key.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from contextlib import contextmanager
from typing import Any

import attrs
import numpy as np
import pytest
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import lil_array

from ethical_decisions.reports import Cell, Report

__all__ = [
    "FACTS",
    "Attack",
    "Finding",
    "Var",
    "attack",
    "cells_of",
    "legend_bounds",
    "shown_in_full",
]

ALL = "all"
Var = tuple[str, frozenset[tuple[str, str]]]
"""An unknown: a measure and its dimensions, leaving out those that are ``"all"``."""

SHARE_PRECISION = 0.00005
"""Half a unit in the fourth decimal place: shares are published to four decimal places in JSON."""
MEAN_PRECISION = 0.005
"""Half a unit in the second decimal place: means of days are published to two in JSON."""


def var(measure: str, dimensions: Iterable[tuple[str, str]]) -> Var:
    """The unknown a figure is, wherever it is published."""
    return measure, frozenset((name, value) for name, value in dimensions if value != ALL)


def cells_of(report: Report) -> list[tuple[str, Cell]]:
    """Every cell the report publishes, with its section's key."""
    return [(table.key, cell) for table in report.tables for cell in table.cells()]


def _is_count(cell: Cell) -> bool:
    return not cell.of and (isinstance(cell.value, int) or (cell.value is None and cell.suppressed))


def legend_bounds(report: Report) -> dict[str, tuple[int, float]]:
    """What the report's legend promises a hidden count may be, by its marker: (least, most).

    Read from the words every format carries ("How to read this"); the wording
    is checked, so that a change to the legend makes this reading be revisited.
    """
    words = " ".join(report.how_to_read)
    t = report.threshold
    assert t is not None
    if f"\u201c<{t}\u201d" in words:
        # The first method's legend: "<t" is 1 to t - 1, so "[c]" (never a small count, never 0) is t or more.
        assert f"Counts from 1 to {t - 1} are shown as" in words
        return {f"<{t}": (1, t - 1), "[c]": (t, math.inf)}
    assert "\u201c[c]\u201d" in words
    assert "It may be any number, 0 included" in words
    return {"[c]": (0, math.inf)}


@attrs.frozen
class Finding:
    """A hidden count an outsider can narrow to fewer than three values."""

    section: str
    unknown: Var
    least: int
    most: int
    values: int
    """How many values it can take: 1 (pinned) or 2."""

    def __str__(self) -> str:
        measure, dims = self.unknown
        where = ", ".join(f"{k}={v}" for k, v in sorted(dims)) or "all"
        return f"{self.section}: {measure}[{where}] is {self.least}..{self.most} ({self.values} values)"


@attrs.define
class Attack:
    """The constraints an outsider can write from one report, and the hidden counts they bound."""

    names: list[Var] = attrs.Factory(list)
    index: dict[Var, int] = attrs.Factory(dict)
    integer: list[bool] = attrs.Factory(list)
    low: list[float] = attrs.Factory(list)
    high: list[float] = attrs.Factory(list)
    rows: list[tuple[dict[int, float], float, float]] = attrs.Factory(list)
    hidden: dict[Var, str] = attrs.Factory(dict)
    """Each hidden count, with the section it is first published in."""
    _compiled: tuple[tuple[int, int], LinearConstraint] | None = None

    def unknown(self, name: Var, *, integer: bool = True, low: float = 0, high: float = math.inf) -> int:
        """The column of *name*, added if new; its bounds are narrowed to *low*..*high*."""
        if name not in self.index:
            self.index[name] = len(self.names)
            self.names.append(name)
            self.integer.append(integer)
            self.low.append(0)
            self.high.append(math.inf)
        column = self.index[name]
        self.low[column] = max(self.low[column], low)
        self.high[column] = min(self.high[column], high)
        return column

    def relate(self, terms: Mapping[Var, float], least: float = -math.inf, most: float = math.inf) -> None:
        """Add the fact ``least <= sum(coefficient * unknown) <= most``."""
        row: dict[int, float] = defaultdict(float)
        for name, coefficient in terms.items():
            row[self.unknown(name)] += coefficient
        self.rows.append((dict(row), least, most))

    def value(self, name: Var) -> float | None:
        """The value of *name* if the report shows it."""
        column = self.index.get(name)
        if column is None or self.low[column] != self.high[column]:
            return None
        return self.low[column]

    def check(self, truth: Mapping[Var, int]) -> None:
        """Every constraint holds for the true counts: the attack reads only facts."""
        values = dict(truth)
        for name in self.names:
            if name not in values and self.value(name) is not None:
                values[name] = int(self.value(name) or 0)
        for name, column in self.index.items():
            if name in values and self.integer[column]:
                assert self.low[column] <= values[name] <= self.high[column], (name, values[name])
        for row, least, most in self.rows:
            if all(self.names[c] in values for c in row):
                total = sum(coefficient * values[self.names[c]] for c, coefficient in row.items())
                assert least - 1e-9 <= total <= most + 1e-9, [(self.names[c], k) for c, k in row.items()]

    def bounds_of(self, name: Var) -> tuple[float, float]:
        """The least and most *name* can be, over the integers, given everything published."""
        column = self.index[name]
        return self._optimum(column, 1.0), self._optimum(column, -1.0)

    def possible_between(self, name: Var, least: float, most: float) -> bool:
        """Whether *name* can take some value strictly between *least* and *most*."""
        column = self.index[name]
        return not math.isnan(self._optimum(column, 1.0, within=(least + 1, most - 1)))

    def _constraints(self) -> LinearConstraint:
        n, m = len(self.names), max(len(self.rows), 1)
        matrix = lil_array((m, n))
        lower, upper = np.full(m, -np.inf), np.full(m, np.inf)
        for r, (row, least, most) in enumerate(self.rows):
            for c, coefficient in row.items():
                matrix[r, c] = coefficient
            lower[r], upper[r] = least, most
        return LinearConstraint(matrix.tocsr(), lower, upper)

    def _optimum(self, column: int, sign: float, within: tuple[float, float] | None = None) -> float:
        """The least (*sign* 1) or most (*sign* -1) of the unknown in *column*; NaN if nothing is possible."""
        if self._compiled is None or self._compiled[0] != (len(self.names), len(self.rows)):
            self._compiled = ((len(self.names), len(self.rows)), self._constraints())
        cost = np.zeros(len(self.names))
        cost[column] = sign
        low, high = np.array(self.low), np.array(self.high)
        if within is not None:
            low[column], high[column] = max(low[column], within[0]), min(high[column], within[1])
        result = self._solve(cost, low, high)
        if result.status == 4:  # "infeasible or unbounded": ask again with nothing to optimise
            result = self._solve(np.zeros(len(self.names)), low, high)
            if result.status == 0:
                return -math.inf * sign
        if result.status == 3:  # unbounded
            return -math.inf * sign
        if result.status == 2:  # infeasible
            return math.nan
        assert result.status == 0, result.message
        return float(result.fun) * sign

    def _solve(self, cost: Any, low: Any, high: Any) -> Any:
        assert self._compiled is not None
        return milp(
            cost,
            integrality=np.array(self.integer, dtype=int),
            bounds=Bounds(low, high),
            constraints=self._compiled[1],
        )

    def findings(self) -> list[Finding]:
        """Every hidden count with fewer than three possible values."""
        found = []
        for name, section in self.hidden.items():
            least, most = self.bounds_of(name)
            assert not math.isnan(least), "the published figures contradict each other"
            if most - least >= 2 and (math.isinf(most) or self.possible_between(name, least, most)):
                continue
            values = 1 if least == most else 2
            found.append(Finding(section, name, round(least), round(most), values))
        return found


Fact = Callable[[Report, Attack], None]
"""Adds the relations a section's words state between figures that no total shows."""


def _advised_are_submitted(report: Report, attack: Attack) -> None:
    """Referrals advised are referrals *submitted in the period* that have had advice: no more than those."""
    routes = {dict(cell.dimensions).get("route") for _, cell in cells_of(report)} - {None}
    for route in routes:
        dims = frozenset({("route", route)} - {("route", ALL)})
        attack.relate({("referrals_advised", dims): 1, ("referrals", dims): -1}, most=0)


_REVIEWS: Var = ("reviews", frozenset())
_NO_CONCERNS: Var = ("reviews", frozenset({("outcome_class", "no_concerns")}))


def _challenges_are_of_reviews(report: Report, attack: Attack) -> None:
    """Decided challenges are of reviews closed in the period, with concerns or with none."""
    reviews, no_concerns = _REVIEWS, _NO_CONCERNS
    with_concerns = ("challenges_decided", frozenset({("concerns", "with_concerns")}))
    without = ("challenges_decided", frozenset({("concerns", "no_concerns")}))
    attack.relate({with_concerns: 1, reviews: -1, no_concerns: 1}, most=0)
    attack.relate({without: 1, no_concerns: -1}, most=0)


def _later_outcomes_are_of_reviews(report: Report, attack: Attack) -> None:
    """Later outcomes are of reviews closed in the period; the appeal and tribunal rows are the challenges."""
    attack.relate({("later_outcomes_decided", frozenset()): 1, _REVIEWS: -1}, most=0)
    for result in (None, "upheld", "overturned"):
        by_result = frozenset({("result", result)} if result else set())
        terms: dict[Var, float] = {("challenges_decided", by_result): -1}
        for kind in ("appeal", "tribunal"):
            terms["later_outcomes_decided", by_result | {("kind", kind)}] = 1
        attack.relate(terms, least=0, most=0)


def _concerns_of_reviews(report: Report, attack: Attack) -> None:
    """Every review that ended other than "no concerns" put at least one concern into words."""
    reviews, no_concerns = _REVIEWS, _NO_CONCERNS
    attack.relate({("concerns", frozenset()): 1, reviews: -1, no_concerns: 1}, least=0)


def _both_questions_answered(report: Report, attack: Attack) -> None:
    """Both speaking-up questions are answered together: each question's answers add up to the same."""
    again = ("speak_up_answers", frozenset({("question", "again")}))
    detriment = ("speak_up_answers", frozenset({("question", "detriment")}))
    attack.relate({again: 1, detriment: -1}, least=0, most=0)


FACTS: dict[str, list[Fact]] = {
    "speak_up": [_both_questions_answered],
    "time_to_advice": [_advised_are_submitted],
    "overturned": [_challenges_are_of_reviews],
    "later_outcomes": [_later_outcomes_are_of_reviews],
    "concern_categories": [_concerns_of_reviews],
}
"""The relations each section's words state, by section key (see the module's docstring)."""


def attack(
    report: Report,
    *,
    truth: Report | None = None,
    legend: Mapping[str, tuple[int, float]] | None = None,
    facts: Mapping[str, list[Fact]] = FACTS,
) -> Attack:
    """The constraints an outsider writes from *report*, checked against *truth* (it with nothing hidden)."""
    promised = legend_bounds(report) if legend is None else legend
    a = Attack()
    counts: dict[str, set[Var]] = defaultdict(set)
    sums: dict[str, set[Var]] = defaultdict(set)
    longest = (report_as_of(report) - report.period.start).total_seconds() / 86400
    for section, cell in cells_of(report):
        name = var(cell.measure, cell.dimensions)
        if _is_count(cell):
            counts[cell.measure].add(name)
            if isinstance(cell.value, int):
                a.unknown(name, low=cell.value, high=cell.value)
            else:
                least, most = promised[cell.shown]
                a.unknown(name, low=least, high=most)
                a.hidden.setdefault(name, section)
        elif len(cell.of) == 2 and isinstance(cell.value, float):
            part, whole = (var(*ref) for ref in cell.of)
            a.relate({part: 1, whole: -(cell.value - SHARE_PRECISION)}, least=0)
            a.relate({part: 1, whole: -(cell.value + SHARE_PRECISION)}, most=0)
        elif len(cell.of) == 1:
            over = var(*cell.of[0])
            total = (f"days_in:{cell.measure}", name[1])
            a.unknown(total, integer=False)
            sums[total[0]].add(total)
            a.relate({total: 1, over: -longest}, most=0)  # no referral waited longer than the report allows
            if isinstance(cell.value, float):
                a.relate({total: 1, over: -(cell.value - MEAN_PRECISION)}, least=0)
                a.relate({total: 1, over: -(cell.value + MEAN_PRECISION)}, most=0)
    for measure, names in (*counts.items(), *sums.items()):
        _add_sums(a, measure, names, integer=measure in counts)
    for section in {table.key for table in report.tables}:
        for fact in facts.get(section, []):
            fact(report, a)
    if truth is not None:
        a.check(true_counts(truth))
    return a


PARTIAL: frozenset[str] = frozenset({"escalation"})
"""Dimensions a report shows only some values of: a route's referrals that took a concern to it for the
first time are shown, those after advice are not. Their parts add up to no more than the whole."""


def _add_sums(a: Attack, measure: str, names: set[Var], *, integer: bool) -> None:
    """Each unknown with a dimension dropped is the sum over that dimension's values, published or not.

    Over a :data:`PARTIAL` dimension the published parts are at most the whole.
    """
    parts: dict[Var, dict[str, list[Var]]] = defaultdict(lambda: defaultdict(list))
    pending = list(names)
    seen = set(names)
    while pending:
        name = pending.pop()
        for dimension in name[1]:
            parent = (measure, name[1] - {dimension})
            parts[parent][dimension[0]].append(name)
            if parent not in seen:
                seen.add(parent)
                pending.append(parent)
                a.unknown(parent, integer=integer)
    for parent, by_dimension in parts.items():
        for dimension, members in by_dimension.items():
            least = -math.inf if dimension in PARTIAL else 0
            a.relate({parent: -1, **dict.fromkeys(members, 1)}, least=least, most=0)


def report_as_of(report: Report) -> dt.datetime:
    """When the report's figures were counted (its ``as_of``, else when it was made)."""
    as_of: Any = getattr(report, "as_of", None)
    return as_of if isinstance(as_of, dt.datetime) else report.made_at


def true_counts(report: Report) -> dict[Var, int]:
    """The counts of a report built with nothing hidden."""
    found = {}
    for _, cell in cells_of(report):
        if _is_count(cell):
            assert isinstance(cell.value, int), "the true report hides something"
            found[var(cell.measure, cell.dimensions)] = cell.value
    return found


@contextmanager
def shown_in_full(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Reports built inside this show every count: the truth the attack is checked against."""
    from ethical_decisions.reports import ledger, suppression

    with monkeypatch.context() as patch:
        shown = suppression.Mark.SHOWN
        patch.setattr(ledger, "suppress", lambda counts, *a, **k: dict.fromkeys(counts, shown))
        yield
