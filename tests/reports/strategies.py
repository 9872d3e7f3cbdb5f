"""Hypothesis strategies for the report tests: tables of counts as reports publish them."""

from __future__ import annotations

from hypothesis import strategies as st

__all__ = ["count_tables", "thresholds"]

thresholds = st.integers(min_value=3, max_value=6)
"""Suppression thresholds worth trying."""

_counts = st.one_of(st.integers(0, 4), st.integers(0, 12), st.just(0))


@st.composite
def count_tables(draw: st.DrawFn) -> list[list[int]]:
    """A table of counts, 1 to 4 rows by 1 to 4 columns, rich in zeros and small numbers."""
    rows = draw(st.integers(1, 4))
    columns = draw(st.integers(1, 4))
    return [[draw(_counts) for _ in range(columns)] for _ in range(rows)]
