"""What only the SQL stores have: a database on disk or a server, migrations, and rows one can tamper with."""

from __future__ import annotations

import datetime as dt
import threading
import time
from typing import TYPE_CHECKING

import pytest
from structlog.testing import capture_logs

from ethical_decisions import ConflictError, SchemaVersionError, verify
from ethical_decisions.log import ALLOWED_FIELDS, LogEvent
from ethical_decisions.store import Store
from ethical_decisions.store._schema import SCHEMA_VERSION

if TYPE_CHECKING:
    from conftest import Backend, Make

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
        {"event": LogEvent.STORE_MIGRATED.value, "store": "sqlite", "schema_version": 1},
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
