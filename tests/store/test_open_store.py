"""Choosing a store by URL, from an argument, the EDM_DATABASE_URL variable, or the default."""

from __future__ import annotations

import re
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from ethical_decisions import StoreError
from ethical_decisions.store import (
    DATABASE_URL_VARIABLE,
    DEFAULT_DATABASE_URL,
    MemoryStore,
    SQLiteStore,
    Store,
    open_store,
)


@pytest.fixture(name="folder")
def _folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The current folder, empty, with no EDM_DATABASE_URL set."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(DATABASE_URL_VARIABLE, raising=False)
    return tmp_path


@pytest.fixture(name="opened")
def _opened() -> Iterator[list[Store]]:
    stores: list[Store] = []
    yield stores
    for store in stores:
        store.close()


def test_names() -> None:
    """The variable is EDM_DATABASE_URL and the default an SQLite file in the current folder."""
    assert ("EDM_DATABASE_URL", "sqlite:///ethical-decisions.db") == (
        DATABASE_URL_VARIABLE,
        DEFAULT_DATABASE_URL,
    )


def test_memory(folder: Path) -> None:
    """``memory://`` opens a fresh in-memory store."""
    store = open_store("memory://")

    assert isinstance(store, MemoryStore)
    assert "memory://" == store.url


def test_sqlite_relative(folder: Path, opened: list[Store]) -> None:
    """``sqlite:///relative/path.db`` opens a file relative to the current folder."""
    (folder / "data").mkdir()
    opened.append(store := open_store("sqlite:///data/reviews.db"))

    assert isinstance(store, SQLiteStore)
    assert folder / "data" / "reviews.db" == store.path
    assert store.path.exists()


def test_sqlite_absolute(folder: Path, tmp_path_factory: pytest.TempPathFactory, opened: list[Store]) -> None:
    """``sqlite:////absolute/path.db`` opens that file, and its URL reads the same."""
    elsewhere = tmp_path_factory.mktemp("elsewhere") / "my reviews.db"
    opened.append(store := open_store(f"sqlite:///{elsewhere}"))

    assert isinstance(store, SQLiteStore)
    assert elsewhere == store.path
    assert f"sqlite:///{elsewhere}" == store.url


def test_variable(folder: Path, monkeypatch: pytest.MonkeyPatch, opened: list[Store]) -> None:
    """With no URL given, EDM_DATABASE_URL names the store."""
    monkeypatch.setenv(DATABASE_URL_VARIABLE, "sqlite:///from-the-variable.db")

    opened.append(store := open_store())

    assert isinstance(store, SQLiteStore)
    assert folder / "from-the-variable.db" == store.path


def test_argument_beats_variable(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A URL given as the argument wins over EDM_DATABASE_URL."""
    monkeypatch.setenv(DATABASE_URL_VARIABLE, "sqlite:///from-the-variable.db")

    assert isinstance(open_store("memory://"), MemoryStore)
    assert not (folder / "from-the-variable.db").exists()


@pytest.mark.parametrize("variable", [None, ""])
def test_default(
    folder: Path, monkeypatch: pytest.MonkeyPatch, opened: list[Store], variable: str | None
) -> None:
    """With no URL and no (or an empty) EDM_DATABASE_URL, the store is ethical-decisions.db here."""
    if variable is not None:
        monkeypatch.setenv(DATABASE_URL_VARIABLE, variable)

    opened.append(store := open_store())

    assert isinstance(store, SQLiteStore)
    assert folder / "ethical-decisions.db" == store.path


@pytest.mark.parametrize(
    "url",
    [
        "mysql://root:hunter2@db/casework",
        "hunter2",
        "C:/data/reviews.db",
        "HTTP://hunter2.example/",
    ],
)
def test_unknown_scheme(folder: Path, url: str) -> None:
    """An unsupported URL raises StoreError listing the supported forms, never echoing the URL's secrets."""
    with pytest.raises(StoreError) as info:
        open_store(url)

    message = str(info.value)
    assert all(form in message for form in ("memory://", "sqlite:///", "postgresql://"))
    assert "hunter2" not in message


@pytest.mark.parametrize(
    "url", ["sqlite://", "sqlite:///", "sqlite://host/reviews.db", "sqlite:///x.db?mode=ro"]
)
def test_malformed_sqlite_url(folder: Path, url: str) -> None:
    """An SQLite URL without a path, or with a host or query, raises StoreError showing the right form."""
    with pytest.raises(StoreError, match=re.escape("sqlite:///relative/path.db")):
        open_store(url)


def test_memory_url_with_path(folder: Path) -> None:
    """``memory://`` takes nothing after the slashes."""
    with pytest.raises(StoreError, match="memory://"):
        open_store("memory://somewhere")


@pytest.mark.postgres
@pytest.mark.parametrize("scheme", ["postgresql", "postgres"])
def test_postgresql(postgres_url: str, scheme: str, opened: list[Store]) -> None:
    """``postgresql://`` and ``postgres://`` open the PostgreSQL store; ``?schema=`` picks its schema."""
    from ethical_decisions.store.postgres import PostgresStore

    schema = f"edm_test_{uuid.uuid4().hex[:16]}"
    joiner = "&" if "?" in postgres_url else "?"
    url = f"{scheme}://{postgres_url.partition('://')[2]}{joiner}schema={schema}"
    try:
        opened.append(store := open_store(url))

        assert isinstance(store, PostgresStore)
        assert schema == store.schema
        assert "schema=" not in store.url
    finally:
        import psycopg

        for store in opened:
            store.close()
        opened.clear()
        with psycopg.connect(postgres_url, autocommit=True) as connection:
            connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


# -- refusing what is not a store -----------------------------------------------------------------


def _bytes(path: Path) -> bytes | None:
    return path.read_bytes() if path.is_file() else None


def test_reading_a_missing_store_is_refused_and_makes_nothing(folder: Path) -> None:
    """``create=False`` refuses a path with no file, naming it and how to make a store; no file appears."""
    with pytest.raises(StoreError) as info:
        open_store("sqlite:///mistyped.db", create=False)

    message = str(info.value)
    assert str(folder / "mistyped.db") in message
    assert ("ethical-decisions demo" in message, "first step through the API" in message) == (True, True)
    assert list(folder.iterdir()) == []


@pytest.mark.parametrize("create", [False, True], ids=["reading", "writing"])
def test_an_empty_file_is_refused_and_left_empty(folder: Path, create: bool) -> None:
    """A zero-byte file is not a store: refused whether reading or writing, and left zero bytes long.

    (It is what remains of a store whose contents were lost: made into a new store, its chain would
    silently start again at position 1.)
    """
    (folder / "reviews.db").write_bytes(b"")

    with pytest.raises(StoreError, match="empty \\(zero bytes\\)") as info:
        open_store("sqlite:///reviews.db", create=create)

    assert "restore the store from a backup" in str(info.value)
    assert [(p.name, p.stat().st_size) for p in folder.iterdir()] == [("reviews.db", 0)]


@pytest.mark.parametrize("create", [False, True], ids=["reading", "writing"])
def test_a_folder_is_refused(folder: Path, create: bool) -> None:
    """A folder named as the store is refused, with an example of a file in it."""
    (folder / "stores").mkdir()

    with pytest.raises(StoreError, match="is a folder, not a file") as info:
        open_store("sqlite:///stores", create=create)

    assert "stores/reviews.db" in str(info.value)


@pytest.mark.parametrize("create", [False, True], ids=["reading", "writing"])
def test_another_sqlite_database_is_refused_and_left_as_it_was(folder: Path, create: bool) -> None:
    """An SQLite database of another application is refused, and not a byte of it changes."""
    other = folder / "other.db"
    connection = sqlite3.connect(other)
    connection.execute("CREATE TABLE schema_migrations (version TEXT PRIMARY KEY)")  # as Rails keeps one
    connection.execute("INSERT INTO schema_migrations VALUES ('20240101000000')")
    connection.commit()
    connection.close()
    before = _bytes(other)

    with pytest.raises(StoreError, match="an SQLite database of something else"):
        open_store("sqlite:///other.db", create=create)

    assert (_bytes(other) == before, sorted(p.name for p in folder.iterdir())) == (True, ["other.db"])


@pytest.mark.parametrize("create", [False, True], ids=["reading", "writing"])
def test_a_file_that_is_not_sqlite_is_refused_and_left_as_it_was(folder: Path, create: bool) -> None:
    """A file that is not an SQLite database (a report, say) is refused, and left as it was."""
    report = folder / "report.html"
    report.write_text("<!doctype html><title>Department report</title>\n" * 200, encoding="utf-8")
    before = _bytes(report)

    with pytest.raises(StoreError, match="not an SQLite database"):
        open_store("sqlite:///report.html", create=create)

    assert (_bytes(report) == before, sorted(p.name for p in folder.iterdir())) == (True, ["report.html"])


def test_an_empty_sqlite_database_is_made_a_store_only_for_writing(folder: Path, opened: list[Store]) -> None:
    """An SQLite database with no tables is refused for reading, and made a store for writing."""
    sqlite3.connect(folder / "new.db").execute("PRAGMA user_version = 0").close()

    with pytest.raises(StoreError, match="an empty SQLite database"):
        open_store("sqlite:///new.db", create=False)
    opened.append(store := open_store("sqlite:///new.db"))

    assert store.verify().ok


def test_a_store_opened_for_reading_reads(folder: Path, opened: list[Store]) -> None:
    """A store that exists opens with ``create=False`` and verifies."""
    open_store("sqlite:///reviews.db").close()

    opened.append(store := open_store("sqlite:///reviews.db", create=False))

    assert (isinstance(store, SQLiteStore), store.verify().ok) == (True, True)


@pytest.mark.postgres
def test_reading_a_missing_postgresql_store_is_refused(postgres_url: str) -> None:
    """``create=False`` refuses a schema with no store, naming it, and creates no schema."""
    import psycopg

    schema = f"edm_test_{uuid.uuid4().hex[:16]}"
    joiner = "&" if "?" in postgres_url else "?"

    with pytest.raises(StoreError, match=f"no store in the schema '{schema}'"):
        open_store(f"{postgres_url}{joiner}schema={schema}", create=False)

    with psycopg.connect(postgres_url) as connection:
        found = connection.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (schema,)).fetchone()
    assert found is None


@pytest.mark.postgres
@pytest.mark.parametrize("create", [False, True], ids=["reading", "writing"])
def test_a_postgresql_schema_of_another_application_is_refused(postgres_url: str, create: bool) -> None:
    """A schema holding another application's tables is refused, and none of the store's tables join them."""
    import psycopg

    schema = f"edm_test_{uuid.uuid4().hex[:16]}"
    joiner = "&" if "?" in postgres_url else "?"
    with psycopg.connect(postgres_url, autocommit=True) as connection:
        connection.execute(f'CREATE SCHEMA "{schema}"')
        connection.execute(f'CREATE TABLE "{schema}".schema_migrations (version TEXT PRIMARY KEY)')
    try:
        with pytest.raises(StoreError, match="holds tables of something else"):
            open_store(f"{postgres_url}{joiner}schema={schema}", create=create)
        with psycopg.connect(postgres_url) as connection:
            tables = connection.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = %s", (schema,)
            ).fetchall()
        assert tables == [("schema_migrations",)]
    finally:
        with psycopg.connect(postgres_url, autocommit=True) as connection:
            connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
