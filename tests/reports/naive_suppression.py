"""The first suppression method, kept as it was so that the disclosure audit can be shown to catch it.

It hid every count from 1 to threshold - 1 (shown ``<5``), then, group by group,
hid one more count (shown ``[c]``) wherever a group's total let a reader work a
small count out exactly, one equation at a time. The audit
(``test_disclosure_audit.py``) recovers counts it hid: it reasoned about single
equations and exact values, not about every equation at once or about narrowing
a count to two values.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from typing import TypeVar

from ethical_decisions.reports.suppression import Group, Mark

__all__ = ["first_method"]

_K = TypeVar("_K", bound=Hashable)


def first_method(counts: Mapping[_K, int], groups: Iterable[Group[_K]], threshold: int) -> dict[_K, Mark]:
    """How the first method marked each of *counts*: primary, then secondary suppression group by group."""
    marks = {key: Mark.SMALL if 0 < n < threshold else Mark.SHOWN for key, n in counts.items()}
    every = tuple(groups)
    near: dict[_K, list[Group[_K]]] = {key: [] for key in counts}
    for group in every:
        for key in (group.total, *group.members):
            near[key].append(group)
    while True:
        hide = _first_to_hide(every, counts, marks, near, threshold)
        if hide is None:
            return marks
        marks[hide] = Mark.HIDDEN


def _first_to_hide(
    groups: Sequence[Group[_K]],
    counts: Mapping[_K, int],
    marks: Mapping[_K, Mark],
    near: Mapping[_K, list[Group[_K]]],
    threshold: int,
) -> _K | None:
    """The next count to hide, or ``None`` when no small count can be worked out (or none is left to hide)."""
    derived = _known(marks, groups)
    known = {key for key, mark in marks.items() if mark is Mark.SHOWN} | derived.keys()
    for group in groups:
        if _gives_away(group, counts, marks, known, threshold):
            # A hidden count of this group that another group lets a reader work out is mended
            # there: hiding a second count in that group closes the leak without spreading it.
            for key in (group.total, *group.members):
                source = derived.get(key)
                if source is not None and source is not group:
                    mend = _next_to_hide(source, counts, marks, near)
                    if mend is not None:
                        return mend
            hide = _next_to_hide(group, counts, marks, near)
            if hide is not None:
                return hide
    return None


def _known(marks: Mapping[_K, Mark], groups: Sequence[Group[_K]]) -> dict[_K, Group[_K]]:
    """The hidden counts a reader can work out, each with the group it is the one unknown of.

    Shown counts are known too, and are not included.
    """
    known = {key for key, mark in marks.items() if mark is Mark.SHOWN}
    derived: dict[_K, Group[_K]] = {}
    changed = True
    while changed:
        changed = False
        for group in groups:
            unknown = [k for k in (group.total, *group.members) if k not in known]
            if len(unknown) == 1:
                known.add(unknown[0])
                derived[unknown[0]] = group
                changed = True
    return derived


def _gives_away(
    group: Group[_K], counts: Mapping[_K, int], marks: Mapping[_K, Mark], known: set[_K], threshold: int
) -> bool:
    """Whether a reader could work out a small count of *group*, exactly, from what is known."""
    everything = (group.total, *group.members)
    if all(k in known for k in everything) and any(marks[k] is Mark.SMALL for k in everything):
        return True  # a small count is the one this group lets a reader work out
    if group.total not in known:
        return False
    unknown = [m for m in group.members if m not in known]
    if not unknown:
        return False
    rest = counts[group.total] - sum(counts[m] for m in group.members if m in known)
    bounds = [_bounds(marks[m], rest, threshold) for m in unknown]
    low_sum = sum(low for low, _ in bounds)
    high_sum = sum(high for _, high in bounds)
    for low, high in bounds:
        least = max(low, rest - (high_sum - high))
        most = min(high, rest - (low_sum - low))
        if least >= most:
            return True
    return False


def _bounds(mark: Mark, rest: int, threshold: int) -> tuple[int, int]:
    """What a reader knows of a hidden count: at least, at most."""
    if mark is Mark.SMALL:
        return 1, min(threshold - 1, rest)
    return threshold, rest


def _opened(key: _K, group: Group[_K], marks: Mapping[_K, Mark], near: Mapping[_K, list[Group[_K]]]) -> int:
    """How many other groups of *key* hide nothing yet: hiding *key* would start a leak in each."""
    return sum(
        1
        for other in near[key]
        if other is not group and all(marks[k] is Mark.SHOWN for k in (other.total, *other.members))
    )


def _next_to_hide(
    group: Group[_K], counts: Mapping[_K, int], marks: Mapping[_K, Mark], near: Mapping[_K, list[Group[_K]]]
) -> _K | None:
    """The count to hide next for *group*: a non-zero member still shown, else its total.

    Of the members, one whose other groups already hide something is preferred
    (hiding it starts no new leak elsewhere), then the smallest.

    If the group has nothing left to hide, its hidden counts are being worked out
    through groups it shares counts with: the smallest non-zero count shown in
    those (then in theirs, and so on) is hidden instead.
    """
    shown = [m for m in group.members if marks[m] is Mark.SHOWN and counts[m] > 0]
    if shown:
        return min(shown, key=lambda m: (_opened(m, group, marks, near), counts[m]))
    if marks[group.total] is Mark.SHOWN and counts[group.total] > 0:
        return group.total
    seen, frontier = [group], [group]
    while frontier:
        keys = {k for g in frontier for k in (g.total, *g.members)}
        frontier = [g for k in keys for g in near[k] if all(g is not s for s in seen)]
        seen += frontier
        candidates = {k for g in frontier for k in (g.total, *g.members)}
        shown = [k for k in candidates if marks[k] is Mark.SHOWN and counts[k] > 0]
        if shown:
            return min(shown, key=lambda k: (counts[k], repr(k)))
    return None
