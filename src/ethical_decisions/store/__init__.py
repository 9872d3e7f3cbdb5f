"""Where reviews are kept: one protocol, three implementations.

:class:`MemoryStore` for tests and trying things out; :class:`SQLiteStore`, the
embedded default, for one casework server; PostgreSQL
(:class:`ethical_decisions.store.postgres.PostgresStore`, an optional extra)
for a department where many servers share one store. All pass the same test
suite. :func:`open_store` opens one by URL.
"""

from __future__ import annotations

from ._open import DATABASE_URL_VARIABLE, DEFAULT_DATABASE_URL, open_store
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
from .sqlite import SQLiteStore

__all__ = [
    "DATABASE_URL_VARIABLE",
    "DEFAULT_DATABASE_URL",
    "AppendBatch",
    "MemoryStore",
    "OutboxMessage",
    "OutboxRow",
    "OutboxStatus",
    "ReferralRecord",
    "ReviewRecord",
    "SQLiteStore",
    "Store",
    "open_store",
]
