"""Run the benchmarks: ``.venv/bin/python bench/run.py [--quick] [--only NAME]``.

Prints one line per figure, ``<name> <value> target <= <target>``, followed by
the absolute timings behind it, and exits 1 if any figure misses its target
(in ``--quick`` mode every benchmark runs once at tiny sizes and only a crash
fails). A benchmark that cannot run here (no PostgreSQL server) prints why and
is skipped. See bench/README.md.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import Figure, Skipped

BENCHMARKS: dict[str, str] = {
    "import_time": "bench_import_time:run",
    "peer_events_memory": "bench_peer:events_memory",
    "peer_events_sqlite": "bench_peer:events_sqlite",
    "peer_events_postgres": "bench_peer:events_postgres",
    "peer_read_review": "bench_peer:read_review",
    "peer_round_trip": "bench_peer:round_trip",
    "pg_round_trips": "bench_pg_round_trips:run",
    "verify_floor": "bench_verify:floor",
    "verify_tables": "bench_verify:tables",
    "verify_memory": "bench_verify:memory",
    "department_report": "bench_reports:run",
    "outcomes_import": "bench_outcomes:run",
    "web": "bench_web:run",
}
"""Each benchmark's name and ``module:function``; every function is ``(quick: bool) -> list[Figure]``."""


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks asked for; 0 if every figure met its target (or, with --quick, none crashed)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="tiny sizes, one run each; checks only that they work"
    )
    parser.add_argument("--only", choices=sorted(BENCHMARKS), help="run one benchmark")
    args = parser.parse_args(argv)
    names = [args.only] if args.only else list(BENCHMARKS)
    figures: list[Figure] = []
    crashed: list[str] = []
    started = time.perf_counter()
    for name in names:
        module, function = BENCHMARKS[name].split(":")
        try:
            found: list[Figure] = getattr(importlib.import_module(module), function)(args.quick)
        except Skipped as skipped:
            print(f"{name} skipped: {skipped}", flush=True)
            continue
        except Exception:
            traceback.print_exc()
            print(f"{name} CRASHED", flush=True)
            crashed.append(name)
            continue
        for figure in found:
            print(figure.line(), flush=True)
        figures.extend(found)
    missed = [f.name for f in figures if not f.passed]
    elapsed = time.perf_counter() - started
    mode = (
        "quick mode: targets not checked"
        if args.quick
        else f"{len(figures) - len(missed)}/{len(figures)} met"
    )
    print(f"-- {elapsed:.0f} s; {mode}", flush=True)
    if crashed:
        print(f"crashed: {', '.join(crashed)}", flush=True)
        return 1
    if missed and not args.quick:
        print(f"missed: {', '.join(missed)}", flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
