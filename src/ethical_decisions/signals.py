"""Signals that a kind of concern is rising: worked out from what a department report publishes.

Windrush Recommendation 22 asks for trends and systemic issues to be spotted and
fed back to policy. The department report counts concerns by category and month;
a signal says when a category's count has jumped, so that someone is told (the
``ethical_decisions_rising_category`` hook, see :mod:`ethical_decisions.hookspecs`).

**The rule** (:data:`RULE`): a category is rising in the latest complete month of
a report's period when that month's count is shown, is at least the report's
suppression threshold, and is at least twice the mean of the three months before
it. It needs four whole months in the period.

**Suppressed like every count.** The rule reads only what the report shows. A
month whose count is hidden is taken at the most it could be, given the
category's total for the period and the months shown (the total less what is
shown); if the total is hidden too, nothing bounds it and the category is not
judged. So a signal is a function of the published table: it tells a reader
nothing the table does not, and cannot be used to narrow a hidden count.
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs

from .model import ConcernCategory

__all__ = ["RULE", "RisingCategory", "most_before", "rising"]

RULE = (
    "A concern category is rising when its count in the latest complete month of the period is shown, is at "
    "least the suppression threshold, and is at least twice the mean of the three months before it. A month "
    "whose count is hidden is taken at the most it could be, from the category's total and the months shown; "
    "if that cannot be known, the category is not judged."
)
"""The rule, in words, as every report and document states it."""

PREVIOUS_MONTHS = 3
"""How many months before the latest the rule compares it with."""


@attrs.frozen
class RisingCategory:
    """A concern category rising in a month, as a department report shows it.

    :param category: the concern category.
    :param month: the latest complete month of the report's period, ``YYYY-MM``.
    :param count: concerns of the category in that month (as the report shows it: never a hidden count).
    :param most_before: the most the three months before it could add up to, from what the report shows.
    :param period_start: the first month of the report it comes from, ``YYYY-MM``.
    """

    category: ConcernCategory
    month: str
    count: int
    most_before: int
    period_start: str

    def describe(self) -> str:
        """The signal in words: every number in it is one the report shows, or worked out from them.

        For example ``"vulnerability: 12 concerns in 2026-03, against at most 9 in the 3 months before"``.
        """
        return (
            f"{self.category.value}: {self.count} concerns in {self.month}, against at most "
            f"{self.most_before} in the {PREVIOUS_MONTHS} months before"
        )


def most_before(previous: Sequence[int | None], shown_in_row: int, row_total: int | None) -> int | None:
    """The most the *previous* months could add up to, from what the report shows.

    :param previous: each month's count as shown, ``None`` where it is hidden.
    :param shown_in_row: the sum of every count shown in the category's row (all its months).
    :param row_total: the category's total for the period as shown, ``None`` if hidden.
    :returns: the bound, or ``None`` if a hidden month cannot be bounded (its total is hidden).
    """
    shown = sum(p for p in previous if p is not None)
    if all(p is not None for p in previous):
        return shown
    if row_total is None:
        return None
    return shown + (row_total - shown_in_row)  # every hidden month of the row together is at most this


def rising(latest: int | None, bound: int | None, threshold: int) -> bool:
    """Whether the rule calls a category rising: *latest* shown, at least *threshold*, twice the mean before.

    :param bound: the most the three months before could add up to (``None``: cannot be judged).
    """
    if latest is None or bound is None or latest < threshold:
        return False
    return PREVIOUS_MONTHS * latest >= 2 * bound
