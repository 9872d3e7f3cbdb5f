"""Fixtures for the store suite: the same tests against the memory, SQLite and PostgreSQL stores.

PostgreSQL is found at ``EDM_TEST_POSTGRES_URL`` (default
``postgresql://postgres@127.0.0.1:5432/test``); each test gets a fresh schema,
dropped afterwards. When the server cannot be reached the PostgreSQL tests are
skipped, saying why, unless ``EDM_REQUIRE_POSTGRES=1`` (as in CI), which makes
them fail instead.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import sqlite3
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import attrs
import pytest

from ethical_decisions import (
    CaseReference,
    DecisionMaker,
    ProposedDecision,
    ReferralStatus,
    Review,
    StaffRole,
    testing,
)
from ethical_decisions.audit import seal
from ethical_decisions.compliance import ComplianceRecord, StepUsed
from ethical_decisions.events import Payload, ReflectionRecorded, ReviewOpened
from ethical_decisions.model import ConcernCategory, OutcomeClass
from ethical_decisions.projections import review_record
from ethical_decisions.review import evolve
from ethical_decisions.steps import decide, open_review
from ethical_decisions.store import (
    AppendBatch,
    MemoryStore,
    OutboxMessage,
    ReferralRecord,
    ReviewRecord,
    SQLiteStore,
    Store,
)

POSTGRES_URL = os.environ.get("EDM_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
REQUIRE_POSTGRES = os.environ.get("EDM_REQUIRE_POSTGRES") == "1"

NOW = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)
CSG = "customer_services_group"
SALT = "5a" * 16

ALL_STORES = ["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
SQL_STORES = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


def _postgres_problem(url: str) -> str | None:
    """Why the PostgreSQL tests cannot run, or ``None`` when they can."""
    try:
        import psycopg
    except ImportError:
        return "psycopg is not installed (pip install 'ethical-decisions[postgres]')"
    try:
        psycopg.connect(url, connect_timeout=3).close()
    except psycopg.Error as exc:
        return f"cannot connect ({type(exc).__name__}: {str(exc).strip()})"
    return None


def _shown(url: str) -> str:
    """*url* without its password, fit for a test report."""
    try:
        from ethical_decisions.store.postgres import redact_url

        return redact_url(url)
    except Exception:  # a string psycopg cannot parse, or no psycopg: show nothing of it
        return "(not shown)"


@pytest.fixture(name="postgres_url", scope="session")
def _postgres_url() -> str:
    problem = _postgres_problem(POSTGRES_URL)
    if problem is None:
        return POSTGRES_URL
    where = f"PostgreSQL at EDM_TEST_POSTGRES_URL={_shown(POSTGRES_URL)!r}: {problem}"
    if REQUIRE_POSTGRES:
        pytest.fail(f"{where}; EDM_REQUIRE_POSTGRES=1 makes this a failure, not a skip")
    pytest.skip(f"{where}; start the server or set EDM_TEST_POSTGRES_URL (EDM_REQUIRE_POSTGRES=1 to fail)")


@attrs.define
class Backend:
    """One kind of store over one database, which tests may open several times and reach into."""

    kind: str
    location: str
    opened: list[Store] = attrs.field(factory=list)

    def open(self) -> Store:
        """A store on the database (the same object each time for memory)."""
        if self.kind == "memory":
            if not self.opened:
                self.opened.append(MemoryStore())
            return self.opened[0]
        store: Store
        if self.kind == "sqlite":
            store = SQLiteStore(self.location)
        else:
            from ethical_decisions.store.postgres import PostgresStore

            store = PostgresStore(POSTGRES_URL, schema=self.location, min_size=1, max_size=4)
        self.opened.append(store)
        return store

    def sql(self, statement: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Run *statement* (``?`` placeholders) on the database directly, bypassing the store."""
        if self.kind == "sqlite":
            connection = sqlite3.connect(self.location, isolation_level=None)
            try:
                return connection.execute(statement, params).fetchall()
            finally:
                connection.close()
        assert self.kind == "postgres", "the memory store has no database to reach into"
        import psycopg

        with psycopg.connect(POSTGRES_URL, autocommit=True) as connection:
            connection.execute(f'SET search_path TO "{self.location}"')
            cursor = connection.execute(statement.replace("?", "%s"), params)
            return cursor.fetchall() if cursor.description else []

    @contextlib.contextmanager
    def holding(self, statement: str) -> Iterator[None]:
        """Run *statement* in a write transaction outside the store, committed only when the block ends."""
        if self.kind == "sqlite":
            connection = sqlite3.connect(self.location, isolation_level=None)
            try:
                connection.execute("BEGIN IMMEDIATE")
                connection.execute(statement)
                yield
                connection.execute("COMMIT")
            finally:
                connection.close()
            return
        import psycopg

        with psycopg.connect(POSTGRES_URL) as pg:
            pg.execute(f'SET search_path TO "{self.location}"')
            pg.execute(statement)
            yield
            pg.commit()

    def close(self) -> None:
        """Close every store opened, and drop a PostgreSQL schema."""
        for store in self.opened:
            store.close()
        if self.kind == "postgres":
            import psycopg

            with psycopg.connect(POSTGRES_URL, autocommit=True) as connection:
                connection.execute(f'DROP SCHEMA IF EXISTS "{self.location}" CASCADE')


def _backend(kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    if kind == "postgres":
        request.getfixturevalue("postgres_url")
        backend = Backend(kind, f"edm_test_{uuid.uuid4().hex[:16]}")
    else:
        backend = Backend(kind, str(tmp_path / "store.db"))
    try:
        yield backend
    finally:
        backend.close()


@pytest.fixture(name="backend", params=ALL_STORES)
def _any_backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    yield from _backend(request.param, request, tmp_path)


@pytest.fixture(name="sql_backend", params=SQL_STORES)
def _sql_backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    yield from _backend(request.param, request, tmp_path)


@pytest.fixture(name="postgres_backend")
def _postgres_backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    yield from _backend("postgres", request, tmp_path)


@pytest.fixture(name="store")
def _store(backend: Backend) -> Store:
    return backend.open()


class Make:
    """Builds what the service would append: real sealed events, review rows and projections."""

    def decision_maker(self, staff_id: str = "dm-0001", **kwargs: Any) -> DecisionMaker:
        """A decision-maker (see :func:`ethical_decisions.testing.decision_maker`)."""
        return testing.decision_maker(staff_id, **kwargs)

    def opened(
        self, review_id: str, *, by: DecisionMaker | None = None, at: dt.datetime = NOW, **extra: Any
    ) -> tuple[Review, AppendBatch]:
        """The review just opened, and the batch that opens it (*extra* goes into the batch)."""
        opened = ReviewOpened(
            case=CaseReference(reference=f"REF/{review_id}", personal_details={"full_name": "A. Applicant"}),
            proposed=ProposedDecision(outcome="refuse", summary="Refuse: no evidence of residence."),
        )
        event = open_review(review_id, opened, actor=by or self.decision_maker(), now=at)
        return self._batch(None, event, **extra)

    def then(
        self, review: Review, payload: Payload | None = None, *, at: dt.datetime | None = None, **extra: Any
    ) -> tuple[Review, AppendBatch]:
        """The review after one more step (by default a reflection with no concerns), and its batch."""
        payload = payload or ReflectionRecorded(concerns=(), note="Nothing about this troubles me.")
        when = at or review.updated_at + dt.timedelta(minutes=1)
        event = decide(review, payload, actor=review.decision_maker, now=when)
        return self._batch(review, event, **extra)

    def _batch(self, before: Review | None, event: Any, **extra: Any) -> tuple[Review, AppendBatch]:
        after = evolve(before, event)
        expected = extra.pop("expected_version", before.version if before else 0)
        # A writer with a stale or wrong version numbers its events from that version.
        written = attrs.evolve(event, sequence=expected + 1)
        fields: dict[str, Any] = {
            "review_id": after.review_id,
            "expected_version": expected,
            "events": (seal(written, SALT),),
            "review": self.review_record(after),
        }
        return after, AppendBatch(**{**fields, **extra})

    def review_record(self, review: Review) -> ReviewRecord:
        """The summary row of *review*."""
        return review_record(review)

    def referral(self, review_id: str, number: int = 1, **overrides: Any) -> ReferralRecord:
        """A referral queue row of *review_id*."""
        fields: dict[str, Any] = {
            "referral_id": f"{review_id}-R{number}",
            "review_id": review_id,
            "route_id": "ccu_test",
            "route_version": "1.0",
            "business_area": CSG,
            "status": ReferralStatus.SUBMITTED,
            "referred_by": "dm-0001",
            "referred_by_role": StaffRole.CASEWORKER,
            "concern_categories": (ConcernCategory.VULNERABILITY, ConcernCategory.OTHER),
            "submitted_at": NOW,
            "due_by": NOW + dt.timedelta(days=10),
            "updated_at": NOW,
            "proposed_at": NOW - dt.timedelta(hours=3),
        }
        return ReferralRecord(**{**fields, **overrides})

    def message(self, review_id: str, sequence: int = 1, **overrides: Any) -> OutboxMessage:
        """An outbox message about event *sequence* of *review_id*."""
        fields: dict[str, Any] = {
            "message_id": f"{review_id}#{sequence}",
            "referral_id": f"{review_id}-R{sequence}",
            "review_id": review_id,
            "route_id": "ccu_test",
            "kind": "referral_submitted",
            "idempotency_key": f"{review_id}-R{sequence}",
            "created_at": NOW,
        }
        return OutboxMessage(**{**fields, **overrides})

    def compliance(self, review_id: str, **overrides: Any) -> ComplianceRecord:
        """A compliance record of *review_id*, closed at :data:`NOW` unless overridden."""
        fields: dict[str, Any] = {
            "review_id": review_id,
            "staff_id": "dm-0001",
            "role": StaffRole.CASEWORKER,
            "team": "Settlement Casework",
            "business_area": CSG,
            "guidance_version": "2.0",
            "opened_at": NOW - dt.timedelta(hours=2),
            "reflected_at": NOW - dt.timedelta(hours=1),
            "closed_at": NOW,
            "concern_count": 2,
            "concern_categories": (ConcernCategory.VULNERABILITY, ConcernCategory.VULNERABILITY),
            "steps_used": (StepUsed.DISCRETION_INSIDE_RULES, StepUsed.ESCALATION),
            "route_ids": ("ccu_test",),
            "referral_count": 1,
            "referred_by_frontline": False,
            "unresolved_acknowledged": 0,
            "outcome_class": OutcomeClass.RESOLVED_AFTER_ESCALATION,
            "decision_changed": True,
            "opened_by": "dm-0001",
            "reflected_by": "dm-0001",
            "escalated_by": ("dm-0001",),
            "handed_over_by": (),
            "holders": ("dm-0001",),
            "advice_followed": 1,
        }
        return ComplianceRecord(**{**fields, **overrides})

    def stored(self, store: Store, review_id: str, **extra: Any) -> Review:
        """Open *review_id* in *store*, with *extra* in the batch (``at``, ``by`` for the event)."""
        review, batch = self.opened(review_id, **extra)
        store.append(batch)
        return review


@pytest.fixture(name="make")
def _make() -> Make:
    return Make()
