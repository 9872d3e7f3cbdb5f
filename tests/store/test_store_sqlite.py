"""The SQLite store's own promises: WAL, several processes on one file, locks, tampering with the file."""

from __future__ import annotations

import datetime as dt
import pickle
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from ethical_decisions import StoreError, verify
from ethical_decisions.store import AppendBatch, SQLiteStore

if TYPE_CHECKING:
    from conftest import Make

NOW = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)

_WRITER = """
import pickle, sys, time
from ethical_decisions import ConflictError
from ethical_decisions.store import SQLiteStore

path, batches, start = sys.argv[1], sys.argv[2], float(sys.argv[3])
with open(batches, "rb") as file:
    batches = pickle.load(file)
store = SQLiteStore(path)
time.sleep(max(0.0, start - time.time()))
results = []
for batch in batches:
    try:
        store.append(batch)
        results.append("won")
    except ConflictError:
        results.append("conflict")
store.close()
print(" ".join(results))
"""


def _in_processes(path: Path, work: list[list[AppendBatch]]) -> list[list[str]]:
    """Append each list of batches from its own process, all starting at the same moment."""
    start = time.time() + 3
    processes = []
    for n, batches in enumerate(work):
        pickled = path.with_name(f"batches-{n}.pickle")
        pickled.write_bytes(pickle.dumps(batches))
        command = [sys.executable, "-c", _WRITER, str(path), str(pickled), str(start)]
        processes.append(subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    results = []
    for process in processes:
        out, err = process.communicate(timeout=120)
        assert 0 == process.returncode, err
        results.append(out.splitlines()[-1].split())  # the last line: structlog prints to stdout too
    return results


@pytest.fixture(name="path")
def _path(tmp_path: Path) -> Path:
    return tmp_path / "reviews.db"


def test_two_processes_one_review(path: Path, make: Make) -> None:
    """Two processes appending to one review at the same version: exactly one wins, the other conflicts."""
    store = SQLiteStore(path)
    review = make.stored(store, "rv-a")
    work = [[make.then(review, at=NOW + dt.timedelta(minutes=m))[1]] for m in (1, 2)]

    results = _in_processes(path, work)

    assert [["conflict"], ["won"]] == sorted(results)
    assert [1, 2] == [r.sequence for r in store.load("rv-a")]
    assert verify(store.chain()).ok
    store.close()


def test_processes_share_one_chain(path: Path, make: Make) -> None:
    """Three processes writing many reviews at once all succeed, leaving one chain that verifies."""
    store = SQLiteStore(path)
    per_process = 15
    work = [
        [make.opened(f"rv-{p}-{n}")[1] for n in range(per_process)]
        for p in range(3)  # nothing to share: every batch opens its own review
    ]

    results = _in_processes(path, work)

    assert [["won"] * per_process] * 3 == results
    chain = list(store.chain())
    assert list(range(1, 3 * per_process + 1)) == [r.position for r in chain]
    assert verify(chain, expected_head=store.head()).ok
    store.close()


def test_one_flipped_byte_in_the_file_breaks_the_chain(path: Path, make: Make) -> None:
    """Changing one byte of an event's body in the closed database file makes verify fail at that event."""
    store = SQLiteStore(path)
    make.stored(store, "rv-a")
    store.close()
    assert not path.with_name(path.name + "-wal").exists(), "closing the store checkpoints the WAL"
    data = bytearray(path.read_bytes())
    assert 1 == data.count(b'"outcome":"refuse"')
    data[data.index(b'"outcome":"refuse"') + len(b'"outcome":"')] ^= 0x20  # "refuse" becomes "Refuse"
    path.write_bytes(bytes(data))

    reopened = SQLiteStore(path)
    report = verify(reopened.chain())
    reopened.close()

    assert report.broken is not None
    assert (1, "rv-a") == (report.broken.position, report.broken.review_id)
    assert "does not match its hash" in report.broken.problem


def test_write_ahead_logging(path: Path) -> None:
    """The store puts the file in WAL mode."""
    SQLiteStore(path).close()

    connection = sqlite3.connect(path)
    (mode,) = connection.execute("PRAGMA journal_mode").fetchone()
    connection.close()

    assert "wal" == mode


def _hold_write_lock(path: Path, seconds: float) -> threading.Thread:
    ready = threading.Event()

    def hold() -> None:
        connection = sqlite3.connect(path, isolation_level=None)
        connection.execute("BEGIN IMMEDIATE")
        ready.set()
        time.sleep(seconds)
        connection.execute("COMMIT")
        connection.close()

    thread = threading.Thread(target=hold)
    thread.start()
    ready.wait()
    return thread


def test_writer_waits_for_a_lock(path: Path, make: Make) -> None:
    """An append waits for another connection's write transaction to end, then succeeds."""
    store = SQLiteStore(path)
    holder = _hold_write_lock(path, 0.5)

    make.stored(store, "rv-a")
    holder.join()

    assert ["rv-a"] == [r.review_id for r in store.chain()]
    store.close()


def test_lock_held_too_long(path: Path, make: Make) -> None:
    """When the lock is held past every retry the append fails with StoreError and writes nothing."""
    store = SQLiteStore(path, busy_timeout=0.05)
    _, batch = make.opened("rv-a")
    holder = _hold_write_lock(path, 6)  # longer than every retry: 6 short busy waits, pauses under 0.7 s

    with pytest.raises(StoreError, match="locked by other writers"):
        store.append(batch)
    holder.join()

    assert [] == list(store.chain())
    store.close()


def test_not_a_database(path: Path) -> None:
    """Opening a file that is not an SQLite database raises StoreError saying what to check."""
    path.write_bytes(b"these are not the pages you are looking for" * 100)

    with pytest.raises(StoreError, match="ethical-decisions store"):
        SQLiteStore(path)


def test_missing_folder(tmp_path: Path) -> None:
    """Opening a file in a folder that does not exist raises StoreError."""
    with pytest.raises(StoreError, match="folder exists"):
        SQLiteStore(tmp_path / "no" / "such" / "folder.db")


@pytest.mark.parametrize("name", ["", ":memory:", "file::memory:?cache=shared"])
def test_in_memory_database_refused(name: str) -> None:
    """An in-memory SQLite database is refused: each connection would see a different one."""
    with pytest.raises(StoreError, match="memory://"):
        SQLiteStore(name)


def test_url_is_absolute(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The store's URL names the file by its absolute path, whatever path it was opened with."""
    monkeypatch.chdir(path.parent)
    store = SQLiteStore(path.name)

    assert f"sqlite:///{path}" == store.url
    assert path == store.path
    store.close()


def test_closed_store_refuses_work(path: Path, make: Make) -> None:
    """A closed store raises StoreError rather than reopening behind the caller's back."""
    store = SQLiteStore(path)
    store.close()

    with pytest.raises(StoreError, match="closed"):
        make.stored(store, "rv-a")


def test_a_store_is_made_whole_or_not_at_all(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A failure while a new store is made leaves nothing at its path; the next open makes the store."""
    path = tmp_path / "reviews.db"
    real = SQLiteStore._migrate

    def failing(self: SQLiteStore, *, opened: bool = True) -> None:
        real(self, opened=opened)
        raise OSError("the process dies here")

    monkeypatch.setattr(SQLiteStore, "_migrate", failing)
    with pytest.raises(OSError, match="dies here"):
        SQLiteStore(path)
    assert sorted(p.name for p in tmp_path.iterdir()) == []
    monkeypatch.undo()
    store = SQLiteStore(path)
    try:
        assert store.head() is None
        assert path.stat().st_size > 0
    finally:
        store.close()
