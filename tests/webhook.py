"""A route team's webhook receiver: a real HTTP server on 127.0.0.1, in a thread.

It checks each request's signature itself (with :mod:`hmac`, not the library's
code), honours idempotency keys, and answers as scripted: a status code, or
``HANG`` to say nothing until released (for timeouts). It can be stopped and
started again on the same port, like a team's system going down and coming back.
"""

from __future__ import annotations

import hashlib
import hmac
import http.server
import json
import threading
from typing import Any

import attrs

HANG = "hang"


@attrs.define
class Request:
    """One request as the receiver saw it."""

    method: str
    path: str
    headers: dict[str, str]
    """By lower-case name: header names are case-insensitive."""
    body: bytes
    signature_ok: bool


class Receiver:
    """The receiver's state, shared by the server's handler threads.

    :ivar script: answers for the next requests, in order; 200 when it runs out.
    :ivar requests: every request that arrived.
    :ivar accepted: the JSON body first received for each idempotency key (acted on once).
    :ivar repeats: requests whose idempotency key had already been accepted.
    """

    def __init__(self, secret: bytes) -> None:
        self.secret = secret
        self.script: list[int | str] = []
        self.requests: list[Request] = []
        self.accepted: dict[str, Any] = {}
        self.repeats = 0
        self.release = threading.Event()
        self._lock = threading.Lock()

    def answer(self, method: str, path: str, headers: dict[str, str], body: bytes) -> int | str:
        """Record a request and decide the answer."""
        expected = "sha256=" + hmac.new(self.secret, body, hashlib.sha256).hexdigest()
        signature_ok = hmac.compare_digest(expected, headers.get("x-edm-signature", ""))
        with self._lock:
            self.requests.append(Request(method, path, headers, body, signature_ok))
            answer = self.script.pop(0) if self.script else 200
            if answer == HANG:
                return answer
            if not signature_ok:
                return 401
            if isinstance(answer, int) and 200 <= answer < 300:
                key = headers["idempotency-key"]
                if key in self.accepted:
                    self.repeats += 1
                else:
                    self.accepted[key] = json.loads(body)
            return answer


class _Handler(http.server.BaseHTTPRequestHandler):
    server: _Server

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        answer = self.server.receiver.answer(
            "POST", self.path, {k.lower(): v for k, v in self.headers.items()}, body
        )
        if answer == HANG:
            self.server.receiver.release.wait(10)
            self.close_connection = True
            return
        assert isinstance(answer, int)
        self.send_response(answer)
        if 300 <= answer < 400:
            self.send_header("Location", "/elsewhere")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_GET(self) -> None:
        self.server.receiver.answer("GET", self.path, {k.lower(): v for k, v in self.headers.items()}, b"")
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        """Keep the test output quiet."""


class _Server(http.server.ThreadingHTTPServer):
    receiver: Receiver


class WebhookServer:
    """Serves a :class:`Receiver` on 127.0.0.1; :meth:`stop` and :meth:`start` it to simulate an outage."""

    def __init__(self, receiver: Receiver) -> None:
        self.receiver = receiver
        self.port = 0
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """Where the receiver listens."""
        return f"http://127.0.0.1:{self.port}/referrals"

    def start(self) -> None:
        """Listen (on the same port as before, if it has run already)."""
        self.receiver.release.clear()
        server = _Server(("127.0.0.1", self.port), _Handler)
        server.receiver = self.receiver
        self.port = server.server_address[1]
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop listening; connections are refused until :meth:`start`."""
        if self._server is None or self._thread is None:
            return
        self.receiver.release.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()
        self._server = self._thread = None
