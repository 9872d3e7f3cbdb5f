"""The ASGI application: the pages, the HTTP API and the static files, over one service.

:func:`create_app` makes it; ``ethical-decisions serve`` runs it under uvicorn
(through :func:`from_environment`, so that each worker process makes its own).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator, Iterable
from pathlib import Path

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from ethical_decisions.plugins import make_plugins
from ethical_decisions.service import EthicalDecisions
from ethical_decisions.store import open_store

from . import _http, pages
from .api import ENDPOINTS
from .auth import Authenticator, web_manager
from .security import AccessLog, BodyLimit, Receive, Scope, SecurityHeaders, Send, Signer

__all__ = [
    "DEFAULT_MAX_BODY_BYTES",
    "DEV_SIGN_IN_VARIABLE",
    "SECRET_VARIABLE",
    "create_app",
    "from_environment",
]

DEFAULT_MAX_BODY_BYTES = 512 * 1024
"""The largest request body read by default: room for every free text of a step at its longest."""

SECRET_VARIABLE = "EDM_WEB_SECRET"
"""Environment variable: the key that signs cookies and CSRF tokens (the same for every worker)."""

DEV_SIGN_IN_VARIABLE = "EDM_WEB_DEV_SIGN_IN"
"""Environment variable: ``1`` turns the development sign-in on (``serve`` sets it on loopback only)."""

STATIC = Path(__file__).parent / "static"


def create_app(
    edm: EthicalDecisions | None = None,
    *,
    db: str | None = None,
    dev_sign_in: bool = False,
    auth_plugins: Iterable[object] = (),
    entry_points: bool = True,
    secret: bytes | None = None,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    https: bool = False,
) -> Starlette:
    """The web service over *edm* (or over the store *db* names, closed when the app stops).

    :param dev_sign_in: offer the development sign-in. Only for a server on a
        loopback address; it is off whenever an authentication plugin is installed.
    :param auth_plugins: authentication plugins to register (as well as the
        ``ethical_decisions.web`` entry points, unless *entry_points* is false).
    :param secret: signs cookies and CSRF tokens (at least 32 bytes); by default
        the ``EDM_WEB_SECRET`` environment variable, else random for this process.
    :param max_body_bytes: the largest request body read; larger ones get 413.
    :param https: served over HTTPS: cookies are ``Secure`` and HSTS is sent.
    """
    # Imported here, not at the top: ``python -m ethical_decisions.web.openapi`` runs that module
    # as __main__, and the package (which imports this one) must not have loaded it already.
    from .openapi import document  # noqa: PLC0415

    owned = edm is None
    service = edm if edm is not None else EthicalDecisions(open_store(db), plugins=make_plugins())
    manager = web_manager(service.plugins, auth_plugins, entry_points=entry_points)
    signer = Signer(secret if secret is not None else _secret_from_environment())
    ctx = _http.Context(
        edm=service,
        auth=Authenticator(manager, signer, dev_sign_in=dev_sign_in),
        signer=signer,
        max_body_bytes=max_body_bytes,
        secure_cookies=https,
        openapi=document,
    )

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        if owned:
            service.store.close()

    async def too_large(scope: Scope, receive: Receive, send: Send) -> None:
        response = _http.problem_response(_http.too_large(max_body_bytes))
        await response(scope, receive, send)

    routes: list[BaseRoute] = [
        Route(e.path, _http.handler(e.path)(e.run), methods=[e.method], name=e.operation_id)
        for e in ENDPOINTS
    ]
    routes += pages.routes()
    routes.append(Mount("/static", app=StaticFiles(directory=STATIC), name="static"))
    app = Starlette(
        routes=routes,
        middleware=[
            Middleware(AccessLog),
            Middleware(SecurityHeaders, https=https),
            Middleware(BodyLimit, max_bytes=max_body_bytes, too_large=too_large),
        ],
        lifespan=lifespan,
    )
    app.state.edm = ctx
    return app


def _secret_from_environment() -> bytes | None:
    raw = os.environ.get(SECRET_VARIABLE, "")
    return raw.encode() if raw else None


def from_environment() -> Starlette:
    """The app as ``serve`` configures it through the environment: one per uvicorn worker.

    The store is ``EDM_DATABASE_URL`` (else the default); the development
    sign-in is on when :data:`DEV_SIGN_IN_VARIABLE` is ``1``.
    """
    return create_app(dev_sign_in=os.environ.get(DEV_SIGN_IN_VARIABLE) == "1")
