"""pg_round_trips: round trips to PostgreSQL per step, ours against the peer's, counted on the wire.

Both sides connect through :class:`pg.CountingProxy`. After one review each
(connections open, caches warm), the next reviews are walked and everything
the proxy saw is divided by their steps. The value is our round trips per
step over the peer's (its mode with the fewest); the detail gives the
statements too (``BEGIN``, ``COMMIT`` and a connection check count as
statements; an ``executemany`` counts once per row).

A round trip is a wait on the network: on a server across a network rather
than on this machine, each one costs a step a fraction of a millisecond or
more, whatever the statements do.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import peer
import pg
from harness import Figure
from library import postgres_store
from peer import MODES, PeerApp, PeerInputs, peer_app, peer_walk, postgres_env
from workload import EVENTS_PER_REVIEW, service, walk

__all__ = ["run"]

TARGET = 1.0


@contextmanager
def _unencrypted() -> Iterator[None]:
    """Libpq's settings for connections whose URL cannot say so (the peer's): no TLS, no GSSAPI."""
    saved = {name: os.environ.get(name) for name in ("PGSSLMODE", "PGGSSENCMODE")}
    os.environ.update(PGSSLMODE="disable", PGGSSENCMODE="disable")
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _per_step(
    proxy: pg.CountingProxy, walk_one: Callable[[int], object], reviews: int
) -> tuple[float, float]:
    """Round trips and statements per step over *reviews* reviews, after one review to warm up."""
    walk_one(0)
    proxy.take()
    for index in range(1, reviews + 1):
        walk_one(index)
    counts = proxy.take()
    steps = reviews * EVENTS_PER_REVIEW
    return counts.round_trips / steps, counts.statements / steps


def _peer_walker(app: PeerApp, inputs: PeerInputs, *, cached: bool) -> Callable[[int], object]:
    return lambda index: peer_walk(app, inputs, index, cached=cached)


def run(quick: bool) -> list[Figure]:
    """The ``pg_round_trips`` figure (raises :class:`~harness.Skipped` without a server)."""
    reviews = 1 if quick else 10
    inputs = peer.inputs()
    proxy = pg.CountingProxy()
    closers: list[Callable[[], object]] = []
    try:
        with pg.schemas() as fresh, _unencrypted():
            store = postgres_store(proxy.url, next(fresh))
            closers.append(store.close)
            edm = service(store)
            ours = _per_step(proxy, lambda index: walk(edm, index), reviews)
            theirs: dict[str, tuple[float, float]] = {}
            for mode in MODES:
                cached = mode == "cached"
                app = peer_app(postgres_env(proxy.url, next(fresh)), cached=cached)
                closers.append(app.close)
                theirs[mode] = _per_step(proxy, _peer_walker(app, inputs, cached=cached), reviews)
            for close in closers:
                close()
    finally:
        proxy.close()
    best = min(theirs, key=lambda mode: theirs[mode])
    modes = "; ".join(
        f"{mode} {trips:.2f} round trips, {statements:.2f} statements"
        for mode, (trips, statements) in theirs.items()
    )
    detail = (
        f"ours {ours[0]:.2f} round trips and {ours[1]:.2f} statements per step, eventsourcing ({modes}) "
        f"per step, over {reviews} reviews of {EVENTS_PER_REVIEW} steps after one to warm up"
    )
    return [Figure("pg_round_trips", ours[0] / theirs[best][0], TARGET, detail)]
