"""PostgreSQL for the benchmarks: the server, fresh schemas, and a proxy that counts round trips.

The server is the one at ``EDM_BENCH_POSTGRES_URL`` (default
``postgresql://postgres@127.0.0.1:5432/test``); without psycopg or a server,
:func:`schemas` raises :class:`~harness.Skipped` with a message.

:class:`CountingProxy` sits between a client and the server on a loopback
port and reads the protocol as it passes. A *round trip* is the client
sending and then waiting for the server's answer: counted each time the
server's bytes follow bytes from the client (however many statements the
client sent in between, as in pipeline mode). The proxy holds what the
client sends for :data:`LATENCY` before passing it on, as a network would:
a client that sends statements without waiting (pipeline mode) gets them
all to the server in one flight, so they count as one round trip even on
loopback, where the server would otherwise answer between two of them.
A *statement* is a simple
``Query`` message or an ``Execute`` of the extended protocol (so ``BEGIN``
and ``COMMIT`` count, and ``executemany`` counts once per row). Both sides
connect through it unencrypted (``sslmode=disable``), so it can read the messages.
"""

from __future__ import annotations

import collections
import contextlib
import os
import selectors
import socket
import struct
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from harness import Skipped

__all__ = ["URL", "CountingProxy", "Counts", "schemas"]

URL = os.environ.get("EDM_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
_PREFIX = "edm_bench_"
LATENCY = 0.002
"""Seconds the proxy holds the client's bytes, as a network between client and server would."""
_SSL_REQUEST = 80877103
_GSS_REQUEST = 80877104
_STATEMENT_KINDS = frozenset(b"QE")
"""The client's messages that run a statement: a simple Query, an Execute."""


def _connect(url: str) -> Any:
    try:
        import psycopg  # noqa: PLC0415 - optional: only the PostgreSQL benchmarks need it
    except ImportError:
        raise Skipped("psycopg is not installed (pip install 'ethical-decisions[postgres]')") from None
    try:
        return psycopg.connect(url, connect_timeout=3, autocommit=True)
    except psycopg.Error as exc:
        raise Skipped(f"no PostgreSQL server at {url} ({type(exc).__name__})") from None


@contextlib.contextmanager
def schemas() -> Iterator[Iterator[str]]:
    """Names of fresh, empty schemas (created), all dropped when the block ends.

    :raises Skipped: without psycopg or a server at :data:`URL`.
    """
    admin = _connect(URL)
    made: list[str] = []

    def fresh() -> Iterator[str]:
        for number in range(1_000_000):
            schema = f"{_PREFIX}{os.getpid()}_{number}"
            admin.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
            admin.execute(f'CREATE SCHEMA "{schema}"')
            made.append(schema)
            yield schema

    try:
        yield fresh()
    finally:
        for schema in made:
            admin.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        admin.close()


@dataclass
class Counts:
    """What the proxy saw, over every connection through it."""

    round_trips: int = 0
    statements: int = 0


@dataclass
class _Link:
    """One client connection and its connection to the server."""

    client: socket.socket
    server: socket.socket
    awaiting_answer: bool = False
    started: bool = False
    buffer: bytearray = field(default_factory=bytearray)


class CountingProxy:
    """A loopback proxy to the server at :data:`URL` that counts round trips and statements."""

    def __init__(self) -> None:
        parts = urlsplit(URL)
        self._target = (parts.hostname or "127.0.0.1", parts.port or 5432)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.setblocking(False)
        self.port: int = self._listener.getsockname()[1]
        self._selector = selectors.DefaultSelector()
        self._selector.register(self._listener, selectors.EVENT_READ)
        self._lock = threading.Lock()
        self._counts = Counts()
        self._stopping = False
        self._held: collections.deque[tuple[float, socket.socket, bytes]] = collections.deque()
        self._thread = threading.Thread(target=self._serve, name="pg-counting-proxy", daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        """The server's URL, through the proxy, unencrypted."""
        parts = urlsplit(URL)
        netloc = parts.netloc.rpartition("@")
        host = f"127.0.0.1:{self.port}"
        query = "&".join(q for q in (parts.query, "sslmode=disable", "gssencmode=disable") if q)
        return urlunsplit(parts._replace(netloc=f"{netloc[0]}@{host}" if netloc[1] else host, query=query))

    def take(self) -> Counts:
        """The counts since the last call, and start counting again from zero."""
        with self._lock:
            counts, self._counts = self._counts, Counts()
        return counts

    def close(self) -> None:
        """Stop forwarding and close every connection."""
        self._stopping = True
        self._thread.join(timeout=5)

    def _serve(self) -> None:
        links: dict[socket.socket, tuple[_Link, bool]] = {}
        try:
            while not self._stopping:
                self._pass_on_held()
                wait = max(0.0, self._held[0][0] - time.monotonic()) if self._held else 0.1
                for key, _ in self._selector.select(timeout=wait):
                    sock = key.fileobj
                    assert isinstance(sock, socket.socket)
                    if sock is self._listener:
                        self._accept(links)
                    elif not self._forward(links, sock):
                        self._drop(links, sock)
        finally:
            for sock in list(links):
                self._drop(links, sock)
            self._selector.close()
            self._listener.close()

    def _accept(self, links: dict[socket.socket, tuple[_Link, bool]]) -> None:
        client, _ = self._listener.accept()
        server = socket.create_connection(self._target)
        for sock in (client, server):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._selector.register(sock, selectors.EVENT_READ)
        link = _Link(client, server)
        links[client] = (link, True)
        links[server] = (link, False)

    def _forward(self, links: dict[socket.socket, tuple[_Link, bool]], sock: socket.socket) -> bool:
        found = links.get(sock)
        if found is None:
            return False
        link, from_client = found
        try:
            data = sock.recv(1 << 16)
        except OSError:
            return False
        if not data:
            return False
        if from_client:
            self._held.append((time.monotonic() + LATENCY, link.server, data))
        else:
            link.client.sendall(data)
        with self._lock:
            if from_client:
                link.awaiting_answer = True
                self._counts.statements += self._statements(link, data)
            elif link.awaiting_answer:
                link.awaiting_answer = False
                self._counts.round_trips += 1
        return True

    def _pass_on_held(self) -> None:
        """Send on the client's bytes that have been held long enough."""
        now = time.monotonic()
        while self._held and self._held[0][0] <= now:
            _, server, data = self._held.popleft()
            with contextlib.suppress(OSError):  # the connection was dropped meanwhile
                server.sendall(data)

    @staticmethod
    def _statements(link: _Link, data: bytes) -> int:
        """Statements in the client's bytes: Query and Execute messages (after the untyped start-up)."""
        link.buffer += data
        found = 0
        while True:
            if not link.started:
                if len(link.buffer) < 8:
                    return found
                length, code = struct.unpack("!ii", link.buffer[:8])
                if len(link.buffer) < length:
                    return found
                del link.buffer[:length]
                link.started = code not in (_SSL_REQUEST, _GSS_REQUEST)
                continue
            if len(link.buffer) < 5:
                return found
            kind = link.buffer[0]
            (length,) = struct.unpack("!i", link.buffer[1:5])
            if len(link.buffer) < 1 + length:
                return found
            del link.buffer[: 1 + length]
            found += kind in _STATEMENT_KINDS

    def _drop(self, links: dict[socket.socket, tuple[_Link, bool]], sock: socket.socket) -> None:
        found = links.get(sock)
        if found is None:
            return
        link = found[0]
        for end in (link.client, link.server):
            links.pop(end, None)
            with contextlib.suppress(KeyError, ValueError):
                self._selector.unregister(end)
            end.close()
