"""What every response and request passes through: security headers, a body limit, signed tokens, access logs.

- :class:`SecurityHeaders` adds a strict Content Security Policy (no inline
  script or style, nothing from another origin, ``frame-ancestors 'none'``),
  ``X-Frame-Options: DENY``, ``nosniff``, ``Referrer-Policy: no-referrer``, and
  ``Cache-Control: no-store`` on everything but the shipped static files.
- :class:`BodyLimit` refuses a body over the limit with 413, whether it says its
  length or not, before any of it reaches a handler.
- :class:`AccessLog` logs one line per request: method, the route's path
  template (never the path itself, nor the query string, nor the body), status
  and duration.
- :class:`Signer` signs the development sign-in cookie and the CSRF tokens.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import structlog

from ethical_decisions.log import logs

__all__ = [
    "CONTENT_SECURITY_POLICY",
    "ROUTE_KEY",
    "AccessLog",
    "BodyLimit",
    "BodyTooLargeError",
    "SecurityHeaders",
    "Signer",
]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; font-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
"""The pages' policy: only this server's own files, no inline script or style, never in a frame."""

ROUTE_KEY = "ethical_decisions.route"
"""The ASGI scope key where a handler leaves its route's path template for the access log."""

_log = structlog.get_logger("ethical_decisions.web")


class SecurityHeaders:
    """ASGI middleware: the security headers on every response (a response's own CSP is kept)."""

    def __init__(self, app: ASGIApp, *, https: bool = False) -> None:
        self.app = app
        self.https = https

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Handle one ASGI connection."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = str(scope.get("path", "")).startswith("/static/")

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                extra = [
                    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
                    (b"x-frame-options", b"DENY"),
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"no-referrer"),
                    (b"cross-origin-opener-policy", b"same-origin"),
                    (b"cross-origin-resource-policy", b"same-origin"),
                    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), interest-cohort=()"),
                    (b"cache-control", b"public, max-age=3600" if static else b"no-store"),
                ]
                if self.https:
                    extra.append((b"strict-transport-security", b"max-age=31536000"))
                headers += [(k, v) for k, v in extra if k not in present]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)


class BodyTooLargeError(Exception):
    """A request body over the limit (answered with 413)."""


class BodyLimit:
    """ASGI middleware: refuse a request body over *max_bytes* with 413, having read no more than that."""

    def __init__(self, app: ASGIApp, *, max_bytes: int, too_large: ASGIApp) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.too_large = too_large

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Handle one ASGI connection."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", []):
            if name.lower() == b"content-length" and (not value.isdigit() or int(value) > self.max_bytes):
                await self.too_large(scope, receive, send)
                return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise BodyTooLargeError
            return message

        await self.app(scope, limited, send)


class AccessLog:
    """ASGI middleware: one log line per request, holding no path values, query string or body."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Handle one ASGI connection."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def record(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, record)
        finally:
            if logs("info"):
                _log_request(scope, status, started)


def _log_request(scope: Scope, status: int, started: float) -> None:
    route = scope.get(ROUTE_KEY)
    if route is None:
        route = "/static/{path}" if str(scope.get("path", "")).startswith("/static/") else "(unmatched)"
    _log.info(
        "ethical_decisions.web.request",
        method=scope.get("method"),
        route=route,
        status=status,
        duration_ms=round((time.perf_counter() - started) * 1000, 2),
    )


class Signer:
    """Signs short values with HMAC-SHA256 under a secret, and checks them.

    :param secret: at least 32 bytes; by default a random one for this process
        (so every worker of one deployment must be given the same secret).
    """

    def __init__(self, secret: bytes | None = None) -> None:
        if secret is not None and len(secret) < 32:
            raise ValueError("the signing secret must be at least 32 bytes")
        self._secret = secret if secret is not None else os.urandom(32)

    def _mac(self, purpose: str, value: bytes) -> str:
        mac = hmac.new(self._secret, purpose.encode() + b"\0" + value, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac).decode().rstrip("=")

    def sign(self, purpose: str, value: bytes) -> str:
        """*value* and its signature for *purpose*, as one cookie-safe string."""
        encoded = base64.urlsafe_b64encode(value).decode().rstrip("=")
        return f"{encoded}.{self._mac(purpose, value)}"

    def unsign(self, purpose: str, signed: str | None) -> bytes | None:
        """The value *signed* holds, if its signature for *purpose* is good; else ``None``."""
        if not signed or signed.count(".") != 1:
            return None
        encoded, mac = signed.split(".")
        try:
            value = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
        except ValueError:
            return None
        return value if hmac.compare_digest(mac, self._mac(purpose, value)) else None

    def new_token(self) -> str:
        """A fresh signed random token (a CSRF token)."""
        return self.sign("csrf", os.urandom(18))

    def tokens_match(self, cookie: str | None, submitted: str | None) -> bool:
        """Whether a form's token is the cookie's and both are signed by this server (double submit)."""
        if not cookie or not submitted or self.unsign("csrf", cookie) is None:
            return False
        return hmac.compare_digest(cookie.encode(), submitted.encode())
