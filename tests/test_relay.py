"""The relay: delivery from the outbox with retries, backoff, leases and dead letters; its messages."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import attrs
import pytest
from structlog.testing import capture_logs

from ethical_decisions import (
    DecisionMaker,
    DeliveryError,
    DuplicateRouteError,
    EthicalDecisions,
    NoRouteError,
    RecordsOfficer,
    Route,
    StoreError,
    ValidationError,
    testing,
)
from ethical_decisions.audit import ERASED
from ethical_decisions.log import ALLOWED_FIELDS
from ethical_decisions.relay import Relay, RelayReport, RetryPolicy
from ethical_decisions.store import OutboxStatus
from ethical_decisions.transports import ReferralMessage, WebhookTransport

from . import scenarios
from .conftest import NOW, WEBHOOK_SECRET, RoutesPlugin
from .fakes import CRASH_AFTER, CRASH_BEFORE, PERMANENT, RETRYABLE, Crash, FakeTransport, FixedRandom
from .webhook import Receiver, WebhookServer

POLICY = RetryPolicy(
    max_attempts=3,
    base_delay=dt.timedelta(seconds=10),
    max_delay=dt.timedelta(minutes=1),
    lease=dt.timedelta(minutes=5),
)


@pytest.fixture(name="transport")
def _transport() -> FakeTransport:
    return FakeTransport()


@pytest.fixture(name="relay_clock")
def _relay_clock() -> testing.FakeClock:
    """A day after the service's clock starts, and still unless moved on."""
    return testing.FakeClock(NOW + dt.timedelta(days=1), step=dt.timedelta(0))


@pytest.fixture(name="service")
def _service(route: Route, transport: FakeTransport, clock: testing.FakeClock) -> EthicalDecisions:
    return testing.service(RoutesPlugin(attrs.evolve(route, transport=transport)), clock=clock)


@pytest.fixture(name="relay")
def _relay(service: EthicalDecisions, relay_clock: testing.FakeClock) -> Relay:
    return Relay(service, policy=POLICY, clock=relay_clock, rng=FixedRandom(0.5))


def _status(service: EthicalDecisions) -> list[tuple[OutboxStatus, int]]:
    return [(row.status, row.attempts) for row in service.store.outbox()]


def _passes(relay: Relay, clock: testing.FakeClock, count: int) -> list[RelayReport]:
    """*count* relay passes a minute apart: longer than any of :data:`POLICY`'s delays."""
    reports = []
    for _ in range(count):
        reports.append(relay.run_once())
        clock.advance(dt.timedelta(minutes=1))
    return reports


def test_delivers_and_marks_delivered(
    edm: EthicalDecisions, dm: DecisionMaker, relay_clock: testing.FakeClock
) -> None:
    """Through the default queue transport, a referral is delivered once and marked so."""
    review = scenarios.escalated(edm, dm)
    relay = Relay(edm, clock=relay_clock)

    first, second = relay.run_once(), relay.run_once()

    assert RelayReport(delivered=1) == first
    assert RelayReport() == second
    [row] = edm.store.outbox(status=OutboxStatus.DELIVERED)
    assert (review.referrals[0].referral_id, relay_clock.now) == (row.message.referral_id, row.delivered_at)


def test_submission_message_body(
    service: EthicalDecisions, relay: Relay, transport: FakeTransport, dm: DecisionMaker, route: Route
) -> None:
    """The body names referral, review, route, area, dates, referrer, concerns and question; no case data."""
    review = scenarios.escalated(service, dm)
    referral = review.referrals[0]

    relay.run_once()

    [message] = transport.received
    assert {
        "message_version": 1,
        "message_id": f"{review.review_id}#{referral.referral_id.rpartition('-R')[2]}",
        "idempotency_key": referral.referral_id,
        "kind": "referral_submitted",
        "referral_id": referral.referral_id,
        "review_id": review.review_id,
        "route_id": route.route_id,
        "route_version": route.version,
        "business_area": "customer_services_group",
        "submitted_at": referral.submitted_at.isoformat(),
        "due_by": (referral.submitted_at + dt.timedelta(days=10)).isoformat(),
        "referred_by": {"staff_id": dm.staff_id, "role": "caseworker", "team": dm.team},
        "concerns": [{"concern_id": "C1", "category": "evidential_burden", "statement": scenarios.STATEMENT}],
        "question": scenarios.QUESTION,
    } == message.body
    assert referral.referral_id == message.idempotency_key


def test_information_and_withdrawal_messages(
    service: EthicalDecisions, relay: Relay, transport: FakeTransport, dm: DecisionMaker, route: Route
) -> None:
    """Providing information sends the response; withdrawing sends the reason; each has its own key."""
    referral_id = scenarios.escalated(service, dm).referrals[0].referral_id
    team = testing.route_team_member(route.route_id)
    service.return_referral(referral_id, by=team, question="Which records were searched?")
    service.provide_information(referral_id, by=dm, response="The 1970s school registers.")
    service.withdraw_referral(referral_id, by=dm, reason="The records were found meanwhile.")

    relay.run_once()

    submitted, informed, withdrawn = transport.received
    assert (
        informed.kind,
        informed.body["response"],
    ) == ("information_provided", "The 1970s school registers.")
    assert (
        withdrawn.kind,
        withdrawn.body["reason"],
    ) == ("referral_withdrawn", "The records were found meanwhile.")
    assert [referral_id, informed.message_id, withdrawn.message_id] == [
        m.idempotency_key for m in transport.received
    ]
    assert "response" not in submitted.body


def test_failure_is_retried_after_jittered_backoff(
    service: EthicalDecisions,
    relay: Relay,
    transport: FakeTransport,
    dm: DecisionMaker,
    relay_clock: testing.FakeClock,
) -> None:
    """A failed attempt is due again after a delay drawn between 0 and the backoff cap, not before."""
    scenarios.escalated(service, dm)
    transport.outcomes = [RETRYABLE, RETRYABLE]
    failed_at = relay_clock.now

    assert RelayReport(retrying=1) == relay.run_once()
    [row] = service.store.outbox()
    assert (row.status, row.attempts) == (OutboxStatus.PENDING, 1)
    assert failed_at + dt.timedelta(seconds=5) == row.next_attempt_at  # half of 10 s
    assert row.last_error == "DeliveryError"  # raised in a plugin's (here, the test's) code: the type only

    relay_clock.advance(dt.timedelta(seconds=4))
    assert RelayReport() == relay.run_once()
    relay_clock.advance(dt.timedelta(seconds=1))
    assert RelayReport(retrying=1) == relay.run_once()
    [row] = service.store.outbox()
    assert relay_clock.now + dt.timedelta(seconds=10) == row.next_attempt_at  # half of 20 s


def test_dead_letter_after_last_attempt_is_kept_and_redriven(
    service: EthicalDecisions,
    relay: Relay,
    transport: FakeTransport,
    dm: DecisionMaker,
    relay_clock: testing.FakeClock,
) -> None:
    """After the last failed attempt it is a dead letter: listed, counted, re-drivable, not deleted.

    Re-driven, it is delivered at its fourth attempt: the count goes on from the three before.
    """
    scenarios.escalated(service, dm)
    transport.outcomes = [RETRYABLE] * 3
    reports = _passes(relay, relay_clock, 3)

    assert [RelayReport(retrying=1), RelayReport(retrying=1), RelayReport(dead=1)] == reports
    assert _status(service) == [(OutboxStatus.DEAD, 3)]
    assert [row.message.message_id for row in service.store.outbox()] == [
        row.message.message_id for row in relay.dead_letters()
    ]
    assert RelayReport() == relay.run_once()

    relay.redrive(relay.dead_letters()[0].message.message_id)

    assert RelayReport(delivered=1) == relay.run_once()
    assert _status(service) == [(OutboxStatus.DELIVERED, 4)]


def test_refusal_is_a_dead_letter_at_once(
    service: EthicalDecisions, relay: Relay, transport: FakeTransport, dm: DecisionMaker
) -> None:
    """A failure that retrying cannot mend makes the message a dead letter on the first attempt."""
    scenarios.escalated(service, dm)
    transport.outcomes = [PERMANENT]

    assert RelayReport(dead=1) == relay.run_once()
    assert _status(service) == [(OutboxStatus.DEAD, 1)]


def test_uninstalled_route_fails_and_does_not_crash(
    service: EthicalDecisions, dm: DecisionMaker, relay_clock: testing.FakeClock
) -> None:
    """A message whose route is no longer installed fails (retries, then a dead letter); the relay goes on."""
    scenarios.escalated(service, dm)
    without_route = testing.service(store=service.store)
    relay = Relay(without_route, policy=POLICY, clock=relay_clock, rng=FixedRandom(0.5))

    reports = _passes(relay, relay_clock, 3)

    assert RelayReport(retrying=2, dead=1) == sum(reports, RelayReport())
    [row] = relay.dead_letters()
    assert row.last_error is not None
    assert row.last_error.startswith(f"{NoRouteError.__name__}: ")


def test_unexpected_transport_error_keeps_only_its_type(
    service: EthicalDecisions, relay: Relay, transport: FakeTransport, dm: DecisionMaker
) -> None:
    """Anything a transport raises is a failed attempt; its message, which may hold text, is not kept."""
    scenarios.escalated(service, dm)
    transport.outcomes = [ValueError(scenarios.STATEMENT)]

    assert RelayReport(retrying=1) == relay.run_once()
    [row] = service.store.outbox()
    assert row.last_error == "ValueError"


def test_a_plugin_transports_delivery_error_keeps_only_its_type(
    service: EthicalDecisions, relay: Relay, transport: FakeTransport, dm: DecisionMaker
) -> None:
    """A DeliveryError raised in a plugin's code may quote the referral: only its type is kept on the row."""
    scenarios.escalated(service, dm)
    transport.outcomes = [DeliveryError(f"receiver said no to {scenarios.STATEMENT}", retryable=True)]

    assert RelayReport(retrying=1) == relay.run_once()
    [row] = service.store.outbox()
    assert row.last_error == "DeliveryError"


def test_the_librarys_own_transport_errors_keep_their_message(
    route: Route,
    dm: DecisionMaker,
    clock: testing.FakeClock,
    relay_clock: testing.FakeClock,
    webhook: WebhookServer,
    receiver: Receiver,
) -> None:
    """The webhook's errors (the library's own, naming only the status) are kept whole for the operator."""
    webhook_route = attrs.evolve(route, transport=WebhookTransport(webhook.url, WEBHOOK_SECRET, timeout=2))
    service = testing.service(RoutesPlugin(webhook_route), clock=clock)
    scenarios.escalated(service, dm)
    receiver.script = [503]

    assert RelayReport(retrying=1) == Relay(service, policy=POLICY, clock=relay_clock).run_once()
    [row] = service.store.outbox()
    assert row.last_error is not None
    assert row.last_error.startswith("DeliveryError: ")
    assert "503" in row.last_error


def test_store_failure_stops_the_relay_and_leaves_the_message_pending(
    service: EthicalDecisions,
    relay: Relay,
    transport: FakeTransport,
    dm: DecisionMaker,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A store failing while a message is built is no delivery failure: the relay stops, the row waits."""
    scenarios.escalated(service, dm)

    def unavailable(review_id: str, *, after: int = 0) -> None:
        raise StoreError("The store is unavailable.")

    monkeypatch.setattr(service.store, "load", unavailable)

    with pytest.raises(StoreError):
        relay.run_once()
    assert _status(service) == [(OutboxStatus.PENDING, 1)]
    assert service.store.outbox()[0].last_error is None
    assert transport.received == []


def test_duplicate_routes_stop_the_relay_and_leave_the_message_pending(
    service: EthicalDecisions, dm: DecisionMaker, route: Route, relay_clock: testing.FakeClock
) -> None:
    """Two plugins registering one route id is the deployment's fault, not the message's: nothing is spent."""
    scenarios.escalated(service, dm)
    broken = testing.service(
        ("first", RoutesPlugin(route)), ("second", RoutesPlugin(route)), store=service.store
    )

    with pytest.raises(DuplicateRouteError):
        Relay(broken, clock=relay_clock).run_once()
    assert _status(service) == [(OutboxStatus.PENDING, 1)]


def test_erased_text_is_delivered_as_erased(
    service: EthicalDecisions, relay: Relay, transport: FakeTransport, dm: DecisionMaker
) -> None:
    """Messages are built at delivery: after erasure, undelivered ones carry the marker, not the text."""
    referral_id = scenarios.escalated(service, dm).referrals[0].referral_id
    review = service.withdraw_referral(referral_id, by=dm, reason="The records were found meanwhile.")
    scenarios.close_unresolved(service, review.review_id, dm)
    service.erase_free_text(review.review_id, by=RecordsOfficer("ro-0001"))

    assert RelayReport(delivered=2) == relay.run_once()

    submitted, withdrawn = transport.received
    assert (submitted.body["question"], submitted.body["concerns"][0]["statement"]) == (ERASED, ERASED)
    assert withdrawn.body["reason"] == ERASED


def test_erasure_by_another_process_reaches_a_long_running_relay(
    service: EthicalDecisions,
    route: Route,
    transport: FakeTransport,
    dm: DecisionMaker,
    relay_clock: testing.FakeClock,
) -> None:
    """A relay that read the review before another process erased it still sends only what remains."""
    referral_id = scenarios.escalated(service, dm).referrals[0].referral_id
    relay_process = testing.service(
        RoutesPlugin(attrs.evolve(route, transport=transport)), store=service.store
    )
    relay = Relay(relay_process, policy=POLICY, clock=relay_clock)
    relay.run_once()
    review = service.withdraw_referral(referral_id, by=dm, reason="The records were found meanwhile.")
    scenarios.close_unresolved(service, review.review_id, dm)
    service.erase_free_text(review.review_id, by=RecordsOfficer("ro-0001"))

    relay.run_once()

    withdrawn = transport.received[-1]
    assert (ERASED, ERASED, ERASED) == (
        withdrawn.body["question"],
        withdrawn.body["concerns"][0]["statement"],
        withdrawn.body["reason"],
    )


def test_relay_that_dies_after_claiming_leaves_the_message_to_the_lease(
    service: EthicalDecisions,
    transport: FakeTransport,
    dm: DecisionMaker,
    relay_clock: testing.FakeClock,
) -> None:
    """A relay that dies mid-delivery leaves its claim; another relay takes it only when the lease ends."""
    scenarios.escalated(service, dm)
    transport.outcomes = [CRASH_BEFORE]
    with pytest.raises(Crash):
        Relay(service, policy=POLICY, clock=relay_clock).run_once()
    restarted = Relay(service, policy=POLICY, clock=relay_clock)

    relay_clock.advance(POLICY.lease - dt.timedelta(seconds=1))
    assert RelayReport() == restarted.run_once()
    relay_clock.advance(dt.timedelta(seconds=1))
    assert RelayReport(delivered=1) == restarted.run_once()
    assert _status(service) == [(OutboxStatus.DELIVERED, 2)]


def test_relay_dying_on_every_attempt_ends_in_a_dead_letter(
    service: EthicalDecisions,
    transport: FakeTransport,
    dm: DecisionMaker,
    relay_clock: testing.FakeClock,
) -> None:
    """A message that kills every relay that tries it stops being claimed: it becomes a dead letter."""
    scenarios.escalated(service, dm)
    transport.outcomes = [CRASH_AFTER] * 3
    relay = Relay(service, policy=POLICY, clock=relay_clock)
    for _ in range(3):
        with pytest.raises(Crash):
            relay.run_once()
        relay_clock.advance(POLICY.lease)

    assert RelayReport(dead=1) == relay.run_once()
    assert len(transport.received) == 3
    assert len(transport.accepted) == 1
    assert _status(service) == [(OutboxStatus.DEAD, 4)]


def test_logs_hold_only_allow_listed_fields(
    service: EthicalDecisions,
    relay: Relay,
    transport: FakeTransport,
    dm: DecisionMaker,
    relay_clock: testing.FakeClock,
) -> None:
    """Delivered, failed and dead-letter log entries hold ids, route, attempt, error type, transport only."""
    scenarios.escalated(service, dm)
    scenarios.escalated(service, dm)
    transport.outcomes = ["ok", DeliveryError(scenarios.STATEMENT), PERMANENT]

    with capture_logs() as logs:
        relay.run_once()
        relay_clock.advance(dt.timedelta(minutes=1))
        relay.run_once()

    events = [entry["event"] for entry in logs]
    assert events == [
        "ethical_decisions.referral_delivered",
        "ethical_decisions.referral_delivery_failed",
        "ethical_decisions.referral_dead_letter",
    ]
    for entry in logs:
        assert set(entry) - {"event", "log_level"} <= ALLOWED_FIELDS
        assert scenarios.STATEMENT not in repr(entry)
    assert {"fake"} == {entry["transport"] for entry in logs}
    assert [entry["error_type"] for entry in logs[1:]] == ["DeliveryError", "DeliveryError"]


class Overtaken:
    """A transport whose first delivery outlasts the relay's lease: meanwhile another relay delivers it.

    :ivar overtake: run during the first delivery, once the lease has run out (the other relay's pass).
    :ivar late: what the first delivery ends with, after being overtaken (``None``: it succeeds).
    """

    name = "overtaken"

    def __init__(self, clock: testing.FakeClock, late: Exception | None) -> None:
        self.clock = clock
        self.late = late
        self.overtake: Callable[[], RelayReport] = RelayReport
        self.overtaken_by: list[RelayReport] = []
        self.received: list[str] = []

    def deliver(self, message: ReferralMessage) -> None:
        """The first time, let the lease run out and the other relay deliver, then end as scripted."""
        self.received.append(message.idempotency_key)
        if len(self.received) == 1:
            self.clock.advance(POLICY.lease + dt.timedelta(seconds=1))
            self.overtaken_by.append(self.overtake())
            if self.late is not None:
                raise self.late


@pytest.mark.parametrize(
    ("late", "status"),
    [
        (None, "delivered"),
        (DeliveryError("The receiver timed out.", retryable=True), "pending"),
        (DeliveryError("The receiver refused it.", retryable=False), "dead"),
    ],
    ids=["delivered", "retrying", "dead"],
)
def test_a_relay_whose_lease_ran_out_leaves_the_other_relays_result(
    route: Route,
    clock: testing.FakeClock,
    relay_clock: testing.FakeClock,
    dm: DecisionMaker,
    late: Exception | None,
    status: str,
) -> None:
    """A relay that finishes after its lease ran out records nothing: it reports and logs the lapse.

    The relay that claimed the message after it delivered it; the late relay's result, whether it
    delivered, failed or was refused, leaves the message delivered under the second claim. The late
    relay counts it as ``lease_expired`` and logs ``referral_lease_expired`` (a warning) with the
    status it would have recorded, and allow-listed fields only.
    """
    transport = Overtaken(relay_clock, late)
    service = testing.service(RoutesPlugin(attrs.evolve(route, transport=transport)), clock=clock)
    review = scenarios.escalated(service, dm)
    first = Relay(service, policy=POLICY, clock=relay_clock, rng=FixedRandom(0.5))
    second = Relay(service, policy=POLICY, clock=relay_clock, rng=FixedRandom(0.5))
    transport.overtake = second.run_once

    with capture_logs() as logs:
        report = first.run_once()

    assert (RelayReport(lease_expired=1), [RelayReport(delivered=1)]) == (report, transport.overtaken_by)
    assert 1 == report.attempted
    assert [(OutboxStatus.DELIVERED, 2)] == _status(service)
    assert [review.referrals[0].referral_id] * 2 == transport.received
    expired = [e for e in logs if e["event"] == "ethical_decisions.referral_lease_expired"]
    assert [("warning", 1, status)] == [(e["log_level"], e["attempt"], e["status"]) for e in expired]
    assert all(set(e) - {"event", "log_level"} <= ALLOWED_FIELDS for e in logs)
    assert RelayReport() == first.run_once()


def test_run_until_stopped_sleeping_when_idle(
    service: EthicalDecisions, dm: DecisionMaker, relay_clock: testing.FakeClock
) -> None:
    """``run`` makes passes until told to stop, sleeping whenever a pass found less than its limit due."""
    scenarios.escalated(service, dm)
    sleeps: list[float] = []
    passes = iter([False, False, True])
    relay = Relay(service, clock=relay_clock, sleep=sleeps.append)

    total = relay.run(until=lambda: next(passes), idle_sleep=0.25)

    assert RelayReport(delivered=1) == total
    assert sleeps == [0.25, 0.25]


@pytest.mark.parametrize(
    "changes",
    [{"max_attempts": 0}, {"base_delay": dt.timedelta(0)}, {"lease": dt.timedelta(seconds=-1)}],
)
def test_retry_policy_refuses_non_positive_settings(changes: dict[str, object]) -> None:
    """Attempts, delays and the lease must all be more than zero."""
    with pytest.raises(ValidationError):
        RetryPolicy(**changes)


def test_clock_without_timezone_is_refused(edm: EthicalDecisions) -> None:
    """A relay clock without a timezone is a configuration error, caught before anything is claimed."""
    relay = Relay(edm, clock=lambda: dt.datetime(2026, 1, 5, 9, 0))

    with pytest.raises(ValidationError):
        relay.run_once()
