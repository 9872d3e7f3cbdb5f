r"""SQLite stores holding long audit chains, for the verify benchmarks: built once and cached.

A chain is made from a template: one review written by the service to a
fresh store (the full nine-event review of :mod:`workload`, or only its
opening event), then copied *reviews* times under new review ids, each copy
linked into the one chain as the store links it
(``hash = SHA-256(previous + "\\n" + body)``, the formula :mod:`ethical_decisions.audit`
documents). The copies keep the template's bodies, free texts and salts, with
the review id replaced (ids of the same length), so every digest still holds
and the chain verifies; :func:`build` checks the first and last events by
reading them back through the store. Every table the template review wrote
is copied the same way (its review row, referrals, outbox messages, compliance
record and items, with the id replaced), so the copies' tables match their
events and the whole-store verify passes; the template's relay does not run,
so the outbox ledger is empty.

Files are kept under ``bench/.cache/``, named by kind, store schema version,
generator version and size, and reused by later runs.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

from library import STORE_SCHEMA_VERSION, CaseReference, DecisionMaker, ProposedDecision, SQLiteStore
from workload import TEXT, areas, filter_logging_at_warning, service, walk

__all__ = ["GENESIS", "Kind", "build", "path_for"]

CACHE = Path(__file__).resolve().parent / ".cache"
GENERATOR = 2
"""Bump when the files made here change, so that old cache files are not reused."""
GENESIS = "0" * 64
"""The hash before the first event."""

Kind = Literal["full", "opened"]
"""A full nine-event review per copy, or its opening event only."""

_CHUNK = 20_000


def path_for(kind: Kind, reviews: int) -> Path:
    """The cache file for a chain of *reviews* copies of the *kind* template."""
    return CACHE / f"chain-{kind}-schema{STORE_SCHEMA_VERSION}-gen{GENERATOR}-{reviews}.db"


def build(kind: Kind, reviews: int) -> Path:
    """The cached store of *reviews* reviews of *kind*, built now if it is not there yet."""
    path = path_for(kind, reviews)
    if path.exists():
        return path
    CACHE.mkdir(exist_ok=True)
    partial = path.with_suffix(f".partial-{os.getpid()}")
    folder = Path(tempfile.mkdtemp(prefix="template-", dir=CACHE))
    try:
        events, rows = _template(kind, folder / "template.db")
        SQLiteStore(partial).close()  # the schema, from the store's own migrations
        _copy(partial, events, rows, reviews)
        _check(partial, reviews)
        partial.rename(path)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        for leftover in (partial, Path(f"{partial}-wal"), Path(f"{partial}-shm")):
            leftover.unlink(missing_ok=True)
    return path


_TABLES = ("reviews", "referrals", "outbox", "compliance", "compliance_items")
"""The tables besides the events that a review's steps write, copied with each review."""

Rows = dict[str, list[dict[str, Any]]]
"""A review's rows in each table besides the events, by table."""


def _template(kind: Kind, path: Path) -> tuple[list[dict[str, Any]], Rows]:
    """The rows one review of *kind* writes: its events (in order) and its rows in every other table."""
    filter_logging_at_warning()
    store = SQLiteStore(path)
    try:
        edm = service(store)
        if kind == "full":
            review_id = walk(edm, 0).review_id
        else:
            area, _, role = areas()[0]
            review_id = edm.open_review(
                by=DecisionMaker(staff_id="dm-0000", role=role, business_area=area, team=TEXT["team"]),
                case=CaseReference(
                    reference="CASE-2026-000000", personal_details={"full_name": TEXT["applicant"]}
                ),
                proposed=ProposedDecision(outcome=TEXT["proposed_outcome"], summary=TEXT["proposed_summary"]),
            ).review_id
    finally:
        store.close()
    connection = sqlite3.connect(path)
    connection.row_factory = sqlite3.Row
    try:
        events = [dict(row) for row in connection.execute("SELECT * FROM events ORDER BY position")]
        rows = {t: [dict(row) for row in connection.execute(f"SELECT * FROM {t}")] for t in _TABLES}
        ledger = connection.execute("SELECT count(*) FROM outbox_ledger").fetchone()[0]
    finally:
        connection.close()
    assert all(e["review_id"] == review_id for e in events), "the template holds one review"
    assert [r["review_id"] for r in rows["reviews"]] == [review_id], "the template holds one review"
    assert ledger == 0, "the template's messages were never delivered: no ledger to copy"
    return events, rows


def _renamed(row: dict[str, Any], old: str, new: str) -> list[Any]:
    """*row*'s values with the review id *old* replaced by *new* in every text."""
    return [v.replace(old, new) if isinstance(v, str) else v for v in row.values()]


def _copy(path: Path, events: list[dict[str, Any]], rows: Rows, reviews: int) -> None:
    """Write *reviews* copies of the template into the store at *path*, in one chain."""
    template_id = rows["reviews"][0]["review_id"]
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=OFF")  # a partial file is thrown away if this fails
        connection.execute("BEGIN")
        event_sql = _insert("events", list(events[0]))
        inserts = {table: _insert(table, list(found[0])) for table, found in rows.items() if found}
        position, previous = 0, GENESIS
        for start in range(0, reviews, _CHUNK):
            event_rows: list[Sequence[Any]] = []
            copies: dict[str, list[Sequence[Any]]] = {table: [] for table in inserts}
            for number in range(start, min(start + _CHUNK, reviews)):
                review_id = f"rv-{number:016x}"
                assert len(review_id) == len(template_id), "copies keep the id's length"
                for table in inserts:
                    copies[table].extend(_renamed(row, template_id, review_id) for row in rows[table])
                for event in events:
                    position += 1
                    body = event["body"].replace(template_id, review_id)
                    previous = hashlib.sha256(f"{previous}\n{body}".encode()).hexdigest()
                    copied = dict(event, position=position, review_id=review_id, body=body, hash=previous)
                    event_rows.append(list(copied.values()))
            connection.executemany(event_sql, event_rows)
            for table, sql in inserts.items():
                connection.executemany(sql, copies[table])
        connection.execute("UPDATE chain_head SET position = ?, hash = ? WHERE id = 1", (position, previous))
        connection.execute("COMMIT")
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        connection.close()


def _insert(table: str, columns: list[str]) -> str:
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})"


def _check(path: Path, reviews: int) -> None:
    """Read the first and the last review back through the store: the copies are events it can read."""
    store = SQLiteStore(path)
    try:
        for number in (0, reviews - 1):
            for record in store.load(f"rv-{number:016x}"):
                record.event()
        head = store.head()
        assert head is not None, "the chain has a head"
    finally:
        store.close()
