"""Field definitions shared by the value types: ids, codes, labels and free text.

Free text (statements, advice, rationale, applicant details) is marked in the
field's metadata so that serialization can digest it for the audit chain and
erase it at the end of retention. It is also ``repr=False``, so it cannot reach
a log or traceback through ``repr()``.

Validators raise :class:`~ethical_decisions.ValidationError` with messages that
describe the fault without echoing the value.
"""

from __future__ import annotations

import copy
import operator
import re
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime, timedelta
from typing import Any, NoReturn, TypeVar

import attrs

from .exceptions import ValidationError

FREE_TEXT = "ethical_decisions.free_text"
"""Metadata key that marks a field as free text (string, or mapping of strings)."""

FREE_TEXT_FIELD: Mapping[str, bool] = {FREE_TEXT: True}
"""The metadata of a free-text field: ``attrs.field(..., repr=False, metadata=FREE_TEXT_FIELD)``."""

MAX_TEXT_LENGTH = 20_000
"""Longest free text accepted, in characters: about eight pages of prose."""

MAX_LABEL_LENGTH = 200

_IDENTIFIER = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,99}")
_REFERRAL_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,99}-R[1-9][0-9]{0,8}")
_CONCERN_ID = re.compile(r"C[1-9][0-9]{0,5}")

ID_FORMAT = "1 to 100 letters, digits, '.', '_', ':' or '-', starting with a letter or digit"
"""The format of a review id and a staff id (and of route ids), in words."""

ID_FORMATS: Mapping[str, str] = {
    "review": f"a review id: {ID_FORMAT}",
    "staff": f"a staff id: {ID_FORMAT}",
    "referral": "a referral id: its review's id, then '-R' and a number, e.g. rv-0123456789abcdef-R5",
    "concern": "a concern id: 'C' and a number, e.g. C1",
}
"""Each kind of id that comes from outside, and its format in words (for refusals, which never echo it)."""

_ID_PATTERNS = {"review": _IDENTIFIER, "staff": _IDENTIFIER, "referral": _REFERRAL_ID, "concern": _CONCERN_ID}
_CODE = re.compile(r"[a-z][a-z0-9_]{0,62}")

Validator = Callable[[Any, "attrs.Attribute[Any]", Any], None]

K = TypeVar("K")
V = TypeVar("V")


class FrozenDict(dict[K, V]):
    """A dict that refuses every change once made: the mappings inside the library's records.

    The records are frozen attrs classes; with their mappings frozen too, a
    record can be handed to a plugin as it is, without a copy, and no one
    holding it can change what the library holds. It reads, compares, encodes
    as JSON, copies and pickles as a dict; ``dict(mapping)`` or ``mapping.copy()``
    gives a plain dict to change.
    """

    __slots__ = ()

    def _refuse(self, *args: object, **kwargs: object) -> NoReturn:
        raise TypeError("the mappings in ethical-decisions' records cannot be changed: build a new one")

    __setitem__ = __delitem__ = __ior__ = _refuse
    clear = pop = popitem = setdefault = update = _refuse

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (dict(self),))

    def __copy__(self) -> FrozenDict[K, V]:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> FrozenDict[K, V]:
        return type(self)(copy.deepcopy(dict(self), memo))


def frozen_dict(value: Mapping[K, V]) -> FrozenDict[K, V]:
    """*value* as a :class:`FrozenDict` (itself, if it already is one): an attrs converter."""
    return value if type(value) is FrozenDict else FrozenDict(value)


def _fail(instance: object, attribute: attrs.Attribute[Any], problem: str) -> None:
    raise ValidationError(type(instance).__name__, [f"{attribute.name}: {problem}"])


def _check_text(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, str):
        _fail(instance, attribute, "must be text")
    assert isinstance(value, str)
    if not value.strip():
        _fail(instance, attribute, "must not be empty or only whitespace")
    if len(value) > MAX_TEXT_LENGTH:
        _fail(instance, attribute, f"must be at most {MAX_TEXT_LENGTH} characters long")


def validate_free_text(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """Require non-blank text no longer than :data:`MAX_TEXT_LENGTH`."""
    _check_text(instance, attribute, value)


def validate_optional_free_text(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """Like :func:`validate_free_text`, but ``None`` means "nothing to say"."""
    if value is not None:
        _check_text(instance, attribute, value)


def validate_text_mapping(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """Require a mapping of code-like keys to non-blank text."""
    if not isinstance(value, Mapping):
        _fail(instance, attribute, "must be a mapping of field names to text")
    assert isinstance(value, Mapping)
    for key, text in value.items():
        if not isinstance(key, str) or not _CODE.fullmatch(key):
            _fail(instance, attribute, "keys must be lower-case names like 'full_name'")
        if not isinstance(text, str) or not text.strip() or len(text) > MAX_TEXT_LENGTH:
            _fail(
                instance,
                attribute,
                f"every value must be non-blank text of at most {MAX_TEXT_LENGTH} characters",
            )


def optional_free_text() -> Any:
    """An optional free-text field (default ``None``)."""
    return attrs.field(
        default=None, validator=validate_optional_free_text, repr=False, metadata=FREE_TEXT_FIELD
    )


def text_mapping() -> Any:
    """A mapping of named free-text values (e.g. applicant details), default empty."""
    return attrs.field(
        factory=dict,
        converter=text_dict,
        validator=validate_text_mapping,
        repr=False,
        metadata=FREE_TEXT_FIELD,
    )


def text_dict(value: Mapping[str, str]) -> FrozenDict[str, str]:
    """A mapping of texts, frozen (an attrs converter mypy can type)."""
    return frozen_dict(value)


def str_tuple(value: Iterable[str]) -> tuple[str, ...]:
    """A tuple of ids from any iterable of them (an attrs converter mypy can type)."""
    return tuple(value)


def is_identifier(value: object) -> bool:
    """Whether *value* is an id (see :func:`validate_identifier`)."""
    return isinstance(value, str) and _IDENTIFIER.fullmatch(value) is not None


def is_id(value: object, kind: str) -> bool:
    """Whether *value* is an id of *kind* (``review``, ``staff``, ``referral`` or ``concern``)."""
    return isinstance(value, str) and _ID_PATTERNS[kind].fullmatch(value) is not None


def check_id(value: object, kind: str, field: str) -> str:
    """*value*, if it is an id of *kind* (see :data:`ID_FORMATS`): the check at the library's edge.

    :raises ValidationError: naming *field* and the format, never the value.
    """
    if not is_id(value, kind):
        raise ValidationError(f"The {field}", [f"{field}: must be {ID_FORMATS[kind]}"])
    assert isinstance(value, str)
    return value


def validate_concern_ids(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """Require every item to be a concern id (``C1``, ``C2``…)."""
    if not isinstance(value, Iterable) or not all(is_id(item, "concern") for item in value):
        _fail(instance, attribute, f"every item must be {ID_FORMATS['concern']}")


def validate_identifier(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """Require an id: 1 to 100 letters, digits, ``.``, ``_``, ``:`` or ``-``, starting alphanumeric."""
    if not is_identifier(value):
        _fail(
            instance,
            attribute,
            "must be an id of 1 to 100 letters, digits, '.', '_', ':' or '-', "
            "starting with a letter or digit",
        )


def validate_optional_identifier(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """Like :func:`validate_identifier`, but ``None`` means "none"."""
    if value is not None:
        validate_identifier(instance, attribute, value)


def validate_code(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """Require a lower-case code such as ``customer_services_group`` or ``refuse``."""
    if not isinstance(value, str) or not _CODE.fullmatch(value):
        _fail(
            instance,
            attribute,
            "must be a lower-case code of letters, digits and '_', starting with a letter, "
            "such as 'refuse' or 'border_force'",
        )


def validate_label(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """Require a short single-line label (a team or route name), not free prose."""
    if (
        not isinstance(value, str)
        or not value.strip()
        or len(value) > MAX_LABEL_LENGTH
        or "\n" in value
        or "\r" in value
    ):
        _fail(instance, attribute, f"must be a single line of 1 to {MAX_LABEL_LENGTH} characters")


def validate_utc(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """Require a timezone-aware datetime in UTC."""
    if not isinstance(value, datetime):
        _fail(instance, attribute, "must be a date and time")
    assert isinstance(value, datetime)
    if value.tzinfo is None or value.utcoffset() != timedelta(0):
        _fail(instance, attribute, "must be a timezone-aware time in UTC")


def validate_bool(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """Require ``True`` or ``False``."""
    if not isinstance(value, bool):
        _fail(instance, attribute, "must be true or false")


def validate_positive(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """Require a whole number of at least 1."""
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        _fail(instance, attribute, "must be a whole number of at least 1")


def validate_date(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """Require a calendar date (not a date and time)."""
    if not isinstance(value, date) or isinstance(value, datetime):
        _fail(instance, attribute, "must be a date, e.g. 2026-11-23")


def validate_optional_date(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """Like :func:`validate_date`, but ``None`` means "none"."""
    if value is not None:
        validate_date(instance, attribute, value)


def is_free_text(attribute: attrs.Attribute[Any]) -> bool:
    """Whether *attribute* holds free text (and so is digested and erasable)."""
    return bool(attribute.metadata.get(FREE_TEXT, False))


_GETTERS: dict[type, tuple[tuple[str, ...], Callable[[Any], tuple[Any, ...]]]] = {}
"""Each attrs class's field names and a getter of all their values, made when first needed."""


def field_values(record: Any) -> dict[str, Any]:
    """``attrs.asdict(record, recurse=False)``, with the field values read in one go (a hot path)."""
    cls = type(record)
    found = _GETTERS.get(cls)
    if found is None:
        names = tuple(field.name for field in attrs.fields(cls))
        getter = operator.attrgetter(*names) if len(names) > 1 else lambda r: (getattr(r, names[0]),)
        found = _GETTERS[cls] = names, getter
    names, getter = found
    return dict(zip(names, getter(record), strict=True))
