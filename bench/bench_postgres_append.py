"""postgres_append: reviews kept in PostgreSQL through the store, against raw psycopg writing the same rows.

The server is the one at ``EDM_BENCH_POSTGRES_URL`` (default
``postgresql://postgres@127.0.0.1:5432/test``); without one the benchmark is
skipped with a message. Each run gets a fresh schema; both sides commit one
transaction per append with the server's default durability.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any

from append import Transaction, measure
from harness import Figure, Skipped

from ethical_decisions.store import Store
from ethical_decisions.store._dialect import POSTGRES

__all__ = ["run"]

URL = os.environ.get("EDM_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
_PREFIX = "edm_bench_append_"


def _connect() -> Any:
    try:
        import psycopg  # noqa: PLC0415 - optional: only this benchmark needs it
    except ImportError:
        raise Skipped("psycopg is not installed (pip install 'ethical-decisions[postgres]')") from None
    try:
        return psycopg.connect(URL, connect_timeout=3)
    except psycopg.Error as exc:
        raise Skipped(f"no PostgreSQL server at {URL} ({type(exc).__name__})") from None


def run(quick: bool) -> list[Figure]:
    """The ``postgres_append`` figure (raises :class:`Skipped` without a server)."""
    from ethical_decisions.store.postgres import PostgresStore  # noqa: PLC0415 - needs psycopg

    admin = _connect()
    admin.autocommit = True
    counter = iter(range(1_000_000))
    made: list[str] = []
    baselines: list[str] = []

    def fresh() -> str:
        schema = f"{_PREFIX}{os.getpid()}_{next(counter)}"
        admin.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        made.append(schema)
        return schema

    def open_library() -> Store:
        return PostgresStore(URL, schema=fresh())

    def open_baseline() -> Callable[[Sequence[Transaction]], object]:
        schema = fresh()
        baselines.append(schema)
        PostgresStore(URL, schema=schema).close()  # the same schema, made by the store's migrations
        connection = _connect()
        connection.execute(
            "SELECT set_config('search_path', %s, false), set_config('TimeZone', 'UTC', false)",
            (f'"{schema}"',),
        )
        connection.commit()
        statements: dict[str, str] = {}

        def write(transactions: Sequence[Transaction]) -> None:
            with connection.cursor() as cursor:
                for transaction in transactions:
                    with connection.transaction():
                        for sql, params in transaction:
                            text = statements.get(sql) or statements.setdefault(sql, sql.replace("?", "%s"))
                            cursor.executemany(text, params)
            connection.close()

        return write

    try:
        return measure(
            "postgres_append",
            quick,
            open_library=open_library,
            open_baseline=open_baseline,
            reopen_baseline=lambda: PostgresStore(URL, schema=baselines[-1]),
            dialect=POSTGRES,
        )
    finally:
        for schema in made:
            admin.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        admin.close()
