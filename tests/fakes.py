"""Fakes for delivery tests: a route team's system in memory, and a relay that dies on cue."""

from __future__ import annotations

import random
from collections.abc import Iterable
from typing import Any

from ethical_decisions import DeliveryError
from ethical_decisions.store import OutboxRow, Store
from ethical_decisions.transports import ReferralMessage


class Crash(BaseException):
    """The relay's process dies here: not an ``Exception``, so nothing in the library catches it."""


# What one delivery attempt does: deliver; fail (worth retrying, or not); die before or after delivering.
OK = "ok"
RETRYABLE = "retryable"
PERMANENT = "permanent"
CRASH_BEFORE = "crash_before"
CRASH_AFTER = "crash_after"


class FakeTransport:
    """A route team's system in memory that honours idempotency keys, failing as scripted.

    :ivar received: every message that arrived, repeats included.
    :ivar accepted: the first message for each idempotency key: what the team acted on.
    """

    name = "fake"

    def __init__(self, outcomes: Iterable[str | Exception] = ()) -> None:
        self.outcomes = list(outcomes)
        self.received: list[ReferralMessage] = []
        self.accepted: dict[str, ReferralMessage] = {}

    def deliver(self, message: ReferralMessage) -> None:
        """Take the next scripted outcome (``"ok"`` once the script runs out)."""
        outcome = self.outcomes.pop(0) if self.outcomes else OK
        if isinstance(outcome, Exception):
            raise outcome
        if outcome == CRASH_BEFORE:
            raise Crash
        if outcome == RETRYABLE:
            raise DeliveryError("The fake receiver answered HTTP 503.", retryable=True)
        if outcome == PERMANENT:
            raise DeliveryError("The fake receiver answered HTTP 400.", retryable=False)
        self.received.append(message)
        self.accepted.setdefault(message.idempotency_key, message)
        if outcome == CRASH_AFTER:
            raise Crash


class CrashingStore:
    """A store whose relay dies just after claiming a message, when :attr:`crash_after_claim` is set."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self.crash_after_claim = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    def claim_outbox(self, **kwargs: Any) -> list[OutboxRow]:
        """Claim as the store does, then die if told to."""
        rows = self._store.claim_outbox(**kwargs)
        if rows and self.crash_after_claim:
            raise Crash
        return rows


class FixedRandom(random.Random):
    """Jitter that always draws the same fraction."""

    def __init__(self, value: float) -> None:
        super().__init__()
        self.value = value

    def random(self) -> float:
        """The fixed fraction."""
        return self.value
