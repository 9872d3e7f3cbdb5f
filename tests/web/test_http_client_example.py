"""examples/http_client.sh: a client in bash, curl and jq, written from the OpenAPI document alone."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from ethical_decisions import EthicalDecisions, MemoryStore, make_plugins, testing

from .conftest import AREA, ROUTE_ID, RoutesPlugin
from .live import Server

SCRIPT = Path(__file__).resolve().parents[2] / "examples" / "http_client.sh"


@pytest.fixture(name="live")
def _live() -> Iterator[Server]:
    route = testing.route(ROUTE_ID, business_area=AREA, name="Chief Caseworker Unit")
    plugins = make_plugins(blocked=(), entry_points=False, extra=[RoutesPlugin(route)])
    server = Server(EthicalDecisions(MemoryStore(), plugins=plugins))
    server.start()
    yield server
    server.stop()


def test_the_curl_client_walks_a_review(live: Server) -> None:
    """The script walks a review to its final decision over HTTP, and sees a stale If-Match refused."""
    missing = [tool for tool in ("bash", "curl", "jq") if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"the example needs {', '.join(missing)}")
    result = subprocess.run(
        ["bash", str(SCRIPT), live.url], capture_output=True, text=True, timeout=120, check=False
    )
    assert 0 == result.returncode, result.stdout + result.stderr
    for line in (
        "the OpenAPI document (3.1.0) offers every operation used",
        "stale If-Match refused: 412 ConflictError",
        f"escalated to {ROUTE_ID}: stage awaiting advice",
        "advice given: advice_given",
        "stage: advice received: respond to it",
        "advice followed: concern C1 resolved",
        "closed: resolved_after_escalation, decision changed: true",
        "audit chain: intact: 9 events in 1 reviews",
    ):
        assert line in result.stdout, result.stdout
