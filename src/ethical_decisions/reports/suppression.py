"""Small-count suppression that holds against arithmetic: no hidden count can be narrowed below 3 values.

The department report is read widely. A count of one or two referrals to a
route in a month, or of concerns of one kind, could point to the member of
staff (or the applicant) behind it. So, over every count a report publishes
and every relation between them a reader knows (a total is the sum of its
parts; referrals advised are some of the referrals submitted):

* **primary suppression**: every count from 1 to *threshold* - 1 is hidden. Zero
  is shown: it identifies no one.
* **complementary suppression, proved**: a reader who knows the method can
  still work hidden counts out, or narrow them, from the counts shown, the
  totals and the legend. So each hidden count must keep at least
  :data:`POSSIBLE_VALUES` values that fit everything published. The method
  proves it the constructive way: for every hidden count it finds whole
  alternative tables (non-negative whole numbers, every shown count and every
  relation kept) in which that count takes at least three different values.
  Where it cannot, it hides one more count (next to the exposed one, one whose
  other totals already hide something, then the smallest) and tries again.
* every hidden count is shown alike, as ``[c]``: whether it is small or hidden
  to protect a small one is not said, so the legend promises nothing about it
  except that it is a whole number, 0 or more (a count hidden to protect
  another may be 0).

Alternatives are looked for by a search with bounds propagation that starts
from the true table and moves as little as it can; each alternative found
counts for every hidden count at once, and stays valid when more is hidden
(hiding a count only widens what a reader must consider), so most counts are
proved by the first few searches. A search that runs past its budget counts as
"not found": the method errs towards hiding more, never less. The test suite
attacks the published reports with integer programming to check the guarantee
from the outside (``tests/reports/test_disclosure_audit.py``).

Shares and means worked out from a hidden count are hidden as well (the report
builders see to that). The PDR report does not suppress: see
:mod:`ethical_decisions.reports.pdr`.
"""

from __future__ import annotations

import enum
import heapq
import itertools
import math
from collections.abc import Hashable, Iterable, Mapping, Sequence
from typing import Generic, TypeVar

import attrs

from ethical_decisions.exceptions import ValidationError

__all__ = [
    "DEFAULT_THRESHOLD",
    "POSSIBLE_VALUES",
    "Group",
    "Mark",
    "Relation",
    "check_threshold",
    "suppress",
]

DEFAULT_THRESHOLD = 5
"""Counts from 1 to 4 are suppressed unless a report is asked for another threshold."""
POSSIBLE_VALUES = 3
"""Each hidden count keeps at least this many values that fit everything a report publishes."""

_K = TypeVar("_K", bound=Hashable)
_BUDGET = 400
"""Search nodes tried for one alternative before giving up on it (and hiding more instead)."""
_MOVE_BUDGET = 5000
"""Partial moves tried when looking for the cheapest counts to hide next."""
_PROPAGATION_BUDGET = 50
"""Relations looked at, per relation, in one round of bounds propagation."""


class Mark(enum.Enum):
    """Whether a count is shown, and if not, why (the report shows both as ``[c]``)."""

    SHOWN = "shown"
    SMALL = "small"
    """Under the threshold (primary suppression)."""
    HIDDEN = "hidden"
    """Hidden so that no hidden count can be worked out or narrowed (complementary suppression)."""


@attrs.frozen
class Group(Generic[_K]):
    """Counts published together with their total: *total* is the sum of *members*."""

    total: _K
    members: tuple[_K, ...]


@attrs.frozen
class Relation(Generic[_K]):
    """A relation between counts that a reader knows: ``sum(coefficient * count) <= 0``, or ``== 0``.

    Build one with :meth:`at_most` (a part never more than its whole) or from a
    :class:`Group` with :meth:`of_group`.
    """

    terms: tuple[tuple[_K, int], ...]
    equal: bool

    @classmethod
    def at_most(cls, part: Iterable[_K], whole: Iterable[_K]) -> Relation[_K]:
        """The sum of *part* is at most the sum of *whole*."""
        return cls((*((k, 1) for k in part), *((k, -1) for k in whole)), equal=False)

    @classmethod
    def of_group(cls, group: Group[_K]) -> Relation[_K]:
        """The members of *group* add up to its total."""
        return cls(((group.total, -1), *((m, 1) for m in group.members)), equal=True)


def check_threshold(threshold: int) -> int:
    """*threshold*, if it is a whole number of at least 3.

    :raises ValidationError: if it is not.
    """
    if type(threshold) is not int or threshold < 3:  # a bool is an int, but not a threshold
        raise ValidationError("The suppression threshold", ["threshold: give a whole number of 3 or more"])
    return threshold


def suppress(
    counts: Mapping[_K, int], groups: Iterable[Group[_K] | Relation[_K]], threshold: int
) -> dict[_K, Mark]:
    """How each of *counts* is to be shown, so that no hidden count has fewer than 3 possible values.

    *groups* are every relation between the counts that a reader knows; every key
    they name must be a key of *counts*, and the counts must satisfy them.

    :raises ValidationError: if *threshold* is not a whole number of 3 or more.
    """
    check_threshold(threshold)
    marks = {key: Mark.SMALL if 0 < n < threshold else Mark.SHOWN for key, n in counts.items()}
    relations = [g if isinstance(g, Relation) else Relation.of_group(g) for g in groups]
    _Protection(counts, relations, marks).run()
    return marks


@attrs.define
class _Protection(Generic[_K]):
    """Hides counts until every hidden one is proved to keep :data:`POSSIBLE_VALUES` values."""

    counts: Mapping[_K, int]
    relations: Sequence[Relation[_K]]
    marks: dict[_K, Mark]
    seen: dict[_K, set[int]] = attrs.field(factory=dict)
    """Values each hidden count takes in some alternative found so far."""
    near: dict[_K, list[int]] = attrs.field(factory=dict)
    """The relations each count is in, by index."""

    def run(self) -> None:
        self.near = {key: [] for key in self.counts}
        for index, relation in enumerate(self.relations):
            for key, _ in relation.terms:
                self.near[key].append(index)
        self.seen = {k: {self.counts[k]} for k, m in self.marks.items() if m is not Mark.SHOWN}
        while True:
            exposed = next((k for k in self._hidden() if not self._protected(k)), None)
            if exposed is None:
                return
            found = self._cheapest_move(exposed)
            if found is not None:
                move, scales = found
                for key, step in move.items():
                    if self.marks[key] is Mark.SHOWN:
                        self.marks[key] = Mark.HIDDEN
                        self.seen[key] = {self.counts[key]}
                    self.seen[key].update(self.counts[key] + step * scale for scale in scales)
                continue
            more = self._next_to_hide(exposed)
            if more is None:  # pragma: no cover - every count reachable is hidden: nothing left to pin it
                return
            self.marks[more] = Mark.HIDDEN
            self.seen[more] = {self.counts[more]}

    def _hidden(self) -> list[_K]:
        return [k for k, m in self.marks.items() if m is not Mark.SHOWN]

    def _protected(self, key: _K) -> bool:
        """Whether *key* is proved to take enough values, looking for alternatives as needed."""
        value = self.counts[key]
        tries = (value + 1, value - 1, value + 2, value - 2, value + 3, value - 3)
        for target in tries:
            if len(self.seen[key]) >= POSSIBLE_VALUES:
                return True
            if target < 0 or target in self.seen[key]:
                continue
            found = _Search(self.counts, self.relations, self.marks, self.near).alternative(key, target)
            if found is not None:
                for k, v in found.items():
                    self.seen[k].add(v)
        return len(self.seen[key]) >= POSSIBLE_VALUES

    def _cheapest_move(self, key: _K) -> tuple[dict[_K, int], range] | None:
        """A change to some counts that keeps every relation, moves *key*, and hides the fewest counts.

        A move adds *step* times a scale to each count it names; every relation
        must still hold, and every count stay 0 or more, for at least three scales
        (0 among them), so that after its counts are hidden each of them has three
        values. In a table with totals the cheapest move is usually a rectangle
        (a count, one in its row, one in its column, and the one where those meet).
        The search is best-first: fewest counts newly hidden, then fewest relations
        left off balance, then the smallest sum of the counts newly hidden.
        """
        tie = itertools.count()
        start: dict[_K, int] = {key: 1}
        first = self._unbalanced({}, key, 1)
        heap = [(0, len(first), 0, next(tie), start, first)]
        tried: set[frozenset[tuple[_K, int]]] = set()
        while heap and len(tried) < _MOVE_BUDGET:
            cost, _, size, _, move, unbalanced = heapq.heappop(heap)
            if not unbalanced:
                scales = self._scales(move)
                if scales is not None:
                    return move, scales
                continue
            relation, off = min(
                unbalanced.items(), key=lambda item: (len(self.relations[item[0]].terms), item[0])
            )
            for other, coefficient in self.relations[relation].terms:
                if other in move or off % coefficient:
                    continue
                step = -off // coefficient
                grown = {**move, other: step}
                seen = frozenset(grown.items())
                if seen in tried or self._span(grown) < POSSIBLE_VALUES - 1:
                    continue
                tried.add(seen)
                shown = self.marks[other] is Mark.SHOWN
                left = self._unbalanced(unbalanced, other, step)
                size_ = size + (self.counts[other] if shown else 0)
                heapq.heappush(heap, (cost + shown, len(left), size_, next(tie), grown, left))
        return None

    def _unbalanced(self, before: Mapping[int, int], key: _K, step: int) -> dict[int, int]:
        """The equal relations left off balance once *key* moves by *step* (and by how much)."""
        after = dict(before)
        for index in self.near[key]:
            relation = self.relations[index]
            if relation.equal:
                off = after.get(index, 0) + step * sum(c for k, c in relation.terms if k == key)
                if off:
                    after[index] = off
                else:
                    after.pop(index, None)
        return after

    def _span(self, move: Mapping[_K, int]) -> float:
        """How far the scales of *move* can reach, below 0 plus above it, keeping every count 0 or more."""
        down = min((self.counts[k] // s for k, s in move.items() if s > 0), default=math.inf)
        up = min((self.counts[k] // -s for k, s in move.items() if s < 0), default=math.inf)
        return down + up

    def _scales(self, move: Mapping[_K, int]) -> range | None:
        """The scales, from -2 to 2 and 0 among them, that keep every count 0 or more and every relation."""
        low, high = -2, 2
        for k, s in move.items():
            if s > 0:
                low = max(low, -(self.counts[k] // s))
            else:
                high = min(high, self.counts[k] // -s)
        for index in {i for k in move for i in self.near[k]}:
            relation = self.relations[index]
            if relation.equal:
                continue
            now = sum(c * self.counts[k] for k, c in relation.terms)  # at most 0
            change = sum(c * move.get(k, 0) for k, c in relation.terms)
            if change > 0:
                high = min(high, -now // change)
            elif change < 0:
                low = max(low, -(-now // -change))
        if high - low < POSSIBLE_VALUES - 1:
            return None
        return range(low, high + 1)

    def _next_to_hide(self, exposed: _K) -> _K | None:
        """The count to hide next so that *exposed* can vary: the best shown count near it.

        Counts that share a relation with *exposed* come first, then those that share
        one with them, and so on. Among them, one whose relations already hide
        something is preferred (hiding it lets no new total give it away), then one
        of 2 or more (it can give way in both directions), then the smallest.
        """
        done: set[int] = set()
        reach = {exposed}
        while True:
            ring = {i for k in reach for i in self.near[k]} - done
            if not ring:
                return None
            done |= ring
            keys = {k for i in ring for k, _ in self.relations[i].terms}
            shown = [k for k in keys if self.marks[k] is Mark.SHOWN]
            if shown:
                return min(shown, key=self._cost)
            reach = keys

    def _cost(self, key: _K) -> tuple[int, int, int, str]:
        opened = sum(
            1
            for i in self.near[key]
            if all(self.marks[k] is Mark.SHOWN for k, _ in self.relations[i].terms if k != key)
        )
        value = self.counts[key]
        return opened, 0 if value >= 2 else 1, value, repr(key)


@attrs.define
class _Search(Generic[_K]):
    """Looks for whole non-negative counts that keep every shown count and relation, with one count set."""

    counts: Mapping[_K, int]
    relations: Sequence[Relation[_K]]
    marks: Mapping[_K, Mark]
    near: Mapping[_K, list[int]]
    keys: list[_K] = attrs.field(factory=list)
    rows: list[tuple[list[tuple[int, int]], int, bool]] = attrs.field(factory=list)
    """Each relation over the hidden counts: (column, coefficient) terms, the constant, whether equal."""
    column_rows: list[list[int]] = attrs.field(factory=list)
    nodes: int = 0

    def alternative(self, key: _K, target: int) -> dict[_K, int] | None:
        """Counts for the hidden ones connected to *key*, with *key* at *target*, or ``None``."""
        self._component(key)
        low: list[float] = [0.0] * len(self.keys)
        high: list[float] = [math.inf] * len(self.keys)
        low[0] = high[0] = target
        if not self._propagate(low, high, range(len(self.rows))):
            return None
        found = self._dfs(low, high)
        if found is None:
            return None
        return {k: int(found[i]) for i, k in enumerate(self.keys)}

    def _component(self, key: _K) -> None:
        """The hidden counts tied to *key* through relations, and those relations over them."""
        columns = {key: 0}
        self.keys = [key]
        used: set[int] = set()
        pending = [key]
        while pending:
            for index in self.near[pending.pop()]:
                if index in used:
                    continue
                used.add(index)
                for k, _ in self.relations[index].terms:
                    if self.marks[k] is not Mark.SHOWN and k not in columns:
                        columns[k] = len(self.keys)
                        self.keys.append(k)
                        pending.append(k)
        self.column_rows = [[] for _ in self.keys]
        for index in sorted(used):
            relation = self.relations[index]
            terms: list[tuple[int, int]] = []
            constant = 0
            for k, coefficient in relation.terms:
                if k in columns:
                    terms.append((columns[k], coefficient))
                else:
                    constant -= coefficient * self.counts[k]
            for column, _ in terms:
                self.column_rows[column].append(len(self.rows))
            self.rows.append((terms, constant, relation.equal))

    def _propagate(self, low: list[float], high: list[float], queue: Iterable[int]) -> bool:
        """Narrow *low* and *high* to what the relations allow; ``False`` if nothing is left.

        Relations that contradict each other can push a bound up by one at a time
        for ever (``x >= y + 1`` and ``y >= x``), so the work is capped: past the cap
        the answer is ``False`` (no alternative found), which only ever hides more.
        """
        pending = list(queue)
        waiting = set(pending)
        work = _PROPAGATION_BUDGET * max(len(self.rows), 1)
        while pending:
            work -= 1
            if work < 0:
                return False
            r = pending.pop()
            waiting.discard(r)
            terms, constant, equal = self.rows[r]
            least, most = _Sum(), _Sum()
            for i, c in terms:
                least.add(c * (low[i] if c > 0 else high[i]))
                most.add(c * (high[i] if c > 0 else low[i]))
            if least.total() > constant or (equal and most.total() < constant):
                return False
            for i, c in terms:
                # c * x <= constant - (least of the others); with equality also >= constant - (most of them)
                upper = constant - least.without(c * (low[i] if c > 0 else high[i]))
                lower = constant - most.without(c * (high[i] if c > 0 else low[i])) if equal else -math.inf
                if c > 0:
                    new_low, new_high = _ceil(lower / c), _floor(upper / c)
                else:
                    new_low, new_high = _ceil(upper / c), _floor(lower / c)
                if new_low > low[i] or new_high < high[i]:
                    low[i], high[i] = max(low[i], new_low), min(high[i], new_high)
                    if low[i] > high[i]:
                        return False
                    for other in self.column_rows[i]:
                        if other != r and other not in waiting:
                            waiting.add(other)
                            pending.append(other)
        return True

    def _dfs(self, low: list[float], high: list[float]) -> list[float] | None:
        self.nodes += 1
        if self.nodes > _BUDGET:
            return None
        open_ = [i for i in range(len(self.keys)) if low[i] != high[i]]
        if not open_:
            return low
        column = min(open_, key=lambda i: (high[i] - low[i], i))
        value = self.counts[self.keys[column]]
        for choice in _nearest(value, low[column], high[column]):
            lo, hi = list(low), list(high)
            lo[column] = hi[column] = choice
            if self._propagate(lo, hi, self.column_rows[column]):
                found = self._dfs(lo, hi)
                if found is not None:
                    return found
            if self.nodes > _BUDGET:
                return None
        return None


@attrs.define
class _Sum:
    """A sum of terms, some of which may be infinite (all of one sign), less any one of them."""

    finite: float = 0
    infinite: int = 0
    sign: float = 0

    def add(self, term: float) -> None:
        if math.isinf(term):
            self.infinite += 1
            self.sign = term
        else:
            self.finite += term

    def total(self) -> float:
        return self.sign if self.infinite else self.finite

    def without(self, term: float) -> float:
        if math.isinf(term):
            return self.sign if self.infinite > 1 else self.finite
        return self.sign if self.infinite else self.finite - term


def _ceil(x: float) -> float:
    return x if math.isinf(x) else math.ceil(x)


def _floor(x: float) -> float:
    return x if math.isinf(x) else math.floor(x)


def _nearest(value: int, low: float, high: float) -> Iterable[int]:
    """Whole numbers from *low* to *high*, nearest *value* first (a few, where there is no end)."""
    start = int(min(max(value, low), high))
    yield start
    for step in range(1, 64):
        if start + step <= high:
            yield start + step
        if start - step >= low:
            yield start - step
        if start + step > high and start - step < low:
            return
