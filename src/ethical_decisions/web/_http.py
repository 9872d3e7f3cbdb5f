"""The plumbing the API and the pages share: the app's context, reading bodies, answering with problems.

Every handler is wrapped by :func:`handler`, which records the route's path
template for the access log and turns every exception into an answer: the
library's errors into problem details (or, for a page, the error page), and
anything else into a 500 that is logged by exception type only, so no
message that might hold a submitted value reaches a log.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import attrs
import structlog
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from ethical_decisions._fields import is_id
from ethical_decisions.exceptions import ConflictError, EthicalDecisionsError, NotFoundError
from ethical_decisions.serialization import parse, unparse
from ethical_decisions.service import EthicalDecisions

from .auth import Authenticator
from .hookspecs import RequestInfo, WebActor
from .problems import HttpProblem, Problem, problem_for
from .security import ROUTE_KEY, BodyTooLargeError, Signer

__all__ = [
    "PROBLEM_JSON",
    "Context",
    "Handler",
    "handler",
    "json_response",
    "not_signed_in",
    "parse_version",
    "problem_response",
    "read_json",
    "request_info",
    "threaded",
]

PROBLEM_JSON = "application/problem+json"

T = TypeVar("T")
Handler = Callable[[Request], Awaitable[Response]]

_log = structlog.get_logger("ethical_decisions.web")


@attrs.frozen
class Context:
    """What every handler needs: the service, who is signed in, the signer, and the settings.

    :param max_body_bytes: the largest request body read.
    :param secure_cookies: mark cookies ``Secure`` (served over HTTPS).
    :param openapi: the OpenAPI document of the API (made from the API's endpoint list, so
        given here by the app rather than imported by the API it describes).
    """

    edm: EthicalDecisions
    auth: Authenticator
    signer: Signer
    max_body_bytes: int
    secure_cookies: bool
    openapi: Callable[[], dict[str, Any]]

    def now(self) -> dt.datetime:
        """The current time in UTC."""
        return dt.datetime.now(dt.UTC)


def path_id(request: Request, kind: str) -> str:
    """The review's or referral's id in the address (``{kind}_id``).

    An address whose id is not in an id's form names nothing here: a 404, like an id not in the
    store, whose message never repeats it.
    """
    value = str(request.path_params[f"{kind}_id"])
    if not is_id(value, kind):
        raise NotFoundError(kind, "")
    return value


def request_info(request: Request) -> RequestInfo:
    """What the authentication hook is told about *request*."""
    return RequestInfo(
        method=request.method,
        path=request.url.path,
        headers={k.lower(): v for k, v in request.headers.items()},
        cookies=dict(request.cookies),
        client_host=request.client.host if request.client else None,
        scheme=request.url.scheme,
    )


def context(request: Request) -> Context:
    """The app's context."""
    found: Context = request.app.state.edm
    return found


def not_signed_in() -> HttpProblem:
    """The problem for a request with no actor."""
    return HttpProblem(
        401,
        "not-signed-in",
        "Not signed in",
        "Sign in first: the service could not tell who sent the request.",
    )


def actor(request: Request) -> WebActor:
    """Who sent *request*.

    :raises HttpProblem: 401 if no one is signed in.
    """
    found = context(request).auth.actor(request_info(request))
    if found is None:
        raise not_signed_in()
    return found


async def threaded(function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Call the (blocking) service in a worker thread."""
    return await run_in_threadpool(function, *args, **kwargs)


def json_response(value: Any, *, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """*value* written by the library's converter as JSON."""
    body = json.dumps(unparse(value), ensure_ascii=False, separators=(",", ":"))
    return Response(body, status_code=status, media_type="application/json", headers=headers)


def problem_response(problem: Problem) -> Response:
    """*problem* as ``application/problem+json``."""
    body = {k: v for k, v in unparse(problem).items() if v not in ((), None)}
    return Response(json.dumps(body, ensure_ascii=False), status_code=problem.status, media_type=PROBLEM_JSON)


async def read_json(request: Request, cls: type[T]) -> T:
    """The request's JSON body parsed into *cls* by the library's converter.

    :raises HttpProblem: 415 if it is not JSON, 400 if it cannot be read.
    :raises ValidationError: naming each fault, never a value (answered with 422).
    """
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media != "application/json":
        raise HttpProblem(
            415, "media-type", "Send JSON", "Send the body as JSON, with Content-Type: application/json."
        )
    raw = await request.body()
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        raise HttpProblem(
            400, "malformed", "The body is not JSON", "The body could not be read as JSON; check its syntax."
        ) from None
    if not isinstance(data, dict):
        raise HttpProblem(400, "malformed", "The body is not a JSON object", "Send a JSON object.")
    return parse(cls, data, what="The request body")


def parse_version(request: Request) -> int | None:
    """The review version an ``If-Match`` header names (``None`` without one, or for ``*``).

    :raises HttpProblem: 400 if the header is not one quoted version number.
    """
    header = request.headers.get("if-match")
    if header is None or header.strip() == "*":
        return None
    value = header.strip()
    if value.startswith("W/"):
        value = value[2:]
    if len(value) < 3 or value[0] != '"' or value[-1] != '"' or not value[1:-1].isdigit():
        raise HttpProblem(
            400,
            "if-match",
            "If-Match is not a version",
            'If-Match must be one ETag from this service, e.g. "7" (the review\'s version).',
        )
    return int(value[1:-1])


def handler(
    template: str, *, page: Callable[[Request, Problem], Awaitable[Response]] | None = None
) -> Callable[[Handler], Handler]:
    """Wrap a handler: note its *template* for the access log and answer every exception.

    :param page: renders a problem as an HTML page (for the pages); by default problem JSON.
    """

    def wrap(function: Handler) -> Handler:
        async def run(request: Request) -> Response:
            request.scope[ROUTE_KEY] = template
            try:
                return await function(request)
            except HttpProblem as exc:
                found = exc.problem
            except ConflictError as exc:
                found = problem_for(exc, stale=request.headers.get("if-match") is not None)
            except EthicalDecisionsError as exc:
                if found_status(exc) == 500:
                    _log.error("ethical_decisions.web.failed", route=template, error_type=type(exc).__name__)
                found = problem_for(exc)
            except BodyTooLargeError:
                found = too_large(context(request).max_body_bytes)
            except Exception as exc:  # never let a message (it may hold a value) reach the server's log
                _log.error("ethical_decisions.web.failed", route=template, error_type=type(exc).__name__)
                found = Problem(
                    "about:blank",
                    "Something went wrong",
                    500,
                    "The server could not answer.",
                    "InternalError",
                )
            if page is not None:
                return await page(request, found)
            return problem_response(found)

        run.__name__ = function.__name__
        run.__doc__ = function.__doc__
        return run

    return wrap


def found_status(exc: EthicalDecisionsError) -> int:
    """The status the problem for *exc* carries."""
    return problem_for(exc).status


def too_large(limit: int) -> Problem:
    """The problem for a body over *limit* bytes."""
    return HttpProblem(
        413, "too-large", "The body is too large", f"Send a body of at most {limit} bytes."
    ).problem
