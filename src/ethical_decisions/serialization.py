"""Versioned JSON for events and trails, through cattrs.

Everything that crosses the library's edge as JSON (the store's rows, the
command line's input, exports) goes through here. Input is validated strictly:
unknown fields, wrong types, naive times and unknown event kinds are refused
with a :class:`~ethical_decisions.ValidationError` listing ``path: problem``
lines that never echo the submitted values, since they may be personal data.

Two private converters, configured alike by one function, do the work. The
first keeps no account of where it is (``detailed_validation=False``) and
takes valid input, nearly all of it, at cattrs' full speed. When it refuses
anything, the second (``detailed_validation=True``) runs from the start to say
what is wrong, field by field; it decides nothing the first has not refused.

``free_text_paths`` has moved to :mod:`ethical_decisions.freetext`, with the
one walk over free text that sealing, verify and erasure share; it can still
be imported from here.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import enum
import json
import re
import typing
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, TypeVar

import cattrs
from cattrs.errors import ClassValidationError, ForbiddenExtraKeysError, IterableValidationError

from .events import PAYLOAD_TYPES, SCHEMA_VERSION, Actor, Event, Payload
from .exceptions import SchemaVersionError, ValidationError
from .freetext import free_text_paths
from .model import DecisionMaker, PolicyTeamMember, RecordsOfficer, RouteTeamMember

__all__ = [
    "canonical_json",
    "dumps_event",
    "dumps_trail",
    "event_from_dict",
    "event_to_dict",
    "free_text_paths",
    "loads_event",
    "loads_trail",
    "parse",
    "unparse",
]

T = TypeVar("T")

_ACTOR_TAGS: Mapping[str, type[Actor]] = {
    "decision_maker": DecisionMaker,
    "route_team_member": RouteTeamMember,
    "records_officer": RecordsOfficer,
    "policy_team_member": PolicyTeamMember,
}
_PAYLOAD_TAGS: Mapping[str, type[Payload]] = {cls.kind: cls for cls in PAYLOAD_TYPES}
_NAME = re.compile(r"[a-z_][a-z0-9_]{0,39}")


class _InputError(ValueError):
    """A structuring fault whose message is safe to show (it never holds input values)."""


# -- primitives: strict, so that "3" is not silently an int and 3.9 not silently 3 ----------


def _strict(kind: type, expected: str) -> Callable[[Any, type], Any]:
    def structure(value: Any, _: type) -> Any:
        if type(value) is not kind and not (kind is float and type(value) is int):
            raise _InputError(f"expected {expected}")
        return value

    return structure


_STRICT: Mapping[type, Callable[[Any, type], Any]] = {
    str: _strict(str, "text"),
    int: _strict(int, "a whole number"),
    bool: _strict(bool, "true or false"),
    float: _strict(float, "a number"),
}


def _structure_enum(value: Any, cls: type[enum.Enum]) -> enum.Enum:
    try:
        return cls(value)
    except ValueError:
        choices = ", ".join(str(m.value) for m in cls)
        raise _InputError(f"expected one of: {choices}") from None


def _enum_value(value: enum.Enum) -> Any:
    return value.value


def _structure_datetime(value: Any, _: type) -> dt.datetime:
    if not isinstance(value, str):
        raise _InputError("expected an ISO 8601 date and time")
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        raise _InputError("expected an ISO 8601 date and time, e.g. 2026-11-23T09:30:00+00:00") from None
    if parsed.tzinfo is None:
        raise _InputError("the time needs a timezone, e.g. +00:00")
    return parsed.astimezone(dt.UTC)


def _structure_date(value: Any, _: type) -> dt.date:
    if not isinstance(value, str):
        raise _InputError("expected an ISO 8601 date")
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise _InputError("expected an ISO 8601 date, e.g. 2026-11-23") from None


def _isoformat(value: dt.date) -> str:
    return value.isoformat()


def _is_frozenset(t: Any) -> bool:
    return typing.get_origin(t) is frozenset


def _unstructure_frozenset(t: Any, converter: cattrs.Converter) -> Callable[[frozenset[Any]], list[Any]]:
    (item,) = typing.get_args(t)
    hook = converter.get_unstructure_hook(item)
    return lambda v: sorted(hook(i) for i in v)


# -- tagged unions: {"type": "<tag>", ...fields} -------------------------------------------


def _tagged_union(converter: cattrs.Converter, union: Any, tags: Mapping[str, type]) -> None:
    """Read and write *union* as an object whose ``type`` names its class among *tags*.

    (cattrs' own ``configure_tagged_union`` says "required field missing" for an unknown tag.)
    """
    by_class = {cls: tag for tag, cls in tags.items()}

    def unstructure(value: Any) -> dict[str, Any]:
        cls = type(value)
        return {"type": by_class[cls], **converter.unstructure(value, cls)}

    def structure(value: Any, _: type) -> Any:
        if not isinstance(value, Mapping):
            raise _InputError("expected a JSON object")
        tag = value.get("type")
        cls = tags.get(tag) if isinstance(tag, str) else None
        if cls is None:
            raise _InputError(f"'type' must be one of: {', '.join(tags)}")
        return converter.structure({k: v for k, v in value.items() if k != "type"}, cls)

    converter.register_unstructure_hook(union, unstructure)
    converter.register_structure_hook(union, structure)


def _configure(converter: cattrs.Converter) -> cattrs.Converter:
    """*converter*, given the library's hooks: strict primitives, enums, times, sets and tagged unions."""
    for kind, hook in _STRICT.items():
        converter.register_structure_hook(kind, hook)
    # cattrs dispatches on the class's MRO, so StrEnum is registered itself: it comes before
    # str in every StrEnum's MRO, where plain Enum comes after it.
    for base in (enum.StrEnum, enum.Enum):
        converter.register_structure_hook(base, _structure_enum)
        converter.register_unstructure_hook(base, _enum_value)
    converter.register_structure_hook(dt.datetime, _structure_datetime)
    converter.register_unstructure_hook(dt.datetime, _isoformat)
    converter.register_structure_hook(dt.date, _structure_date)
    converter.register_unstructure_hook(dt.date, _isoformat)
    converter.register_unstructure_hook_factory(_is_frozenset, _unstructure_frozenset)
    _tagged_union(converter, Actor, _ACTOR_TAGS)
    _tagged_union(converter, Payload, _PAYLOAD_TAGS)
    return converter


_converter = _configure(cattrs.Converter(forbid_extra_keys=True, detailed_validation=False))
"""Structures valid input and writes every value out; refuses with a bare exception that says little."""
_detailed = _configure(cattrs.Converter(forbid_extra_keys=True, detailed_validation=True))
"""Run only on input :data:`_converter` refused, to name every fault with its path."""


# -- errors --------------------------------------------------------------------------------


def _describe(exc: BaseException) -> str:
    if isinstance(exc, _InputError):
        return str(exc)
    if isinstance(exc, ForbiddenExtraKeysError):
        names = sorted(exc.extra_fields)
        if all(_NAME.fullmatch(n) for n in names):
            return f"unexpected fields: {', '.join(names)}"
        return f"{len(names)} unexpected fields"
    if isinstance(exc, KeyError):
        return "required field missing"
    if isinstance(exc, AttributeError | TypeError):
        return "wrong kind of value (e.g. text where an object or list is expected)"
    return "invalid value"


def _problems(exc: BaseException, path: str) -> Iterator[str]:
    if isinstance(exc, ValidationError):
        for line in exc.problems:
            yield f"{path}.{line}" if path != "$" else line
    elif isinstance(exc, IterableValidationError):
        items, rest = exc.group_exceptions()
        for sub, item in items:
            index = f"[{item.index}]" if isinstance(item.index, int) else "[…]"
            yield from _problems(sub, f"{path}{index}")
        for sub in rest:
            yield from _problems(sub, path)
    elif isinstance(exc, ClassValidationError):
        fields, rest = exc.group_exceptions()
        for sub, field in fields:
            yield from _problems(sub, f"{path}.{field.name}" if path != "$" else field.name)
        for sub in rest:
            yield from _problems(sub, path)
    elif isinstance(exc, ExceptionGroup):
        for sub in exc.exceptions:
            yield from _problems(sub, path)
    else:
        yield f"{path}: {_describe(exc)}"


def parse(cls: type[T], data: Any, *, what: str | None = None) -> T:
    """Structure outside input *data* (parsed JSON) into *cls*.

    :param what: how to name the input in the error, e.g. ``"the discretion consideration"``.
    :raises ValidationError: listing every fault as ``path: problem``.
    """
    with contextlib.suppress(Exception):  # any refusal: explained below, with nothing of it chained
        return _converter.structure(data, cls)
    raise _refusal(cls, data, what or _name(cls))


_REFUSALS = (ClassValidationError, IterableValidationError, KeyError, TypeError, AttributeError, ValueError)
"""What the detailed converter raises for input it refuses (ValueError covers ValidationError)."""


def _refusal(cls: Any, data: Any, what: str) -> ValidationError:
    """Why :data:`_converter` refused *data* as *cls*: every fault, named by the detailed converter."""
    try:
        _detailed.structure(data, cls)
    except _REFUSALS as exc:
        return ValidationError(what, list(_problems(exc, "$")))
    except RecursionError:
        return ValidationError(what, ["$: nested too deeply"])
    # Taken the second time: input that reads differently when read again (a one-shot iterator).
    return ValidationError(
        what, ["$: refused, and it could not be read again to say why: give lists, not iterators"]
    )


def unparse(value: Any, cls: Any = None) -> Any:
    """The JSON-ready form of *value* (the inverse of :func:`parse`)."""
    return _converter.unstructure(value, cls if cls is not None else type(value))


def _name(cls: Any) -> str:
    return getattr(cls, "__name__", "the input")


# -- events and trails ---------------------------------------------------------------------


def event_to_dict(event: Event) -> dict[str, Any]:
    """The event as a JSON-ready dict (``payload.type`` names its kind)."""
    result: dict[str, Any] = _converter.unstructure(event, Event)
    return result


def event_from_dict(data: Any) -> Event:
    """An event from its dict form.

    :raises SchemaVersionError: if it was written by a newer version of the library.
    :raises ValidationError: if it is malformed.
    """
    event: Event | None
    try:
        event = _converter.structure(data, Event)
    except Exception:  # any refusal: explained below, with nothing of it chained
        event = None
    if event is None:
        if isinstance(data, Mapping):
            version = data.get("schema_version")
            if isinstance(version, int) and not isinstance(version, bool) and version > SCHEMA_VERSION:
                raise SchemaVersionError("The event", version, SCHEMA_VERSION)
        raise _refusal(Event, data, "The event")
    if event.schema_version > SCHEMA_VERSION:
        raise SchemaVersionError("The event", event.schema_version, SCHEMA_VERSION)
    return event


_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
"""What ``json.dumps`` builds for these options on every call, built once (it keeps no state)."""
_UNCHECKED = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False, check_circular=False
)
"""The same, without the record of every list and dict it is inside, kept to refuse a circular one."""


def canonical_json(data: Any) -> str:
    """JSON with sorted keys, no spaces and no NaN: the same data always gives the same text.

    :raises ValueError: for a NaN or infinity, or data that contains itself.
    :raises TypeError: for a value JSON has no form for.
    """
    try:
        return _UNCHECKED.encode(data)
    except RecursionError:
        # Data that contains itself recurses until the limit, unchecked; the checked encoder
        # names the fault (and data nested too deeply for it raises RecursionError again).
        return _CANONICAL.encode(data)


def dumps_event(event: Event) -> str:
    """The event as canonical JSON."""
    return canonical_json(event_to_dict(event))


def loads_event(text: str | bytes) -> Event:
    """An event from JSON text.

    :raises ValidationError: if the text is not JSON or not an event.
    """
    return event_from_dict(_loads(text, "The event"))


def dumps_trail(events: Iterable[Event]) -> str:
    """A whole review's trail as a JSON array of events."""
    return canonical_json([event_to_dict(e) for e in events])


def loads_trail(text: str | bytes) -> list[Event]:
    """A trail from JSON text made by :func:`dumps_trail`.

    :raises ValidationError: if the text is not a JSON array of events.
    """
    data = _loads(text, "The trail")
    if not isinstance(data, list):
        raise ValidationError("The trail", ["$: expected a JSON array of events"])
    problems: list[str] = []
    events: list[Event] = []
    for index, item in enumerate(data):
        try:
            events.append(event_from_dict(item))
        except ValidationError as exc:
            problems.extend(f"[{index}].{p}" for p in exc.problems)
    if problems:
        raise ValidationError("The trail", problems)
    return events


def _loads(text: str | bytes, what: str) -> Any:
    try:
        return json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        position = getattr(exc, "pos", None)
        where = f" at character {position}" if position is not None else ""
        raise ValidationError(what, [f"$: not valid JSON{where}"]) from None
    except ValueError:  # Python's own limit on the digits of a whole number it reads
        raise ValidationError(what, ["$: holds a number with too many digits"]) from None
    except RecursionError:  # the parser's own limit on nesting
        raise ValidationError(what, ["$: nested too deeply to be an event"]) from None
