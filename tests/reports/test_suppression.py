"""Small-count suppression: no count under the threshold is shown or can be worked out from totals."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pytest
from hypothesis import given

from ethical_decisions import ValidationError
from ethical_decisions.reports import Mark
from ethical_decisions.reports.ledger import Key, Ledger
from ethical_decisions.reports.suppression import Group, suppress

from .strategies import count_tables, thresholds


def _known(
    counts: Mapping[Key, int], marks: Mapping[Key, Mark], groups: Sequence[Group[Key]]
) -> dict[Key, int]:
    """What a reader knows exactly: the counts shown, then any that is the only unknown of a group."""
    known = {k: counts[k] for k, m in marks.items() if m is Mark.SHOWN}
    progress = True
    while progress:
        progress = False
        for g in groups:
            missing = [k for k in (g.total, *g.members) if k not in known]
            if len(missing) == 1:
                (key,) = missing
                members = sum(known.get(m, 0) for m in g.members)
                known[key] = members if key == g.total else known[g.total] - members
                progress = True
    return known


def _possible(
    key: Key, group: Group[Key], known: Mapping[Key, int], marks: Mapping[Key, Mark], t: int
) -> set[int]:
    """Every value *key* could take, to a reader who knows *known* and this group's shown total."""
    rest = known[group.total] - sum(known[m] for m in group.members if m in known)
    others = [m for m in group.members if m not in known and m != key]

    def span(k: Key) -> range:
        return range(1, t) if marks[k] is Mark.SMALL else range(t, rest + 1)

    sums = 1  # a bit set: bit s is on when the others can add up to s
    for other in others:
        sums = _spread(sums, span(other))
    return {v for v in span(key) if 0 <= rest - v and (sums >> (rest - v)) & 1}


def _spread(sums: int, values: range) -> int:
    spread = 0
    for x in values:
        spread |= sums << x
    return spread


def _revealed(
    counts: Mapping[Key, int], groups: Sequence[Group[Key]], marks: Mapping[Key, Mark], t: int
) -> list[Key]:
    """The small counts a reader could pin down, directly or from totals."""
    known = _known(counts, marks, groups)
    found = [k for k, m in marks.items() if m is Mark.SMALL and k in known]
    for g in groups:
        if g.total not in known:
            continue
        for m in g.members:
            if marks[m] is Mark.SMALL and m not in known and len(_possible(m, g, known, marks, t)) < 2:
                found.append(m)
    return found


def _ledger(table: list[list[int]], t: int) -> Ledger:
    ledger = Ledger(t)
    rows = [f"r{i}" for i in range(len(table))]
    columns = [f"c{j}" for j in range(len(table[0]))]
    ledger.matrix("n", ("row", rows), ("column", columns), lambda r, c: table[int(r[1:])][int(c[1:])])
    return ledger


@given(table=count_tables(), t=thresholds)
def test_no_small_count_is_shown_or_can_be_worked_out(table: list[list[int]], t: int) -> None:
    """Across rows, columns and totals, no count from 1 to t - 1 is shown, or pinned down by subtraction."""
    ledger = _ledger(table, t)

    marks = suppress(ledger.counts, ledger.groups, t)

    assert [k for k, m in marks.items() if m is Mark.SHOWN and 0 < ledger.counts[k] < t] == []
    assert _revealed(ledger.counts, ledger.groups, marks, t) == []


@given(table=count_tables(), t=thresholds)
def test_suppression_hides_nothing_it_need_not(table: list[list[int]], t: int) -> None:
    """Zero is always shown, and a table with no count under the threshold is shown whole."""
    ledger = _ledger(table, t)

    marks = suppress(ledger.counts, ledger.groups, t)

    assert all(marks[k] is Mark.SHOWN for k, n in ledger.counts.items() if n == 0)
    if not any(0 < n < t for n in ledger.counts.values()):
        assert set(marks.values()) == {Mark.SHOWN}


def test_one_small_cell_hides_the_next_smallest() -> None:
    """One small count in a row also hides the smallest other non-zero one: the total gives neither away."""
    counts = {"a": 3, "b": 0, "c": 9, "d": 20, "total": 32}

    marks = suppress(counts, [Group("total", ("a", "b", "c", "d"))], 5)

    assert {"a": Mark.SMALL, "b": Mark.SHOWN, "c": Mark.HIDDEN, "d": Mark.SHOWN, "total": Mark.SHOWN} == marks


def test_two_small_cells_that_add_up_too_little_hide_more() -> None:
    """Two hidden 1s under a shown total would both be given away (their sum, 2, leaves no choice)."""
    counts = {"a": 1, "b": 1, "c": 20, "total": 22}

    marks = suppress(counts, [Group("total", ("a", "b", "c"))], 5)

    assert Mark.HIDDEN == marks["c"]


@pytest.mark.parametrize("threshold", [2, 0, -5, True])
def test_threshold_must_be_at_least_three(threshold: int) -> None:
    """A threshold under 3 is refused: with 2, every "<2" would be a 1 for all to see."""
    with pytest.raises(ValidationError, match="threshold: give a whole number of 3 or more"):
        suppress({"a": 1}, [], threshold)


def test_a_leak_is_mended_where_it_comes_from_not_spread_along_a_row() -> None:
    """Small counts in one month of several routes cost a few hidden counts, not whole rows of them.

    Hiding a second count in a row makes that count the only hidden one of its column, which a
    reader could work out from the column's total; the leak is mended in that column (with a
    count whose row already hides one), instead of hiding the row's counts one after another.
    """
    table = [[0, 2, 12, 13, 7], [0, 3, 11, 9, 10], [0, 1, 14, 14, 15], [0, 0, 6, 8, 6]]
    ledger = _ledger(table, 5)

    marks = suppress(ledger.counts, ledger.groups, 5)

    assert _revealed(ledger.counts, ledger.groups, marks, 5) == []
    assert sum(mark is Mark.HIDDEN for mark in marks.values()) == 4
