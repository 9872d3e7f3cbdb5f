"""Concurrency: processes and threads writing one store at once lose, duplicate and lock up nothing."""

from __future__ import annotations

import collections
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ethical_decisions import (
    CaseReference,
    Concern,
    ConcernCategory,
    EthicalDecisions,
    ProposedDecision,
    testing,
)
from ethical_decisions.plugins import make_plugins
from ethical_decisions.store import SQLiteStore, Store, open_store
from tests import scenarios

from . import checks
from .concurrency_worker import AREA, ROUTE, Routes
from .conftest import Backend, Figures

WORKER = Path(__file__).with_name("concurrency_worker.py")
PROCESSES = 3
"""Worker processes; each runs two decision-maker threads and one route-team thread."""
REVIEWS = 4
"""Reviews each decision-maker thread takes from opening to final decision."""
ROUNDS = 20
"""Races run: each round, four contenders (two processes, two threads each) take one command at once."""
ROUND_GAP = 0.12
"""Seconds between rounds."""


@pytest.fixture(name="url", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def _url(request: pytest.FixtureRequest, sqlite_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        store = SQLiteStore(sqlite_path)
        store.close()
        yield store.url
        return
    backend: Backend = request.getfixturevalue("pg_schema")
    backend.open()  # creates the schema
    yield f"{request.getfixturevalue('postgres_url')}?schema={backend.location}"


def _run(commands: list[list[str]]) -> list[dict[str, Any]]:
    """Run the worker processes to the end; every outcome line they printed."""
    processes = [
        subprocess.Popen(
            [sys.executable, str(WORKER), *command], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for command in commands
    ]
    outcomes = []
    for process in processes:
        out, err = process.communicate(timeout=300)
        assert process.returncode == 0, err
        outcomes += [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    return outcomes


def _service(url: str) -> EthicalDecisions:
    plugins = make_plugins(blocked=(), entry_points=False, extra=[Routes()])
    return EthicalDecisions(open_store(url), plugins=plugins, new_id=lambda: f"prep-{time.time_ns()}")


def test_processes_and_threads_writing_at_once_lose_and_duplicate_nothing(
    url: str, tmp_path: Path, figures: Figures
) -> None:
    """Three processes, each with two decision-maker threads and a route-team thread, share one store.

    Decision-makers take reviews from opening to escalation and, once advised, respond to the advice
    and take the final decision; the three route-team threads race each other to acknowledge and
    advise every referral.
    No caller sees a StoreError (such as "database is locked"): each command succeeds, or is refused
    with ConflictError or StepError and records nothing. Afterwards the events in the store are
    exactly the successes reported, one each (none lost, none duplicated), the chain verifies, and
    every review's projections match its events.
    """
    start = time.time() + 2.0
    outcomes = _run(
        [
            ["workload", url, str(n), str(tmp_path), str(start), str(REVIEWS), str(PROCESSES)]
            for n in range(PROCESSES)
        ]
    )

    errors = [o for o in outcomes if "error" in o]
    assert errors == []
    successes = [tuple(o["ok"]) for o in outcomes if "ok" in o]
    refused = collections.Counter(o["refused"] for o in outcomes if "refused" in o)
    store = open_store(url)
    try:
        stored = [(r.review_id, r.sequence) for r in store.chain()]
        assert sorted(stored) == sorted(successes)
        assert len(set(stored)) == len(stored)
        assert checks.whole(store) == []
        closed = [r for r in store.reviews() if r.closed_at is not None]
    finally:
        store.close()
    assert len(closed) == PROCESSES * 2 * REVIEWS
    figures.record(
        processes=PROCESSES,
        threads=PROCESSES * 3,
        commands=len(outcomes),
        succeeded=len(successes),
        refused_conflict=refused["ConflictError"],
        refused_step=refused["StepError"],
        store_errors=len(errors),
    )


def _prepare(edm: EthicalDecisions, kind: str, index: int) -> dict[str, Any]:
    """A review in the state a round of *kind* races on."""
    dm = testing.decision_maker("dm-race", business_area=AREA)
    referral = ""
    if kind in ("acknowledge", "advise", "respond"):
        review = scenarios.escalated(edm, dm)
        referral = review.referrals[0].referral_id
        team = testing.route_team_member(ROUTE, "rt-prep")
        if kind in ("advise", "respond"):
            review = edm.acknowledge_referral(referral, by=team)
        if kind == "respond":
            review = edm.give_advice(referral, by=team, advice="Grant.")
    else:
        review = edm.open_review(
            by=dm, case=CaseReference("CASE-RACE"), proposed=ProposedDecision("refuse", "R.")
        )
        concerns = [Concern(ConcernCategory.OTHER, "Odd.")] if kind == "versioned" else []
        review = edm.record_reflection(review.review_id, by=dm, concerns=concerns, note="Reflected.")
    return {
        "index": index,
        "kind": kind,
        "review": review.review_id,
        "referral": referral,
        "version": review.version,
        "at": index * ROUND_GAP,
    }


def test_commands_racing_on_one_review_never_both_succeed(url: str, tmp_path: Path, figures: Figures) -> None:
    """Four contenders (two processes, two threads each) take one command on one review at the same moment.

    Rounds cover a route team acknowledging, or advising on, one referral; a decision-maker
    responding to that advice, or finalising; and decision-makers adding to a review they all loaded
    at one version (passing that version). In every round exactly one contender succeeds; each other
    gets ConflictError or, having reloaded, StepError because the step is no longer allowed; the review
    gains exactly one event.
    """
    kinds = ["acknowledge", "advise", "respond", "finalise", "versioned"]
    edm = _service(url)
    try:
        plan = [_prepare(edm, kinds[n % len(kinds)], n) for n in range(ROUNDS)]
        before = {p["review"]: p["version"] for p in plan}
    finally:
        edm.store.close()
    plan_file = tmp_path / "plan.json"
    plan_file.write_text(json.dumps(plan))
    start = time.time() + 2.5

    outcomes = _run([["race", url, str(n), str(plan_file), str(start)] for n in range(2)])

    assert [o for o in outcomes if "error" in o] == []
    by_round: dict[int, list[dict[str, Any]]] = collections.defaultdict(list)
    for outcome in outcomes:
        by_round[outcome["round"]].append(outcome)
    winners = {n: [o for o in by_round[n] if "ok" in o] for n in range(ROUNDS)}
    assert {n: len(w) for n, w in winners.items()} == dict.fromkeys(range(ROUNDS), 1)
    assert all(len(by_round[n]) == 4 for n in range(ROUNDS))
    store: Store = open_store(url)
    try:
        after = {rid: len(store.load(rid)) for rid in before}
        assert after == {rid: version + 1 for rid, version in before.items()}
        assert checks.whole(store) == []
    finally:
        store.close()
    refused = collections.Counter(o["refused"] for o in outcomes if "refused" in o)
    figures.record(
        rounds=ROUNDS,
        contenders_per_round=4,
        winners_per_round=1,
        refused_conflict=refused["ConflictError"],
        refused_step=refused["StepError"],
    )
