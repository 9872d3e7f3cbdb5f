"""The disclosure audit: an outsider's integer-programming attack on every department report.

The attack (:mod:`tests.reports.disclosure`) takes everything one report
publishes and bounds every hidden count. It runs on the demo's department
reports, built as the ``demo`` command builds its data (600 cases, seed 2025,
"today" 6 December 2025 at 09:00 UTC), and on generated tables.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest

from ethical_decisions import reports
from ethical_decisions.cli import _common, _demo, main
from ethical_decisions.service import EthicalDecisions
from ethical_decisions.store import MemoryStore, Store

from .disclosure import Finding, attack, shown_in_full

TODAY = dt.datetime(2025, 12, 6, 9, tzinfo=dt.UTC)
"""The demo's "today" in these tests (the issue's attack was on a demo made that day)."""


@pytest.fixture(name="demo", scope="module")
def _demo_store(tmp_path_factory: pytest.TempPathFactory) -> tuple[Store, dict[str, str]]:
    """The demo's store, made by the ``demo`` command with its default cases and seed, on :data:`TODAY`.

    The command writes to a memory store (kept open for the tests), so that the
    tests do not wait on a disk.
    """
    store = MemoryStore()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_demo, "_today", lambda: TODAY)
        patch.setattr(_common, "open_store", lambda url: store)
        folder = tmp_path_factory.mktemp("audit")
        assert main(["--db", "memory://", "demo", "--reports", str(folder)]) == 0
    names = {route.route_id: route.name for route in EthicalDecisions(store).routes()}
    return store, names


Build = Callable[[reports.Period], reports.DepartmentReport]


@pytest.fixture(name="build")
def _build(demo: tuple[Store, dict[str, str]]) -> Build:
    store, names = demo

    def build(period: reports.Period) -> reports.DepartmentReport:
        return reports.department_report(store, period, as_of=TODAY, route_names=names)

    return build


def _findings(build: Build, period: reports.Period, monkeypatch: pytest.MonkeyPatch) -> list[Finding]:
    report = build(period)
    with shown_in_full(monkeypatch):
        truth = build(period)
    return attack(report, truth=truth).findings()


def test_the_attack_recovers_counts_the_first_method_hid(
    build: Build, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The audit can fail: on the first suppression method it pins hidden counts, as the issue found.

    Over the demo's old default period (7 June to 6 December 2025), the first
    method hid 34 counts; the attack pinned 6 to one value (the Chief Caseworker
    Unit's escalations in June = 1, September = 7, December = 1, the Quality
    Examination Support Team's September = 4 and December = 2, and "Upheld" at
    appeal or tribunal = 27) and narrowed 14 more to two values.
    """
    period = reports.Period.from_dates(dt.date(2025, 6, 7), dt.date(2025, 12, 6))

    found = _findings(build, period, monkeypatch)

    pinned = {str(f) for f in found if f.values == 1}
    assert "escalations: referrals[month=2025-06, route=chief_caseworker_unit] is 1..1 (1 values)" in pinned
    assert "overturned: challenges_decided[result=upheld] is 27..27 (1 values)" in pinned
    assert len(found) == 20
