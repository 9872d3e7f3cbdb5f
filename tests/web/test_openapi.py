"""The OpenAPI document: valid 3.1, current in docs/openapi.json, and naming every route of the API."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from openapi_spec_validator import validate
from starlette.routing import Route
from starlette.testclient import TestClient

from ethical_decisions.web.openapi import document

COMMITTED = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"


def test_document_is_valid_openapi_3_1() -> None:
    """The document the service serves passes the OpenAPI 3.1 schema validator."""
    found = document()
    assert "3.1.0" == found["openapi"]
    validate(found)


def test_committed_document_is_current() -> None:
    """docs/openapi.json is current (regenerate: python -m ethical_decisions.web.openapi)."""
    assert document() == json.loads(COMMITTED.read_text(encoding="utf-8"))


def test_served_document_is_the_same(app: Any) -> None:
    """GET /openapi.json serves the same document, with no one signed in."""
    with TestClient(app) as client:
        answer = client.get("/openapi.json")
    assert 200 == answer.status_code
    assert document() == answer.json()


def test_every_api_route_is_documented(app: Any) -> None:
    """Every route under /api (and /openapi.json) is in the document with each of its methods."""
    paths = document()["paths"]
    api = [
        r
        for r in app.routes
        if isinstance(r, Route) and (r.path.startswith("/api/") or r.path == "/openapi.json")
    ]
    assert api, "the app has no API routes"
    for route in api:
        assert route.path in paths, f"{route.path} is not documented"
        for method in route.methods or ():
            if method != "HEAD":
                assert method.lower() in paths[route.path], f"{method} {route.path} is not documented"


def test_every_documented_step_body_is_a_schema_the_converter_reads() -> None:
    """Each request body refers to a component schema, and every $ref in the document resolves."""
    found = document()
    schemas = found["components"]["schemas"]
    text = json.dumps(found)
    for ref in {part.split('"')[0] for part in text.split('"$ref": "#/components/schemas/')[1:]}:
        assert ref in schemas, f"dangling $ref to {ref}"
    for path, methods in found["paths"].items():
        for method, operation in methods.items():
            body = operation.get("requestBody")
            if body is not None:
                assert "$ref" in body["content"]["application/json"]["schema"], f"{method} {path}"
