"""Profile the library's side of a figure: ``.venv/bin/python bench/profile_ours.py NAME [--top N]``.

Runs what the figure times on our side (after one untimed warm-up) under
:mod:`cProfile` and prints the functions that take the most time, by their
own time and by cumulative time. Not a benchmark: the profiler slows every
call, so read the shares, not the times. Names:

- ``events_memory``, ``events_sqlite``, ``events_postgres``: full reviews through the service
  (PostgreSQL at ``EDM_BENCH_POSTGRES_URL``, in a schema dropped afterwards).
- ``read_review``: closed reviews read back from SQLite by a new service.
- ``round_trip``: ``loads_trail(dumps_trail(...))`` of one review.
- ``verify``: the chain check (``store.verify(chain_only=True)``) over the verify_floor chain.
- ``verify_tables``: the whole check (``store.verify()``) over the same chain.
- ``department_report``: the report over the cached data set (build it first with run.py).
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import pstats
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import chains
import dataset
import pg
from bench_reports import AS_OF, PERIOD
from library import (
    EthicalDecisions,
    MemoryStore,
    SQLiteStore,
    Store,
    department_report,
    dumps_trail,
    loads_trail,
    postgres_store,
)
from workload import filter_logging_at_warning, service, walk

CACHE = Path(__file__).resolve().parent / ".cache"


def _events(store_factory: Callable[[], Store]) -> Callable[[], object]:
    edm = service(store_factory())
    walk(edm, 0)
    return lambda: [walk(edm, index) for index in range(1, 101)]


def _read_review(folder: Path) -> Callable[[], object]:
    store = SQLiteStore(folder / "read.db")
    writer = service(store)
    ids = [walk(writer, index).review_id for index in range(200)]
    reader = EthicalDecisions(store, plugins=writer.plugins)
    return lambda: [reader.review(review_id) for review_id in ids]


def _round_trip() -> Callable[[], object]:
    edm = service()
    trail = list(edm.trail(walk(edm, 0).review_id))
    return lambda: [loads_trail(dumps_trail(trail)) for _ in range(2000)]


def _verify() -> Callable[[], object]:
    store = SQLiteStore(chains.build("full", 2000))
    return lambda: store.verify(chain_only=True)


def _verify_tables() -> Callable[[], object]:
    store = SQLiteStore(chains.build("full", 2000))
    return store.verify


def _department_report() -> Callable[[], object]:
    store = SQLiteStore(dataset.build(1_000_000))
    return lambda: department_report(store, PERIOD, as_of=AS_OF)


def main() -> None:
    """Profile the named side and print the top functions."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    names = [
        "events_memory",
        "events_sqlite",
        "events_postgres",
        "read_review",
        "round_trip",
        "verify",
        "verify_tables",
        "department_report",
    ]
    parser.add_argument("name", choices=names)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    filter_logging_at_warning()
    CACHE.mkdir(exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="profile-", dir=CACHE))
    with contextlib.ExitStack() as stack:
        stack.callback(shutil.rmtree, folder, ignore_errors=True)
        fresh = stack.enter_context(pg.schemas()) if args.name == "events_postgres" else iter(())
        makers: dict[str, Callable[[], Callable[[], object]]] = {
            "events_memory": lambda: _events(MemoryStore),
            "events_sqlite": lambda: _events(lambda: SQLiteStore(folder / "events.db")),
            "events_postgres": lambda: _events(lambda: postgres_store(pg.URL, next(fresh))),
            "read_review": lambda: _read_review(folder),
            "round_trip": _round_trip,
            "verify": _verify,
            "verify_tables": _verify_tables,
            "department_report": _department_report,
        }
        work = makers[args.name]()
        profiler = cProfile.Profile()
        profiler.runcall(work)
        stats = pstats.Stats(profiler)
        stats.sort_stats("tottime").print_stats(args.top)
        stats.sort_stats("cumulative").print_stats(args.top)


if __name__ == "__main__":
    main()
