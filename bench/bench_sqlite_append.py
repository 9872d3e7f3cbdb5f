"""sqlite_append: reviews persisted to SQLite through the store, against raw sqlite3 writing the same rows.

Both sides write to a file under ``bench/.cache/`` (a real disk, where
``fsync`` costs what it costs in production), in WAL mode with
``synchronous=FULL`` and ``secure_delete`` (the store's settings), one
``BEGIN IMMEDIATE`` transaction per append.
"""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

from append import Transaction, measure
from harness import Figure

from ethical_decisions import SQLiteStore
from ethical_decisions.store import Store
from ethical_decisions.store._dialect import SQLITE

__all__ = ["run"]

CACHE = Path(__file__).resolve().parent / ".cache"


def run(quick: bool) -> list[Figure]:
    """The ``sqlite_append`` figure."""
    CACHE.mkdir(exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="append-", dir=CACHE))
    counter = iter(range(1_000_000))
    baselines: list[Path] = []

    def fresh() -> Path:
        return folder / f"store-{next(counter)}.db"

    def open_library() -> Store:
        return SQLiteStore(fresh())

    def open_baseline() -> Callable[[Sequence[Transaction]], object]:
        path = fresh()
        baselines.append(path)
        SQLiteStore(path).close()  # the same schema, made by the store's migrations
        connection = sqlite3.connect(path, isolation_level=None)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=FULL")
        connection.execute("PRAGMA secure_delete=ON")  # as the store: erased words leave no trace

        def write(transactions: Sequence[Transaction]) -> None:
            for statements in transactions:
                connection.execute("BEGIN IMMEDIATE")
                for sql, params in statements:
                    connection.executemany(sql, params)
                connection.execute("COMMIT")

        return write

    try:
        return measure(
            "sqlite_append",
            quick,
            open_library=open_library,
            open_baseline=open_baseline,
            reopen_baseline=lambda: SQLiteStore(baselines[-1]),
            dialect=SQLITE,
        )
    finally:
        shutil.rmtree(folder, ignore_errors=True)
