"""Properties of delivery under random failures, relays dying between steps, and restarts."""

from __future__ import annotations

import datetime as dt
import random

import attrs
from hypothesis import given, settings
from hypothesis import strategies as st

from ethical_decisions import EthicalDecisions, MemoryStore, testing
from ethical_decisions.relay import Relay, RetryPolicy
from ethical_decisions.store import OutboxStatus

from . import scenarios
from .conftest import RoutesPlugin
from .fakes import (
    CRASH_AFTER,
    CRASH_BEFORE,
    OK,
    PERMANENT,
    RETRYABLE,
    Crash,
    CrashingStore,
    FakeTransport,
    FixedRandom,
)

POLICY = RetryPolicy(
    max_attempts=4,
    base_delay=dt.timedelta(seconds=1),
    max_delay=dt.timedelta(seconds=20),
    lease=dt.timedelta(seconds=30),
)
OUTBOX_KINDS = {"referral_submitted", "information_provided", "referral_withdrawn"}

# One step: a relay pass with scripted outcomes (its relay dies after claiming one time in five), then time
# moves on, often past a backoff cap (20 s) or a lease (30 s), and sometimes the relay process restarts.
step = st.tuples(
    st.lists(
        st.sampled_from([OK, OK, RETRYABLE, RETRYABLE, PERMANENT, CRASH_BEFORE, CRASH_AFTER]), max_size=6
    ),
    st.sampled_from([False, False, False, False, True]),
    st.sampled_from([0, 5, 20, 31, 60]),
    st.sampled_from([False, False, False, True]),
)
follow_ups = st.sampled_from(["none", "information", "withdrawal"])


class World:
    """One store, one route team's system, and relays that come and go over it."""

    def __init__(self, seed: int) -> None:
        self.clock = testing.FakeClock(step=dt.timedelta(0))
        self.store = MemoryStore()
        self.crashing = CrashingStore(self.store)
        self.transport = FakeTransport()
        self.route = attrs.evolve(testing.route("prop_route"), transport=self.transport)
        self.edm = self.service(self.store)
        self.rng = random.Random(seed)
        self.relay = self.restart()

    def service(self, store: object) -> EthicalDecisions:
        """A fresh service over *store*, as a restarted process would make."""
        return testing.service(RoutesPlugin(self.route), store=store, clock=self.clock)

    def restart(self) -> Relay:
        """A new relay process over the same store."""
        self.relay = Relay(self.service(self.crashing), policy=POLICY, clock=self.clock, rng=self.rng)
        return self.relay

    def escalate(self, follow_up: str) -> None:
        """Escalate a new review, then perhaps answer a question from the route or withdraw."""
        dm = testing.decision_maker()
        referral_id = scenarios.escalated(self.edm, dm).referrals[0].referral_id
        if follow_up == "information":
            self.edm.return_referral(
                referral_id, by=testing.route_team_member("prop_route"), question="Which?"
            )
            self.edm.provide_information(referral_id, by=dm, response="These.")
        elif follow_up == "withdrawal":
            self.edm.withdraw_referral(referral_id, by=dm, reason="Resolved meanwhile.")

    def run(self, outcomes: list[str], crash_after_claim: bool) -> None:
        """One relay pass with scripted outcomes; a crash kills the relay, which is restarted."""
        self.transport.outcomes = list(outcomes)
        self.crashing.crash_after_claim = crash_after_claim
        try:
            self.relay.run_once(limit=5)
        except Crash:
            self.restart()
        finally:
            self.transport.outcomes = []
            self.crashing.crash_after_claim = False

    def heal(self) -> None:
        """Let a healthy relay run until nothing is pending."""
        for _ in range(50):
            if not self.store.outbox(status=OutboxStatus.PENDING):
                return
            self.clock.advance(POLICY.lease + POLICY.max_delay)
            self.relay.run_once(limit=100)
        raise AssertionError("the outbox never drained")

    def expected_messages(self) -> set[str]:
        """The id of every message that a stored event asked for."""
        return {
            f"{record.review_id}#{record.sequence}"
            for record in self.store.chain()
            if record.kind in OUTBOX_KINDS
        }


@settings(max_examples=80, deadline=None)
@given(
    seed=st.integers(0, 2**32),
    escalations=st.lists(follow_ups, min_size=1, max_size=4),
    steps=st.lists(step, max_size=12),
)
def test_no_escalation_is_lost_or_acted_on_twice(
    seed: int, escalations: list[str], steps: list[tuple[list[str], bool, int, bool]]
) -> None:
    """Whatever fails or dies, every message ends delivered or a dead letter, none lost, none acted on twice.

    Afterwards a message marked delivered has reached the team; every attempt at a
    message carries one idempotency key, which no other message shares, so the team
    acts on each once; and re-driving the dead letters delivers everything.
    """
    world = World(seed)
    for follow_up in escalations:
        world.escalate(follow_up)
    for outcomes, crash_after_claim, seconds, restart in steps:
        world.run(outcomes, crash_after_claim)
        world.clock.advance(dt.timedelta(seconds=seconds))
        if restart:
            world.restart()

    world.heal()

    rows = world.store.outbox()
    assert world.expected_messages() == {row.message.message_id for row in rows}
    assert {OutboxStatus.DELIVERED, OutboxStatus.DEAD} >= {row.status for row in rows}
    delivered = {row.message.idempotency_key for row in rows if row.status is OutboxStatus.DELIVERED}
    assert delivered <= set(world.transport.accepted)
    keys = {(m.idempotency_key, m.message_id) for m in world.transport.received}
    assert len({key for key, _ in keys}) == len(keys) == len({message for _, message in keys})

    for row in world.store.outbox(status=OutboxStatus.DEAD):
        world.relay.redrive(row.message.message_id)
    world.heal()

    assert {OutboxStatus.DELIVERED} == {row.status for row in world.store.outbox()}
    assert {row.message.idempotency_key for row in rows} == set(world.transport.accepted)


@given(attempt=st.integers(1, 2000), fraction=st.floats(0, 1, exclude_max=True))
def test_backoff_is_positive_and_within_its_cap(attempt: int, fraction: float) -> None:
    """After failed attempt n the delay is more than zero and at most min(max_delay, base * 2**(n-1))."""
    policy = RetryPolicy()
    cap = min(policy.max_delay, policy.base_delay * 2 ** min(attempt - 1, 20))

    delay = policy.delay(attempt, FixedRandom(fraction))

    assert dt.timedelta(0) < delay <= cap
