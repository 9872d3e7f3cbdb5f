"""`ethical-decisions serve`: uvicorn on a loopback port, with the development sign-in, logging no values."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _wait(port: int, server: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            assert server.poll() is None, server.communicate()[1]
            time.sleep(0.2)
    raise AssertionError("serve did not listen within 60 s")


def test_serve_answers_on_loopback_and_logs_route_templates_only(tmp_path: Path) -> None:
    """The command starts on the SQLite store --db names, answers pages and the API, logs no query string."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("EDM_")}
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ethical_decisions",
            "--db",
            f"sqlite:///{tmp_path / 'serve.db'}",
            "serve",
            "--port",
            str(port),
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _wait(port, server)
        base = f"http://127.0.0.1:{port}"
        with urllib.request.urlopen(f"{base}/openapi.json?secret=QSMARKER", timeout=10) as answer:
            assert 200 == answer.status
        with urllib.request.urlopen(f"{base}/sign-in", timeout=10) as answer:
            assert 200 == answer.status
            assert "no-store" == answer.headers["Cache-Control"]
    finally:
        server.terminate()
        _, err = server.communicate(timeout=30)
    assert "Development sign-in: open" in err
    assert "route=/openapi.json" in err
    assert "QSMARKER" not in err
    assert "GET /openapi.json" not in err, "uvicorn's own access log is on"
