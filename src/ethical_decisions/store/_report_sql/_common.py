"""What the report statements share: time ranges, whole seconds, JSON arrays, in each dialect."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterator
from typing import TYPE_CHECKING

from ethical_decisions.figures import Period

if TYPE_CHECKING:
    from ethical_decisions.store._dialect import Dialect

__all__ = ["contains", "elements", "months", "occurrences", "seconds"]

_UNIXEPOCH = sqlite3.sqlite_version_info >= (3, 38, 0)


def seconds(dialect: Dialect, column: str) -> str:
    """SQL for a time column as whole seconds since 1970 (cut, not rounded, as in Python)."""
    if dialect.name == "postgresql":
        return f"floor(extract(epoch FROM {column}))::bigint"
    if _UNIXEPOCH:  # parses the text several times faster than strftime
        return f"unixepoch({column})"
    return f"CAST(strftime('%s', {column}) AS INTEGER)"


def elements(dialect: Dialect, column: str) -> str:
    """SQL for a table of the values of a JSON-array text column, one row each, as ``value``."""
    if dialect.name == "postgresql":
        return f"jsonb_array_elements_text({column}::jsonb) AS j(value)"
    return f"json_each({column}) AS j"


def months(period: Period) -> Iterator[tuple[str, dt.datetime, dt.datetime]]:
    """Each month the period touches (``YYYY-MM``), with the part of it inside the period."""
    for month in period.months():
        year, number = int(month[:4]), int(month[5:])
        start = dt.datetime(year, number, 1, tzinfo=dt.UTC)
        end = dt.datetime(year + number // 12, number % 12 + 1, 1, tzinfo=dt.UTC)
        yield month, max(start, period.start), min(end, period.end)


def _token(value: str) -> str:
    # Codes are the library's own enum values, never input; this guards against a code with other characters.
    assert value.replace("_", "").isalpha(), "a code must be letters and underscores"
    assert value.islower(), "a code must be lower-case"
    return f"'\"{value}\"'"


def contains(dialect: Dialect, column: str, value: str) -> str:
    """SQL: whether the JSON array of codes in *column* holds *value* (a lower-case code).

    Codes are lower-case words joined by ``_``, each quoted in the array, so the
    quoted code is never part of another (``"other"`` is not inside
    ``"unfair_outcome"``) and finding it in the text is exact.
    """
    function = "strpos" if dialect.name == "postgresql" else "instr"
    return f"{function}({column}, {_token(value)}) > 0"


def occurrences(column: str, value: str) -> str:
    """SQL: how many times *value* is in the JSON array of codes in *column* (see :func:`contains`)."""
    token = _token(value)
    return f"(length({column}) - length(replace({column}, {token}, ''))) / length({token})"
