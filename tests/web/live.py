"""A live server for the tests that need real HTTP: uvicorn on a free loopback port, in a thread."""

from __future__ import annotations

import logging
import socket
import threading
import time

from ethical_decisions import EthicalDecisions
from ethical_decisions.web import create_app

__all__ = ["Records", "Server"]


class Records(logging.Handler):
    """Keeps every standard-library log record's text (uvicorn's logs go there)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        """Keep the record, formatted, with any exception."""
        self.lines.append(f"{record.name}: {logging.Formatter().format(record)}")


class Server:
    """The app under uvicorn on a free loopback port, in a thread; its logs captured."""

    def __init__(self, edm: EthicalDecisions) -> None:
        import uvicorn

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.edm = edm
        app = create_app(edm, dev_sign_in=True, entry_points=False)
        self.config = uvicorn.Config(
            app, host="127.0.0.1", port=self.port, access_log=False, log_level="info"
        )
        self.server = uvicorn.Server(self.config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        """The server's address."""
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        """Start, and wait until it listens."""
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            assert time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.05)

    def stop(self) -> None:
        """Stop, and wait for the thread."""
        self.server.should_exit = True
        self.thread.join(20)
