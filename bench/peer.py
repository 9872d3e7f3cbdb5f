"""The peer: the same nine-event review as an aggregate of the ``eventsourcing`` package.

:class:`PeerReview` records what :func:`workload.walk` records, event for
event, with the same strings: the actor, the case, the concerns, the route's
policy (taken from our own trail, so every value is the same) and every free
text. Its ``@event`` methods fold the review as an eventsourcing user would
write them (stage, concerns, referrals, the decision) and check nothing.

What the peer leaves out, and the library does on every step: the model's
check that the step is allowed now, validation of every value, the SHA-256
hash chain over all reviews with the free texts salted and digested, the
review and referral projections, the outbox and the compliance record, and
the plugins' hooks. The figures say so.

Each side runs in its best mode. Ours is the service over a store, with its
cache of reviews (each step still asks the store for newer events, so two
servers can share it). Theirs is timed two ways and the faster is the
baseline: the aggregate held in hand between steps (no read at all), and
the application's aggregate cache (``AGGREGATE_CACHE_MAXSIZE``; fast-forwarded
from the store as ours is; ``DEEPCOPY_FROM_AGGREGATE_CACHE`` off, their
fastest).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator, Mapping
from typing import Any
from urllib.parse import urlsplit
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event
from harness import Figure, Timings, pair_ratios
from library import EthicalDecisions, event_to_dict
from workload import TEXT, areas, case_reference, filter_logging_at_warning, service, staff_id, walk

__all__ = [
    "LEAVES_OUT",
    "MEMORY_ENV",
    "MODES",
    "PeerApp",
    "PeerInputs",
    "PeerReview",
    "check_same_strings",
    "inputs",
    "peer_app",
    "peer_figure",
    "peer_walk",
    "postgres_env",
]

MEMORY_ENV = {"PERSISTENCE_MODULE": "eventsourcing.popo"}
"""The peer's settings for its in-memory recorder."""

MODES = ("in hand", "cached")
"""The peer's two ways of keeping an aggregate between steps."""

LEAVES_OUT = (
    "eventsourcing has no step rules, value validation, hash chain, free-text digests, projections, "
    "outbox, compliance record or plugin hooks"
)

Data = dict[str, Any]


class PeerReview(Aggregate):
    """A review as an eventsourcing aggregate: each method records one event and folds it."""

    @event("Opened")
    def __init__(self, actor: Data, case: Data, proposed: Data, guidance_version: str) -> None:
        self.actor = actor
        self.case = case
        self.proposed = proposed
        self.guidance_version = guidance_version
        self.stage = "awaiting_reflection"
        self.concerns: dict[str, Data] = {}
        self.referrals: dict[str, Data] = {}
        self.decision: Data | None = None

    @event("ReflectionRecorded")
    def record_reflection(self, actor: Data, concerns: list[Data], note: str | None) -> None:
        """The decision-maker's reflection, with its concerns."""
        for number, concern in enumerate(concerns, start=len(self.concerns) + 1):
            self.concerns[f"C{number}"] = {**concern, "status": "open", "steps": []}
        self.stage = "resolving_concerns" if concerns else "ready_to_decide"

    @event("DiscretionConsidered")
    def consider_discretion(
        self, *, actor: Data, concern_id: str, scope: str, guidance: str, reason: str, result: str
    ) -> None:
        """Discretion considered for a concern."""
        self._step(concern_id, "discretion", result)

    @event("DiscussionHeld")
    def record_discussion(
        self, *, actor: Data, concern_id: str, consulted_role: str, consulted: str, advice: str, result: str
    ) -> None:
        """A discussion of a concern."""
        self._step(concern_id, "discussion", result)

    @event("ReferralSubmitted")
    def escalate(self, actor: Data, route: Data, concern_ids: list[str], question: str) -> None:
        """Concerns referred to the business area's route."""
        referral_id = f"{self.id}-R{self.version}"
        self.referrals[referral_id] = {"route": route, "concern_ids": concern_ids, "status": "submitted"}
        for concern_id in concern_ids:
            self.concerns[concern_id]["status"] = "escalated"
        self.stage = "awaiting_advice"

    @event("ReferralAcknowledged")
    def acknowledge_referral(self, actor: Data, referral_id: str) -> None:
        """The route's team acknowledges a referral."""
        self.referrals[referral_id]["status"] = "acknowledged"

    @event("AdviceGiven")
    def give_advice(self, actor: Data, referral_id: str, advice: str) -> None:
        """The route's team advises."""
        referral = self.referrals[referral_id]
        referral["status"] = "closed"
        referral["advice"] = advice
        for concern_id in referral["concern_ids"]:
            self.concerns[concern_id]["status"] = "advised"
        self.stage = "advice_received"

    @event("AdviceResponded")
    def respond_to_advice(
        self, *, actor: Data, referral_id: str, concern_id: str, response: str, reason: str, resolved: bool
    ) -> None:
        """The decision-maker says what they did with the advice, and whether the concern is resolved."""
        self._step(concern_id, f"response {response}", "resolved" if resolved else "not_resolved")
        self.stage = "ready_to_decide"

    @event("ReviewFinalised")
    def finalise(self, actor: Data, decision: Data, unresolved: Data | None) -> None:
        """The final decision, acknowledging any concern left unresolved."""
        self.decision = decision
        for concern_id in (unresolved or {}).get("concern_ids", ()):
            self.concerns[concern_id]["status"] = "acknowledged_unresolved"
        self.stage = "closed"

    @property
    def last_referral_id(self) -> str:
        """The id of the referral made last."""
        return next(reversed(self.referrals))

    def _step(self, concern_id: str, step: str, result: str) -> None:
        concern = self.concerns[concern_id]
        concern["steps"].append(step)
        if result == "resolved":
            concern["status"] = "resolved"


class PeerApp(Application[UUID]):
    """The peer's application: an event store and a repository of :class:`PeerReview` aggregates."""

    name = "PeerReviews"


class PeerInputs:
    """What the peer records from the library's own trail: each route's policy, the guidance version.

    Read from a review of each business area walked through *edm*, so the peer
    records the very values (as JSON data) that our events hold.
    """

    def __init__(self, edm: EthicalDecisions) -> None:
        self.routes: dict[str, Data] = {}
        self.guidance_version = ""
        for index in range(len(areas())):
            trail = [event_to_dict(e) for e in edm.trail(walk(edm, index).review_id)]
            self.guidance_version = trail[0]["payload"]["guidance_version"]
            self.routes[areas()[index][1]] = trail[4]["payload"]["route"]


def inputs() -> PeerInputs:
    """The peer's inputs from our own trail, after checking that both sides record the same strings."""
    filter_logging_at_warning()
    edm = service()
    found = PeerInputs(edm)
    app = peer_app(MEMORY_ENV)
    check_same_strings(edm, walk(edm, 0).review_id, app, peer_walk(app, found, 0, cached=False))
    app.close()
    return found


def peer_walk(app: PeerApp, inputs: PeerInputs, index: int, *, cached: bool) -> UUID:
    """Walk review number *index* through the peer, saving each step; the aggregate's id.

    Held in hand (*cached* false), the aggregate is kept between steps; cached,
    each step gets it from the application's repository, as a request would.
    """
    area, route_id, role = areas()[index % len(areas())]
    by: Data = {
        "type": "decision_maker",
        "staff_id": staff_id(index),
        "role": role.value,
        "business_area": area,
        "team": TEXT["team"],
    }
    team: Data = {"type": "route_team_member", "staff_id": TEXT["route_staff"], "route_id": route_id}
    review = PeerReview(
        actor=by,
        case={"reference": case_reference(index), "personal_details": {"full_name": TEXT["applicant"]}},
        proposed={"outcome": TEXT["proposed_outcome"], "summary": TEXT["proposed_summary"]},
        guidance_version=inputs.guidance_version,
    )
    app.save(review)
    steps: list[Callable[[PeerReview], None]] = [
        lambda r: r.record_reflection(
            actor=by,
            concerns=[
                {"category": "evidential_burden", "statement": TEXT["statement"]},
                {"category": "unintended_consequence", "statement": TEXT["second"]},
            ],
            note=None,
        ),
        lambda r: r.consider_discretion(
            actor=by,
            concern_id="C1",
            scope="inside_rules",
            guidance=TEXT["guidance"],
            reason=TEXT["reason"],
            result="not_resolved",
        ),
        lambda r: r.record_discussion(
            actor=by,
            concern_id="C1",
            consulted_role="technical_specialist",
            consulted=TEXT["consulted"],
            advice=TEXT["discussion_advice"],
            result="not_resolved",
        ),
        lambda r: r.escalate(
            actor=by, route=inputs.routes[route_id], concern_ids=["C1"], question=TEXT["question"]
        ),
        lambda r: r.acknowledge_referral(actor=team, referral_id=r.last_referral_id),
        lambda r: r.give_advice(actor=team, referral_id=r.last_referral_id, advice=TEXT["advice"]),
        lambda r: r.respond_to_advice(
            actor=by,
            referral_id=r.last_referral_id,
            concern_id="C1",
            response=TEXT["response"],
            reason=TEXT["response_reason"],
            resolved=True,
        ),
        lambda r: r.finalise(
            actor=by,
            decision={
                "outcome": TEXT["final_outcome"],
                "summary": TEXT["final_summary"],
                "rationale": TEXT["rationale"],
            },
            unresolved={"concern_ids": ["C2"], "rationale": TEXT["unresolved"]},
        ),
    ]
    for step in steps:
        if cached:
            review = app.repository.get(review.id)
        step(review)
        app.save(review)
    return review.id


def peer_app(env: Mapping[str, str], *, cached: bool = False) -> PeerApp:
    """The peer's application configured by *env* (its persistence settings); *cached*: an aggregate cache."""
    settings = dict(env)
    if cached:
        settings["AGGREGATE_CACHE_MAXSIZE"] = "1024"  # as many reviews as the library's service keeps
        settings["DEEPCOPY_FROM_AGGREGATE_CACHE"] = "n"
    return PeerApp(env=settings)


def postgres_env(url: str, schema: str) -> dict[str, str]:
    """The peer's settings for the PostgreSQL server at *url* (a ``postgresql://`` URL), in *schema*."""
    parts = urlsplit(url)
    return {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": parts.path.lstrip("/") or "postgres",
        "POSTGRES_HOST": parts.hostname or "127.0.0.1",
        "POSTGRES_PORT": str(parts.port or 5432),
        "POSTGRES_USER": parts.username or os.environ.get("USER", "postgres"),
        "POSTGRES_PASSWORD": parts.password or "",
        "POSTGRES_SCHEMA": schema,
        "POSTGRES_ENABLE_DB_FUNCTIONS": "y",  # its fastest: one statement (a function) per save
    }


def _strings(data: Any) -> Iterator[str]:
    if isinstance(data, str):
        yield data
    elif isinstance(data, Mapping):
        for value in data.values():
            yield from _strings(value)
    elif isinstance(data, list | tuple):
        for value in data:
            yield from _strings(value)


def check_same_strings(edm: EthicalDecisions, review_id: str, app: PeerApp, peer_id: UUID) -> None:
    """Fail unless the peer's stored events hold every string our events hold, event for event.

    Left out: the event's own bookkeeping (review id, time, type tag), which
    each side keeps in its own form, and our referral id, made from our review id.
    """
    ours = [event_to_dict(e) for e in edm.trail(review_id)]
    theirs = [json.loads(app.mapper.to_stored_event(e).state) for e in app.events.get(peer_id)]
    assert len(ours) == len(theirs), "the peer must record as many events as the library"
    for number, (mine, peers) in enumerate(zip(ours, theirs, strict=True), start=1):
        payload = {k: v for k, v in mine["payload"].items() if k != "type"}
        wanted = {s for s in _strings([mine["actor"], payload]) if review_id not in s}
        missing = wanted - set(_strings(peers))
        assert not missing, f"event {number}: the peer does not record {sorted(missing)}"


def peer_figure(
    name: str,
    ours: Timings,
    theirs: Mapping[str, Timings],
    *,
    per: int,
    unit: str,
    what: str,
) -> Figure:
    """``name``: our time over the peer's best mode's, with every mode's median and the spread."""
    best = min(theirs, key=lambda mode: theirs[mode].median)
    base = theirs[best]
    ratios = pair_ratios(ours, base)
    spread = f", pair ratios {min(ratios):.2f}-{max(ratios):.2f}" if len(ratios) > 1 else ""
    others = "".join(f"; {mode} {t.describe(per, unit)}" for mode, t in theirs.items() if mode != best)
    detail = (
        f"ours {ours.describe(per, unit)}, eventsourcing {base.describe(per, unit)} ({best}{others})"
        f" (medians of {len(ours.samples)} paired runs{spread}); {what}; {LEAVES_OUT}"
    )
    return Figure(name, ours.median / base.median, 1.0, detail)
