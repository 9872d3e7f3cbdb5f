"""The PostgreSQL store's own promises: the optional extra, the URL without password, schemas apart."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import uuid
from typing import TYPE_CHECKING

import attrs
import pytest

from ethical_decisions import StoreError
from ethical_decisions.store.postgres import PostgresStore, redact_url

if TYPE_CHECKING:
    from conftest import Backend, Make

needs_psycopg = pytest.mark.skipif(
    importlib.util.find_spec("psycopg") is None, reason="the PostgreSQL extra (psycopg) is not installed"
)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql://edm:s3cret@db.example:5432/casework", "postgresql://edm@db.example:5432/casework"),
        ("postgres://edm:s3cret@db/casework?sslmode=require", "postgres://edm@db/casework?sslmode=require"),
        (
            "postgresql://db/casework?password=s3cret&application_name=edm",
            "postgresql://db/casework?application_name=edm",
        ),
        ("postgresql://edm@db/casework", "postgresql://edm@db/casework"),
    ],
)
@needs_psycopg
def test_url_never_shows_a_password(url: str, expected: str) -> None:
    """The URL a store shows has its password removed, in URL or key=value form."""
    assert expected == redact_url(url)


@needs_psycopg
def test_connection_string_never_shows_a_password() -> None:
    """A key=value connection string keeps every parameter but the password."""
    from psycopg.conninfo import conninfo_to_dict

    shown = redact_url("host=db dbname=casework user=edm password='s3 cret'")

    assert {"host": "db", "dbname": "casework", "user": "edm"} == conninfo_to_dict(shown)


@needs_psycopg
def test_unreachable_server() -> None:
    """A server that cannot be reached raises StoreError promptly, without the password."""
    with pytest.raises(StoreError, match="Cannot connect") as info:
        PostgresStore("postgresql://edm:s3cret@127.0.0.1:1/casework", timeout=2)

    assert "s3cret" not in str(info.value)


@pytest.mark.parametrize("schema", ["Public", "1st", "edm-test", "a" * 64, 'x"; DROP TABLE events; --'])
@needs_psycopg
def test_bad_schema_name(schema: str) -> None:
    """A schema name that is not a plain lower-case identifier is refused before connecting."""
    with pytest.raises(StoreError, match="schema name"):
        PostgresStore("postgresql://127.0.0.1:1/casework", schema=schema)


def test_without_the_extra() -> None:
    """Without psycopg installed, opening a PostgreSQL store says which extra to install."""
    script = (
        "import sys; sys.modules['psycopg'] = None\n"
        "from ethical_decisions import StoreError\n"
        "from ethical_decisions.store import open_store\n"
        "try:\n"
        "    open_store('postgresql://127.0.0.1:1/casework')\n"
        "except StoreError as exc:\n"
        "    print(exc)\n"
    )

    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)

    assert "pip install 'ethical-decisions[postgres]'" in result.stdout


@pytest.mark.postgres
def test_store_url_and_schema(postgres_backend: Backend) -> None:
    """The store names its server without a password and keeps its tables in its own schema."""
    store = postgres_backend.open()
    tables = postgres_backend.sql(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = ? ORDER BY table_name",
        (postgres_backend.location,),
    )

    assert isinstance(store, PostgresStore)
    assert ":" not in store.url.partition("//")[2].partition("@")[0]
    assert postgres_backend.location == store.schema
    assert {"events", "chain_head", "reviews", "referrals", "outbox", "compliance", "schema_migrations"} <= {
        t for (t,) in tables
    }


@pytest.mark.postgres
def test_schemas_are_apart(postgres_backend: Backend, postgres_url: str, make: Make) -> None:
    """Two stores in two schemas of one database do not see each other's reviews or chain."""
    mine = postgres_backend.open()
    other_schema = f"edm_test_{uuid.uuid4().hex[:16]}"
    other = PostgresStore(postgres_url, schema=other_schema, min_size=1, max_size=2)
    try:
        make.stored(mine, "rv-mine")
        make.stored(other, "rv-other")

        assert ["rv-mine"] == [r.review_id for r in mine.chain()]
        assert ["rv-other"] == [r.review_id for r in other.chain()]
        assert 1 == getattr(other.head(), "position", None)
    finally:
        other.close()
        import psycopg

        with psycopg.connect(postgres_url, autocommit=True) as connection:
            connection.execute(f'DROP SCHEMA IF EXISTS "{other_schema}" CASCADE')


def _one_connection(backend: Backend, url: str) -> PostgresStore:
    """A store on *backend*'s schema whose pool holds one connection (so that ending it ends them all)."""
    store = PostgresStore(url, schema=backend.location, min_size=1, max_size=1)
    backend.opened.append(store)  # closed with the backend
    return store


def _terminate_pool(store: PostgresStore, postgres_url: str) -> None:
    """Have the server end every connection the store's pool holds, as a server restart would."""
    import psycopg

    held = []
    with store._pool.connection() as connection:
        held.append(connection.info.backend_pid)
    with psycopg.connect(postgres_url, autocommit=True) as connection:
        for pid in held:
            # With a timeout the server waits until the process has ended (PostgreSQL 14 and later).
            connection.execute("SELECT pg_terminate_backend(%s, 10000)", (pid,))


@pytest.mark.postgres
def test_a_connection_idle_a_while_is_checked_before_use(
    postgres_backend: Backend, postgres_url: str, make: Make, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One idle longer than CHECK_IDLE_AFTER is checked: a connection the server ended is replaced unseen."""
    from ethical_decisions.store import postgres

    store = _one_connection(postgres_backend, postgres_url)
    make.stored(store, "rv-idle")
    _terminate_pool(store, postgres_url)
    monkeypatch.setattr(postgres, "CHECK_IDLE_AFTER", 0.0)

    assert [1] == [r.sequence for r in store.load("rv-idle")]


@pytest.mark.postgres
def test_a_connection_used_just_now_is_not_checked(
    postgres_backend: Backend, postgres_url: str, make: Make
) -> None:
    """One used within CHECK_IDLE_AFTER is handed out unchecked: if the server ended it, the call fails.

    It fails with StoreError, recording nothing; the pool drops the connection and the next call works.
    """
    store = _one_connection(postgres_backend, postgres_url)
    make.stored(store, "rv-recent")
    _terminate_pool(store, postgres_url)

    with pytest.raises(StoreError, match="nothing was recorded"):
        store.load("rv-recent")
    assert [1] == [r.sequence for r in store.load("rv-recent")]


@pytest.mark.postgres
def test_a_refused_append_leaves_no_transaction_open(
    postgres_backend: Backend, make: Make, caplog: pytest.LogCaptureFixture
) -> None:
    """A conflict, by the version check or the unique constraint, leaves no transaction open.

    The connection goes back to the pool out of its transaction (the pool has nothing to roll back, and
    warns of nothing), and the next append and read work.
    """
    from ethical_decisions import ConflictError
    from ethical_decisions.projections import OutboxMessage

    from .conftest import NOW

    store = postgres_backend.open()
    assert isinstance(store, PostgresStore)
    message = OutboxMessage(
        "rv-refused#1", "rv-refused-R1", "rv-refused", "ccu", "referral_submitted", "k", NOW
    )
    review, batch = make.opened("rv-refused", outbox=(message,))
    store.append(batch)
    _, stale = make.then(review, expected_version=5)
    with caplog.at_level("WARNING", logger="psycopg.pool"), pytest.raises(ConflictError):
        store.append(stale)
    _, step = make.then(review)
    again = attrs.evolve(step, outbox=(message,))  # already stored: the unique constraint refuses it
    with caplog.at_level("WARNING", logger="psycopg.pool"), pytest.raises(StoreError, match="already stored"):
        store.append(again)

    assert [r for r in caplog.records if r.name.startswith("psycopg")] == []
    store.append(step)
    assert [1, 2] == [r.sequence for r in store.load("rv-refused")]
