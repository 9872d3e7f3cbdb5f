"""The SQLite store: the embedded default, for one casework server.

One file holds everything. Every connection runs in WAL mode (readers never
wait for the writer) with ``synchronous=FULL`` (a committed append survives a
power cut). Writes start with ``BEGIN IMMEDIATE``, so a writer takes the write
lock before it reads what it will change, and two writers, in one process or
several, take turns. A writer waits for the lock up to the busy timeout, and
``BEGIN IMMEDIATE`` is retried a few times with a growing, jittered pause for
the cases where SQLite answers "busy" without waiting (such as recovery of the
WAL after a crash), so "database is locked" does not reach a caller under
normal contention.

Python 3.11's :mod:`sqlite3` has no ``autocommit`` argument: connections are
opened with ``isolation_level=None`` and every transaction is explicit.
Connections are kept in a small pool and lent to one thread at a time.
"""

from __future__ import annotations

import contextlib
import os
import random
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from typing_extensions import override

from ethical_decisions.audit import ChainRecord
from ethical_decisions.exceptions import StoreError

from ._dialect import SQLITE, Cursor
from ._sql import SQLStore
from .base import AppendBatch

__all__ = ["SQLiteStore"]

_BEGIN_ATTEMPTS = 6
_FIRST_PAUSE = 0.01
_LONGEST_PAUSE = 0.5
_BUSY_CODES = frozenset({sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED})
_DAMAGED_CODES = frozenset({sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB})
_DAMAGE_SHOWN = 3
"""Lines of SQLite's integrity check kept in a report: they name pages, tables and indexes, never values."""


def _is_busy(exc: Exception) -> bool:
    # Extended codes (SQLITE_BUSY_RECOVERY, SQLITE_BUSY_SNAPSHOT…) keep the primary code in the low byte.
    return getattr(exc, "sqlite_errorcode", 0) & 0xFF in _BUSY_CODES


class SQLiteStore(SQLStore):
    """A store in one SQLite file; safe for many threads and several processes.

    The schema is created or brought up to date when the store is opened.

    :param path: the database file; created if missing and *create* is true
        (its folder must exist).
    :param busy_timeout: seconds a writer waits for another's transaction to end,
        per attempt.
    :param create: make a new store if there is no file at *path*; with
        ``False`` (for reading), a missing file is refused instead.
    :raises StoreError: if the file cannot be opened or is not a store: a
        folder, an empty (zero-byte) file, a file that is not SQLite, or an
        SQLite database that is not an ethical-decisions store are refused,
        never turned into a store; and, unless *create*, a missing file.
    :raises SchemaVersionError: if a newer version of ethical-decisions wrote it.
    """

    def __init__(
        self, path: str | os.PathLike[str], *, busy_timeout: float = 5.0, create: bool = True
    ) -> None:
        name = os.fspath(path)
        if name in ("", ":memory:") or name.startswith("file:"):
            raise StoreError(
                "An SQLite store needs a file path; for a store in memory use MemoryStore "
                "(or the URL memory://)."
            )
        self._path = Path(name).absolute()
        self._busy_timeout = busy_timeout
        self._dialect = SQLITE
        self._integrity_errors = (sqlite3.IntegrityError,)
        self._driver_errors = (sqlite3.Error,)
        self._lock = threading.Lock()
        self._idle: list[sqlite3.Connection] = []
        self._opened: list[sqlite3.Connection] = []
        self._closed = False
        if self._check_file(create=create):
            self._create()
        try:
            self._migrate()
        except BaseException:
            self.close()
            raise

    def _create(self) -> None:
        """Make a new store at the path, whole or not at all.

        The store is built in a file of its own beside the path and linked into
        place only once its schema is written, so a process killed while making
        it leaves no empty file at the path (which would then be refused as not
        a store): at most a ``.creating`` file beside it, which can be deleted.
        If another process made the store meanwhile, theirs is kept and used.
        """
        final = self._path
        building = final.with_name(f".{final.name}.{os.getpid()}.{os.urandom(4).hex()}.creating")
        self._path = building
        try:
            self._migrate(opened=False)
            self.close()  # the last connection to close folds the write-ahead log into the file
            os.link(building, final)  # fails if the path exists: another process made the store first
        except FileExistsError:
            pass
        finally:
            self.close()
            self._closed = False
            self._path = final
            for leftover in (building, Path(f"{building}-wal"), Path(f"{building}-shm")):
                leftover.unlink(missing_ok=True)

    def _check_file(self, *, create: bool) -> bool:
        """Refuse what is not a store, before SQLite (which would make one of anything) opens it.

        :returns: whether there is no file yet, and a store is to be made.
        """
        path, url = self._path, self.url
        if path.is_dir():
            raise StoreError(
                f"The SQLite store's path {path} is a folder, not a file; name a file in it, "
                f"e.g. sqlite:///{(path / 'reviews.db').as_posix()}."
            )
        if not path.exists():
            if not path.parent.is_dir():
                raise StoreError(
                    f"There is no store at {url}: the folder {path.parent} does not exist. Check the path "
                    "(a relative path is from the current folder) and that the folder exists: a store's "
                    "file is made when needed, its folder never is."
                )
            if not create:
                raise StoreError(
                    f"There is no store at {url}: no such file. Check the path (a relative path is from "
                    "the current folder). To make a store, run 'ethical-decisions demo', or take the "
                    "first step through the API (open_store creates the store when it writes)."
                )
            return True
        if path.stat().st_size == 0:
            raise StoreError(
                f"The file at {url} is empty (zero bytes): it is not an ethical-decisions store, and is "
                "not made into one. If it held the store, restore the store from a backup; to start a "
                "new store there, delete the empty file first."
            )
        tables = self._tables()
        if not tables and create:
            return False  # an empty SQLite database (as sqlite3 leaves a new file): made a store below
        if not {"schema_migrations", "chain_head", "events"} <= tables:
            what = "an empty SQLite database" if not tables else "an SQLite database of something else"
            raise StoreError(
                f"The file at {url} is {what}, not an ethical-decisions store; it is left as it is. "
                "Check the path names the store's own file."
            )
        return False

    def _tables(self) -> set[str]:
        """The tables of the SQLite database at the path (read without creating or changing it)."""
        try:
            connection = sqlite3.connect(
                f"{self._path.as_uri()}?mode=rw", uri=True, timeout=self._busy_timeout, isolation_level=None
            )
        except sqlite3.Error:
            raise self._failure(sqlite3.OperationalError("cannot open")) from None
        try:
            found = connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
        except sqlite3.DatabaseError as exc:
            if getattr(exc, "sqlite_errorcode", 0) & 0xFF in _DAMAGED_CODES:
                raise StoreError(
                    f"The file at {self.url} is not an SQLite database, so not an ethical-decisions store; "
                    "it is left as it is. Check the path names the store's own file; if it did, the file "
                    "is damaged: restore the store from a backup."
                ) from None
            raise self._failure(exc) from None
        finally:
            connection.close()
        return {name for (name,) in found}

    @property
    def url(self) -> str:
        """``sqlite:///`` and the file's absolute path, e.g. ``sqlite:////srv/edm/reviews.db``."""
        return f"sqlite:///{self._path.as_posix()}"

    @property
    def path(self) -> Path:
        """The database file."""
        return self._path

    def close(self) -> None:
        """Close every connection. The store is not used afterwards."""
        with self._lock:
            self._closed = True
            opened, self._opened, self._idle = self._opened, [], []
        for connection in opened:
            connection.close()

    # -- connections and transactions --------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        connection = sqlite3.connect(
            self._path, timeout=self._busy_timeout, isolation_level=None, check_same_thread=False
        )
        try:
            (mode,) = connection.execute("PRAGMA journal_mode=WAL").fetchone()
            if mode != "wal":
                raise StoreError(
                    f"The SQLite store at {self.url} cannot use write-ahead logging (it reports journal "
                    f"mode {mode!r}); keep the file on a local disk, not a network share."
                )
            connection.execute("PRAGMA synchronous=FULL")
            # Erased words must not linger in free pages: overwrite deleted content with zeros.
            connection.execute("PRAGMA secure_delete=ON")
        except BaseException:
            connection.close()
            raise
        return connection

    def _checkout(self) -> sqlite3.Connection:
        with self._lock:
            self._require_open()
            if self._idle:
                return self._idle.pop()
        connection = self._connect()
        with self._lock:
            try:
                self._require_open()
            except StoreError:
                connection.close()
                raise
            self._opened.append(connection)
        return connection

    def _require_open(self) -> None:
        if self._closed:
            raise StoreError(f"The SQLite store at {self.url} is closed; open it again to use it.")

    def _checkin(self, connection: sqlite3.Connection) -> None:
        try:
            if connection.in_transaction:
                connection.execute("ROLLBACK")
        except sqlite3.Error:
            usable = False  # a connection that cannot roll back is not lent again
        else:
            usable = True
        with self._lock:
            if usable and not self._closed:
                self._idle.append(connection)
                return
            if connection in self._opened:
                self._opened.remove(connection)
        connection.close()

    @contextlib.contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        connection = self._checkout()
        try:
            yield connection
        finally:
            self._checkin(connection)

    def _begin(self, connection: sqlite3.Connection) -> None:
        pause = _FIRST_PAUSE
        for attempt in range(1, _BEGIN_ATTEMPTS + 1):
            try:
                connection.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                if not _is_busy(exc) or attempt == _BEGIN_ATTEMPTS:
                    raise
                time.sleep(pause * (1 + random.random()))
                pause = min(pause * 2, _LONGEST_PAUSE)
            else:
                return

    @override
    def _failure(self, exc: Exception) -> StoreError:
        code = getattr(exc, "sqlite_errorname", type(exc).__name__)
        if getattr(exc, "sqlite_errorcode", 0) & 0xFF in _DAMAGED_CODES:
            return StoreError(
                f"The SQLite store at {self.url} is damaged ({code}): the file is corrupt or is not an "
                "ethical-decisions store; nothing was recorded. Run verify to see what SQLite finds "
                "wrong, and restore the store from a backup."
            )
        if _is_busy(exc):
            return StoreError(
                f"The SQLite store at {self.url} stayed locked by other writers ({code}); nothing was "
                "recorded. Try again; if it persists, look for a process holding a long transaction."
            )
        return StoreError(
            f"The SQLite store at {self.url} failed ({code}); nothing was recorded. Check that the file "
            "is an ethical-decisions store, that its folder exists and is writable and the disk is not "
            "full, then try again."
        )

    @override
    @contextlib.contextmanager
    def _write(self) -> Iterator[Cursor]:
        with self._translated(), self._connection() as connection:
            self._begin(connection)
            try:
                yield connection.cursor()
            except BaseException:
                if connection.in_transaction:
                    connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")

    @override
    def append(self, batch: AppendBatch) -> tuple[ChainRecord, ...]:
        written = super().append(batch)
        if batch.erase_texts:
            self._checkpoint()
        return written

    def _checkpoint(self) -> None:
        """Copy the write-ahead log into the file and empty it, so erased words leave the log too.

        Best effort: a reader still looking at older pages keeps the log until it
        finishes; the next erasure or SQLite's own checkpoints then clear it.
        """
        with self._translated(), self._connection() as connection:
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()

    @override
    @contextlib.contextmanager
    def _read(self) -> Iterator[Cursor]:
        with self._translated(), self._connection() as connection:
            yield connection.cursor()

    @override
    @contextlib.contextmanager
    def _snapshot(self) -> Iterator[Cursor]:
        # A read transaction: in WAL mode it sees the store as of its first read, while writers go on.
        with self._translated(), self._connection() as connection:
            connection.execute("BEGIN")
            try:
                yield connection.cursor()
            finally:
                if connection.in_transaction:
                    connection.execute("ROLLBACK")

    @override
    def _damage(self, cursor: Cursor) -> str | None:
        """``PRAGMA integrity_check``: every page read, every index checked against its table.

        Not ``quick_check``, which checks every page but not that each index holds what its
        table does: verify reads the tables through their ``review_id`` indexes as well as in
        chain order, and relies on the ``(review_id, sequence)`` index's uniqueness. On a
        million events it takes a few seconds, a small part of the whole check.
        """
        try:
            cursor.execute("PRAGMA integrity_check")
            found = [str(line) for (line,) in cursor.fetchall()]
        except sqlite3.DatabaseError as exc:
            return f"SQLite could not read the file: {getattr(exc, 'sqlite_errorname', type(exc).__name__)}"
        if found == ["ok"]:
            return None
        shown = "; ".join(line.replace("\n", " ")[:200] for line in found[:_DAMAGE_SHOWN])
        more = f"; and {len(found) - _DAMAGE_SHOWN} more" if len(found) > _DAMAGE_SHOWN else ""
        return f"SQLite's integrity check: {shown}{more}"

    @override
    def compact(self) -> None:
        """Checkpoint the write-ahead log into the file and empty it.

        Erased words are already gone from the file's pages (``secure_delete``) and, unless a
        reader held an old snapshot at the time, from the log (checkpointed after each erasure).
        """
        self._checkpoint()
