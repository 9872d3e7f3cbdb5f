"""What only the SQL stores have: a database on disk or a server, migrations, and rows one can tamper with."""

from __future__ import annotations

import datetime as dt
import threading
import time
import traceback
from collections.abc import Callable
from pathlib import Path

import pytest
from structlog.testing import capture_logs
from tests.store.conftest import Backend, Make

from ethical_decisions import (
    ConflictError,
    EthicalDecisionsError,
    IntegrityError,
    SchemaVersionError,
    StoreError,
    verify,
)
from ethical_decisions.figures import Period
from ethical_decisions.log import ALLOWED_FIELDS, LogEvent
from ethical_decisions.store import Store
from ethical_decisions.store._schema import SCHEMA_VERSION

NOW = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)
MINUTE = dt.timedelta(minutes=1)


def _store_logs(logs: list[dict[str, object]]) -> list[dict[str, object]]:
    return [e for e in logs if str(e["event"]).startswith("ethical_decisions.store_")]


# -- migrations ----------------------------------------------------------------------------


def test_first_open_migrates(sql_backend: Backend) -> None:
    """Opening a new database applies every schema step, records each, and logs it with safe fields only."""
    with capture_logs() as logs:
        sql_backend.open()

    expected = [
        *(
            {"event": LogEvent.STORE_MIGRATED.value, "store": "sqlite", "schema_version": v}
            for v in range(1, SCHEMA_VERSION + 1)
        ),
        {"event": LogEvent.STORE_OPENED.value, "store": "sqlite", "schema_version": SCHEMA_VERSION},
    ]
    kind = "postgresql" if sql_backend.kind == "postgres" else "sqlite"
    assert [{**e, "store": kind} for e in expected] == [
        {k: v for k, v in e.items() if k != "log_level"} for e in _store_logs(logs)
    ]
    assert all(set(e) - {"event", "log_level"} <= ALLOWED_FIELDS for e in logs)
    assert [(v,) for v in range(1, SCHEMA_VERSION + 1)] == sql_backend.sql(
        "SELECT version FROM schema_migrations ORDER BY version"
    )


def test_reopen_is_idempotent(sql_backend: Backend, make: Make) -> None:
    """Opening an up-to-date database again changes nothing in the schema and keeps every event."""
    first = sql_backend.open()
    make.stored(first, "rv-a")
    first.close()

    with capture_logs() as logs:
        again = sql_backend.open()

    assert [LogEvent.STORE_OPENED.value] == [e["event"] for e in _store_logs(logs)]
    assert [(v,) for v in range(1, SCHEMA_VERSION + 1)] == sql_backend.sql(
        "SELECT version FROM schema_migrations ORDER BY version"
    )
    assert ["rv-a"] == [r.review_id for r in again.chain()]


def test_newer_schema_is_refused(sql_backend: Backend) -> None:
    """A database written by a newer version of the library is refused with SchemaVersionError."""
    sql_backend.open().close()
    sql_backend.sql(
        "INSERT INTO schema_migrations (version, description, applied_at) VALUES (?, ?, ?)",
        (SCHEMA_VERSION + 1, "from the future", "2030-01-01T00:00:00.000000Z"),
    )

    with pytest.raises(SchemaVersionError) as info:
        sql_backend.open()

    assert (SCHEMA_VERSION + 1, SCHEMA_VERSION) == (info.value.found, info.value.supported)
    assert "Upgrade ethical-decisions" in str(info.value)


# -- tampering -----------------------------------------------------------------------------


@pytest.fixture(name="three_reviews")
def _three_reviews(sql_backend: Backend, make: Make) -> Store:
    """Reviews rv-a, rv-b and rv-c, two events each, interleaved: a1 b1 c1 a2 b2 c2."""
    store = sql_backend.open()
    opened = [make.opened(f"rv-{x}", at=NOW + n * MINUTE) for n, x in enumerate("abc")]
    for _, batch in opened:
        store.append(batch)
    for review, _ in opened:
        store.append(make.then(review)[1])
    assert verify(store.chain()).ok
    return store


def test_edited_body_breaks_the_chain(sql_backend: Backend, three_reviews: Store) -> None:
    """Changing one character of one event's body in the database makes verify fail at that event."""
    sql_backend.sql("UPDATE events SET body = replace(body, '\"refuse\"', '\"refusE\"') WHERE position = 2")

    report = verify(three_reviews.chain())

    assert not report.ok
    assert report.broken is not None
    assert (2, "rv-b", 1) == (report.broken.position, report.broken.review_id, report.broken.sequence)
    assert "does not match its hash" in report.broken.problem


def test_edited_text_breaks_the_chain(sql_backend: Backend, three_reviews: Store) -> None:
    """Changing a stored free text in the database makes verify fail: the body holds its digest."""
    sql_backend.sql("UPDATE events SET texts = replace(texts, 'REF/rv-c', 'REF/rv-x') WHERE position = 3")

    report = verify(three_reviews.chain())

    assert report.broken is not None
    assert (3, "free text /payload/case/reference was changed") == (
        report.broken.position,
        report.broken.problem,
    )


def test_deleted_review_breaks_the_chain(sql_backend: Backend, three_reviews: Store) -> None:
    """Deleting every event of a review from the database makes verify fail where the first one was."""
    sql_backend.sql("DELETE FROM events WHERE review_id = ?", ("rv-b",))

    report = verify(three_reviews.chain())

    assert report.broken is not None
    assert 3 == report.broken.position
    assert "missing" in report.broken.problem


def test_deleted_last_review_breaks_the_chain_against_the_head(sql_backend: Backend, make: Make) -> None:
    """Deleting the newest review leaves a consistent but shorter chain; the stored head shows it."""
    store = sql_backend.open()
    make.stored(store, "rv-a")
    make.stored(store, "rv-z", at=NOW + MINUTE)
    head = store.head()

    sql_backend.sql("DELETE FROM events WHERE review_id = ?", ("rv-z",))

    assert head == store.head()
    report = verify(store.chain(), expected_head=store.head())
    assert report.broken is not None
    assert "removed from the end" in report.broken.problem


def test_reordered_events_break_the_chain(sql_backend: Backend, three_reviews: Store) -> None:
    """Swapping two events' positions in the database makes verify fail."""
    sql_backend.sql("UPDATE events SET position = 100 WHERE position = 1")
    sql_backend.sql("UPDATE events SET position = 1 WHERE position = 2")
    sql_backend.sql("UPDATE events SET position = 2 WHERE position = 100")

    report = verify(three_reviews.chain())

    assert report.broken is not None
    assert 1 == report.broken.position


# -- rows from a newer version, or changed outside the library ------------------------------


@pytest.fixture(name="one_of_each")
def _one_of_each(sql_backend: Backend, make: Make) -> Store:
    """Review rv-a with a referral (rv-a-R1), an outbox message (rv-a#1) and a compliance record."""
    store = sql_backend.open()
    make.stored(
        store,
        "rv-a",
        referrals=(make.referral("rv-a"),),
        outbox=(make.message("rv-a"),),
        compliance=make.compliance("rv-a"),
    )
    return store


READS: dict[str, Callable[[Store], object]] = {
    "reviews": lambda s: s.reviews(),
    "referrals": lambda s: s.referrals(),
    "referral": lambda s: s.referral("rv-a-R1"),
    "outbox": lambda s: s.outbox(),
    "claim": lambda s: s.claim_outbox(now=NOW + dt.timedelta(days=1), limit=5, lease=MINUTE),
    "compliance": lambda s: list(s.compliance_records()),
    "sample": lambda s: s.pdr_sample("dm-0001", Period(NOW - MINUTE, NOW + MINUTE)),
    "chain": lambda s: list(s.chain()),
    "load": lambda s: s.load("rv-a"),
    "head": lambda s: s.head(),
    "append": lambda s: s.append(Make().then(Make().opened("rv-a")[0])[1]),
}
"""Every read of the stores that decodes rows, by name."""

ANY_SQL_STORE = [
    ("reviews", "stage", "MARKER_new_stage", StoreError, ["reviews"]),
    ("reviews", "outcome_class", "MARKER_new_class", StoreError, ["reviews"]),
    ("referrals", "status", "MARKER_forwarded", StoreError, ["referrals", "referral"]),
    ("referrals", "referred_by_role", "MARKER_new_role", StoreError, ["referral"]),
    ("referrals", "concern_categories", '["MARKER_new_category"]', StoreError, ["referrals"]),
    ("referrals", "concern_categories", '{"MARKER": 1}', IntegrityError, ["referrals"]),
    ("referrals", "concern_categories", "MARKER is not JSON", IntegrityError, ["referral"]),
    ("outbox", "status", "MARKER_queued", StoreError, ["outbox"]),
    ("compliance", "outcome_class", "MARKER_new_class", StoreError, ["compliance", "sample"]),
    ("compliance", "later_outcome_kind", "MARKER_new_challenge", StoreError, ["compliance"]),
    ("compliance", "steps_used", '[["MARKER"]]', IntegrityError, ["compliance"]),
    ("compliance", "route_ids", '"MARKER"', IntegrityError, ["compliance"]),
    ("compliance", "extensions", '["MARKER"]', IntegrityError, ["compliance", "sample"]),
    ("compliance", "extensions", '{"plugin": ["MARKER"]}', IntegrityError, ["compliance"]),
    ("events", "texts", "MARKER is not JSON", IntegrityError, ["chain", "load"]),
]
"""Changes any SQL store can hold: (table, column, value, the error, the reads that meet it)."""

SQLITE_ONLY = [
    ("reviews", "closed_at", "2026-13-45 MARKER", IntegrityError, ["reviews"]),
    ("reviews", "opened_at", "2026-01-05T09:00:00", IntegrityError, ["reviews"]),  # no timezone
    ("referrals", "due_by", "MARKER", IntegrityError, ["referrals"]),
    ("outbox", "attempts", "MARKER", IntegrityError, ["outbox", "claim"]),
    ("outbox", "created_at", "MARKER", IntegrityError, ["claim"]),
    ("compliance", "referred_by_frontline", "MARKER", IntegrityError, ["compliance"]),
    ("compliance", "advice_followed", "MARKER", IntegrityError, ["compliance"]),
    ("compliance", "later_outcome_on", "MARKER", IntegrityError, ["compliance"]),
    ("compliance", "concern_count", "MARKER", IntegrityError, ["sample"]),
    ("events", "occurred_at", "MARKER yesterday", IntegrityError, ["chain", "load"]),
    ("events", "sequence", "MARKER", IntegrityError, ["append"]),
    ("chain_head", "position", "MARKER", IntegrityError, ["head", "append"]),
]
"""Changes only SQLite can hold: its columns take a value of any type."""

KEYS = {
    "reviews": "review_id 'rv-a'",
    "referrals": "referral_id 'rv-a-R1'",
    "outbox": "message_id 'rv-a#1'",
    "compliance": "review_id 'rv-a'",
    "events": "position 1",
}


def _changed_row_is_refused(
    backend: Backend, store: Store, change: tuple[str, str, str, type[Exception], list[str]]
) -> None:
    table, column, value, error, reads = change
    where = "position = 1" if table == "events" else "1 = 1"
    backend.sql(f"UPDATE {table} SET {column} = ? WHERE {where}", (value,))

    for read in reads:
        with pytest.raises(EthicalDecisionsError) as info:
            READS[read](store)
        assert error is type(info.value), read
        message = str(info.value)
        assert f"The store's {table} table has a row" in message
        assert f"whose {column} column" in message
        assert KEYS.get(table, "") in message
        if error is StoreError:
            advice = "Upgrade ethical-decisions to read it"
        else:
            advice = "keep the store as it is and investigate" if table == "events" else "restore the row"
        assert advice in message
        assert value not in message
        assert "MARKER" not in "".join(traceback.format_exception(info.value))
    if table not in {"events", "chain_head"}:
        assert verify(store.chain()).ok


@pytest.mark.parametrize("change", ANY_SQL_STORE, ids=lambda c: f"{c[0]}.{c[1]}={c[2][:12]}")
def test_a_row_this_version_cannot_read_is_refused_readably(
    sql_backend: Backend, one_of_each: Store, change: tuple[str, str, str, type[Exception], list[str]]
) -> None:
    """A stored value this version cannot read is refused with the library's error, never echoed.

    A code a newer version may have added (a stage, status, role, category, outcome class) raises
    StoreError saying to upgrade; a value no version writes (JSON of the wrong shape, or not JSON)
    raises IntegrityError saying the row was changed outside the library. Each names the table, the
    row's key and the column, and holds nothing of the value, not even in its traceback; the audit
    chain of a store whose projections were changed still verifies.
    """
    _changed_row_is_refused(sql_backend, one_of_each, change)


@pytest.mark.parametrize("change", SQLITE_ONLY, ids=lambda c: f"{c[0]}.{c[1]}")
def test_a_value_of_the_wrong_type_in_sqlite_is_refused_readably(
    tmp_path: Path, make: Make, change: tuple[str, str, str, type[Exception], list[str]]
) -> None:
    """A value of the wrong type, which only SQLite keeps, is refused with IntegrityError naming the column.

    A time that does not parse, a time without a timezone, and text in place of a number or a flag
    are refused naming the table, the row and the column, never the value.
    """
    backend = Backend("sqlite", str(tmp_path / "store.db"))
    try:
        store = backend.open()
        make.stored(
            store,
            "rv-a",
            referrals=(make.referral("rv-a"),),
            outbox=(make.message("rv-a"),),
            compliance=make.compliance("rv-a"),
        )
        _changed_row_is_refused(backend, store, change)
    finally:
        backend.close()


def test_erasing_text_that_was_changed_is_refused(sql_backend: Backend, make: Make) -> None:
    """Erasing a review whose stored texts are no longer a JSON object fails readably and records nothing."""
    store = sql_backend.open()
    review = make.stored(store, "rv-a")
    sql_backend.sql("UPDATE events SET texts = ? WHERE position = 1", ('["MARKER"]',))
    head = store.head()

    with pytest.raises(IntegrityError) as info:
        store.append(make.then(review, erase_texts=True)[1])

    assert "The store's events table has a row (position 1) whose texts column" in str(info.value)
    assert "MARKER" not in str(info.value)
    assert head == store.head()


# -- the race for one review: the unique constraint backs up the version check --------------


def test_writer_outside_the_store_loses_nothing(sql_backend: Backend, make: Make) -> None:
    """A writer bypassing the store that commits during an append makes the append conflict, not clash."""
    store = sql_backend.open()
    review = make.stored(store, "rv-a")
    _, batch = make.then(review)
    outcome: list[BaseException | None] = []
    intruder = (
        "INSERT INTO events (position, review_id, sequence, kind, occurred_at, body, texts, salt, hash)"
        " SELECT 99, review_id, 2, kind, occurred_at, body, texts, salt, hash FROM events WHERE position = 1"
    )

    def append() -> None:
        try:
            store.append(batch)
            outcome.append(None)
        except ConflictError as exc:
            outcome.append(exc)

    with sql_backend.holding(intruder):
        thread = threading.Thread(target=append)
        thread.start()
        time.sleep(0.5)  # long enough for the append to reach the intruder's lock and wait
    thread.join()

    (error,) = outcome
    assert isinstance(error, ConflictError)
    assert (1, 2) == (error.expected_version, error.actual_version)
    assert [(1,), (99,)] == sql_backend.sql("SELECT position FROM events ORDER BY position")
