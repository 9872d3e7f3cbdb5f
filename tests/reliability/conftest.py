"""Fixtures for the reliability suite, and the figures its tests record for ``docs/guarantees.md``.

PostgreSQL comes from the store suite's fixture (``EDM_TEST_POSTGRES_URL``; skipped with the reason when
the server cannot be reached, failed instead when ``EDM_REQUIRE_POSTGRES=1``).

Each test that injects faults or generates examples records how many through the ``figures`` fixture.
At the end of the run the figures are printed in the terminal summary and, when ``EDM_FIGURES_FILE``
names a file, written there as JSON with each test's duration and the versions it ran on.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import sqlite3
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.store.conftest import POSTGRES_URL, Backend, _postgres_url

__all__ = ["POSTGRES_URL", "Backend", "Figures", "_postgres_url"]

FIGURES_FILE_VARIABLE = "EDM_FIGURES_FILE"
_FIGURES: dict[str, dict[str, Any]] = {}
"""What each test recorded, by test id."""
_DURATIONS: dict[str, float] = {}
"""How long each reliability test took (setup, call and teardown), by test id."""


class Figures:
    """What one test counted: kills survived, writers, faults injected, examples tried."""

    def __init__(self, nodeid: str) -> None:
        self._nodeid = nodeid

    def record(self, **figures: Any) -> None:
        """Keep *figures* for this test (added to what it recorded before)."""
        _FIGURES.setdefault(self._nodeid, {}).update(figures)

    def count(self, name: str, by: int = 1) -> None:
        """Add *by* to the figure *name* of this test."""
        mine = _FIGURES.setdefault(self._nodeid, {})
        mine[name] = mine.get(name, 0) + by


@pytest.fixture(name="figures")
def _figures(request: pytest.FixtureRequest) -> Figures:
    return Figures(request.node.nodeid)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Note how long each reliability test took."""
    if "tests/reliability/" in report.nodeid:
        _DURATIONS[report.nodeid] = _DURATIONS.get(report.nodeid, 0.0) + report.duration


def _postgres_version() -> str | None:
    try:
        import psycopg

        with psycopg.connect(POSTGRES_URL, connect_timeout=3) as connection:
            row = connection.execute("SHOW server_version").fetchone()
        return str(row[0]) if row else None
    except Exception:  # no server or no driver: the figures say so rather than fail the run
        return None


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Write the figures as JSON when ``EDM_FIGURES_FILE`` names a file."""
    target = os.environ.get(FIGURES_FILE_VARIABLE)
    figures, durations = _FIGURES, _DURATIONS
    if not target or not figures:
        return
    document = {
        "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "exit_status": int(exitstatus),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "postgresql": _postgres_version(),
        "platform": platform.platform(terse=True),
        "cpus": os.cpu_count(),
        "tests": {
            nodeid: {"seconds": round(durations.get(nodeid, 0.0), 2), **values}
            for nodeid, values in sorted(figures.items())
        },
        "total_seconds": round(sum(durations.values()), 1),
    }
    path = Path(target)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2, sort_keys=False) + "\n", encoding="utf-8")


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    """Print the figures each reliability test recorded."""
    if not _FIGURES:
        return
    terminalreporter.section("reliability figures")
    for nodeid, values in sorted(_FIGURES.items()):
        shown = ", ".join(f"{k}={v}" for k, v in values.items())
        terminalreporter.write_line(f"{nodeid.split('::', 1)[-1]}: {shown}")
    where = os.environ.get(FIGURES_FILE_VARIABLE)
    if where:
        terminalreporter.write_line(f"written to {where}")


@pytest.fixture(name="sqlite_path")
def _sqlite_path(tmp_path: Path) -> Path:
    return tmp_path / "reviews.db"


@pytest.fixture(name="pg_schema")
def _pg_schema(postgres_url: str) -> Iterator[Backend]:
    """A fresh PostgreSQL schema (as a store-suite :class:`Backend`), dropped afterwards."""
    backend = Backend("postgres", f"edm_rel_{uuid.uuid4().hex[:16]}")
    try:
        yield backend
    finally:
        backend.close()


def python() -> str:
    """The interpreter running the tests, for child processes."""
    return sys.executable
