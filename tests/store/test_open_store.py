"""Choosing a store by URL, from an argument, the EDM_DATABASE_URL variable, or the default."""

from __future__ import annotations

import re
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
