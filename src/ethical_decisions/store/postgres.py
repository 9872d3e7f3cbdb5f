"""The PostgreSQL store: for a department where many casework servers share one store.

It needs the optional extra: ``pip install 'ethical-decisions[postgres]'``
(psycopg 3 and psycopg-pool). This module imports without them; opening a
store without them raises :class:`~ethical_decisions.StoreError` saying so.

Connections come from a :class:`psycopg_pool.ConnectionPool`, each set to UTC,
to the store's schema and to autocommit: reads run their statements outside a
transaction (in a ``READ COMMITTED`` transaction each statement saw what was
committed when it began anyway, so the transaction added only its ``BEGIN`` and
``COMMIT``), and writes open their transactions themselves. The pool checks a
connection before handing it out only when it has been idle for
:data:`CHECK_IDLE_AFTER` seconds. An append takes two round trips: its
``BEGIN``, the head's lock and the read of head and version go together, then
its writes and ``COMMIT`` (pipeline mode). Appends lock the single ``chain_head`` row
(``SELECT … FOR UPDATE``), so however many servers write, the events form one
chain with positions 1, 2, 3… and each hash follows the one before. The relay
claims outbox rows with ``FOR UPDATE SKIP LOCKED``, so relays on several
servers never take the same message. Migrations hold a transaction-scoped
advisory lock, so servers starting together do not race to create the schema.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import time
import urllib.parse
import weakref
from collections.abc import Iterable, Iterator, Sequence
from functools import lru_cache
from typing import Any

from typing_extensions import override

from ethical_decisions.exceptions import StoreError

from ._dialect import POSTGRES, Cursor
from ._sql import SQLStore

try:
    import psycopg
    import psycopg.conninfo
    import psycopg_pool
except ImportError as exc:  # pragma: no cover - only without the extra installed
    _MISSING: ImportError | None = exc
else:
    _MISSING = None

_PIPELINE = _MISSING is None and psycopg.Pipeline.is_supported()
"""Whether libpq can send statements in pipeline mode (libpq 14 and later)."""

__all__ = ["CHECK_IDLE_AFTER", "PostgresStore", "redact_url"]

CHECK_IDLE_AFTER = 30.0
"""Seconds a pooled connection may sit idle and still be handed out without a check (an empty query).

A connection used within this time is handed out as it is; if the server went away meanwhile, the
step fails with :class:`~ethical_decisions.StoreError`, records nothing, and the pool drops the
connection. One idle longer is checked first, and replaced if the check fails.
"""

_SCHEMA = re.compile(r"[a-z_][a-z0-9_]{0,62}")
_MIGRATION_LOCK = "ethical_decisions.migrate:"


def redact_url(url: str) -> str:
    """*url* (a ``postgresql://`` URL or a ``key=value`` connection string) without its password."""
    if "://" not in url:
        params = psycopg.conninfo.conninfo_to_dict(url)
        params.pop("password", None)
        return psycopg.conninfo.make_conninfo("", **params)
    parts = urllib.parse.urlsplit(url)
    netloc = parts.netloc
    if "@" in netloc:
        user, _, host = netloc.rpartition("@")
        netloc = f"{user.partition(':')[0]}@{host}"
    query = urllib.parse.urlencode(
        [(k, v) for k, v in urllib.parse.parse_qsl(parts.query, keep_blank_values=True) if k != "password"],
        quote_via=urllib.parse.quote,
    )
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc, query=query))


@lru_cache(maxsize=256)
def _placeholders(sql: str) -> str:
    # The shared statements use "?"; psycopg wants "%s". None holds a literal "?" or "%".
    return sql.replace("?", "%s")


class _Cursor:
    """A psycopg cursor that takes the shared statements."""

    def __init__(self, cursor: psycopg.Cursor[Any]) -> None:
        self._cursor = cursor

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    def execute(self, sql: str, params: Sequence[Any] = (), /) -> object:
        return self._cursor.execute(_placeholders(sql), params)

    def executemany(self, sql: str, params: Iterable[Sequence[Any]], /) -> object:
        self._cursor.executemany(_placeholders(sql), params)
        return self

    def fetchone(self) -> Any:
        return self._cursor.fetchone()

    def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()


class PostgresStore(SQLStore):
    """A store in a PostgreSQL database, shared by many servers; thread-safe.

    The schema is created or brought up to date when the store is opened.

    :param url: a ``postgresql://`` URL (or a libpq connection string).
    :param schema: the PostgreSQL schema to keep the tables in; created if missing.
    :param min_size: connections the pool keeps open.
    :param max_size: connections the pool may open.
    :param timeout: seconds to wait to connect, or for a free connection.
    :param create: make the store if the schema holds none; with ``False``
        (for reading), a schema that does not exist or holds no store is refused.
    :raises StoreError: if psycopg is not installed or the server cannot be
        reached; if the schema holds another application's tables (they are
        left alone, never joined by the store's); and, unless *create*, if it
        holds no store.
    :raises SchemaVersionError: if a newer version of ethical-decisions wrote the schema.
    """

    def __init__(
        self,
        url: str,
        *,
        schema: str = "public",
        min_size: int = 1,
        max_size: int = 10,
        timeout: float = 10.0,
        create: bool = True,
    ) -> None:
        if _MISSING is not None:
            raise StoreError(
                "The PostgreSQL store needs psycopg and psycopg-pool: "
                "pip install 'ethical-decisions[postgres]'."
            )
        if not _SCHEMA.fullmatch(schema):
            raise StoreError(
                "The schema name must be lower-case letters, digits and underscores, "
                "starting with a letter or underscore, at most 63 characters."
            )
        if not 0 <= min_size <= max_size or max_size < 1:
            raise StoreError("The pool needs 0 <= min_size <= max_size and max_size >= 1; adjust them.")
        self._schema = schema
        self._create = create
        self._dialect = POSTGRES
        self._integrity_errors = (psycopg.IntegrityError,)
        self._driver_errors = (psycopg.Error, psycopg_pool.PoolTimeout)
        try:
            self._url = redact_url(url)
        except psycopg.ProgrammingError:
            raise StoreError(
                "The PostgreSQL URL is not valid; check its form: postgresql://user@host:port/database."
            ) from None
        self._last_used: weakref.WeakKeyDictionary[psycopg.Connection[Any], float] = (
            weakref.WeakKeyDictionary()
        )
        self._pool = self._open_pool(url, min_size, max_size, timeout)
        try:
            self._migrate()
        except BaseException:
            self._pool.close()
            raise

    def _open_pool(
        self, url: str, min_size: int, max_size: int, timeout: float
    ) -> psycopg_pool.ConnectionPool[psycopg.Connection[Any]]:
        # One direct connection first: it fails fast, where the pool would retry until its timeout.
        try:
            psycopg.connect(url, connect_timeout=max(1, round(timeout))).close()
        except psycopg.Error as exc:
            raise StoreError(
                f"Cannot connect to PostgreSQL at {self._url} ({type(exc).__name__}); check that the "
                "server is running, and the URL's host, port, database and user, then try again."
            ) from None
        pool = psycopg_pool.ConnectionPool(
            url,
            min_size=min_size,
            max_size=max_size,
            open=False,
            configure=self._configure,
            check=self._check,
            reset=self._returned,
            timeout=timeout,
            name="ethical-decisions",
        )
        try:
            pool.open(wait=True, timeout=timeout)
        except psycopg_pool.PoolTimeout:
            pool.close()
            raise StoreError(
                f"Could not open {min_size} connections to PostgreSQL at {self._url} within "
                f"{timeout:g} seconds; check the server's connection limit, or lower min_size."
            ) from None
        return pool

    def _configure(self, connection: psycopg.Connection[Any]) -> None:
        connection.execute(
            "SELECT set_config('search_path', %s, false), set_config('TimeZone', 'UTC', false)",
            (f'"{self._schema}"',),
        )
        connection.commit()
        connection.autocommit = True
        self._returned(connection)

    def _returned(self, connection: psycopg.Connection[Any]) -> None:
        """Note when *connection* was last used (the pool calls this when it is given back)."""
        self._last_used[connection] = time.monotonic()

    def _check(self, connection: psycopg.Connection[Any]) -> None:
        """Check *connection* with an empty query, if it has been idle for :data:`CHECK_IDLE_AFTER`."""
        last = self._last_used.get(connection)
        if last is None or time.monotonic() - last > CHECK_IDLE_AFTER:
            psycopg_pool.ConnectionPool.check_connection(connection)

    @property
    def url(self) -> str:
        """The URL the store was opened with, without its password."""
        return self._url

    @property
    def schema(self) -> str:
        """The PostgreSQL schema that holds the tables."""
        return self._schema

    def close(self) -> None:
        """Close the pool and its connections. The store is not used afterwards."""
        self._pool.close()

    @override
    def _before_migrating(self, cursor: Cursor) -> None:
        key = int.from_bytes(
            hashlib.sha256((_MIGRATION_LOCK + self._schema).encode()).digest()[:8], signed=True
        )
        cursor.execute("SELECT pg_advisory_xact_lock(?)", (key,))
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = ?", (self._schema,))
        tables = {name for (name,) in cursor.fetchall()}
        if tables and not {"schema_migrations", "chain_head", "events"} <= tables:
            raise StoreError(
                f"The schema {self._schema!r} at {self._url} holds tables of something else, not an "
                "ethical-decisions store; they are left alone. Give the store a schema of its own: "
                "add ?schema=NAME to the URL."
            )
        if not tables and not self._create:
            raise StoreError(
                f"There is no store in the schema {self._schema!r} at {self._url}. Check the URL and "
                "its ?schema=; to make a store, take the first step through the API (open_store "
                "creates the store when it writes)."
            )
        cursor.execute("SELECT 1 FROM pg_namespace WHERE nspname = ?", (self._schema,))
        if cursor.fetchone() is None:
            cursor.execute(f'CREATE SCHEMA "{self._schema}"')

    @override
    @contextlib.contextmanager
    def _write(self) -> Iterator[Cursor]:
        with self._translated(), self._pool.connection() as connection, connection.transaction():
            yield _Cursor(connection.cursor())

    @override
    @contextlib.contextmanager
    def _append_transaction(self) -> Iterator[Cursor]:
        # Pipeline mode: statements are sent without waiting for the answers before them, so an
        # append takes two round trips: BEGIN, the head's lock and the read of head and version (whose
        # result the append waits for), then its writes and COMMIT. BEGIN and COMMIT are sent as
        # statements (the connection is in autocommit): psycopg's own transaction block would wait
        # for each. A failing statement raises at the latest when the pipeline ends; the transaction
        # is then rolled back (by the pooled connection's own block, on the way out), as without
        # pipelining.
        if not _PIPELINE:
            with self._write() as cursor:
                yield cursor
            return
        with self._translated(), self._pool.connection() as connection, connection.pipeline():
            cursor = connection.cursor()
            cursor.execute("BEGIN")
            yield _Cursor(cursor)
            cursor.execute("COMMIT")

    @override
    @contextlib.contextmanager
    def _read(self) -> Iterator[Cursor]:
        # Autocommit, no transaction: each statement sees what was committed when it began, as it
        # would in a READ COMMITTED transaction, without a BEGIN and a COMMIT around it.
        with self._translated(), self._pool.connection() as connection:
            yield _Cursor(connection.cursor())

    @override
    @contextlib.contextmanager
    def _snapshot(self) -> Iterator[Cursor]:
        with self._translated(), self._pool.connection() as connection, connection.transaction():
            connection.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            yield _Cursor(connection.cursor())

    @override
    def compact(self) -> None:
        """Rewrite the events table (``VACUUM FULL``): erased words leave its files.

        PostgreSQL keeps a row's old versions in the table's file after an
        update, and a plain ``VACUUM`` marks their space free without
        overwriting it; ``VACUUM FULL`` writes the table (and its TOAST table)
        into new files and removes the old ones. It holds an exclusive lock on
        the events table while it runs: steps wait, so run it in a quiet
        period, after a retention sweep.
        """
        with self._translated(), self._pool.connection() as connection:
            connection.execute("VACUUM (FULL) events")  # autocommit: VACUUM cannot run in a transaction

    @override
    def _failure(self, exc: Exception) -> StoreError:
        if isinstance(exc, psycopg_pool.PoolTimeout):
            return StoreError(
                f"No connection to PostgreSQL at {self._url} came free in time; nothing was recorded. "
                "Try again, or give the store a larger max_size."
            )
        state = getattr(exc, "sqlstate", None)
        code = f", SQLSTATE {state}" if state else ""
        return StoreError(
            f"The PostgreSQL store at {self._url} failed ({type(exc).__name__}{code}); nothing was "
            "recorded. Check that the server is up and the schema is an ethical-decisions store, "
            "then try again."
        )
