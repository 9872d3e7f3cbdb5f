"""Plain-text tables for the terminal."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

__all__ = ["table", "words"]


def table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """*rows* under *headers*, in left-aligned columns two spaces apart."""
    cells = [[str(h) for h in headers], *([str(c) for c in row] for row in rows)]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in cells
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join("  " + line for line in lines)


def words(code: str) -> str:
    """A code in words, for the table output: ``not_resolved`` as ``not resolved``."""
    return code.replace("_", " ")
