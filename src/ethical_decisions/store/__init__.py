"""Where reviews are kept: one protocol, three implementations.

:class:`MemoryStore` for tests and trying things out; :class:`SQLiteStore`, the
embedded default, for one casework server; PostgreSQL
(:class:`ethical_decisions.store.postgres.PostgresStore`, an optional extra)
for a department where many servers share one store. All pass the same test
suite. :func:`open_store` opens one by URL.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .base import (
    AppendBatch,
    OutboxMessage,
    OutboxRow,
    OutboxStatus,
    ReferralRecord,
    ReviewRecord,
    Store,
)
from .memory import MemoryStore
from .verification import Difference, LedgerReport, StoreReport

if TYPE_CHECKING:
    from ._open import DATABASE_URL_VARIABLE, DEFAULT_DATABASE_URL, open_store
    from .sqlite import SQLiteStore

__all__ = [
    "DATABASE_URL_VARIABLE",
    "DEFAULT_DATABASE_URL",
    "AppendBatch",
    "Difference",
    "LedgerReport",
    "MemoryStore",
    "OutboxMessage",
    "OutboxRow",
    "OutboxStatus",
    "ReferralRecord",
    "ReviewRecord",
    "SQLiteStore",
    "Store",
    "StoreReport",
    "open_store",
]

_LAZY = {
    "DATABASE_URL_VARIABLE": "._open",
    "DEFAULT_DATABASE_URL": "._open",
    "open_store": "._open",
    "SQLiteStore": ".sqlite",
}
"""Loaded on first use: sqlite3 and the SQL stores are not needed to import the library."""


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value
