"""A store written by the previous release opens, migrates, still verifies, and says who did what.

``tests/data/store-schema-1.sqlite`` was written by the code before people and permissions
(schema version 1; see ``tests/data/store-schema-1.md``). Opening it with this version applies
schema steps 2 and 4, which rebuild the reviews, referrals and compliance records from the events
(step 4 drops the compliance columns the rules force, and adds what became of advice and the time
from the proposed decision to each referral), and step 3, which starts the outbox ledger from the
messages' delivery state.
The same data is loaded into a PostgreSQL schema at version 1 and migrated there too.
"""

from __future__ import annotations

import collections
import datetime as dt
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from ethical_decisions import ChainHead, EthicalDecisions, FinalDecision, testing, verify
from ethical_decisions.projections import referral_record, review_record
from ethical_decisions.review import replay
from ethical_decisions.store import OutboxStatus, SQLiteStore, Store
from ethical_decisions.store._dialect import POSTGRES
from ethical_decisions.store._schema import _BOOTSTRAP, MIGRATIONS

from .conftest import POSTGRES_URL, Backend

DATA = Path(__file__).resolve().parents[1] / "data" / "store-schema-1.sqlite"
HEAD = ChainHead(149, "6379e600f2f3c21472bbea0b49ca10001ce5f02ea533fcd98b4fca6b0f9aac47")
OUTCOMES_AT_SCHEMA_1 = collections.Counter(
    {
        "no_concerns": 8,
        "resolved_after_escalation": 10,
        "resolved_by_discretion": 2,
        "resolved_by_discussion": 1,
    }
)
"""How the store's closed reviews ended, as its schema-1 compliance rows say."""
FORCED_BY_THE_RULES = {
    "reflection_recorded",
    "rationale_recorded",
    "advice_recorded",
    "escalations_followed_through",
}
"""The compliance columns that could only ever say yes: schema step 4 drops them."""
TABLES = ("chain_head", "events", "reviews", "referrals", "outbox", "compliance", "compliance_items")


def _check_migrated(store: Store) -> None:
    """The checks every migrated store must pass."""
    report = verify(store.chain(), expected_head=HEAD)
    assert report.ok, str(report)
    assert (report.events, report.reviews) == (149, 25)
    # Who did what, from the events: cw-A opened rv-v1-handover, cw-B reflected on and decided it.
    (record,) = [r for r in store.compliance_records() if r.review_id == "rv-v1-handover"]
    assert (record.staff_id, record.opened_by, record.reflected_by) == ("cw-B", "cw-A", "cw-B")
    assert record.holders == ("cw-A",)
    # Every projection is what the events say.
    for row in store.reviews():
        review = replay(r.event() for r in store.load(row.review_id))
        assert row == review_record(review)
        for referral in review.referrals:
            assert store.referral(referral.referral_id) == referral_record(review, referral)
    assert all(r.referred_by for r in store.referrals())
    # The whole store verifies: every table, and the outbox ledger, which schema step 3 began by
    # carrying over the 18 messages schema 1 had delivered.
    whole = store.verify(expected_head=HEAD)
    assert whole.ok, str(whole)
    assert whole.ledger is not None
    assert (whole.ledger.entries, {r.status for r in store.outbox()}) == (18, {OutboxStatus.DELIVERED})
    # Rebuilt from trails recorded when a route's advice resolved a concern, every review ends as it did.
    assert OUTCOMES_AT_SCHEMA_1 == collections.Counter(
        r.outcome_class.value for r in store.compliance_records()
    )


def _carries_on(store: Store) -> None:
    """The migrated store takes new steps, and the chain goes on verifying past the old head."""
    edm = EthicalDecisions(store, plugins=testing.plugins(), clock=testing.FakeClock())
    review = edm.open_review(by=testing.decision_maker(), case=_case(), proposed=_proposed())
    edm.record_reflection(review.review_id, by=testing.decision_maker())
    edm.finalise(review.review_id, by=testing.decision_maker(), decision=FinalDecision("grant", "G.", "R."))
    report = verify(store.chain(), expected_head=HEAD)
    assert report.ok, str(report)
    assert report.events == 152


def _case() -> Any:
    from ethical_decisions import CaseReference

    return CaseReference("AFTER-MIGRATION")


def _proposed() -> Any:
    from ethical_decisions import ProposedDecision

    return ProposedDecision("grant", "Grant.")


def test_a_schema_1_sqlite_store_migrates_and_verifies(tmp_path: Path) -> None:
    """The committed schema-1 store opens at the current schema, verifies against its head, and carries on."""
    path = tmp_path / "store.db"
    shutil.copy(DATA, path)
    store = SQLiteStore(path)
    try:
        versions = [v for (v,) in sqlite3.connect(path).execute("SELECT version FROM schema_migrations")]
        assert versions == [m.version for m in MIGRATIONS]
        columns = {row[1] for row in sqlite3.connect(path).execute("PRAGMA table_info(compliance)")}
        assert set() == columns & FORCED_BY_THE_RULES
        assert {"advice_followed", "re_escalations", "referrals_returned"} <= columns
        _check_migrated(store)
        _carries_on(store)
    finally:
        store.close()


def _postgres_at_schema_1(schema: str) -> None:
    """A PostgreSQL schema at version 1 holding the committed store's rows (times, dates, flags converted)."""
    import psycopg

    source = sqlite3.connect(DATA)
    with psycopg.connect(POSTGRES_URL, autocommit=True) as pg:
        pg.execute(f'CREATE SCHEMA "{schema}"')
        pg.execute(f'SET search_path TO "{schema}"')
        pg.execute(_BOOTSTRAP.format(**POSTGRES.types))
        for statement in MIGRATIONS[0].statements:
            pg.execute(statement.format(**POSTGRES.types))
        pg.execute(
            "INSERT INTO schema_migrations (version, description, applied_at) VALUES (1, %s, now())",
            (MIGRATIONS[0].description,),
        )
        pg.execute("DELETE FROM chain_head")
        for table in TABLES:
            types = dict(
                pg.execute(
                    "SELECT column_name, data_type FROM information_schema.columns"
                    " WHERE table_schema = %s AND table_name = %s",
                    (schema, table),
                ).fetchall()
            )
            cursor = source.execute(f"SELECT * FROM {table}")
            names = [d[0] for d in cursor.description]
            rows = [[_convert(types[n], v) for n, v in zip(names, row, strict=True)] for row in cursor]
            if rows:
                placeholders = ", ".join("%s" for _ in names)
                with pg.cursor() as insert:
                    insert.executemany(
                        f"INSERT INTO {table} ({', '.join(names)}) VALUES ({placeholders})", rows
                    )
    source.close()


def _convert(kind: str, value: Any) -> Any:
    if value is None:
        return None
    if kind.startswith("timestamp"):
        return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    if kind == "date":
        return dt.date.fromisoformat(value)
    if kind == "boolean":
        return bool(value)
    return value


@pytest.mark.postgres
def test_a_schema_1_postgres_store_migrates_and_verifies(postgres_backend: Backend) -> None:
    """The same rows in a PostgreSQL schema at version 1 migrate on opening, verify, and carry on."""
    _postgres_at_schema_1(postgres_backend.location)
    store = postgres_backend.open()
    assert postgres_backend.sql("SELECT version FROM schema_migrations ORDER BY version") == [
        (m.version,) for m in MIGRATIONS
    ]
    _check_migrated(store)
    _carries_on(store)
