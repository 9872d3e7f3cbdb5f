r"""The outbox ledger: every change to a message's delivery state, hash-chained, for verify to trust.

Which messages exist follows from the events, but how far delivery got (claimed
by which relay until when, delivered, failed, dead, re-driven) does not. Every
store therefore writes each such change twice, in one transaction: to the
message's ``outbox`` row, and as an entry appended to one ledger shared by all
messages. Each entry holds the review and message it is about, the action, and
the message's whole delivery state after it; entries are chained like the
events (``hash[n] = SHA-256(hash[n-1] + "\\n" + body[n])``, from
:data:`~ethical_decisions.audit.GENESIS`), and the store keeps the ledger's
last link in a head row.

Verify then checks the ledger's links and its head row, checks that each
message's entries are changes a store makes (:func:`follows`: a claim takes a
pending message due by then and counts one more attempt; only a pending
message is marked; only a dead letter is re-driven), and that the last entry's
state is what the message's row holds. A row marked delivered by SQL, with no
entry behind it, no longer matches; an entry added by hand must be linked into
the chain and its head row, and removing entries from the end leaves the head
row behind, as for the events. A ledger rewritten whole with its head row is
found only against a head kept elsewhere.

The first state of every message is not in the ledger: it follows from the
event that created the message (pending, never tried, due when created).
Schema step 3 carried each message that had moved on from that state over
into the ledger as it then stood (action ``carried_over``).
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from ethical_decisions.audit import chain_hash
from ethical_decisions.serialization import canonical_json

from .base import OutboxMessage, OutboxRow, OutboxStatus

__all__ = [
    "STATE_FIELDS",
    "Action",
    "Entry",
    "body",
    "entry",
    "first_state",
    "follows",
    "state_of",
]


class Action(enum.StrEnum):
    """What an entry records."""

    CLAIMED = "claimed"
    DELIVERED = "delivered"
    FAILED = "failed"
    DEAD = "dead"
    REDRIVEN = "redriven"
    CARRIED_OVER = "carried_over"
    """Schema step 3: the message's state as it stood when the ledger began."""


STATE_FIELDS = (
    "status",
    "attempts",
    "redriven_after",
    "next_attempt_at",
    "updated_at",
    "delivered_at",
    "last_error",
    "claimed_by",
    "claimed_until",
)
"""The delivery state: the fields of :class:`~ethical_decisions.store.OutboxRow` that are not the message."""

_TIMES = frozenset({"next_attempt_at", "updated_at", "delivered_at", "claimed_until"})


def _json_value(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    return value


def state_of(row: OutboxRow) -> dict[str, Any]:
    """The delivery state of *row*, as JSON-ready values (times as ISO 8601 UTC text)."""
    return {name: _json_value(getattr(row, name)) for name in STATE_FIELDS}


def first_state(message: OutboxMessage) -> dict[str, Any]:
    """The state of a message when its event created it: pending, never tried, due at once."""
    created = _json_value(message.created_at)
    return {
        "status": OutboxStatus.PENDING.value,
        "attempts": 0,
        "redriven_after": 0,
        "next_attempt_at": created,
        "updated_at": created,
        "delivered_at": None,
        "last_error": None,
        "claimed_by": None,
        "claimed_until": None,
    }


def row_values(state: Mapping[str, Any]) -> dict[str, Any]:
    """*state* as :class:`~ethical_decisions.store.OutboxRow` field values (times parsed, status an enum).

    :raises ValueError: if the state cannot be read as one (a ledger changed outside the library).
    """
    values: dict[str, Any] = {}
    for name in STATE_FIELDS:
        value = state[name]
        if name in _TIMES and value is not None:
            value = dt.datetime.fromisoformat(value)
        elif name == "status":
            value = OutboxStatus(value)
        values[name] = value
    return values


@attrs.frozen
class Entry:
    """One link of the ledger."""

    position: int
    review_id: str
    message_id: str
    action: str
    state: Mapping[str, Any]
    hash: str


def body(review_id: str, message_id: str, action: str, state: Mapping[str, Any]) -> str:
    """The text an entry's hash covers: its review, message, action and state as canonical JSON."""
    return canonical_json(
        {"action": action, "message_id": message_id, "review_id": review_id, "state": dict(state)}
    )


def entry(position: int, previous: str, row: OutboxRow, action: Action) -> Entry:
    """The entry at *position*, after the link with hash *previous*: *row*'s state after *action*."""
    message = row.message
    state = state_of(row)
    text = body(message.review_id, message.message_id, action.value, state)
    hash_ = chain_hash(previous, text)
    return Entry(position, message.review_id, message.message_id, action.value, state, hash_)


def chained(
    position: int, previous: str, changes: Iterable[tuple[OutboxRow, Action]]
) -> tuple[list[Entry], int, str]:
    """The entries for *changes*, linked after (*position*, *previous*); and the new head."""
    entries = []
    for row, action in changes:
        position += 1
        written = entry(position, previous, row, action)
        previous = written.hash
        entries.append(written)
    return entries, position, previous


def _same(before: Mapping[str, Any], after: Mapping[str, Any], *names: str) -> bool:
    return all(before.get(name) == after.get(name) for name in names)


def _unclaimed(state: Mapping[str, Any]) -> bool:
    return state.get("claimed_by") is None and state.get("claimed_until") is None


def _not_before(later: Any, earlier: Any) -> bool:
    """Whether the time *later* (ISO 8601 text) is not before *earlier*."""
    try:
        return bool(dt.datetime.fromisoformat(later) >= dt.datetime.fromisoformat(earlier))
    except (TypeError, ValueError):
        return False


def _pending(state: Mapping[str, Any]) -> bool:
    return state.get("status") == OutboxStatus.PENDING.value


def follows(before: Mapping[str, Any], action: str, after: Mapping[str, Any]) -> bool:
    """Whether a store changes a message's state *before* into *after* by *action*.

    A claim takes a pending message due by the time of the claim, counts one
    more attempt and holds it, for the relay named, until its lease ends; only a
    pending message is delivered, failed or made a dead letter, each under the
    attempt it holds (the count does not change), which lets the claim go; only
    a dead letter is re-driven, and its attempts are kept (the retries count
    from there).
    """
    if set(after) != set(STATE_FIELDS):
        return False
    kept = ("attempts", "redriven_after")
    if action == Action.CLAIMED:
        return (
            _pending(before)
            and _pending(after)
            and after["attempts"] == before.get("attempts", 0) + 1
            and _same(before, after, "redriven_after", "delivered_at", "last_error")
            and isinstance(after["claimed_by"], str)
            and after["claimed_until"] == after["next_attempt_at"]
            and _not_before(after["updated_at"], before.get("next_attempt_at"))
        )
    if action == Action.DELIVERED:
        return (
            _pending(before)
            and after["status"] == OutboxStatus.DELIVERED.value
            and _same(before, after, *kept)
            and after["delivered_at"] == after["updated_at"]
            and after["last_error"] is None
            and _unclaimed(after)
        )
    if action in (Action.FAILED, Action.DEAD):
        status = OutboxStatus.PENDING if action == Action.FAILED else OutboxStatus.DEAD
        return (
            _pending(before)
            and after["status"] == status.value
            and _same(before, after, *kept, "delivered_at")
            and isinstance(after["last_error"], str)
            and _unclaimed(after)
        )
    if action == Action.REDRIVEN:
        return (
            before.get("status") == OutboxStatus.DEAD.value
            and _pending(after)
            and _same(before, after, "attempts", "delivered_at", "last_error")
            and after["redriven_after"] == after["attempts"]
            and after["next_attempt_at"] == after["updated_at"]
            and _unclaimed(after)
        )
    return False
