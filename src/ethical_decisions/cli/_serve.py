"""``serve``: the web pages and the HTTP API under uvicorn (``pip install 'ethical-decisions[web]'``).

On a loopback address with no authentication plugin installed, the development
sign-in lets you be anyone (``/sign-in``). On any other address ``serve``
refuses to start unless an authentication plugin is installed: authentication
belongs to the deployment.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys

import structlog

from ethical_decisions.exceptions import EthicalDecisionsError

from ._common import positive_number

__all__ = ["add_commands"]


class ServeError(EthicalDecisionsError):
    """``serve`` cannot start as asked; the message says what to do."""


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``serve``."""
    serve = commands.add_parser(
        "serve",
        help="serve the web pages and the HTTP API",
        description="Serve the decision-makers' and route teams' pages, the reports and the JSON API "
        "(OpenAPI document at /openapi.json) on the store named by --db. On a loopback address without "
        "an authentication plugin, /sign-in lets you be anyone, for development and the demo. On any other "
        "address an authentication plugin is required. Needs the web extra: "
        "pip install 'ethical-decisions[web]'.",
    )
    serve.add_argument(
        "--db",
        metavar="URL",
        default=argparse.SUPPRESS,
        help="the store, as the --db before the command: postgresql://… for a department (default SQLite)",
    )
    serve.add_argument("--host", default="127.0.0.1", help="the address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=positive_number, default=8000, help="the port (default 8000)")
    serve.add_argument(
        "--workers", type=positive_number, default=1, metavar="N", help="worker processes (default 1)"
    )
    serve.set_defaults(run=_serve)


def _serve(args: argparse.Namespace) -> int:
    try:
        import uvicorn  # noqa: PLC0415 - an optional extra, imported only to serve

        from ethical_decisions.plugins import make_plugins  # noqa: PLC0415
        from ethical_decisions.web import app as web_app  # noqa: PLC0415
        from ethical_decisions.web.auth import is_loopback, web_manager  # noqa: PLC0415
    except ImportError:
        raise ServeError(
            "serve needs the web extra: pip install 'ethical-decisions[web]'; nothing was started"
        ) from None
    manager = web_manager(make_plugins())
    has_auth = bool(manager.hook.ethical_decisions_web_actor.get_hookimpls())
    loopback = is_loopback(args.host)
    if not loopback and not has_auth:
        raise ServeError(
            f"serve will not listen on {args.host} without an authentication plugin: anyone who can reach "
            "it could act as anyone. Install one (see the web page of the docs), or serve on 127.0.0.1 "
            "behind your own proxy"
        )
    if args.db:
        os.environ["EDM_DATABASE_URL"] = args.db
    os.environ[web_app.DEV_SIGN_IN_VARIABLE] = "1" if loopback and not has_auth else "0"
    os.environ.setdefault(web_app.SECRET_VARIABLE, os.urandom(32).hex())  # one key for every worker
    if loopback and not has_auth:
        print(
            f"Development sign-in: open http://{args.host}:{args.port}/sign-in (this address only)",
            file=sys.stderr,
        )
    _log_requests()
    uvicorn.run(
        "ethical_decisions.web.app:from_environment",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        access_log=False,  # the app logs each request itself, without paths' values or query strings
        proxy_headers=False,
        server_header=False,
        log_level="info" if args.verbose else "warning",
    )
    return 0


def _log_requests() -> None:
    # A server's access log is wanted by default: one line per request, at INFO, to standard error.
    structlog.configure(
        wrapper_class=structlog.make_filtering_bound_logger(logging.INFO),
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
    )
