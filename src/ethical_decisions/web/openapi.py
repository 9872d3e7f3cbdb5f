"""The OpenAPI 3.1 document of the HTTP API, made from the endpoint list and the attrs types.

Served at ``/openapi.json`` and committed as ``docs/openapi.json`` (a test
fails when the committed copy is stale, or when a route is not in it)::

    .venv/bin/python -m ethical_decisions.web.openapi > docs/openapi.json
"""

from __future__ import annotations

import functools
import json
import sys
import typing
from typing import Any

from ._schema import JsonObject, SchemaRegistry
from .api import ENDPOINTS, Endpoint
from .auth import DEV_COOKIE
from .problems import Problem

__all__ = ["document", "main"]

_REASONS = {
    400: "The request cannot be read (malformed JSON, a bad If-Match)",
    401: "No one is signed in",
    403: "The actor may not take this step, or the CSRF token is forged",
    404: "No such review, referral or systemic issue (or not one you may read)",
    409: "The model does not allow this step now, or the review changed meanwhile",
    412: "If-Match names a version the review (or systemic issue) no longer has",
    413: "The body is over the limit",
    415: "The body is not JSON",
    422: "A field is missing or wrong; each fault named, never its value",
}


_SUCCESS = {200: "OK", 201: "Created", 204: "No Content"}


def _answer_schema(registry: SchemaRegistry, answer: Any) -> JsonObject:
    if typing.get_origin(answer) is dict:
        return {"type": "object"}
    return registry.schema(answer)


def _operation(endpoint: Endpoint, registry: SchemaRegistry) -> JsonObject:
    params: list[JsonObject] = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in _path_names(endpoint.path)
    ]
    params += [
        {
            "name": q.name,
            "in": "query",
            "required": q.required,
            "description": q.description,
            "schema": {k: list(v) if isinstance(v, tuple) else v for k, v in q.schema},
        }
        for q in endpoint.query
    ]
    if endpoint.if_match:
        params.append(
            {
                "name": "If-Match",
                "in": "header",
                "required": False,
                "description": 'The review\'s version from its ETag ("7"); refused with 412 if it changed.',
                "schema": {"type": "string"},
            }
        )
    success: JsonObject = {"description": _SUCCESS[endpoint.status]}
    if endpoint.status == 204:
        pass
    elif endpoint.answer is not None:
        success["content"] = {"application/json": {"schema": _answer_schema(registry, endpoint.answer)}}
    else:
        success["content"] = {m: {"schema": {"type": "string"}} for m in endpoint.media}
    if endpoint.etag:
        success["headers"] = {
            "ETag": {
                "description": "The review's (or systemic issue's) version",
                "schema": {"type": "string"},
            }
        }
    responses: JsonObject = {str(endpoint.status): success}
    problem = {"application/problem+json": {"schema": registry.ref(Problem)}}
    for status in endpoint.errors:
        responses[str(status)] = {"description": _REASONS[status], "content": problem}
    operation: JsonObject = {
        "operationId": endpoint.operation_id,
        "summary": endpoint.summary,
        "tags": [endpoint.tag],
        "responses": responses,
    }
    if params:
        operation["parameters"] = params
    if endpoint.body is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": registry.ref(endpoint.body)}},
        }
    if not endpoint.signed_in:
        operation["security"] = []
    return operation


def _path_names(path: str) -> list[str]:
    return [part[1:-1] for part in path.split("/") if part.startswith("{")]


@functools.cache
def document() -> JsonObject:
    """The OpenAPI 3.1 document."""
    registry = SchemaRegistry()
    paths: JsonObject = {}
    for endpoint in ENDPOINTS:
        paths.setdefault(endpoint.path, {})[endpoint.method.lower()] = _operation(endpoint, registry)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "ethical-decisions",
            "version": "1",
            "summary": "The Home Office Ethical Decision-Making Model for casework systems, over HTTP.",
            "description": (
                "Every step of the model, a route's queue, the reports and the audit chain's check. "
                "Errors are RFC 9457 problem details carrying the library's error type and message, "
                "never a submitted value. A review's ETag is its version; send it as If-Match."
            ),
            "license": {"name": "MIT", "identifier": "MIT"},
        },
        "jsonSchemaDialect": "https://spec.openapis.org/oas/3.1/dialect/base",
        "paths": paths,
        "components": {
            "schemas": dict(sorted(registry.components.items())),
            "securitySchemes": {
                "deployment": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "Authorization",
                    "description": "Whatever the deployment's authentication plugin reads (see docs/web.md).",
                },
                "devSignIn": {
                    "type": "apiKey",
                    "in": "cookie",
                    "name": DEV_COOKIE,
                    "description": "Set by POST /api/dev/sign-in, on a loopback address only.",
                },
            },
        },
        "security": [{"deployment": []}, {"devSignIn": []}],
    }


def main() -> int:
    """Write the document to standard output, as committed in ``docs/openapi.json``."""
    sys.stdout.write(json.dumps(document(), indent=2, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
