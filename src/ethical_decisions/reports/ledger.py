"""A ledger of a report's counts and every relation between them a reader knows, suppressed together.

The department report writes every count it will show into one
:class:`Ledger`, with each set of counts that adds up to a shown total (a
route's months and the route's total; a month's routes and the month's
total…) and each relation its words state (referrals advised are some of the
referrals submitted), then settles which are suppressed
(:func:`~.suppression.suppress`) before any table is drawn. One count shown in
two tables is one entry, so it is suppressed alike in both. A new section
enters its counts and relations here, and is protected with the rest.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

import attrs

from .document import ALL, Cell, count_cell
from .suppression import Group, Mark, Relation, suppress

__all__ = ["Key", "Ledger", "Matrix"]

Key = tuple[str, tuple[tuple[str, str], ...]]
"""A count's measure and dimensions."""


@attrs.frozen
class Matrix:
    """The keys of a table of counts by two dimensions, with its totals."""

    measure: str
    cells: Mapping[tuple[str, str], Key]
    """By (row, column); a row or column of :data:`ALL` holds the totals."""

    def key(self, row: str, column: str) -> Key:
        """The key of one count (``ALL`` for a total)."""
        return self.cells[row, column]


class Ledger:
    """Counts by key, the relations between them, and, once settled, which are suppressed."""

    def __init__(self, threshold: int) -> None:
        self.threshold = threshold
        self.counts: dict[Key, int] = {}
        self.groups: list[Group[Key] | Relation[Key]] = []
        self._marks: dict[Key, Mark] | None = None

    def add(self, measure: str, dimensions: Iterable[tuple[str, str]], count: int) -> Key:
        """Enter a count; its key."""
        key: Key = (measure, tuple(dimensions))
        self.counts[key] = count
        return key

    def adds_up(self, total: Key, members: Iterable[Key]) -> None:
        """Record that *members* add up to *total*."""
        self.groups.append(Group(total, tuple(members)))

    def at_most(self, part: Iterable[Key], whole: Iterable[Key]) -> None:
        """Record what a reader is told: the counts *part* add up to no more than the counts *whole*."""
        self.groups.append(Relation.at_most(part, whole))

    def matrix(
        self,
        measure: str,
        rows: tuple[str, Iterable[str]],
        columns: tuple[str, Iterable[str]],
        count: Callable[[str, str], int],
        *,
        row_totals: Callable[[str], Key] | None = None,
        grand: Key | None = None,
    ) -> Matrix:
        """Enter a table of counts with row, column and grand totals, and how they add up.

        :param rows: the row dimension's name and values (likewise *columns*).
        :param row_totals: keys already entered to use as the rows' totals
            (with *grand*), when the same totals are shown in another table.
        """
        row_name, row_values = rows[0], tuple(rows[1])
        column_name, column_values = columns[0], tuple(columns[1])
        cells: dict[tuple[str, str], Key] = {}
        for r in row_values:
            for c in column_values:
                cells[r, c] = self.add(measure, ((row_name, r), (column_name, c)), count(r, c))
        for r in row_values:
            total = row_totals(r) if row_totals else None
            members = [cells[r, c] for c in column_values]
            cells[r, ALL] = total or self.add(
                measure, ((row_name, r), (column_name, ALL)), self._sum(members)
            )
            self.adds_up(cells[r, ALL], members)
        for c in (*column_values, ALL):
            members = [cells[r, c] for r in row_values]
            if c == ALL and grand is not None:
                cells[ALL, c] = grand
            else:
                cells[ALL, c] = self.add(measure, ((row_name, ALL), (column_name, c)), self._sum(members))
            self.adds_up(cells[ALL, c], members)
        self.adds_up(cells[ALL, ALL], [cells[ALL, c] for c in column_values])
        return Matrix(measure, cells)

    def _sum(self, keys: Iterable[Key]) -> int:
        return sum(self.counts[k] for k in keys)

    def cell(self, key: Key) -> Cell:
        """The cell of a count, suppressed or not.

        The first call settles what is suppressed, over every count and relation
        entered so far: enter them all first.
        """
        if self._marks is None:
            self._marks = suppress(self.counts, self.groups, self.threshold)
        measure, dimensions = key
        return count_cell(measure, dimensions, self.counts[key], self._marks[key])
