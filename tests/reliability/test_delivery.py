"""Delivery: through refusals, timeouts, errors, slow answers and relay restarts, no escalation is lost."""

from __future__ import annotations

import collections
import datetime as dt
import random
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest

from ethical_decisions import DeliveryError, EthicalDecisions, Route, testing
from ethical_decisions.relay import Relay, RetryPolicy
from ethical_decisions.store import MemoryStore, OutboxStatus, SQLiteStore, Store
from ethical_decisions.transports import ReferralMessage, WebhookTransport
from tests import scenarios
from tests.conftest import RoutesPlugin
from tests.fakes import Crash, CrashingStore
from tests.webhook import HANG, Receiver, Request, WebhookServer

from .conftest import Backend, Figures

SECRET = b"reliability-webhook-secret"
TIMEOUT = 0.25
"""The webhook transport's timeout, in seconds: a hang or a slow answer costs this much real time."""
POLICY = RetryPolicy(
    max_attempts=5,
    base_delay=dt.timedelta(seconds=1),
    max_delay=dt.timedelta(seconds=20),
    lease=dt.timedelta(seconds=30),
)
ESCALATIONS = 14
ROUNDS = 24
OUTBOX_KINDS = {"referral_submitted", "information_provided", "referral_withdrawn"}

# What the receiver does with one request. "slow" answers after the transport has given up, and acts on it.
FAULTS = ["ok", "ok", "500", "503", "429", "hang", "slow_within", "slow_beyond", "400"]
FAULT_WEIGHTS = [6, 6, 3, 2, 1, 2, 2, 2, 1]


class FaultyReceiver(Receiver):
    """A route team's receiver that honours idempotency keys and misbehaves as scripted.

    :ivar faults: what to do with the next requests (``"ok"`` when it runs out).
    :ivar injected: how many of each fault it has served.
    """

    def __init__(self, secret: bytes) -> None:
        super().__init__(secret)
        self.faults: list[str] = []
        self.injected: collections.Counter[str] = collections.Counter()
        self._faults_lock = threading.Lock()

    def answer(self, method: str, path: str, headers: dict[str, str], body: bytes) -> int | str:
        """Serve the next scripted fault, then answer as the honest receiver would."""
        with self._faults_lock:
            fault = self.faults.pop(0) if self.faults else "ok"
            self.injected[fault] += 1
        if fault in ("500", "503", "429", "400"):
            with self._faults_lock:
                self.requests.append(Request(method, path, headers, body, True))
            return int(fault)
        if fault == "hang":
            with self._faults_lock:
                self.requests.append(Request(method, path, headers, body, True))
            return HANG
        if fault == "slow_within":
            time.sleep(TIMEOUT / 5)
        elif fault == "slow_beyond":
            time.sleep(TIMEOUT * 1.6)  # the sender has given up; the receiver still acts on it
        return super().answer(method, path, headers, body)


class DyingTransport:
    """The route's webhook, in a relay process that may die just before or just after delivering."""

    name = "webhook"

    def __init__(self, inner: WebhookTransport, rng: random.Random) -> None:
        self.inner = inner
        self.rng = rng
        self.dying = 0.0
        self.deaths = 0

    def deliver(self, message: ReferralMessage) -> None:
        """Deliver through the webhook, perhaps dying before or after."""
        fate = self.rng.random()
        if fate < self.dying / 2:
            self.deaths += 1
            raise Crash
        self.inner.deliver(message)
        if fate < self.dying:
            self.deaths += 1
            raise Crash


class World:
    """A store on disk, a receiver over real HTTP, and relay processes that come and go."""

    def __init__(self, path: Path, seed: int) -> None:
        self.rng = random.Random(seed)
        self.receiver = FaultyReceiver(SECRET)
        self.server = WebhookServer(self.receiver)
        self.server.start()
        self.transport = DyingTransport(WebhookTransport(self.server.url, SECRET, timeout=TIMEOUT), self.rng)
        self.route: Route = attrs.evolve(testing.route("hook_route"), transport=self.transport)
        self.clock = testing.FakeClock(step=dt.timedelta(0))
        self.store = SQLiteStore(path)
        self.crashing = CrashingStore(self.store)
        self.edm = self.service(self.store)
        self.restarts = 0
        self.outages = 0
        self.claim_deaths = 0
        self.relay = self.restart()

    def service(self, store: object) -> EthicalDecisions:
        """A service over *store*, as a fresh process makes one."""
        return testing.service(
            RoutesPlugin(self.route),
            store=store,
            clock=self.clock,
            new_id=lambda: f"rv-{self.rng.getrandbits(48):012x}",
        )

    def restart(self) -> Relay:
        """A new relay process over the store."""
        self.restarts += 1
        self.relay = Relay(self.service(self.crashing), policy=POLICY, clock=self.clock, rng=self.rng)
        return self.relay

    def escalate(self) -> None:
        """Escalate a review; sometimes the route asks for more and is answered, or it is withdrawn."""
        dm = testing.decision_maker()
        referral_id = scenarios.escalated(self.edm, dm).referrals[0].referral_id
        follow_up = self.rng.choice(["none", "none", "information", "withdrawal"])
        if follow_up == "information":
            team = testing.route_team_member("hook_route")
            self.edm.return_referral(referral_id, by=team, question="Which records?")
            self.edm.provide_information(referral_id, by=dm, response="The 1970s ones.")
        elif follow_up == "withdrawal":
            self.edm.withdraw_referral(referral_id, by=dm, reason="Resolved meanwhile.")

    def round(self) -> None:
        """One relay pass in weather chosen at random, then time moves on."""
        down = self.rng.random() < 0.15
        self.receiver.faults = self.rng.choices(FAULTS, FAULT_WEIGHTS, k=6)
        self.transport.dying = 0.15
        self.crashing.crash_after_claim = self.rng.random() < 0.1
        if down:
            self.server.stop()
            self.outages += 1
        deaths = self.transport.deaths
        try:
            self.relay.run_once(limit=5)
        except Crash:
            self.claim_deaths += self.transport.deaths == deaths
            self.restart()
        finally:
            self.receiver.release.set()  # let hanging answers end
            if down:
                self.server.start()
            self.receiver.faults = []
            self.transport.dying = 0.0
            self.crashing.crash_after_claim = False
        self.clock.advance(dt.timedelta(seconds=self.rng.choice([0, 5, 20, 31, 60])))
        if self.rng.random() < 0.1:
            self.restart()

    def heal(self) -> None:
        """Run a healthy relay until nothing is pending."""
        for _ in range(40):
            if not self.store.outbox(status=OutboxStatus.PENDING):
                return
            self.clock.advance(POLICY.lease + POLICY.max_delay)
            self.relay.run_once(limit=100)
        raise AssertionError("the outbox never drained")

    def expected(self) -> set[str]:
        """The id of every message a stored event called for."""
        return {f"{r.review_id}#{r.sequence}" for r in self.store.chain() if r.kind in OUTBOX_KINDS}

    def close(self) -> None:
        """Stop the receiver and close the store."""
        self.server.stop()
        self.store.close()


@pytest.fixture(name="world")
def _world(sqlite_path: Path) -> Iterator[World]:
    world = World(sqlite_path, seed=20260105)
    try:
        yield world
    finally:
        world.close()


def test_every_escalation_is_delivered_once_or_kept_as_a_dead_letter(world: World, figures: Figures) -> None:
    """Escalations reach a real HTTP receiver through every kind of fault, and relays that die mid-flight.

    The receiver refuses connections (stopped), hangs past the timeout, answers 500, 503 or 429,
    answers slowly (within the timeout, or after the sender gave up, acting on it anyway) and refuses
    for good (400); relays die just after claiming a message, just before delivering and just after
    delivering, and are restarted. Afterwards every message a stored event called for is delivered or
    a dead letter, none is missing; the receiver acted on each delivered message exactly once (repeats
    carry the same idempotency key and are ignored), and on no message that was not sent; every request
    was signed; dead letters are listed with their error, and re-driving them delivers them too.
    """
    for _ in range(ESCALATIONS):
        world.escalate()
    for _ in range(ROUNDS):
        world.round()
    world.heal()

    rows = world.store.outbox()
    assert {r.message.message_id for r in rows} == world.expected()
    assert {r.status for r in rows} <= {OutboxStatus.DELIVERED, OutboxStatus.DEAD}
    accepted = world.receiver.accepted
    keys = {r.message.idempotency_key: r.message.message_id for r in rows}
    delivered = [r for r in rows if r.status is OutboxStatus.DELIVERED]
    assert all(
        accepted.get(r.message.idempotency_key, {}).get("message_id") == r.message.message_id
        for r in delivered
    )
    assert set(accepted) <= set(keys)
    assert all(request.signature_ok for request in world.receiver.requests)
    dead = world.relay.dead_letters()
    assert all(r.last_error and r.attempts >= 1 for r in dead)

    for row in dead:
        world.relay.redrive(row.message.message_id)
    world.heal()

    assert {r.status for r in world.store.outbox()} == {OutboxStatus.DELIVERED}
    assert set(accepted) == set(keys)
    assert all(accepted.get(key, {}).get("message_id") == message_id for key, message_id in keys.items())
    figures.record(
        messages=len(rows),
        escalations=ESCALATIONS,
        requests=len(world.receiver.requests),
        faults_injected=sum(n for k, n in world.receiver.injected.items() if k != "ok")
        + world.outages
        + world.transport.deaths
        + world.claim_deaths,
        receiver_faults={k: n for k, n in sorted(world.receiver.injected.items()) if k != "ok"},
        receiver_outages=world.outages,
        relay_deaths_after_claim=world.claim_deaths,
        relay_deaths_around_delivery=world.transport.deaths,
        relay_restarts=world.restarts - 1,
        repeats_ignored_by_receiver=world.receiver.repeats,
        dead_letters_before_redrive=len(dead),
    )


# -- a relay whose lease ran out cannot overwrite another relay's result -----------------------


class Stalling:
    """A transport whose first delivery stalls until released and then fails; later ones succeed."""

    name = "stalling"

    def __init__(self, retryable: bool) -> None:
        self.retryable = retryable
        self.started = threading.Event()
        self.release = threading.Event()
        self.calls = 0
        self.delivered: list[str] = []

    def deliver(self, message: ReferralMessage) -> None:
        """Stall and fail the first time; deliver after that."""
        self.calls += 1
        if self.calls == 1:
            self.started.set()
            self.release.wait(30)
            raise DeliveryError("The receiver timed out.", retryable=self.retryable)
        self.delivered.append(message.idempotency_key)


@pytest.fixture(
    name="outbox_store", params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def _outbox_store(request: pytest.FixtureRequest, sqlite_path: Path) -> Iterator[Store]:
    store: Store
    if request.param == "memory":
        store = MemoryStore()
    elif request.param == "sqlite":
        store = SQLiteStore(sqlite_path)
    else:
        backend: Backend = request.getfixturevalue("pg_schema")
        store = backend.open()
    yield store
    store.close()


@pytest.mark.parametrize("retryable", [False, True], ids=["stale-dead", "stale-retry"])
def test_a_relay_whose_lease_ran_out_cannot_undo_a_delivery(outbox_store: Store, retryable: bool) -> None:
    """A delivered message stays delivered, whatever a relay that lost its lease records afterwards.

    Relay A claims a message and its delivery stalls past the lease; relay B claims it again and
    delivers it. When A's attempt finally fails, A's record of the failure must not turn the delivered
    message back into a dead letter (or a pending message that would be sent again).
    """
    clock = testing.FakeClock(step=dt.timedelta(0))
    transport = Stalling(retryable)
    route = attrs.evolve(testing.route("stall_route"), transport=transport)

    def service() -> EthicalDecisions:
        return testing.service(RoutesPlugin(route), store=outbox_store, clock=clock)

    scenarios.escalated(service(), testing.decision_maker())
    policy = RetryPolicy(max_attempts=5, lease=dt.timedelta(seconds=30))
    first, second = Relay(service(), policy=policy, clock=clock), Relay(service(), policy=policy, clock=clock)
    results: list[Any] = []
    stalled = threading.Thread(target=lambda: results.append(first.run_once(limit=1)))
    stalled.start()
    assert transport.started.wait(10)

    clock.advance(dt.timedelta(seconds=31))  # relay A's lease runs out
    assert second.run_once(limit=1).delivered == 1
    transport.release.set()
    stalled.join(10)

    (row,) = outbox_store.outbox()
    assert row.status is OutboxStatus.DELIVERED
    clock.advance(dt.timedelta(hours=1))
    second.run_once(limit=10)
    assert transport.delivered == [row.message.idempotency_key]


# -- a relay stalled through a dead letter and its redrive cannot record its stale result -----------


class Gated:
    """A transport whose every delivery waits at its own gate; the first then fails, later ones succeed.

    :ivar gates: one per delivery, in order: each has ``started`` (set on arrival) and ``release``.
    :ivar most_at_once: the most deliveries in progress at the same moment.
    """

    name = "gated"

    def __init__(self) -> None:
        self.gates: list[tuple[threading.Event, threading.Event]] = []
        self.delivered: list[str] = []
        self.most_at_once = 0
        self._active = 0
        self._lock = threading.Lock()

    def deliver(self, message: ReferralMessage) -> None:
        """Wait at this delivery's gate; then fail the first delivery, deliver the others."""
        with self._lock:
            index = len(self.gates)
            started, release = threading.Event(), threading.Event()
            self.gates.append((started, release))
            self._active += 1
            self.most_at_once = max(self.most_at_once, self._active)
        started.set()
        release.wait(30)
        with self._lock:
            self._active -= 1
        if index == 0:
            raise DeliveryError("The receiver refused it.", retryable=False)
        self.delivered.append(message.idempotency_key)

    def arrived(self, index: int) -> bool:
        """Whether delivery *index* has reached its gate (waiting up to ten seconds)."""
        deadline = time.monotonic() + 10
        while len(self.gates) <= index and time.monotonic() < deadline:
            time.sleep(0.01)
        return len(self.gates) > index and self.gates[index][0].wait(10)


def test_a_relay_stalled_through_a_redrive_cannot_make_a_delivered_message_dead(
    outbox_store: Store, figures: Figures
) -> None:
    """A stale relay's "dead" never wins over a later delivery, even when a redrive came in between.

    Relay A claims the message (attempt 1) and stalls in delivery past its lease. Relay B claims it
    again (attempt 2), finds its one attempt used, and makes it a dead letter; it is re-driven; relay C
    claims it (attempt 3) and is delivering it while A is still inside its own delivery (both at their
    gates at once). A's delivery then fails for good: its "dead" is refused, since the message is now
    C's attempt 3 (were attempts reset by the redrive, C's claim would be attempt 1, A's again). C
    delivers, and the message is delivered.
    """
    clock = testing.FakeClock(step=dt.timedelta(0))
    transport = Gated()
    route = attrs.evolve(testing.route("gated_route"), transport=transport)
    edm = testing.service(RoutesPlugin(route), store=outbox_store, clock=clock)
    scenarios.escalated(edm, testing.decision_maker())
    policy = RetryPolicy(max_attempts=1, lease=dt.timedelta(seconds=30))
    a, b, c = (Relay(edm, policy=policy, clock=clock, name=f"relay-{n}") for n in "abc")
    reports: dict[str, Any] = {}

    stalled = threading.Thread(target=lambda: reports.update(a=a.run_once(limit=1)))
    stalled.start()
    assert transport.arrived(0)
    clock.advance(dt.timedelta(seconds=31))  # A's lease runs out
    assert b.run_once(limit=1).dead == 1
    (dead,) = b.dead_letters()
    b.redrive(dead.message.message_id)
    delivering = threading.Thread(target=lambda: reports.update(c=c.run_once(limit=1)))
    delivering.start()
    assert transport.arrived(1)
    assert transport.most_at_once == 2  # A and C are delivering at the same moment

    transport.gates[0][1].set()  # A's delivery fails for good, after the redrive and C's claim
    stalled.join(10)
    (held,) = outbox_store.outbox()
    assert (held.status, held.attempts, held.claimed_by) == (OutboxStatus.PENDING, 3, "relay-c")
    transport.gates[1][1].set()
    delivering.join(10)

    (row,) = outbox_store.outbox()
    assert (reports["a"].lease_expired, reports["c"].delivered) == (1, 1)
    assert (row.status, row.attempts, row.redriven_after) == (OutboxStatus.DELIVERED, 3, 2)
    assert outbox_store.verify().ok
    figures.record(relays=3, deliveries_at_once=transport.most_at_once, stale_results_refused=1)
