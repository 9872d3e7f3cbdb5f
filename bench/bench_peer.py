"""The peer figures: the library against the ``eventsourcing`` package doing the same review.

``peer_events_memory``, ``peer_events_sqlite``, ``peer_events_postgres``: full
reviews (nine events, each step saved on its own, as a casework system takes
them one request at a time) through our service and through the peer, per
event. ``peer_read_review``: reading reviews back from SQLite, cold (from the
store, through no cache), into a folded review or aggregate.
``peer_round_trip``: one review's events to their stored text and back into
objects (ours validated, theirs not). Every ratio is our time over theirs.

Durability is the same on both sides. SQLite: write-ahead log, ``synchronous=FULL``,
``secure_delete`` on (ours sets all three; the peer sets WAL and gets the other
two from this SQLite's defaults, checked before timing), one transaction per
step. PostgreSQL: the server's ``synchronous_commit``, one transaction per step.
"""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import peer
import pg
from harness import Figure, Maker, compare_sides
from library import (
    EthicalDecisions,
    MemoryStore,
    SQLiteStore,
    Store,
    dumps_trail,
    loads_trail,
    postgres_store,
)
from peer import MEMORY_ENV, MODES, peer_app, peer_figure, peer_walk, postgres_env
from workload import EVENTS_PER_REVIEW, service, walk

__all__ = ["events_memory", "events_postgres", "events_sqlite", "read_review", "round_trip"]

CACHE = Path(__file__).resolve().parent / ".cache"


@contextmanager
def _folder() -> Iterator[Callable[[str], Path]]:
    """Fresh file names in a folder under bench/.cache (a real disk: fsync costs what it costs)."""
    CACHE.mkdir(exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="peer-", dir=CACHE))
    counter = iter(range(1_000_000))
    try:
        yield lambda stem: folder / f"{stem}-{next(counter)}.db"
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _sqlite_env(path: Path) -> dict[str, str]:
    return {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(path)}


def _check_peer_durability(path: Path) -> str:
    """The peer's SQLite settings (it sets only WAL, which the file keeps): they must be the store's."""
    peer_app(_sqlite_env(path)).close()  # its tables made, its connection set up
    connection = sqlite3.connect(path)
    try:
        found = tuple(connection.execute(f"PRAGMA {name}").fetchone()[0] for name in _DURABILITY)
    finally:
        connection.close()
    assert found == ("wal", 2, 1), f"the peer's SQLite must run WAL, synchronous=FULL, secure_delete: {found}"
    return "both WAL, synchronous=FULL, secure_delete, one transaction per step"


_DURABILITY = ("journal_mode", "synchronous", "secure_delete")


def _events(
    name: str,
    quick: bool,
    *,
    reviews: int,
    open_ours: Callable[[], Store],
    peer_env: Callable[[], dict[str, str]],
    what: str,
) -> list[Figure]:
    """Time full reviews through our service and the peer's two modes; the figure per event."""
    reviews, runs = (2, 1) if quick else (reviews, 7)
    inputs = peer.inputs()
    closers: list[Callable[[], object]] = []

    def ours() -> Callable[[], object]:
        store = open_ours()
        closers.append(store.close)
        edm = service(store)
        return lambda: [walk(edm, index) for index in range(reviews)]

    def theirs(cached: bool) -> Maker:
        def prepare() -> Callable[[], object]:
            app = peer_app(peer_env(), cached=cached)
            closers.append(app.close)
            return lambda: [peer_walk(app, inputs, index, cached=cached) for index in range(reviews)]

        return prepare

    makers: dict[str, Maker] = {"ours": ours}
    makers.update({mode: theirs(mode == "cached") for mode in MODES})
    try:
        found = compare_sides(makers, runs=runs)
    finally:
        for close in closers:
            close()
    events = reviews * EVENTS_PER_REVIEW
    note = f"{reviews} reviews of {EVENTS_PER_REVIEW} events, each step saved on its own; {what}"
    return [peer_figure(name, found.pop("ours"), found, per=events, unit="event", what=note)]


def events_memory(quick: bool) -> list[Figure]:
    """``peer_events_memory``: our memory store against the peer's (POPO) in-memory recorder."""
    return _events(
        "peer_events_memory",
        quick,
        reviews=200,
        open_ours=MemoryStore,
        peer_env=lambda: dict(MEMORY_ENV),
        what="in memory",
    )


def events_sqlite(quick: bool) -> list[Figure]:
    """``peer_events_sqlite``: our SQLite store against the peer's SQLite recorder, files on disk."""
    with _folder() as fresh:
        durability = _check_peer_durability(fresh("check"))
        return _events(
            "peer_events_sqlite",
            quick,
            reviews=30,
            open_ours=lambda: SQLiteStore(fresh("ours")),
            peer_env=lambda: _sqlite_env(fresh("theirs")),
            what=durability,
        )


def events_postgres(quick: bool) -> list[Figure]:
    """``peer_events_postgres``: our PostgreSQL store against the peer's PostgreSQL recorder."""
    with pg.schemas() as fresh:
        return _events(
            "peer_events_postgres",
            quick,
            reviews=30,
            open_ours=lambda: postgres_store(pg.URL, next(fresh)),
            peer_env=lambda: postgres_env(pg.URL, next(fresh)),
            what=(
                "both on the same server with its synchronous_commit, one transaction per step; "
                "eventsourcing with POSTGRES_ENABLE_DB_FUNCTIONS (one statement per save, its fastest)"
            ),
        )


def read_review(quick: bool) -> list[Figure]:
    """``peer_read_review``: reviews read back from SQLite through no cache, folded."""
    reviews, runs = (3, 1) if quick else (200, 9)
    inputs = peer.inputs()
    with _folder() as fresh:
        store = SQLiteStore(fresh("ours"))
        writer = service(store)
        ids = [walk(writer, index).review_id for index in range(reviews)]
        app = peer_app(_sqlite_env(fresh("theirs")))  # no aggregate cache: every get reads the store
        peer_ids = [peer_walk(app, inputs, index, cached=False) for index in range(reviews)]
        try:

            def ours() -> Callable[[], object]:
                reader = EthicalDecisions(store, plugins=writer.plugins)  # a new service: an empty cache
                return lambda: [reader.review(review_id) for review_id in ids]

            def theirs() -> Callable[[], object]:
                return lambda: [app.repository.get(peer_id) for peer_id in peer_ids]

            found = compare_sides({"ours": ours, "repository.get": theirs}, runs=runs)
        finally:
            app.close()
            store.close()
    what = (
        f"{reviews} closed reviews of {EVENTS_PER_REVIEW} events, each read once from SQLite "
        "into a folded review (ours: events parsed and validated) or aggregate"
    )
    return [peer_figure("peer_read_review", found.pop("ours"), found, per=reviews, unit="review", what=what)]


def round_trip(quick: bool) -> list[Figure]:
    """``peer_round_trip``: one review's events to stored text and back into objects."""
    rounds, runs = (5, 1) if quick else (500, 9)
    inputs = peer.inputs()
    edm = service()
    trail = list(edm.trail(walk(edm, 0).review_id))
    app = peer_app(MEMORY_ENV)
    events = list(app.events.get(peer_walk(app, inputs, 0, cached=False)))
    mapper = app.mapper
    assert loads_trail(dumps_trail(trail)) == trail, "our trail must survive the round trip"
    back = [mapper.to_domain_event(mapper.to_stored_event(e)) for e in events]
    assert [vars(e) for e in back] == [vars(e) for e in events], "the peer's events must survive it"

    def ours() -> Callable[[], object]:
        def go() -> None:
            for _ in range(rounds):
                loads_trail(dumps_trail(trail))

        return go

    def theirs() -> Callable[[], object]:
        def go() -> None:
            for _ in range(rounds):
                [mapper.to_domain_event(mapper.to_stored_event(e)) for e in events]

        return go

    found = compare_sides({"ours": ours, "mapper": theirs}, runs=runs)
    app.close()
    what = (
        f"{EVENTS_PER_REVIEW} events: ours dumps_trail/loads_trail (validated objects), theirs the mapper's "
        "to_stored_event/to_domain_event with its JSON transcoder (objects made without validation)"
    )
    return [
        peer_figure("peer_round_trip", found.pop("ours"), found, per=rounds, unit="round trip", what=what)
    ]
