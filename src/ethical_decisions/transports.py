"""Transports: how a referral message reaches a route's team.

The relay hands each outbox message to its route's transport. A transport
either returns (delivered) or raises :class:`~ethical_decisions.DeliveryError`
(the relay retries, then keeps the message as a dead letter). Every message
carries an idempotency key, so a team's system can ignore a repeat.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol, runtime_checkable

import attrs

__all__ = ["QueueTransport", "ReferralMessage", "Transport"]


@attrs.frozen
class ReferralMessage:
    """One message to a route's team about a referral.

    :param message_id: the outbox row's id.
    :param idempotency_key: the same for every attempt at this message; the
        referral id for its submission.
    :param kind: the event it reports, e.g. ``"referral_submitted"``.
    :param body: the JSON document the team receives.
    """

    message_id: str
    idempotency_key: str
    kind: str
    referral_id: str
    review_id: str
    route_id: str
    route_version: str
    body: Mapping[str, Any] = attrs.field(repr=False)


@runtime_checkable
class Transport(Protocol):
    """Delivers referral messages to a route's team."""

    @property
    def name(self) -> str:
        """A short name for logs and listings, e.g. ``"queue"`` or ``"webhook"``."""

    def deliver(self, message: ReferralMessage) -> None:
        """Deliver *message*, or raise :class:`~ethical_decisions.DeliveryError`."""


@attrs.frozen
class QueueTransport:
    """The default transport: the referral waits in the store's own queue.

    The route's team lists, acknowledges and answers its referrals through the
    library (``ethical-decisions referrals``), so delivery has nothing more to do.
    """

    @property
    def name(self) -> str:
        """``"queue"``."""
        return "queue"

    def deliver(self, message: ReferralMessage) -> None:
        """Nothing to send: the referral is already in the store."""
