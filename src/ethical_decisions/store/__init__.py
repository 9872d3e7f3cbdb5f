"""Where reviews are kept: one protocol, three implementations.

:class:`MemoryStore` for tests and trying things out; SQLite, the embedded
default, for one casework server; PostgreSQL for a department where many
servers share one store. All pass the same test suite.
"""

from __future__ import annotations

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

__all__ = [
    "AppendBatch",
    "MemoryStore",
    "OutboxMessage",
    "OutboxRow",
    "OutboxStatus",
    "ReferralRecord",
    "ReviewRecord",
    "Store",
]
