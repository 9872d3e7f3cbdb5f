"""What every store makes of an append batch's contents, the same way: chain links and pending messages."""

from __future__ import annotations

from ethical_decisions.audit import ChainRecord, SealedEvent, chain_hash

from .base import OutboxMessage, OutboxRow, OutboxStatus

__all__ = ["link", "pending"]


def link(sealed: SealedEvent, *, position: int, previous: str) -> ChainRecord:
    """*sealed* as the chain's link at *position*, after the link whose hash is *previous*."""
    return ChainRecord(
        position=position,
        review_id=sealed.review_id,
        sequence=sealed.sequence,
        kind=sealed.kind,
        occurred_at=sealed.occurred_at,
        body=sealed.body,
        texts=dict(sealed.texts),
        salt=sealed.salt,
        hash=chain_hash(previous, sealed.body),
    )


def pending(message: OutboxMessage) -> OutboxRow:
    """A new outbox row for *message*: pending, never tried, due when it was created."""
    return OutboxRow(
        message=message,
        status=OutboxStatus.PENDING,
        attempts=0,
        next_attempt_at=message.created_at,
        updated_at=message.created_at,
    )
