"""web: a review walked over HTTP against the same walk through the Python API; a load run on PostgreSQL.

``web_review_walk`` walks full reviews (see :mod:`workload`: eight steps, each
answered with the review as it stands) through the web service's
HTTP API, in process (an ASGI transport, no sockets), against the same walk
through :class:`~ethical_decisions.EthicalDecisions`. Both sides run on their
own fresh SQLite file, the store ``serve`` uses by default, with the four
route plugins installed. Target: the HTTP walk at most 3 times as long.

``web_load_*`` (full runs only; ``--quick`` runs a tiny one) serves the app
with uvicorn in a separate process on a loopback port, on PostgreSQL
(``EDM_BENCH_POSTGRES_URL``, a fresh schema), and runs 50 concurrent clients
for 60 seconds, each walking reviews through the same steps. It reports
requests per second and the p50/p95/p99 latencies, and checks two targets:
no request failed, and no step was lost (every step a client was told was
recorded is in the store, and the audit chain verifies). The run is bounded
in time and in requests, and sends traffic to 127.0.0.1 only.
"""

from __future__ import annotations

import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx2 as httpx
from harness import Figure, Skipped, compare, format_seconds, ratio_figure
from workload import TEXT, areas, case_reference, filter_logging_at_warning, service, walk

from ethical_decisions import EthicalDecisions
from ethical_decisions.store import SQLiteStore, open_store
from ethical_decisions.web import create_app

__all__ = ["run"]

TARGET = 3.0
LOOPBACK = "127.0.0.1"
POSTGRES_URL = os.environ.get("EDM_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
MAX_REQUESTS = 500_000
"""The load run stops after this many requests even if its time is not up."""


def _sign_ins() -> list[tuple[dict[str, str], dict[str, str]]]:
    """Per business area: the decision-maker's and the route team member's development sign-in."""
    return [
        (
            {
                "kind": "decision_maker",
                "staff_id": f"dm-{n:04d}",
                "role": role,
                "business_area": area,
                "team": "Casework",
            },
            {"kind": "route_team_member", "staff_id": "rt-0001", "route_id": route_id},
        )
        for n, (area, route_id, role) in enumerate(areas())
    ]


class _RequestFailedError(Exception):
    """A request the server did not answer with success."""


async def _step(client: httpx.AsyncClient, path: str, body: Any = None, *, status: int = 200) -> Any:
    answer = await client.post(path, json=body) if body is not None else await client.post(path)
    if answer.status_code != status:
        raise _RequestFailedError(f"{answer.status_code} for {path}")
    return answer.json()


async def walk_over_http(
    dm: httpx.AsyncClient, team: httpx.AsyncClient, index: int, told: dict[str, int] | None = None
) -> int:
    """Walk review number *index* through the API (as :func:`workload.walk` does); the steps recorded.

    :param told: where to count, by review id, each step the server said it recorded.
    """
    told = told if told is not None else {}
    review = await _step(
        dm,
        "/api/reviews",
        {
            "case": {
                "reference": case_reference(index),
                "personal_details": {"full_name": TEXT["applicant"]},
            },
            "proposed": {"outcome": TEXT["proposed_outcome"], "summary": TEXT["proposed_summary"]},
        },
        status=201,
    )
    review_id = review["review_id"]
    told[review_id] = 1
    base = f"/api/reviews/{review_id}"
    concerns = [
        {"category": "evidential_burden", "statement": TEXT["statement"]},
        {"category": "unintended_consequence", "statement": TEXT["second"]},
    ]
    await _step(dm, f"{base}/reflection", {"concerns": concerns})
    told[review_id] += 1
    await _step(
        dm,
        f"{base}/discretion",
        {
            "concern_id": "C1",
            "scope": "inside_rules",
            "guidance": TEXT["guidance"],
            "reason": TEXT["reason"],
            "result": "not_resolved",
        },
    )
    told[review_id] += 1
    await _step(
        dm,
        f"{base}/discussions",
        {
            "concern_id": "C1",
            "consulted_role": "technical_specialist",
            "consulted": TEXT["consulted"],
            "advice": TEXT["discussion_advice"],
            "result": "not_resolved",
        },
    )
    told[review_id] += 1
    escalated = await _step(dm, f"{base}/escalations", {"concern_ids": ["C1"], "question": TEXT["question"]})
    told[review_id] += 1
    referral = f"/api/referrals/{escalated['referrals'][-1]['referral_id']}"
    await _step(team, f"{referral}/acknowledgement")
    told[review_id] += 1
    await _step(team, f"{referral}/advice", {"advice": TEXT["advice"]})
    told[review_id] += 1
    await _step(
        dm,
        f"{referral}/advice-response",
        {
            "concern_id": "C1",
            "response": TEXT["response"],
            "reason": TEXT["response_reason"],
            "resolved": True,
        },
    )
    told[review_id] += 1
    await _step(
        dm,
        f"{base}/final-decision",
        {
            "decision": {
                "outcome": TEXT["final_outcome"],
                "summary": TEXT["final_summary"],
                "rationale": TEXT["rationale"],
            },
            "unresolved": {"concern_ids": ["C2"], "rationale": TEXT["unresolved"]},
        },
    )
    told[review_id] += 1
    return told[review_id]


async def _signed_in(base_url: str, who: dict[str, str], **options: Any) -> httpx.AsyncClient:
    client = httpx.AsyncClient(base_url=base_url, **options)
    answer = await client.post("/api/dev/sign-in", json=who)
    if answer.status_code != 200:
        raise _RequestFailedError(f"sign-in: {answer.status_code}")
    return client


def _fresh_sqlite(folder: Path, name: str) -> SQLiteStore:
    path = folder / f"{name}-{time.perf_counter_ns()}.db"
    return SQLiteStore(path)


def _review_walk(quick: bool) -> Figure:
    reviews, runs = (4, 1) if quick else (40, 9)
    folder = Path(tempfile.mkdtemp(prefix="edm-bench-web-"))

    def library() -> Callable[[], object]:
        edm = service(_fresh_sqlite(folder, "api"))
        edm.routes()

        def go() -> None:
            for index in range(reviews):
                walk(edm, index)

        return go

    def over_http() -> Callable[[], object]:
        edm = service(_fresh_sqlite(folder, "http"))
        app = create_app(edm, dev_sign_in=True, entry_points=False)
        transport = httpx.ASGITransport(app=app, client=(LOOPBACK, 40000))
        loop = asyncio.new_event_loop()
        url = "http://edm.test"
        clients = [
            (
                loop.run_until_complete(_signed_in(url, dm, transport=transport)),
                loop.run_until_complete(_signed_in(url, team, transport=transport)),
            )
            for dm, team in _sign_ins()
        ]

        async def all_reviews() -> None:
            for index in range(reviews):
                dm, team = clients[index % len(clients)]
                await walk_over_http(dm, team, index)

        return lambda: loop.run_until_complete(all_reviews())

    lib, base = compare(over_http, library, runs=runs)
    return ratio_figure("web_review_walk", TARGET, lib, base, per=reviews, unit="review")


# -- the load run --------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        port: int = probe.getsockname()[1]
        return port


def _postgres_schema() -> tuple[str, Callable[[], None]]:
    try:
        import psycopg  # noqa: PLC0415 - optional: only this benchmark needs it
    except ImportError:
        raise Skipped("psycopg is not installed (pip install 'ethical-decisions[postgres]')") from None
    try:
        admin = psycopg.connect(POSTGRES_URL, connect_timeout=3, autocommit=True)
    except psycopg.Error as exc:
        raise Skipped(f"no PostgreSQL server at {POSTGRES_URL} ({type(exc).__name__})") from None
    schema = f"edm_bench_web_{os.getpid()}"
    admin.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')

    def drop() -> None:
        admin.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        admin.close()

    separator = "&" if "?" in POSTGRES_URL else "?"
    return f"{POSTGRES_URL}{separator}schema={schema}", drop


def _start_server(url: str, port: int, workers: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "EDM_DATABASE_URL": url}
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ethical_decisions",
            "serve",
            "--host",
            LOOPBACK,
            "--port",
            str(port),
            "--workers",
            str(workers),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((LOOPBACK, port), timeout=0.5):
                return server
        except OSError:
            if server.poll() is not None:
                raise RuntimeError("the server exited before listening") from None
            time.sleep(0.2)
    server.kill()
    raise RuntimeError("the server did not start listening within 60 s")


async def _load(base_url: str, clients: int, seconds: float) -> tuple[list[float], int, dict[str, int]]:
    """*clients* clients walking reviews at once for *seconds*: latencies, failed walks, steps by review."""
    latencies: list[float] = []
    failures = 0
    recorded: dict[str, int] = {}
    deadline = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=2)

    class Timed(httpx.AsyncHTTPTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            started = time.perf_counter()
            response = await super().handle_async_request(request)
            await response.aread()
            latencies.append(time.perf_counter() - started)
            return response

    async def one(number: int) -> None:
        nonlocal failures
        dm_who, team_who = _sign_ins()[number % len(_sign_ins())]
        dm_who = {**dm_who, "staff_id": f"load-{number:03d}"}
        dm = await _signed_in(base_url, dm_who, transport=Timed(limits=limits), timeout=30)
        team = await _signed_in(base_url, team_who, transport=Timed(limits=limits), timeout=30)
        index = 0
        try:
            while time.monotonic() < deadline and len(latencies) < MAX_REQUESTS:
                index += 1
                try:
                    await walk_over_http(dm, team, number * 1_000_000 + index, recorded)
                except (_RequestFailedError, httpx.HTTPError):
                    failures += 1
        finally:
            await dm.aclose()
            await team.aclose()

    await asyncio.gather(*(one(n) for n in range(clients)))
    return latencies, failures, recorded


def _load_run(quick: bool) -> list[Figure]:
    clients, seconds, workers = (5, 3.0, 1) if quick else (50, 60.0, 2)
    url, drop = _postgres_schema()
    port = _free_port()
    server = _start_server(url, port, workers)
    try:
        started = time.perf_counter()
        latencies, failures, recorded = asyncio.run(_load(f"http://{LOOPBACK}:{port}", clients, seconds))
        elapsed = time.perf_counter() - started
    finally:
        server.terminate()
        server.wait(30)
    edm = EthicalDecisions(open_store(url))
    try:
        versions = {r.review_id: r.version for r in edm.store.reviews()}
        intact = edm.verify().ok
    finally:
        edm.store.close()
        drop()
    told = sum(recorded.values())
    stored = sum(versions.values())
    # A step is lost if the server said it was recorded and the store does not hold it.
    lost = sum(max(0, steps - versions.get(review_id, 0)) for review_id, steps in recorded.items())
    ordered = sorted(latencies)

    def pct(p: float) -> str:
        return format_seconds(ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]) if ordered else "-"

    detail = (
        f"{len(latencies)} requests in {elapsed:.0f} s = {len(latencies) / elapsed:.0f} req/s from {clients} "
        f"clients ({workers} uvicorn workers, PostgreSQL); p50 {pct(50)}, p95 {pct(95)}, p99 {pct(99)}; "
        f"median {format_seconds(statistics.median(ordered)) if ordered else '-'}; "
        f"{len(recorded)} reviews walked, {told} steps recorded, {stored} in the store; chain "
        f"{'intact' if intact else 'BROKEN'}"
    )
    return [
        Figure("web_load_errors", float(failures), 0, detail, unit="failed walks"),
        Figure("web_load_lost_steps", float(lost + (0 if intact else 1)), 0, detail, unit="steps"),
    ]


def run(quick: bool) -> list[Figure]:
    """The ``web_review_walk`` figure, then the load run's (skipped without PostgreSQL)."""
    filter_logging_at_warning()
    figures = [_review_walk(quick)]
    try:
        figures += _load_run(quick)
    except Skipped as skipped:
        print(f"web_load skipped: {skipped}", flush=True)
    return figures
