"""Appending, loading and the chain: the same behaviour from every store."""

from __future__ import annotations

import datetime as dt
import threading
from typing import TYPE_CHECKING

import attrs
import pytest

from ethical_decisions import ConflictError, NotFoundError, StoreError, verify
from ethical_decisions.audit import GENESIS, ChainHead, chain_hash
from ethical_decisions.events import ReviewOpened
from ethical_decisions.store import Store

if TYPE_CHECKING:
    from conftest import Backend, Make

NOW = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)


def test_empty_store(store: Store) -> None:
    """A new store has no chain head, no events and no rows of any kind."""
    assert None is store.head()
    assert [] == list(store.chain())
    assert [] == store.reviews()
    assert [] == store.referrals()
    assert [] == store.outbox()
    assert [] == list(store.compliance_records())


def test_append_chains_events_after_the_head(store: Store, make: Make) -> None:
    """Appended events get positions 1, 2, 3… across reviews, each hash following the one before."""
    first, batch = make.opened("rv-a")
    written_a = store.append(batch)
    _, batch = make.opened("rv-b", at=NOW + dt.timedelta(minutes=1))
    written_b = store.append(batch)
    _, batch = make.then(first)
    written_a2 = store.append(batch)

    chain = list(store.chain())

    assert [1, 2, 3] == [r.position for r in chain]
    assert [("rv-a", 1), ("rv-b", 1), ("rv-a", 2)] == [(r.review_id, r.sequence) for r in chain]
    assert chain_hash(GENESIS, chain[0].body) == chain[0].hash
    assert chain_hash(chain[1].hash, chain[2].body) == chain[2].hash
    assert [*written_a, *written_b, *written_a2] == chain
    assert ChainHead(3, chain[2].hash) == store.head()
    assert verify(chain).ok


def test_append_keeps_what_was_sealed(store: Store, make: Make) -> None:
    """A stored event reads back exactly as sealed: body, texts, salt, time, kind."""
    _, batch = make.opened("rv-a")
    sealed = batch.events[0]
    store.append(batch)

    (record,) = store.load("rv-a")

    assert (sealed.review_id, sealed.sequence, sealed.kind) == (
        record.review_id,
        record.sequence,
        record.kind,
    )
    assert sealed.occurred_at == record.occurred_at
    assert sealed.body == record.body
    assert dict(sealed.texts) == dict(record.texts)
    assert sealed.salt == record.salt
    payload = record.event().payload
    assert isinstance(payload, ReviewOpened)
    assert "REF/rv-a" == payload.case.reference


def test_load_after(store: Store, make: Make) -> None:
    """``load(after=N)`` returns only the events after sequence N; past the end, none."""
    review, batch = make.opened("rv-a")
    store.append(batch)
    _, batch = make.then(review)
    store.append(batch)

    assert [1, 2] == [r.sequence for r in store.load("rv-a")]
    assert [2] == [r.sequence for r in store.load("rv-a", after=1)]
    assert () == store.load("rv-a", after=2)


def test_load_unknown_review(store: Store, make: Make) -> None:
    """Loading a review that is not stored raises NotFoundError naming it."""
    make.stored(store, "rv-a")

    with pytest.raises(NotFoundError) as info:
        store.load("rv-missing")

    assert ("review", "rv-missing") == (info.value.kind, info.value.identifier)


def test_chain_after(store: Store, make: Make) -> None:
    """``chain(after=N)`` starts at position N + 1."""
    for n in range(4):
        make.stored(store, f"rv-{n}")

    assert [3, 4] == [r.position for r in store.chain(after=2)]
    assert [] == list(store.chain(after=4))


def test_chain_pages(store: Store, make: Make, monkeypatch: pytest.MonkeyPatch) -> None:
    """The SQL stores read the chain a page at a time; every event comes back once, in order."""
    monkeypatch.setattr("ethical_decisions.store._sql._PAGE", 2)
    for n in range(5):
        make.stored(store, f"rv-{n}")

    assert [1, 2, 3, 4, 5] == [r.position for r in store.chain()]
    assert [2, 3, 4, 5] == [r.position for r in store.chain(after=1)]


@pytest.mark.parametrize("expected_version", [0, 2])
def test_conflict_writes_nothing(store: Store, make: Make, expected_version: int) -> None:
    """An append whose expected version is not the review's raises ConflictError and writes nothing."""
    review = make.stored(store, "rv-a")
    _, batch = make.then(
        review,
        expected_version=expected_version,
        referrals=(make.referral("rv-a"),),
        outbox=(make.message("rv-a"),),
        compliance=make.compliance("rv-a"),
    )
    before = (list(store.chain()), store.reviews(), store.head())

    with pytest.raises(ConflictError) as info:
        store.append(batch)

    assert ("rv-a", expected_version, 1) == (
        info.value.review_id,
        info.value.expected_version,
        info.value.actual_version,
    )
    assert before == (list(store.chain()), store.reviews(), store.head())
    assert [] == store.referrals()
    assert [] == store.outbox()
    assert [] == list(store.compliance_records())


def test_opening_an_existing_review_conflicts(store: Store, make: Make) -> None:
    """A second batch opening the same review (expected version 0) is a conflict."""
    make.stored(store, "rv-a")
    _, again = make.opened("rv-a", at=NOW + dt.timedelta(hours=1))

    with pytest.raises(ConflictError):
        store.append(again)

    assert 1 == len(list(store.chain()))


def test_concurrent_appends_to_one_review(backend: Backend, make: Make) -> None:
    """Two threads appending to one review at the same version: exactly one wins, the other conflicts."""
    stores = [backend.open(), backend.open()]
    rounds = 5
    for n in range(rounds):
        make.stored(stores[0], f"rv-{n}")
    rounds_won: list[list[str]] = []

    def writer(store: Store, review_id: str, barrier: threading.Barrier, outcomes: list[str]) -> None:
        _, batch = make.then(make.opened(review_id)[0])
        barrier.wait()
        try:
            store.append(batch)
            outcomes.append("won")
        except ConflictError:
            outcomes.append("conflict")

    for n in range(rounds):
        barrier, outcomes = threading.Barrier(2), []
        threads = [threading.Thread(target=writer, args=(s, f"rv-{n}", barrier, outcomes)) for s in stores]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        rounds_won.append(sorted(outcomes))

    assert [["conflict", "won"]] * rounds == rounds_won
    assert [2] * rounds == [len(stores[0].load(f"rv-{n}")) for n in range(rounds)]
    assert verify(stores[1].chain()).ok


def test_concurrent_appends_keep_one_chain(backend: Backend, make: Make) -> None:
    """Many threads appending to different reviews at once leave one gap-free chain that verifies."""
    stores = [backend.open(), backend.open()]
    threads_count, per_thread = 6, 5
    barrier = threading.Barrier(threads_count)
    errors: list[BaseException] = []

    def writer(index: int) -> None:
        store = stores[index % 2]
        barrier.wait()
        try:
            for n in range(per_thread):
                review = make.stored(store, f"rv-{index}-{n}")
                store.append(make.then(review)[1])
        except BaseException as exc:  # collected and re-raised by the test below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert [] == errors
    chain = list(stores[0].chain())
    assert list(range(1, threads_count * per_thread * 2 + 1)) == [r.position for r in chain]
    report = verify(chain, expected_head=stores[1].head())
    assert report.ok, str(report)


def test_a_batch_out_of_sequence_is_refused_before_it_reaches_a_store(store: Store, make: Make) -> None:
    """A batch whose events do not follow its expected version, or its review, is refused as a bug."""
    review = make.stored(store, "rv-a")
    _, batch = make.then(review)
    with pytest.raises(StoreError, match="numbered from 1 without gaps"):
        attrs.evolve(batch, expected_version=0)
    with pytest.raises(StoreError, match="numbered from 2 without gaps"):
        attrs.evolve(batch, review_id="rv-b")
    assert [1] == [r.sequence for r in store.load("rv-a")]
