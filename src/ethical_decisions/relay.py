"""The relay: delivers the outbox to the routes' teams, so that no escalation is ever lost.

Every step that a route's team must hear about (a referral submitted,
information provided, a referral withdrawn) writes an outbox row in the same
transaction as its event. A :class:`Relay` claims the rows that are due, one
at a time and with a lease (so two relays never work on one row at once, and a
relay that dies leaves the row to be claimed again when the lease ends), builds
each message from the review as it stands *at delivery*, hands it to the
route's transport, and records the result:

- delivered: the row is marked delivered;
- failed: it is tried again after an exponential backoff with full jitter;
- failed for the last time, or refused outright by the receiver: it is kept as
  a dead letter, listed by ``store.outbox(status=OutboxStatus.DEAD)``, and can
  be re-driven with :meth:`Relay.redrive`, which keeps its attempts and starts
  a new round of retries. Nothing is ever deleted.

Each claim is numbered (the message's attempts, never reset) and names the
relay that made it (:attr:`Relay.name`) and when its lease ends, so
``store.outbox()`` shows who holds a message and until when. The lease comes
from :attr:`RetryPolicy.lease`, by default the ``EDM_RELAY_LEASE``
environment variable (seconds), else five minutes.

A message may be delivered more than once (when a relay dies after delivering
and before recording it, or its delivery outlasts the lease and another relay
claims the message again), always with the same idempotency key, so a receiver
that honours the key acts on it once.

A relay records its result only while its claim holds: once its lease has run
out and another relay has claimed the message (or it became a dead letter and
was re-driven since), the first relay's result (delivered, failed or dead) is
not recorded, and it logs
``ethical_decisions.referral_lease_expired`` instead, so that a late failure can
never undo another relay's delivery. Seeing that event means the lease is
shorter than a delivery can take: lengthen :attr:`RetryPolicy.lease`.

Because the body is built when delivering, erasing a review's free text also
erases it from the messages not yet delivered: they carry the erasure marker.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import random
import socket
import time
from collections.abc import Callable
from typing import Any

import attrs

from .clock import Clock, read_clock, system_clock
from .events import InformationProvided, ReferralWithdrawn
from .exceptions import (
    DeliveryError,
    DuplicateRouteError,
    EthicalDecisionsError,
    NotFoundError,
    StoreError,
    ValidationError,
    raised_by_library,
)
from .log import LogEvent, emit
from .review import Review
from .service import EthicalDecisions
from .store import OutboxMessage, OutboxRow, OutboxStatus
from .transports import ReferralMessage

__all__ = ["LEASE_VARIABLE", "MESSAGE_VERSION", "Relay", "RelayReport", "RetryPolicy", "referral_message"]

LEASE_VARIABLE = "EDM_RELAY_LEASE"
"""Environment variable: the seconds a relay's claim on a message lasts, when no policy is given."""

MESSAGE_VERSION = 1
"""The version of the message body's layout, sent as ``message_version``."""

_SMALLEST_DELAY = dt.timedelta(milliseconds=1)  # never zero: a failed message is not due again at once


def _positive(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if isinstance(value, dt.timedelta) and value > dt.timedelta(0):
        return
    if isinstance(value, int) and not isinstance(value, bool) and value >= 1:
        return
    raise ValidationError("The retry policy", [f"{attribute.name}: must be more than zero"])


@attrs.frozen
class RetryPolicy:
    """How often, and how far apart, the relay tries to deliver a message.

    After failed attempt *n*, the next is due after a random delay between 0
    and ``min(max_delay, base_delay * 2 ** (n - 1))`` (exponential backoff with
    full jitter, so that relays recovering together do not all retry at once).
    The defaults try 12 times over about seven hours on average (at most about
    fourteen and a half), so a receiver that is down for a working day's
    maintenance leaves dead letters to re-drive, not lost escalations.

    :param max_attempts: attempts before a message becomes a dead letter.
    :param base_delay: the longest delay after the first failure.
    :param max_delay: the cap on any delay.
    :param lease: how long a claimed message is left to one relay. It must be
        longer than one delivery takes (the webhook's timeout); if the relay
        dies, the message is claimed again once the lease ends.
    """

    max_attempts: int = attrs.field(default=12, validator=_positive)
    base_delay: dt.timedelta = attrs.field(default=dt.timedelta(seconds=30), validator=_positive)
    max_delay: dt.timedelta = attrs.field(default=dt.timedelta(hours=6), validator=_positive)
    lease: dt.timedelta = attrs.field(default=dt.timedelta(minutes=5), validator=_positive)

    @classmethod
    def from_environment(cls) -> RetryPolicy:
        """The default policy, with the lease from ``EDM_RELAY_LEASE`` (seconds) when it is set.

        :raises ValidationError: if the variable is not a number of seconds greater than 0.
        """
        raw = os.environ.get(LEASE_VARIABLE, "").strip()
        if not raw:
            return cls()
        try:
            seconds = float(raw)
        except ValueError:
            seconds = math.nan
        if not 0 < seconds < 10**9:
            raise ValidationError(
                "The relay's lease", [f"{LEASE_VARIABLE}: give a number of seconds greater than 0, e.g. 300"]
            )
        return cls(lease=dt.timedelta(seconds=seconds))

    def delay(self, attempt: int, rng: random.Random) -> dt.timedelta:
        """The wait after failed attempt *attempt* (from 1): more than zero, at most the backoff cap."""
        doubled = self.base_delay.total_seconds() * 2.0 ** min(attempt - 1, 1000)
        cap = min(self.max_delay.total_seconds(), doubled)
        return max(_SMALLEST_DELAY, dt.timedelta(seconds=cap * (1.0 - rng.random())))


@attrs.frozen
class RelayReport:
    """What one or more relay passes did, by number of messages.

    :param delivered: delivered and marked so.
    :param retrying: failed, and due to be tried again.
    :param dead: failed for the last time (or refused outright) and kept as dead letters.
    :param lease_expired: attempted, but the lease ran out first and another relay
        claimed the message again, so this relay's result was not recorded.
    """

    delivered: int = 0
    retrying: int = 0
    dead: int = 0
    lease_expired: int = 0

    @property
    def attempted(self) -> int:
        """Messages claimed and attempted."""
        return self.delivered + self.retrying + self.dead + self.lease_expired

    def __add__(self, other: RelayReport) -> RelayReport:
        return RelayReport(
            self.delivered + other.delivered,
            self.retrying + other.retrying,
            self.dead + other.dead,
            self.lease_expired + other.lease_expired,
        )


def referral_message(review: Review, message: OutboxMessage) -> ReferralMessage:
    """The message for outbox row *message*, built from *review* as it stands now.

    The body names the referral, review, route (id and version) and business
    area; when it was submitted and when advice is due; the referrer's staff
    id, role and team; the concerns referred (id, category, statement) and the
    question; and, for ``information_provided`` and ``referral_withdrawn``, the
    response or the reason. Text erased since reads as
    :data:`ethical_decisions.audit.ERASED`. It holds
    no case reference or applicant details.

    :raises NotFoundError: if the review has no such referral or event.
    """
    referral = review.referral(message.referral_id)
    if referral is None:
        raise NotFoundError("referral", message.referral_id)
    body: dict[str, Any] = {
        "message_version": MESSAGE_VERSION,
        "message_id": message.message_id,
        "idempotency_key": message.idempotency_key,
        "kind": message.kind,
        "referral_id": referral.referral_id,
        "review_id": review.review_id,
        "route_id": referral.route_id,
        "route_version": referral.route.version,
        "business_area": review.business_area,
        "submitted_at": referral.submitted_at.isoformat(),
        "due_by": referral.due_by.isoformat(),
        "referred_by": {
            "staff_id": referral.referred_by.staff_id,
            "role": str(referral.referred_by.role),
            "team": referral.referred_by.team,
        },
        "concerns": [
            {"concern_id": c.concern_id, "category": str(c.category), "statement": c.concern.statement}
            for c in review.concerns
            if c.concern_id in referral.concern_ids
        ],
        "question": referral.question,
    }
    if message.kind in (InformationProvided.kind, ReferralWithdrawn.kind):
        _, _, sequence = message.message_id.rpartition("#")
        event = next((e for e in referral.history if str(e.sequence) == sequence), None)
        if event is None:
            raise NotFoundError("referral event", message.message_id)
        payload = event.payload
        if isinstance(payload, InformationProvided):
            body["response"] = payload.response
        elif isinstance(payload, ReferralWithdrawn):
            body["reason"] = payload.reason
    return ReferralMessage(
        message_id=message.message_id,
        idempotency_key=message.idempotency_key,
        kind=message.kind,
        referral_id=referral.referral_id,
        review_id=review.review_id,
        route_id=referral.route_id,
        route_version=referral.route.version,
        body=body,
    )


def _describe(exc: Exception) -> str:
    """The error to keep on the row, shown to operators.

    The library's own messages hold no free text, so they are kept. A plugin's
    transport may put anything in its message (the referral's words, even), so
    for an error raised in a plugin's code only the type is kept, even when it
    is a :class:`~ethical_decisions.DeliveryError`.
    """
    if isinstance(exc, EthicalDecisionsError) and raised_by_library(exc):
        return f"{type(exc).__name__}: {exc}"
    return type(exc).__name__


class Relay:
    """Delivers due outbox messages through their routes' transports.

    :param edm: the service whose store and routes to use.
    :param policy: retries, backoff and lease.
    :param clock: where times come from (timezone-aware); by default UTC now.
    :param rng: the source of jitter; by default a new :class:`random.Random`.
    :param sleep: how :meth:`run` waits when nothing is due; pass a
        ``threading.Event``'s ``wait`` to be woken early.
    :param name: how the relay's claims name it, for whoever lists the outbox;
        by default the host's name and the process id.
    :raises ValidationError: if no *policy* is given and ``EDM_RELAY_LEASE`` is not usable.
    """

    def __init__(
        self,
        edm: EthicalDecisions,
        *,
        policy: RetryPolicy | None = None,
        clock: Clock = system_clock,
        rng: random.Random | None = None,
        sleep: Callable[[float], object] = time.sleep,
        name: str | None = None,
    ) -> None:
        self.edm = edm
        self.policy = policy if policy is not None else RetryPolicy.from_environment()
        self.name = name if name is not None else f"{socket.gethostname()}:{os.getpid()}"
        """How this relay's claims name it."""
        self._clock = clock
        self._rng = rng if rng is not None else random.Random()
        self._sleep = sleep

    def run_once(self, *, limit: int = 20) -> RelayReport:
        """Claim and attempt up to *limit* due messages, oldest first, one at a time.

        :raises StoreError: if the store fails; claimed messages are retried after their lease.
        :raises DuplicateRouteError: if two installed plugins register one route id.
        """
        report = RelayReport()
        for _ in range(limit):
            claimed = self.edm.store.claim_outbox(
                now=self._now(), limit=1, lease=self.policy.lease, by=self.name
            )
            if not claimed:
                break
            report += self._attempt(claimed[0])
        return report

    def run(
        self, *, until: Callable[[], bool] | None = None, idle_sleep: float = 1.0, limit: int = 20
    ) -> RelayReport:
        """Deliver until *until* returns true; the total of every pass.

        *until* is checked between passes; when a pass finds fewer than *limit*
        messages due, the relay sleeps *idle_sleep* seconds. For a long-running
        process under a supervisor: a store failure ends the run with
        :class:`~ethical_decisions.StoreError`, and a restarted relay carries on where it stopped.
        """
        total = RelayReport()
        while until is None or not until():
            report = self.run_once(limit=limit)
            total += report
            if report.attempted < limit:
                self._sleep(idle_sleep)
        return total

    def dead_letters(self) -> list[OutboxRow]:
        """The messages kept after their last failed attempt, oldest first."""
        return self.edm.store.outbox(status=OutboxStatus.DEAD)

    def redrive(self, message_id: str) -> None:
        """Make a dead letter due again now, for a new round of retries (its attempts are kept).

        :raises NotFoundError: if there is no such message.
        """
        self.edm.store.redrive(message_id, at=self._now())

    def _now(self) -> dt.datetime:
        return read_clock(self._clock, "The relay's clock")

    def _attempt(self, row: OutboxRow) -> RelayReport:
        message = row.message
        fields: dict[str, Any] = {
            "message_id": message.message_id,
            "referral_id": message.referral_id,
            "review_id": message.review_id,
            "route_id": message.route_id,
            "attempt": row.attempts,
        }
        if row.attempts_since_redrive > self.policy.max_attempts:  # earlier attempts ended with it dying
            fields["error_type"] = "RelayInterrupted"
            return self._dead(row, "attempts exhausted: the relay stopped during earlier attempts", fields)
        transport = "none"
        try:
            route = self.edm.routes().get(message.route_id)
            transport = route.transport.name
            # The service reloads a review whose words another process has erased since it was cached.
            outgoing = referral_message(self.edm.review(message.review_id), message)
        except (StoreError, DuplicateRouteError):  # the deployment is broken, not this message
            raise
        except Exception as exc:  # an uninstalled route or an unreadable review fails; it never crashes
            return self._failed(row, exc, retryable=True, fields={**fields, "transport": transport})
        fields["transport"] = transport
        try:
            route.transport.deliver(outgoing)
        except Exception as exc:  # a plugin's transport may raise anything; it is a failed attempt
            retryable = exc.retryable if isinstance(exc, DeliveryError) else True
            return self._failed(row, exc, retryable=retryable, fields=fields)
        if not self.edm.store.mark_delivered(message.message_id, attempt=row.attempts, at=self._now()):
            return self._lease_expired(OutboxStatus.DELIVERED, fields)
        emit(LogEvent.REFERRAL_DELIVERED, **fields)
        return RelayReport(delivered=1)

    def _failed(
        self, row: OutboxRow, exc: Exception, *, retryable: bool, fields: dict[str, Any]
    ) -> RelayReport:
        fields = {**fields, "error_type": type(exc).__name__}
        if not retryable or row.attempts_since_redrive >= self.policy.max_attempts:
            return self._dead(row, _describe(exc), fields)
        now = self._now()
        recorded = self.edm.store.mark_failed(
            row.message.message_id,
            attempt=row.attempts,
            at=now,
            next_attempt_at=now + self.policy.delay(row.attempts_since_redrive, self._rng),
            error=_describe(exc),
            dead=False,
        )
        if not recorded:
            return self._lease_expired(OutboxStatus.PENDING, fields)
        emit(LogEvent.REFERRAL_DELIVERY_FAILED, level="warning", **fields)
        return RelayReport(retrying=1)

    def _dead(self, row: OutboxRow, error: str, fields: dict[str, Any]) -> RelayReport:
        now = self._now()
        recorded = self.edm.store.mark_failed(
            row.message.message_id, attempt=row.attempts, at=now, next_attempt_at=now, error=error, dead=True
        )
        if not recorded:
            return self._lease_expired(OutboxStatus.DEAD, fields)
        emit(LogEvent.REFERRAL_DEAD_LETTER, level="error", **fields)
        return RelayReport(dead=1)

    def _lease_expired(self, status: OutboxStatus, fields: dict[str, Any]) -> RelayReport:
        """The claim lapsed before the result could be recorded: another relay's result stands.

        Logged with the status this relay would have recorded, so that a lease
        too short for the deliveries shows up.
        """
        emit(LogEvent.REFERRAL_LEASE_EXPIRED, level="warning", **fields, status=str(status))
        return RelayReport(lease_expired=1)
