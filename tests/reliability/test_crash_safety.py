"""Crash safety: a writer killed with SIGKILL at random moments loses and half-writes nothing it confirmed."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from ethical_decisions.audit import ChainHead
from ethical_decisions.store import SQLiteStore

from . import checks
from .conftest import Figures

KILLS = 40
"""Writers killed; each kill is followed by the full set of checks."""
CHILD = Path(__file__).with_name("crash_child.py")

pytestmark = pytest.mark.skipif(
    not hasattr(os, "fork") or not hasattr(signal, "SIGKILL"), reason="fork and SIGKILL need a POSIX system"
)


class Zygote:
    """The child process that forks writers and kills them (see ``crash_child.py``)."""

    def __init__(self, path: Path) -> None:
        self.process = subprocess.Popen(
            [sys.executable, str(CHILD), str(path)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            bufsize=1,
        )

    def kill_after(self, run: int, delay_ms: int, seed: int) -> list[str]:
        """Start writer *run*, kill it after *delay_ms*; every line it wrote, in order."""
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        self.process.stdin.write(f"run {run} {delay_ms} {seed}\n")
        self.process.stdin.flush()
        lines = []
        for line in self.process.stdout:
            if line.startswith(("killed ", "failed ")):
                assert line.strip() == f"killed {run}", f"the writer failed instead of being killed: {line}"
                return lines
            lines.append(line.strip())
        raise AssertionError(f"the crash child ended: {self.stderr()}")

    def stderr(self) -> str:
        """What the child wrote to standard error, once it has ended."""
        self._end()
        assert self.process.stderr is not None
        return self.process.stderr.read()

    def _end(self) -> None:
        if self.process.stdin and not self.process.stdin.closed:
            self.process.stdin.close()  # ends the child's loop
        self.process.wait(timeout=60)

    def close(self) -> None:
        """End the child and close its pipes."""
        self._end()
        for stream in (self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()


@pytest.fixture(name="zygote")
def _zygote(sqlite_path: Path) -> Iterator[Zygote]:
    zygote = Zygote(sqlite_path)
    try:
        yield zygote
    finally:
        zygote.close()


def _confirmed(lines: list[str]) -> tuple[dict[str, int], tuple[str, int] | None]:
    """The highest confirmed version of each review, and the command in flight at the kill (if any)."""
    confirmed: dict[str, int] = {}
    in_flight: tuple[str, int] | None = None
    for line in lines:
        word, review_id, sequence = line.split()
        if word == "begin":
            in_flight = (review_id, int(sequence))
        else:
            assert word == "ok", line
            confirmed[review_id] = max(confirmed.get(review_id, 0), int(sequence))
            in_flight = None
    return confirmed, in_flight


def test_sigkill_at_random_points_loses_and_half_writes_nothing(
    zygote: Zygote, sqlite_path: Path, figures: Figures
) -> None:
    """A process writing reviews to SQLite, killed with SIGKILL at random points 40 times, loses nothing.

    After every kill the store opens; the whole chain verifies and still reaches the head seen after
    the previous kill (nothing confirmed was lost or rolled back); every command whose return the
    writer reported is stored; every stored review replays, and its review row, referral rows, outbox
    rows and compliance record are exactly what its events say, with no projection lacking its events.
    A command caught in flight by the kill is either wholly stored or not at all.
    """
    rng = random.Random(20260105)
    kept_head: ChainHead | None = None
    confirmed_total = committed_in_flight = rolled_back_in_flight = 0
    for run in range(1, KILLS + 1):
        # The first kill comes almost at once, while the schema is being created; then at random.
        delay = rng.randint(0, 15) if run == 1 else rng.randint(20, 450)
        lines = zygote.kill_after(run, delay, rng.randrange(2**32))
        confirmed, in_flight = _confirmed(lines)

        store = SQLiteStore(sqlite_path)
        try:
            mine = {r.review_id for r in store.chain() if r.review_id.startswith(f"k{run:03d}-")}
            problems = checks.whole(store, mine, head=kept_head)
            for review_id, version in confirmed.items():
                stored = len(store.load(review_id))
                if stored < version:
                    problems.append(f"{review_id}: confirmed version {version}, stored {stored}")
            if in_flight is not None:
                review_id, sequence = in_flight
                stored = len(store.load(review_id)) if review_id in mine else 0
                assert stored in (sequence - 1, sequence), f"{in_flight}: {stored} events stored"
                if stored == sequence:
                    committed_in_flight += 1
                else:
                    rolled_back_in_flight += 1
            assert problems == [], f"after kill {run} ({delay} ms): {problems}"
            kept_head = store.head()
        finally:
            store.close()
        confirmed_total += sum(1 for line in lines if line.startswith("ok "))

    store = SQLiteStore(sqlite_path)
    try:
        assert checks.whole(store, head=kept_head) == []
        events = len(list(store.chain()))
        reviews = len(store.reviews())
    finally:
        store.close()
    assert confirmed_total > KILLS, "the writers must have done real work between kills"
    assert committed_in_flight + rolled_back_in_flight > 0, "some kill must land during a command"
    figures.record(
        kills_survived=KILLS,
        commands_confirmed=confirmed_total,
        kills_during_a_command=committed_in_flight + rolled_back_in_flight,
        in_flight_stored_whole=committed_in_flight,
        in_flight_not_stored=rolled_back_in_flight,
        events_in_store=events,
        reviews_in_store=reviews,
    )
