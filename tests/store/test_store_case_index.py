"""The case index on every store: written with a review's first event, found by digest, gone on erasure."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from tests.learning.helpers import KEY, closed_reviews, reference

from ethical_decisions import EthicalDecisions, RecordsOfficer, testing
from ethical_decisions.caseindex import case_digest
from ethical_decisions.store import SQLiteStore

from .conftest import Backend


def _edm(backend: Backend, key: str | None = KEY) -> EthicalDecisions:
    return testing.service(store=backend.open(), case_index_key=key)


def test_a_review_is_indexed_when_opened_and_unindexed_when_erased(backend: Backend) -> None:
    """On memory, SQLite and PostgreSQL: found by its reference's digest; after erasure, found no more."""
    edm = _edm(backend)
    first, second = closed_reviews(edm, 2)
    digest = case_digest(KEY.encode(), reference(1))
    assert edm.store.find_cases([digest, "0" * 64]) == {digest: [first]}
    edm.erase_free_text(first, by=RecordsOfficer("ro-0001"))
    assert edm.store.find_cases([digest]) == {}
    assert edm.find_case(reference(2)) == [second]
    assert edm.store.index_cases([(digest, first)]) == 0, "an erased review is not indexed again"
    assert edm.verify().ok


def test_reviews_opened_without_a_key_are_indexed_later(
    backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On every store: index_case_references adds each review once."""
    monkeypatch.delenv("EDM_CASE_INDEX_KEY", raising=False)
    edm = _edm(backend, None)
    closed_reviews(edm, 3)
    keyed = testing.service(store=edm.store, case_index_key=KEY)
    assert keyed.index_case_references() == 3
    assert keyed.index_case_references() == 0
    assert keyed.find_case(reference(3)) == ["rv-test-0003"]


def test_the_migration_to_step_6_indexes_existing_reviews_when_the_key_is_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A store at step 5 opened with EDM_CASE_INDEX_KEY set gets every unerased review indexed."""
    monkeypatch.delenv("EDM_CASE_INDEX_KEY", raising=False)
    path = tmp_path / "edm.db"
    store = SQLiteStore(path)
    edm = testing.service(store=store)
    ids = closed_reviews(edm, 3)
    edm.erase_free_text(ids[0], by=RecordsOfficer("ro-0001"))
    store.close()
    with sqlite3.connect(path) as connection:  # back to step 5, as a store made before the case index
        connection.execute("DROP TABLE case_index")
        connection.execute("DELETE FROM schema_migrations WHERE version = 6")
    monkeypatch.setenv("EDM_CASE_INDEX_KEY", KEY)
    store = SQLiteStore(path)
    try:
        found = store.find_cases([case_digest(KEY.encode(), reference(n)) for n in (1, 2, 3)])
        assert sorted(ids for ids in found.values()) == [[ids[1]], [ids[2]]]
    finally:
        store.close()
