"""verify_floor, verify_tables and verify_memory: the store's check against its floors, and its memory.

``verify_floor``: the chain check, ``store.verify(chain_only=True)``, over every
event of a SQLite store, against the least any check of the chain must do:
read the same rows with raw :mod:`sqlite3` (every column, in position order)
and SHA-256 each body into the chain, comparing each link with the stored
hash. The store is a chain of full nine-event reviews (:mod:`chains`). Besides
the links, the check compares each record's review, sequence and kind with its
body and each free text with its salted digest, checks each review's sequence
and erasure (in SQL) and the chain's end against the store's head row: that is
the work the ratio prices. (SQLite's ``PRAGMA integrity_check`` is part of the
whole check, ``verify_tables``.)

``verify_tables``: the whole check, ``store.verify()`` (the chain as above,
the outbox ledger, and every table rebuilt from the events and compared),
against the least any check of the tables must do: read every review's events
back through the store and replay them (``replay(record.event() for record in
store.load(review_id))``, review by review), and read every row of the tables
it compares (raw :mod:`sqlite3`). Per event.

``verify_memory``: the peak resident set of a fresh process that opens the
store and runs the whole check over 1,000,000 reviews, over the same for
10,000 reviews (each review its opening event alone, so that a million fit in
about 1.5 GB; what the check keeps per review is the same for one event or
nine). A streaming check stays flat: the target is 1.1. The raw
read-and-hash's peak on the large chain is given for scale.
"""

from __future__ import annotations

import hashlib
import sqlite3
import sys
from collections.abc import Callable
from pathlib import Path

import chains
from harness import Figure, child_peak_mb, compare, print_peak, ratio_figure
from library import SQLiteStore, replay
from workload import EVENTS_PER_REVIEW, filter_logging_at_warning

__all__ = ["floor", "memory", "read_and_hash", "replay_and_read", "tables"]

FLOOR_TARGET = 3.0
TABLES_TARGET = 2.0
MEMORY_TARGET = 1.1


def read_and_hash(connection: sqlite3.Connection) -> tuple[int, int]:
    """Read every event row in position order and chain-hash its body; (events read, links that differ)."""
    cursor = connection.execute("SELECT * FROM events ORDER BY position")
    names = [column[0] for column in cursor.description]
    body, stored = names.index("body"), names.index("hash")
    previous, read, differ = chains.GENESIS, 0, 0
    for row in cursor:
        previous = hashlib.sha256(f"{previous}\n{row[body]}".encode()).hexdigest()
        read += 1
        differ += previous != row[stored]
    return read, differ


def _full_chain(quick: bool) -> tuple[int, int, int, SQLiteStore, sqlite3.Connection]:
    """Reviews, runs and events for a figure; the store of full reviews, and a raw connection to it."""
    reviews, runs = (20, 1) if quick else (2000, 7)
    filter_logging_at_warning()
    path = chains.build("full", reviews)
    return reviews, runs, reviews * EVENTS_PER_REVIEW, SQLiteStore(path), sqlite3.connect(path)


def floor(quick: bool) -> list[Figure]:
    """The ``verify_floor`` figure."""
    reviews, runs, events, store, connection = _full_chain(quick)
    try:
        report = store.verify(chain_only=True)
        assert report.ok, f"the chain must verify: {report}"
        assert report.events == events, "verify must check every event"
        assert read_and_hash(connection) == (events, 0), "the floor must read and link every event"

        def library() -> Callable[[], object]:
            return lambda: store.verify(chain_only=True)

        def baseline() -> Callable[[], object]:
            return lambda: read_and_hash(connection)

        lib, base = compare(library, baseline, runs=runs)
    finally:
        connection.close()
        store.close()
    note = (
        f"{events:,} events of {reviews:,} full reviews in SQLite; the floor reads the same rows with "
        "sqlite3 and SHA-256s each body into the chain; verify --chain-only also checks each record's "
        "filing and free-text digests, each review's sequence and erasure, and the head row"
    )
    return [
        ratio_figure(
            "verify_floor",
            FLOOR_TARGET,
            lib,
            base,
            per=events,
            unit="event",
            names=("verify", "floor"),
            note=note,
        )
    ]


TABLES = ("reviews", "referrals", "outbox", "compliance", "compliance_items", "outbox_ledger")
"""The tables the whole check compares with the events (and the ledger)."""


def replay_and_read(store: SQLiteStore, connection: sqlite3.Connection, review_ids: list[str]) -> int:
    """Replay every review read back through *store*, and read every row of :data:`TABLES`; the events."""
    replayed = 0
    for review_id in review_ids:
        records = store.load(review_id)
        replay(record.event() for record in records)
        replayed += len(records)
    for table in TABLES:
        connection.execute(f"SELECT * FROM {table}").fetchall()
    return replayed


def tables(quick: bool) -> list[Figure]:
    """The ``verify_tables`` figure."""
    reviews, runs, events, store, connection = _full_chain(quick)
    try:
        report = store.verify()
        assert report.ok, f"the store must verify: {report}"
        assert report.events == events, "verify must check every event"
        assert sum(report.checked.values()) >= 5 * reviews, "verify must compare every table"
        review_ids = [r.review_id for r in store.reviews()]
        assert replay_and_read(store, connection, review_ids) == events, "the baseline replays every event"

        def library() -> Callable[[], object]:
            return store.verify

        def baseline() -> Callable[[], object]:
            return lambda: replay_and_read(store, connection, review_ids)

        lib, base = compare(library, baseline, runs=runs)
    finally:
        connection.close()
        store.close()
    rows = sum(report.checked.values())
    note = (
        f"{events:,} events of {reviews:,} full reviews in SQLite, {rows:,} rows compared; the baseline "
        "reads every review's events through the store and replays them, and reads the tables' rows; "
        "verify also checks the chain (as verify_floor, with SQLite's integrity check) and the ledger, "
        "rebuilds every row from the replayed review and compares it"
    )
    return [
        ratio_figure(
            "verify_tables",
            TABLES_TARGET,
            lib,
            base,
            per=events,
            unit="event",
            names=("verify", "replay"),
            note=note,
        )
    ]


def memory(quick: bool) -> list[Figure]:
    """The ``verify_memory`` figure: peak memory verifying many reviews over verifying fewer."""
    small, large = (100, 1000) if quick else (10_000, 1_000_000)
    small_path, large_path = chains.build("opened", small), chains.build("opened", large)
    small_mb = child_peak_mb([__file__, "--verify", str(small_path)])
    large_mb = child_peak_mb([__file__, "--verify", str(large_path)])
    floor_mb = child_peak_mb([__file__, "--read-and-hash", str(large_path)])
    detail = (
        f"peak RSS of a fresh process verifying the whole store of {large:,} reviews {large_mb:.1f} MB, "
        f"{small:,} reviews {small_mb:.1f} MB (one event each); raw read-and-hash of the {large:,} "
        f"{floor_mb:.1f} MB"
    )
    return [Figure("verify_memory", large_mb / small_mb, MEMORY_TARGET, detail)]


def _child(option: str, path: str) -> None:
    """In a fresh process: verify the store at *path* (or read and hash it), then report the peak memory."""
    if option == "--verify":
        filter_logging_at_warning()
        store = SQLiteStore(Path(path))
        try:
            report = store.verify()
        finally:
            store.close()
        assert report.ok, f"the store must verify: {report}"
    else:
        connection = sqlite3.connect(path)
        try:
            assert read_and_hash(connection)[1] == 0, "every link must hold"
        finally:
            connection.close()
    print_peak()


if __name__ == "__main__":
    _child(sys.argv[1], sys.argv[2])
