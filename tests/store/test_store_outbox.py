"""The relay's outbox: written with the escalation, claimed under a lease, retried, dead-lettered."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest

from ethical_decisions import NotFoundError
from ethical_decisions.store import OutboxRow, OutboxStatus, Store

if TYPE_CHECKING:
    from conftest import Backend, Make

NOW = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)
MINUTE = dt.timedelta(minutes=1)
LEASE = dt.timedelta(minutes=5)


@pytest.fixture(name="outbox_store")
def _outbox_store(store: Store, make: Make) -> Store:
    """Three messages created at NOW + 2, NOW and NOW + 1 minutes (ids m2, m0, m1)."""
    messages = tuple(
        make.message("rv-a", n, message_id=f"m{n}", created_at=NOW + n * MINUTE) for n in (2, 0, 1)
    )
    make.stored(store, "rv-a", outbox=messages)
    return store


def _ids(rows: list[OutboxRow]) -> list[str]:
    return [r.message.message_id for r in rows]


def test_appended_messages_are_pending(outbox_store: Store, make: Make) -> None:
    """A message is stored pending, with no attempts, due when it was created, oldest first."""
    first = outbox_store.outbox()[0]

    assert ["m0", "m1", "m2"] == _ids(outbox_store.outbox())
    assert (
        OutboxRow(
            message=make.message("rv-a", 0, message_id="m0", created_at=NOW),
            status=OutboxStatus.PENDING,
            attempts=0,
            next_attempt_at=NOW,
            updated_at=NOW,
        )
        == first
    )


def test_claim_takes_due_messages_oldest_first(outbox_store: Store) -> None:
    """A claim takes only messages due by *now*, oldest first, up to the limit, counting an attempt."""
    claimed = outbox_store.claim_outbox(now=NOW + MINUTE, limit=5, lease=LEASE)

    assert ["m0", "m1"] == _ids(claimed)
    assert [(1, NOW + MINUTE + LEASE, NOW + MINUTE)] * 2 == [
        (r.attempts, r.next_attempt_at, r.updated_at) for r in claimed
    ]
    assert claimed == outbox_store.outbox()[:2]


def test_claim_limit(outbox_store: Store) -> None:
    """A claim takes no more than its limit; a limit of zero takes nothing."""
    later = NOW + 10 * MINUTE

    assert [] == outbox_store.claim_outbox(now=later, limit=0, lease=LEASE)
    assert ["m0"] == _ids(outbox_store.claim_outbox(now=later, limit=1, lease=LEASE))
    assert ["m1", "m2"] == _ids(outbox_store.claim_outbox(now=later, limit=5, lease=LEASE))


def test_claimed_messages_wait_for_the_lease(outbox_store: Store) -> None:
    """A claimed message is not claimed again until its lease runs out; then it is, with another attempt."""
    outbox_store.claim_outbox(now=NOW + 2 * MINUTE, limit=5, lease=LEASE)

    assert [] == outbox_store.claim_outbox(now=NOW + 3 * MINUTE, limit=5, lease=LEASE)
    again = outbox_store.claim_outbox(now=NOW + 2 * MINUTE + LEASE, limit=5, lease=LEASE)
    assert ["m0", "m1", "m2"] == _ids(again)
    assert [2, 2, 2] == [r.attempts for r in again]


def test_mark_delivered(outbox_store: Store) -> None:
    """A delivered message records when, clears the last error, and is never claimed again."""
    outbox_store.claim_outbox(now=NOW, limit=1, lease=LEASE)
    assert outbox_store.mark_failed(
        "m0", attempt=1, at=NOW, next_attempt_at=NOW + MINUTE, error="DeliveryError: 503", dead=False
    )
    assert outbox_store.mark_delivered("m0", attempt=1, at=NOW + 2 * MINUTE)

    (row,) = outbox_store.outbox(status=OutboxStatus.DELIVERED)
    assert ("m0", NOW + 2 * MINUTE, NOW + 2 * MINUTE, None) == (
        row.message.message_id,
        row.delivered_at,
        row.updated_at,
        row.last_error,
    )
    assert ["m1", "m2"] == _ids(outbox_store.claim_outbox(now=NOW + LEASE, limit=5, lease=LEASE))


def test_mark_failed_retries_later(outbox_store: Store) -> None:
    """A failed attempt that may be retried stays pending, due at the retry time, with the error kept."""
    outbox_store.claim_outbox(now=NOW, limit=1, lease=LEASE)
    assert outbox_store.mark_failed(
        "m0",
        attempt=1,
        at=NOW + MINUTE,
        next_attempt_at=NOW + 10 * MINUTE,
        error="DeliveryError: timeout",
        dead=False,
    )

    row = outbox_store.outbox()[0]
    assert (OutboxStatus.PENDING, 1, NOW + 10 * MINUTE, NOW + MINUTE, "DeliveryError: timeout") == (
        row.status,
        row.attempts,
        row.next_attempt_at,
        row.updated_at,
        row.last_error,
    )
    assert ["m1", "m2"] == _ids(outbox_store.claim_outbox(now=NOW + 9 * MINUTE, limit=5, lease=LEASE))
    assert ["m0"] == _ids(outbox_store.claim_outbox(now=NOW + 10 * MINUTE, limit=5, lease=LEASE))


def test_dead_letters_are_kept_and_can_be_redriven(outbox_store: Store) -> None:
    """A dead letter stays listed but unclaimed; re-driving makes it pending and due, its attempts kept.

    The attempts before the redrive are recorded (``redriven_after``), so the retries count from
    there, and the next claim is attempt 2, never attempt 1 again.
    """
    outbox_store.claim_outbox(now=NOW, limit=1, lease=LEASE)
    assert outbox_store.mark_failed(
        "m0", attempt=1, at=NOW, next_attempt_at=NOW, error="DeliveryError: refused", dead=True
    )

    assert ["m0"] == _ids(outbox_store.outbox(status=OutboxStatus.DEAD))
    assert ["m1", "m2"] == _ids(outbox_store.outbox(status=OutboxStatus.PENDING))
    assert "m0" not in _ids(outbox_store.claim_outbox(now=NOW + LEASE, limit=5, lease=LEASE))

    outbox_store.redrive("m0", at=NOW + LEASE)

    (row,) = [r for r in outbox_store.outbox() if r.message.message_id == "m0"]
    assert (OutboxStatus.PENDING, 1, 1, 0, NOW + LEASE, NOW + LEASE) == (
        row.status,
        row.attempts,
        row.redriven_after,
        row.attempts_since_redrive,
        row.next_attempt_at,
        row.updated_at,
    )
    (again,) = outbox_store.claim_outbox(now=NOW + LEASE, limit=5, lease=LEASE)
    assert ("m0", 2, 1) == (again.message.message_id, again.attempts, again.attempts_since_redrive)


def test_redrive_leaves_live_messages_alone(outbox_store: Store) -> None:
    """Re-driving a message that is not a dead letter changes nothing."""
    outbox_store.claim_outbox(now=NOW, limit=1, lease=LEASE)
    before = outbox_store.outbox()

    outbox_store.redrive("m0", at=NOW + LEASE)
    outbox_store.redrive("m1", at=NOW + LEASE)

    assert before == outbox_store.outbox()


def _delivered(store: Store, attempt: int) -> bool:
    return store.mark_delivered("m0", attempt=attempt, at=NOW + 7 * MINUTE)


def _retrying(store: Store, attempt: int) -> bool:
    return store.mark_failed(
        "m0", attempt=attempt, at=NOW + 7 * MINUTE, next_attempt_at=NOW, error="E", dead=False
    )


def _dead(store: Store, attempt: int) -> bool:
    return store.mark_failed(
        "m0", attempt=attempt, at=NOW + 7 * MINUTE, next_attempt_at=NOW, error="E", dead=True
    )


MARKS = pytest.mark.parametrize("mark", [_delivered, _retrying, _dead], ids=["delivered", "retrying", "dead"])


@MARKS
def test_a_mark_under_a_lapsed_claim_changes_nothing(
    outbox_store: Store, mark: Callable[[Store, int], bool]
) -> None:
    """Once the lease ran out and another claim took the message, a mark under the old claim changes nothing.

    The mark says so (False), and the message stays as the later claim left it; the later claim can
    still record its own result.
    """
    outbox_store.claim_outbox(now=NOW, limit=1, lease=LEASE)
    outbox_store.claim_outbox(now=NOW + LEASE, limit=1, lease=LEASE)
    before = outbox_store.outbox()

    assert mark(outbox_store, 1) is False
    assert before == outbox_store.outbox()
    assert mark(outbox_store, 2) is True
    assert before != outbox_store.outbox()


@MARKS
@pytest.mark.parametrize(
    "settled",
    [
        lambda s: s.mark_delivered("m0", attempt=1, at=NOW + MINUTE),
        lambda s: s.mark_failed("m0", attempt=1, at=NOW, next_attempt_at=NOW, error="E", dead=True),
    ],
    ids=["after-delivery", "after-dead-letter"],
)
def test_a_settled_message_cannot_be_marked_again(
    outbox_store: Store, mark: Callable[[Store, int], bool], settled: Callable[[Store], bool]
) -> None:
    """A delivered message or a dead letter is settled: no mark changes it, not even under its own claim."""
    outbox_store.claim_outbox(now=NOW, limit=1, lease=LEASE)
    assert settled(outbox_store)
    before = outbox_store.outbox()

    assert mark(outbox_store, 1) is False
    assert before == outbox_store.outbox()


@MARKS
def test_a_mark_before_any_claim_changes_nothing(
    outbox_store: Store, mark: Callable[[Store, int], bool]
) -> None:
    """A message no relay has claimed yet is not in flight: a mark under attempt 1 changes nothing."""
    before = outbox_store.outbox()

    assert mark(outbox_store, 1) is False
    assert before == outbox_store.outbox()


@pytest.mark.parametrize(
    "act",
    [
        lambda s: s.mark_delivered("m9", attempt=1, at=NOW),
        lambda s: s.mark_failed("m9", attempt=1, at=NOW, next_attempt_at=NOW, error="E", dead=False),
        lambda s: s.redrive("m9", at=NOW),
    ],
    ids=["mark_delivered", "mark_failed", "redrive"],
)
def test_unknown_message(outbox_store: Store, act: Callable[[Store], None]) -> None:
    """Acting on a message that is not in the outbox raises NotFoundError naming it, and changes nothing."""
    before = outbox_store.outbox()

    with pytest.raises(NotFoundError) as info:
        act(outbox_store)

    assert ("outbox message", "m9") == (info.value.kind, info.value.identifier)
    assert before == outbox_store.outbox()


def test_concurrent_relays_never_share_a_message(backend: Backend, make: Make) -> None:
    """Relays claiming at the same time, through separate stores, each take different messages.

    Every claim is in the outbox ledger, which stays one unbroken chain.
    """
    stores = [backend.open() for _ in range(4)]
    messages = tuple(make.message("rv-a", n, created_at=NOW) for n in range(40))
    make.stored(stores[0], "rv-a", outbox=messages)
    barrier = threading.Barrier(len(stores))
    claimed: list[list[str]] = [[] for _ in stores]

    def relay(index: int) -> None:
        barrier.wait()
        while batch := stores[index].claim_outbox(now=NOW, limit=3, lease=LEASE):
            claimed[index].extend(_ids(batch))

    threads = [threading.Thread(target=relay, args=(i,)) for i in range(len(stores))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    everything = [m for ids in claimed for m in ids]
    assert sorted(m.message_id for m in messages) == sorted(everything)
    assert [1] * len(messages) == [r.attempts for r in stores[0].outbox()]
    ledger = stores[0].verify().ledger  # the messages have no events behind them; the ledger is whole
    assert ledger is not None
    assert (ledger.ok, ledger.entries) == (True, len(messages))
