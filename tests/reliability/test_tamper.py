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
    IntegrityError,
    ProposedDecision,
    RecordsOfficer,
    StoreError,
    UnresolvedAcknowledgement,
    testing,
    verify,
)
from ethical_decisions.relay import Relay
from ethical_decisions.store import open_store
from tests import scenarios
from tests.conftest import RoutesPlugin

from .conftest import POSTGRES_URL, Backend, Figures

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
    The store's own verify (which checks each review's sequence in its tables, in constant memory)
    names the same place, with its head row checked too.
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
    whole = filled.backend.open().verify(expected_head=kept)
    assert whole.broken is not None
    assert (whole.broken.position, whole.broken.review_id) == (position, report.broken.review_id)
    assert MARKER not in str(whole)


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


# -- the whole store: every table checked against the events, the outbox against its ledger ----------


@attrs.frozen
class Whole:
    """A store holding every kind of row, and the ids tampering aims at.

    ``advised`` was escalated, advised and closed, its message delivered by the relay (two ledger
    entries); ``closed`` was closed with a concern left unresolved; ``waiting`` is escalated, its
    referral awaiting advice and its message pending.
    """

    backend: Backend
    edm: EthicalDecisions
    advised: str
    closed: str
    waiting: str
    waiting_referral: str
    waiting_message: str


def _fill_whole(backend: Backend) -> Whole:
    clock = testing.FakeClock(now=START)
    edm = testing.service(RoutesPlugin(testing.route("ccu_test")), store=backend.open(), clock=clock)
    dm = testing.decision_maker()
    team = testing.route_team_member("ccu_test")
    case = CaseReference(f"{MARKER}-REF", {"full_name": f"{MARKER} name"})
    proposed = ProposedDecision("refuse", f"{MARKER} summary")
    advised = edm.open_review(by=dm, case=case, proposed=proposed).review_id
    edm.record_reflection(advised, by=dm, concerns=[Concern(ConcernCategory.VULNERABILITY, f"{MARKER} c")])
    scenarios.prepare(edm, advised, dm)
    referral = edm.escalate(advised, by=dm, concern_ids=["C1"], question=f"{MARKER} q").referrals[0]
    edm.acknowledge_referral(referral.referral_id, by=team)
    edm.give_advice(referral.referral_id, by=team, advice=f"{MARKER} advice")
    scenarios.respond(edm, referral.referral_id, dm)
    edm.finalise(advised, by=dm, decision=FinalDecision("grant", f"{MARKER} s", f"{MARKER} rationale"))
    assert Relay(edm, clock=clock).run_once().delivered == 1
    closed = scenarios.close_unresolved(edm, scenarios.open_with_concern(edm, dm).review_id, dm).review_id
    waiting = scenarios.escalated(edm, dm)
    waiting_referral = waiting.referrals[0].referral_id
    (message,) = [r for r in edm.store.outbox() if r.message.review_id == waiting.review_id]
    report = edm.store.verify()
    assert report.ok, str(report)
    return Whole(
        backend, edm, advised, closed, waiting.review_id, waiting_referral, message.message.message_id
    )


@pytest.fixture(name="whole", params=["sqlite", "postgres"])
def _whole(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Whole]:
    if request.param == "postgres":
        yield _fill_whole(request.getfixturevalue("pg_schema"))
        return
    backend = Backend("sqlite", str(tmp_path / "whole.db"))
    try:
        yield _fill_whole(backend)
    finally:
        backend.close()


Place = tuple[str, str, str | None]
"""Where verify must say a difference is: table, the row's key, column (``None``: the whole row)."""

EDITS: dict[str, Callable[[Whole], tuple[list[str], list[Place]]]] = {
    "a referral's status set to advice_given": lambda w: (
        [f"UPDATE referrals SET status = 'advice_given' WHERE referral_id = '{w.waiting_referral}'"],
        [("referrals", w.waiting_referral, "status")],
    ),
    "a referral given to another assignee": lambda w: (
        [f"UPDATE referrals SET assignee_id = 'rt-9999' WHERE referral_id = '{w.waiting_referral}'"],
        [("referrals", w.waiting_referral, "assignee_id")],
    ),
    "an outbox row deleted": lambda w: (
        [f"DELETE FROM outbox WHERE message_id = '{w.waiting_message}'"],
        [("outbox", w.waiting_message, None)],
    ),
    "an outbox row marked delivered": lambda w: (
        [
            "UPDATE outbox SET status = 'delivered', delivered_at = updated_at"
            f" WHERE message_id = '{w.waiting_message}'"
        ],
        [("outbox", w.waiting_message, "status"), ("outbox", w.waiting_message, "delivered_at")],
    ),
    "an outbox row's attempts reset": lambda w: (
        [f"UPDATE outbox SET attempts = 0 WHERE review_id = '{w.advised}'"],
        [("outbox", f"{w.advised}#5", "attempts")],
    ),
    "a compliance row edited": lambda w: (
        [f"UPDATE compliance SET concern_count = concern_count + 1 WHERE review_id = '{w.closed}'"],
        [("compliance", w.closed, "concern_count")],
    ),
    "a compliance row moved to another staff id": lambda w: (
        [
            f"UPDATE compliance SET staff_id = 'dm-9999' WHERE review_id = '{w.closed}'",
            f"UPDATE compliance_items SET value = 'dm-9999' WHERE review_id = '{w.closed}'"
            " AND substr(item, 1, 5) = 'part:'",
        ],
        [("compliance", w.closed, "staff_id"), ("compliance_items", f"{w.closed}/part:decided/0", "value")],
    ),
    "a compliance row deleted": lambda w: (
        [f"DELETE FROM compliance WHERE review_id = '{w.closed}'"],
        [("compliance", w.closed, None)],
    ),
    "a compliance row's month changed": lambda w: (
        [f"UPDATE compliance SET closed_month = '2020-01' WHERE review_id = '{w.closed}'"],
        [("compliance", w.closed, "closed_month")],
    ),
    "a reviews row edited": lambda w: (
        [f"UPDATE reviews SET stage = 'closed', owner_id = 'dm-9999' WHERE review_id = '{w.waiting}'"],
        [("reviews", w.waiting, "stage"), ("reviews", w.waiting, "owner_id")],
    ),
    "a reviews row with no event behind it": lambda w: (
        [
            "INSERT INTO reviews (review_id, business_area, staff_id, owner_id, stage, version, opened_at,"
            " updated_at, closed_at, outcome_class) SELECT 'rv-forged', business_area, staff_id, owner_id,"
            f" stage, version, opened_at, updated_at, closed_at, outcome_class FROM reviews"
            f" WHERE review_id = '{w.closed}'"
        ],
        [("reviews", "rv-forged", None)],
    ),
}


@pytest.mark.parametrize("edit", list(EDITS))
def test_every_edit_to_the_tables_is_located_by_verify(whole: Whole, edit: str, figures: Figures) -> None:
    """An SQL edit to a table built from the events fails verify, naming its table, row and column.

    The chain itself still verifies: only the whole-store check sees these. Nothing of the words is
    in the report. Rebuild then puts the tables right, and verify passes again.
    """
    statements, places = EDITS[edit](whole)
    for statement in statements:
        whole.backend.sql(statement)

    report = whole.backend.open().verify()

    found = {(d.table, d.key, d.column) for d in report.differences}
    assert (report.ok, report.chain.ok, set(places) - found) == (False, True, set()), str(report)
    assert MARKER not in str(report)
    figures.count("edits_located")
    figures.record(rows_checked=sum(report.checked.values()))
    assert whole.backend.open().rebuild().difference_count == report.difference_count
    assert whole.backend.open().verify().ok


LEDGER_EDITS: dict[str, tuple[Callable[[Whole], str], str]] = {
    "a ledger entry edited": (
        lambda w: (
            "UPDATE outbox_ledger SET state = replace(state, '\"attempts\":1', '\"attempts\":2')"
            " WHERE position = 1"
        ),
        "position 1: the entry does not match its hash",
    ),
    "the last ledger entry deleted, its head row left": (
        lambda w: "DELETE FROM outbox_ledger WHERE position = 2",
        "before the store's own head row",
    ),
}


@pytest.mark.parametrize("edit", list(LEDGER_EDITS))
def test_edits_to_the_outbox_ledger_fail_verify_and_refuse_rebuild(
    whole: Whole, edit: str, figures: Figures
) -> None:
    """The outbox ledger is checked like the chain: an edited or removed entry is found; rebuild refuses."""
    statement, problem = LEDGER_EDITS[edit]
    whole.backend.sql(statement(whole))

    store = whole.backend.open()
    report = store.verify()

    assert report.ledger is not None
    assert (report.ok, report.chain.ok, problem in str(report.ledger.broken)) == (False, True, True)
    with pytest.raises(IntegrityError, match="outbox ledger does not verify"):
        store.rebuild()
    figures.count("ledger_edits_located")


def test_the_last_events_deleted_with_the_head_row_left_fail_verify(whole: Whole, figures: Figures) -> None:
    """Deleting the newest events, leaving the store's own head row, breaks the chain at the first one gone.

    No head kept elsewhere is needed: the store's head row still names the last link.
    """
    (last,) = whole.backend.sql("SELECT max(position) FROM events")[0]
    whole.backend.sql("DELETE FROM events WHERE position > ?", (last - 2,))

    report = whole.backend.open().verify()

    assert report.broken is not None
    assert (report.broken.position, "before the store's own head row" in report.broken.problem) == (
        last - 1,
        True,
    )
    with pytest.raises(IntegrityError, match="audit chain does not verify"):
        whole.backend.open().rebuild()
    figures.count("truncations_located")


def test_an_emptied_store_is_refused_not_verified(whole: Whole, figures: Figures) -> None:
    """A store emptied behind the library's back is refused, never verified as an empty store or reused.

    SQLite: the file cut to zero bytes is refused by every way of opening it, and stays zero bytes.
    PostgreSQL: the schema's tables dropped, opening it to read is refused naming the schema.
    """
    backend = whole.backend
    url = (
        f"sqlite:///{backend.location}"
        if backend.kind == "sqlite"
        else f"{POSTGRES_URL}?schema={backend.location}"
    )
    backend.close()
    if backend.kind == "sqlite":
        path = Path(backend.location)
        for extra in (Path(f"{path}-wal"), Path(f"{path}-shm")):
            extra.unlink(missing_ok=True)
        path.write_bytes(b"")
        for create in (False, True):
            with pytest.raises(StoreError, match="empty \\(zero bytes\\)") as info:
                open_store(url, create=create)
            assert str(path) in str(info.value)
        assert path.stat().st_size == 0
    else:
        for table in backend.sql("SELECT tablename FROM pg_tables WHERE schemaname = ?", (backend.location,)):
            backend.sql(f'DROP TABLE "{backend.location}"."{table[0]}"')
        with pytest.raises(StoreError, match=f"no store in the schema '{backend.location}'"):
            open_store(url, create=False)
    figures.count("emptied_stores_refused")


def test_a_damaged_page_outside_the_events_fails_verify_saying_restore(tmp_path: Path) -> None:
    """A corrupted page of a table other than the events fails verify, which says to restore from backup.

    SQLite's own integrity check runs first; other commands that reach the page say the store is
    damaged, not that the disk may be full.
    """
    backend = Backend("sqlite", str(tmp_path / "damaged.db"))
    _fill_whole(backend)
    ((root,),) = backend.sql("SELECT rootpage FROM sqlite_master WHERE name = 'compliance'")
    ((size,),) = backend.sql("PRAGMA page_size")
    backend.close()
    path = Path(backend.location)
    assert not Path(f"{path}-wal").exists()
    with path.open("r+b") as file:
        file.seek((root - 1) * size)
        file.write(b"\xff" * 64)

    store = open_store(f"sqlite:///{path}", create=False)
    try:
        report = store.verify()
        assert report.damage is not None
        assert (report.ok, "restore the store from a backup" in str(report)) == (False, True)
        with pytest.raises(StoreError, match="is damaged") as info:
            list(store.compliance_records())
        assert "disk" not in str(info.value)
    finally:
        store.close()


def _relation_files(backend: Backend) -> list[str]:
    """The files (relative to the data folder) of the events table, its TOAST table and the TOAST index."""
    events = f'"{backend.location}".events'
    ((toast,),) = backend.sql(f"SELECT reltoastrelid FROM pg_class WHERE oid = '{events}'::regclass")
    found = backend.sql(
        "SELECT pg_relation_filepath(oid) FROM pg_class WHERE oid IN (?::regclass, ?)"
        " OR oid IN (SELECT indexrelid FROM pg_index WHERE indrelid = ?)",
        (events, toast, toast),
    )
    return sorted(path for (path,) in found if path)


def _files_holding(backend: Backend, marker: bytes, paths: list[str]) -> list[str]:
    """Those of *paths* (flushed to disk first) whose bytes hold *marker*; a file gone holds nothing."""
    backend.sql("CHECKPOINT")
    holding = []
    for path in paths:
        ((size,),) = backend.sql("SELECT (pg_stat_file(?, true)).size", (path,))
        if size:
            ((data,),) = backend.sql("SELECT pg_read_binary_file(?)", (path,))
            if marker in bytes(data):
                holding.append(path)
    return holding


def test_erased_words_are_gone_from_the_postgresql_files_after_compact(
    pg_schema: Backend, figures: Figures
) -> None:
    """After an erasure and compact, the erased words are in no file of the events table.

    The files are read by the server itself (``pg_read_binary_file`` on ``pg_relation_filepath``):
    the table's, its TOAST table's and that table's index, and the files they had before compact.
    """
    filled = _fill(pg_schema)
    marker = MARKER.encode()
    before = _relation_files(pg_schema)
    assert _files_holding(pg_schema, marker, before)  # the check below could fail
    for rid in filled.reviews:
        filled.edm.erase_free_text(rid, by=RecordsOfficer("ro-0042"))
    pg_schema.sql(f'VACUUM "{pg_schema.location}".events')
    # Whether a plain VACUUM leaves them depends on how it compacts each page: often it does (why
    # compact exists), so the run records it rather than relying on it.
    left_by_vacuum = bool(_files_holding(pg_schema, marker, before))

    filled.edm.store.compact()

    after = _relation_files(pg_schema)
    assert after != before  # rewritten into new files
    assert _files_holding(pg_schema, marker, before + after) == []
    assert filled.edm.verify().ok
    figures.record(files_read=len(before + after), vacuum_left_words=left_by_vacuum, compact_left_words=False)
