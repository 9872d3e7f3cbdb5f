"""Small-count suppression: no count from 1 to threshold - 1 is shown; each hidden one keeps 3 values or more.

The outside check of the guarantee, by integer programming over everything a
report publishes, is ``test_disclosure_audit.py``; these are the method's own
rules on small tables.
"""

from __future__ import annotations

import itertools
import time

import pytest
from hypothesis import given

from ethical_decisions import ValidationError
from ethical_decisions.reports import Mark
from ethical_decisions.reports.ledger import Ledger
from ethical_decisions.reports.suppression import Group, Relation, _Search, suppress

from .strategies import count_tables, thresholds


def _ledger(table: list[list[int]], t: int) -> Ledger:
    ledger = Ledger(t)
    rows = [f"r{i}" for i in range(len(table))]
    columns = [f"c{j}" for j in range(len(table[0]))]
    ledger.matrix("n", ("row", rows), ("column", columns), lambda r, c: table[int(r[1:])][int(c[1:])])
    return ledger


@given(table=count_tables(), t=thresholds)
def test_no_small_count_is_shown(table: list[list[int]], t: int) -> None:
    """Across rows, columns and totals, no count from 1 to t - 1 is shown."""
    ledger = _ledger(table, t)

    marks = suppress(ledger.counts, ledger.groups, t)

    assert [k for k, m in marks.items() if m is Mark.SHOWN and 0 < ledger.counts[k] < t] == []


@given(table=count_tables(), t=thresholds)
def test_a_table_with_no_small_count_is_shown_whole(table: list[list[int]], t: int) -> None:
    """Nothing is hidden where nothing needs to be: a table with no count from 1 to t - 1 is shown whole."""
    ledger = _ledger(table, t)

    marks = suppress(ledger.counts, ledger.groups, t)

    if not any(0 < n < t for n in ledger.counts.values()):
        assert set(marks.values()) == {Mark.SHOWN}


def test_one_small_count_costs_a_rectangle() -> None:
    """A small count is protected by three more hidden counts that close a rectangle with it.

    With its row's total and its column's total shown, changing the small count by
    one must be balanced in its row, in its column, and in the row and column of
    the balancing counts: four counts in all, the fewest that can move together.
    """
    table = [[3, 9, 20], [8, 7, 30], [12, 11, 25]]
    ledger = _ledger(table, 5)

    marks = suppress(ledger.counts, ledger.groups, 5)

    hidden = sorted(ledger.counts[k] for k, m in marks.items() if m is not Mark.SHOWN)
    assert hidden == [3, 7, 8, 9]


def test_a_pair_that_adds_up_to_one_is_not_enough() -> None:
    """A 1 hidden beside a 0 still has only two values (0 or 1) under a shown total: more is hidden.

    The first method stopped at two hidden counts in a row; a 1 beside a hidden 0
    is then 0 or 1, which this method does not accept.
    """
    counts = {"a": 1, "b": 0, "c": 20, "total": 21}

    marks = suppress(counts, [Group("total", ("a", "b", "c"))], 5)

    assert Mark.HIDDEN is marks["c"]


def _possible(
    counts: dict[str, int], relations: list[Relation[str]], marks: dict[str, Mark]
) -> dict[str, set[int]]:
    """Every value each hidden count can take, trying every table of whole numbers up to the largest count."""
    hidden = [k for k, m in marks.items() if m is not Mark.SHOWN]
    top = max(counts.values()) + 2
    found: dict[str, set[int]] = {k: set() for k in hidden}
    for values in itertools.product(range(top + 1), repeat=len(hidden)):
        table = {**counts, **dict(zip(hidden, values, strict=True))}
        totals = [(sum(c * table[k] for k, c in r.terms), r.equal) for r in relations]
        if all(t == 0 if equal else t <= 0 for t, equal in totals):
            for k, v in zip(hidden, values, strict=True):
                found[k].add(v)
    return found


def test_a_relation_in_words_is_protected_against() -> None:
    """A part known to be no more than its whole (advised of submitted) is taken into account.

    Every hidden count keeps at least three values, checked by trying every table.
    """
    counts = {"advised": 2, "not_advised": 9, "advised_total": 11, "submitted": 4, "other": 9, "total": 13}
    relations = [
        Relation.of_group(Group("total", ("submitted", "other"))),
        Relation.of_group(Group("advised_total", ("advised", "not_advised"))),
        Relation.at_most(["advised"], ["submitted"]),
    ]

    marks = suppress(counts, relations, 5)

    possible = _possible(counts, relations, marks)
    assert possible
    assert {k: len(v) >= 3 for k, v in possible.items()} == dict.fromkeys(possible, True)


@pytest.mark.parametrize("threshold", [2, 0, -5, True])
def test_threshold_must_be_at_least_three(threshold: int) -> None:
    """A threshold under 3 is refused: with 2, only 1s would be hidden, and a reader would know it."""
    with pytest.raises(ValidationError, match="threshold: give a whole number of 3 or more"):
        suppress({"a": 1}, [], threshold)


def test_small_counts_in_one_column_cost_few_hidden_counts() -> None:
    """Small counts in one month of several routes cost a few more hidden counts, not whole rows of them.

    The first method hid 4 counts here and left the 1 with two possible values;
    this one hides 6, and every hidden count keeps at least three.
    """
    table = [[0, 2, 12, 13, 7], [0, 3, 11, 9, 10], [0, 1, 14, 14, 15], [0, 0, 6, 8, 6]]
    ledger = _ledger(table, 5)

    marks = suppress(ledger.counts, ledger.groups, 5)

    assert sum(mark is not Mark.SHOWN for mark in marks.values()) == 6


def test_relations_that_contradict_each_other_end_the_search() -> None:
    """A search whose relations push a bound up one at a time for ever gives up, and finds nothing.

    With ``z <= x``, ``x + 1 <= y`` and ``y <= x``, and z set to 2, propagating
    bounds alone would raise x's and y's lower bounds by one each round, never
    ending. (The generated-tables audit found a table where this happened.)
    """
    counts = {"z": 1, "x": 1, "y": 1, "one": 1}
    relations = [
        Relation((("x", 1), ("one", 1), ("y", -1)), equal=False),
        Relation((("y", 1), ("x", -1)), equal=False),
        Relation((("z", 1), ("x", -1)), equal=False),
    ]
    marks = {"z": Mark.HIDDEN, "x": Mark.HIDDEN, "y": Mark.HIDDEN, "one": Mark.SHOWN}
    near = {"z": [2], "x": [0, 1, 2], "y": [0, 1], "one": [0]}
    started = time.monotonic()

    found = _Search(counts, relations, marks, near).alternative("z", 2)

    assert found is None
    assert time.monotonic() - started < 5
