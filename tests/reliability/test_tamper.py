"""Tamper evidence and erasure on real databases: verify locates every change; an erasure shows and verifies.

The stores are a SQLite file and a PostgreSQL schema, filled through the library and then changed behind
its back with SQL, as someone with access to the database would.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path

import attrs
import pytest

from ethical_decisions import (
    CaseReference,
    ChainHead,
    Concern,
    ConcernCategory,
    EthicalDecisions,
    FinalDecision,
    ProposedDecision,
    RecordsOfficer,
    UnresolvedAcknowledgement,
    testing,
    verify,
)
from tests.conftest import RoutesPlugin

from .conftest import Backend

MARKER = "MARKERERASEDWORDS"
START = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)


@attrs.frozen
class Filled:
    """A store with three closed reviews of three events each (positions 1-9), and the head kept elsewhere."""

    backend: Backend
    edm: EthicalDecisions
    clock: testing.FakeClock
    reviews: tuple[str, ...]
    kept: str
    """The head as ``POSITION:HASH`` text, as ``verify`` prints it for keeping elsewhere."""


def _fill(backend: Backend) -> Filled:
    clock = testing.FakeClock(now=START)
    edm = testing.service(RoutesPlugin(testing.route("ccu_test")), store=backend.open(), clock=clock)
    dm = testing.decision_maker()
    reviews = []
    for i in range(3):
        review = edm.open_review(
            by=dm,
            case=CaseReference(f"{MARKER}-REF-{i}", {"full_name": f"{MARKER} name"}),
            proposed=ProposedDecision("refuse", f"{MARKER} summary"),
        )
        rid = review.review_id
        edm.record_reflection(rid, by=dm, concerns=[Concern(ConcernCategory.OTHER, f"{MARKER} concern")])
        edm.finalise(
            rid,
            by=dm,
            decision=FinalDecision("grant", f"{MARKER} final", f"{MARKER} rationale"),
            unresolved=UnresolvedAcknowledgement(("C1",), f"{MARKER} why unresolved"),
        )
        reviews.append(rid)
    head = edm.head()
    assert head is not None
    return Filled(backend, edm, clock, tuple(reviews), f"{head.position}:{head.hash}")


def _kept(text: str) -> ChainHead:
    position, _, digest = text.partition(":")
    return ChainHead(int(position), digest)


@pytest.fixture(name="filled", params=["sqlite", "postgres"])
def _filled(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Filled]:
    if request.param == "postgres":
        yield _fill(request.getfixturevalue("pg_schema"))
        return
    backend = Backend("sqlite", str(tmp_path / "tamper.db"))
    try:
        yield _fill(backend)
    finally:
        backend.close()


def _insert_copy(at: int, of: int) -> Callable[[Backend], None]:
    """Insert a copy of the event at position *of* (filed as a new review) at position *at*."""

    def tamper(backend: Backend) -> None:
        backend.sql("UPDATE events SET position = position + 100 WHERE position >= ?", (at,))
        backend.sql(
            "INSERT INTO events (position, review_id, sequence, kind, occurred_at, body, texts, salt, hash) "
            "SELECT ?, 'rv-forged', sequence, kind, occurred_at, body, texts, salt, hash "
            "FROM events WHERE position = ?",
            (at, of),
        )
        backend.sql("UPDATE events SET position = position - 99 WHERE position >= 100")

    return tamper


TAMPERING: dict[str, tuple[Callable[[Backend], None], int, str]] = {
    "an event edited": (
        lambda b: b.sql(
            "UPDATE events SET body = replace(body, '\"grant\"', '\"refuse\"') WHERE position = 3"
        ),
        3,
        "does not match its hash",
    ),
    "one event deleted": (lambda b: b.sql("DELETE FROM events WHERE position = 6"), 7, "missing"),
    "an event inserted": (_insert_copy(at=5, of=2), 5, ""),
    "two events swapped": (
        lambda b: [
            b.sql("UPDATE events SET position = 100 WHERE position = 5"),
            b.sql("UPDATE events SET position = 5 WHERE position = 6"),
            b.sql("UPDATE events SET position = 6 WHERE position = 100"),
        ],
        5,
        "",
    ),
    "a whole review deleted": (
        lambda b: b.sql("DELETE FROM events WHERE review_id = 'rv-test-0002'"),
        7,
        "missing",
    ),
    "the newest review deleted": (
        lambda b: b.sql("DELETE FROM events WHERE review_id = 'rv-test-0003'"),
        7,
        "removed from the end",
    ),
}


@pytest.mark.parametrize("kind", list(TAMPERING))
def test_every_kind_of_tampering_is_located_by_verify(filled: Filled, kind: str) -> None:
    """Editing, deleting, inserting or reordering an event, or deleting a review, is found and located.

    Verify, given the head kept elsewhere (as text), names the first position that is out of place,
    with its review and event where it has one; the untouched chain verifies against the same head.
    """
    kept = _kept(filled.kept)
    assert verify(filled.edm.store.chain(), expected_head=kept).ok
    tamper, position, problem = TAMPERING[kind]

    tamper(filled.backend)

    report = verify(filled.backend.open().chain(), expected_head=kept)
    assert report.broken is not None, kind
    assert report.broken.position == position, str(report.broken)
    assert problem in report.broken.problem
    if "removed from the end" not in problem:
        assert report.broken.review_id is not None
        assert f"position {position}" in str(report.broken)
    assert MARKER not in str(report)


def _all_rows(backend: Backend) -> str:
    """Every row of every table of the store, as text."""
    if backend.kind == "sqlite":
        tables = [t for (t,) in backend.sql("SELECT name FROM sqlite_master WHERE type = 'table'")]
    else:
        tables = [
            t
            for (t,) in backend.sql(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
            )
        ]
    assert "events" in tables
    return "\n".join(repr(backend.sql(f'SELECT * FROM "{table}"')) for table in tables)


def test_an_erasure_keeps_the_trail_verifiable_and_shows_when_and_by_whom(filled: Filled) -> None:
    """After an erasure every event is still there and the chain verifies, even against the head kept before.

    The erasure is itself an event, naming the records officer, the time and the reason; the review
    shows when it was erased; and the words are gone from every row of every table.
    """
    rid = filled.reviews[1]
    before = [e.sequence for e in filled.edm.trail(rid)]
    assert MARKER in _all_rows(filled.backend)  # the check below could fail
    filled.clock.now = START + dt.timedelta(days=7 * 365)
    erased_at = filled.clock.now

    review = filled.edm.erase_free_text(rid, by=RecordsOfficer("ro-0042"))

    trail = filled.edm.trail(rid)
    erasure = trail[-1]
    assert [e.sequence for e in trail] == [*before, before[-1] + 1]
    assert (erasure.kind, erasure.actor, erasure.occurred_at) == (
        "free_text_erased",
        RecordsOfficer("ro-0042"),
        erased_at,
    )
    assert erasure.payload.reason == "retention_period_ended"  # type: ignore[union-attr]
    assert review.erased_at == erased_at
    assert filled.edm.verify().ok
    assert filled.edm.verify(expected_head=_kept(filled.kept)).ok
    assert verify(filled.backend.open().chain()).ok
    rows = _all_rows(filled.backend)
    assert (f"{MARKER}-REF-0" in rows, f"{MARKER}-REF-1" in rows, f"{MARKER}-REF-2" in rows) == (
        True,
        False,
        True,
    )
    erased = [r for r in filled.edm.store.chain() if r.review_id == rid]
    assert all(text is None for record in erased for text in record.texts.values())


def test_erased_words_are_gone_from_the_sqlite_file(tmp_path: Path) -> None:
    """Once erased, the words are not in the SQLite file, its free pages or its log, open or closed."""
    backend = Backend("sqlite", str(tmp_path / "erased.db"))
    filled = _fill(backend)
    backend.close()

    def holding() -> list[str]:
        return [f.name for f in sorted(tmp_path.glob("erased.db*")) if MARKER.encode() in f.read_bytes()]

    assert holding() == ["erased.db"]  # the check below could fail
    edm = testing.service(RoutesPlugin(testing.route("ccu_test")), store=backend.open())
    for rid in filled.reviews:
        edm.erase_free_text(rid, by=RecordsOfficer("ro-0042"))
    assert holding() == []  # while the store is still open, the log included
    backend.close()
    assert holding() == []
