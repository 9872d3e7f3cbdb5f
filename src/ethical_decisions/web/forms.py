"""Reading the pages' forms: CSRF-checked, within the body limit, into the API's own body types.

A form is read only after its CSRF token passes (a signed double submit: the
hidden ``csrf_token`` field must equal the ``edm_csrf`` cookie, and carry this
server's signature); a forged or missing token is answered with 403 and
nothing else happens. The fields then go through the same parse and the same
validators as the JSON API. Errors are GOV.UK-style: one message per field,
linked from the error summary, and never containing what was typed.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

import attrs
from starlette.requests import Request

from ethical_decisions.exceptions import ValidationError
from ethical_decisions.serialization import parse

from . import _http
from .problems import HttpProblem

__all__ = ["CSRF_COOKIE", "CSRF_FIELD", "Form", "FormErrors", "field_errors", "read_form"]

CSRF_COOKIE = "edm_csrf"
CSRF_FIELD = "csrf_token"

T = TypeVar("T")


class FormErrors(Exception):  # noqa: N818 - read as "the form has errors"
    """The form's fields that need correcting, by field name, with a message for each."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        super().__init__(", ".join(errors))
        self.errors = dict(errors)


@attrs.frozen
class Form:
    """A submitted form's fields (each name's values in order)."""

    fields: Mapping[str, tuple[str, ...]]

    def get(self, name: str) -> str:
        """The field's first value, stripped of surrounding space ('' if absent)."""
        values = self.fields.get(name, ())
        return values[0].strip() if values else ""

    def text(self, name: str) -> str | None:
        """The field's text as typed (``None`` if blank): free text keeps its line breaks."""
        values = self.fields.get(name, ())
        return values[0] if values and values[0].strip() else None

    def all(self, name: str) -> tuple[str, ...]:
        """Every value of a repeated field (checkboxes)."""
        return tuple(v for v in self.fields.get(name, ()) if v)

    def version(self) -> int | None:
        """The review version the page was showing (the form's ``If-Match``)."""
        value = self.get("version")
        return int(value) if value.isdigit() else None


async def read_form(request: Request) -> Form:
    """The request's form, once its CSRF token has passed.

    :raises HttpProblem: 403 for a forged or missing token, 415 for a body that is not a form.
    """
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media != "application/x-www-form-urlencoded":
        raise HttpProblem(415, "media-type", "Send the form", "Send the page's form as it is.")
    raw = await request.body()
    try:
        pairs = urllib.parse.parse_qsl(raw.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
    except UnicodeDecodeError:
        raise HttpProblem(
            400, "malformed", "The form cannot be read", "Send the page's form as it is."
        ) from None
    fields: dict[str, list[str]] = {}
    for name, value in pairs:
        fields.setdefault(name, []).append(value.replace("\r\n", "\n"))
    form = Form({k: tuple(v) for k, v in fields.items()})
    signer = _http.context(request).signer
    if not signer.tokens_match(request.cookies.get(CSRF_COOKIE), form.get(CSRF_FIELD)):
        raise HttpProblem(
            403,
            "csrf",
            "The form has expired",
            "The form could not be checked as this service's (its security token is missing or wrong). "
            "Nothing was recorded; go back, reload the page and submit it again.",
        )
    return form


def field_errors(exc: ValidationError, fields: Mapping[str, str]) -> dict[str, str]:
    """A :class:`ValidationError`'s lines as messages by form field.

    :param fields: the form field for each body path (``"decision.rationale": "rationale"``);
        a line whose path is not listed goes to the first field.
    """
    errors: dict[str, str] = {}
    first = next(iter(fields.values()))
    for line in exc.problems:
        path, _, problem = line.partition(": ")
        name = fields.get(path, first)
        errors.setdefault(name, problem[:1].upper() + problem[1:])
    return errors


def parse_form(
    cls: type[Any], data: Any, fields: Mapping[str, str], required: Sequence[tuple[str, str]]
) -> Any:
    """*data* parsed into *cls*, after checking the *required* fields (name, message) are given.

    :raises FormErrors: with a message per field that needs correcting.
    """
    missing = {name: message for name, message in required if not _given(data, name, fields)}
    if missing:
        raise FormErrors(missing)
    try:
        return parse(cls, data, what="The form")
    except ValidationError as exc:
        raise FormErrors(field_errors(exc, fields)) from None


def _given(data: Any, name: str, fields: Mapping[str, str]) -> bool:
    path = next((p for p, f in fields.items() if f == name), name)
    value: Any = data
    for part in path.replace("]", "").replace("[", ".").split("."):
        if isinstance(value, Mapping):
            value = value.get(part)
        elif isinstance(value, list | tuple) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return False
    return bool(value.strip()) if isinstance(value, str) else value not in (None, [], ())
