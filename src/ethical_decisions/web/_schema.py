"""JSON Schema (OpenAPI 3.1 dialect) for the attrs classes the HTTP API reads and writes.

The API parses every request body with the library's own cattrs converter
(:func:`ethical_decisions.serialization.parse`), so the schema is made from the
same attrs classes: their fields and type hints, their defaults (a field
without one is required), the constraints their validators enforce (ids, codes,
labels, free text), and the ``:param name:`` lines of their docstrings as
descriptions. Each class becomes one entry in ``components.schemas``.
"""

from __future__ import annotations

import datetime as dt
import enum
import inspect
import re
import types
import typing
from collections.abc import Mapping
from typing import Any, cast

import attrs

from ethical_decisions import _fields

__all__ = ["SchemaRegistry"]

JsonObject = dict[str, Any]

_PARAM = re.compile(r":param (\w+):\s*(.+?)(?=\n\s*:|\n\s*\n|\Z)", re.DOTALL)

_VALIDATED: Mapping[object, JsonObject] = {
    _fields.validate_identifier: {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$"},
    _fields.validate_code: {"type": "string", "pattern": "^[a-z][a-z0-9_]{0,62}$"},
    _fields.validate_label: {"type": "string", "minLength": 1, "maxLength": _fields.MAX_LABEL_LENGTH},
    _fields.validate_free_text: {"type": "string", "minLength": 1, "maxLength": _fields.MAX_TEXT_LENGTH},
    _fields.validate_optional_free_text: {
        "type": ["string", "null"],
        "minLength": 1,
        "maxLength": _fields.MAX_TEXT_LENGTH,
    },
    _fields.validate_positive: {"type": "integer", "minimum": 1},
}
"""What each of the library's field validators requires, as JSON Schema."""


def _words(text: str) -> str:
    return " ".join(text.split())


def _described(cls: type) -> tuple[str, dict[str, str]]:
    """The first paragraph of *cls*'s docstring, and its ``:param name:`` descriptions."""
    doc = inspect.cleandoc(cls.__doc__ or "")
    summary = _words(doc.split("\n\n", 1)[0]) if doc and not doc.startswith(":") else ""
    params = {name: _words(text) for name, text in _PARAM.findall(doc)}
    return summary, params


class SchemaRegistry:
    """Schemas for Python types, collecting each attrs class and enum once under ``components.schemas``."""

    def __init__(self) -> None:
        self.components: dict[str, JsonObject] = {}

    def ref(self, cls: type) -> JsonObject:
        """A ``$ref`` to *cls*'s component schema, made on first use."""
        name = cls.__name__
        if name not in self.components:
            self.components[name] = {}  # placeholder: a class may refer to itself
            self.components[name] = self._component(cls)
        return {"$ref": f"#/components/schemas/{name}"}

    def schema(self, hint: Any) -> JsonObject:
        """The schema of a type hint."""
        origin = typing.get_origin(hint)
        if hint is type(None):
            return {"type": "null"}
        if origin in (typing.Union, types.UnionType):
            options = [self.schema(a) for a in typing.get_args(hint)]
            return {"oneOf": options}
        if origin is typing.Literal:
            return {"enum": list(typing.get_args(hint))}
        if origin in (tuple, list, frozenset, set) or (
            origin is not None and inspect.isclass(origin) and issubclass(origin, tuple | list)
        ):
            args = [a for a in typing.get_args(hint) if a is not Ellipsis]
            items = self.schema(args[0]) if args else {}
            return {"type": "array", "items": items}
        if origin is not None and inspect.isclass(origin) and issubclass(origin, Mapping):
            _, value = typing.get_args(hint)
            return {"type": "object", "additionalProperties": self.schema(value)}
        if inspect.isclass(hint):
            return self._simple(hint)
        raise TypeError(f"no JSON Schema for {hint!r}")

    def _simple(self, hint: type) -> JsonObject:
        if attrs.has(hint) or issubclass(hint, enum.Enum):
            return self.ref(hint)
        if hint is bool:
            return {"type": "boolean"}
        if hint is int:
            return {"type": "integer"}
        if hint is float:
            return {"type": "number"}
        if hint is str:
            return {"type": "string"}
        if hint is dt.datetime:
            return {"type": "string", "format": "date-time"}
        if hint is dt.date:
            return {"type": "string", "format": "date"}
        raise TypeError(f"no JSON Schema for {hint!r}")

    def _component(self, cls: type) -> JsonObject:
        summary, params = _described(cls)
        if issubclass(cls, enum.Enum):
            found: JsonObject = {"type": "string", "enum": [m.value for m in cls]}
            if summary:
                found["description"] = summary
            return found
        hints = typing.get_type_hints(cls)
        properties: JsonObject = {}
        required = []
        for field in attrs.fields(cast("type[attrs.AttrsInstance]", cls)):
            name = field.alias or field.name
            prop = _VALIDATED.get(field.validator)
            if prop is not None and hints[field.name] in (str, int, str | None):
                prop = dict(prop)
            else:
                prop = self.schema(hints[field.name])
            if field.name in params:
                prop = (
                    {**prop, "description": params[field.name]}
                    if "$ref" not in prop
                    else {
                        "allOf": [prop],
                        "description": params[field.name],
                    }
                )
            properties[name] = prop
            if field.default is attrs.NOTHING:
                required.append(name)
        component: JsonObject = {"type": "object", "properties": properties, "additionalProperties": False}
        if required:
            component["required"] = required
        if summary:
            component["description"] = summary
        return component
