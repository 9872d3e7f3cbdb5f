"""Versioned JSON for events and trails, through one private cattrs converter.

Everything that crosses the library's edge as JSON (the store's rows, the
command line's input, exports) goes through here. Input is validated strictly:
unknown fields, wrong types, naive times and unknown event kinds are refused
with a :class:`~ethical_decisions.ValidationError` listing ``path: problem``
lines that never echo the submitted values, since they may be personal data.
"""

from __future__ import annotations

import datetime as dt
import enum
import json
import re
import types
import typing
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, TypeVar

import attrs
import cattrs
from cattrs.errors import ClassValidationError, ForbiddenExtraKeysError, IterableValidationError

from ._fields import is_free_text
from .events import PAYLOAD_TYPES, SCHEMA_VERSION, Actor, Event, Payload
from .exceptions import SchemaVersionError, ValidationError
from .model import DecisionMaker, RecordsOfficer, RouteTeamMember

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

_converter = cattrs.Converter(forbid_extra_keys=True, detailed_validation=True)

_ACTOR_TAGS: Mapping[str, type[Actor]] = {
    "decision_maker": DecisionMaker,
    "route_team_member": RouteTeamMember,
    "records_officer": RecordsOfficer,
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


for _kind, _expected in (
    (str, "text"),
    (int, "a whole number"),
    (bool, "true or false"),
    (float, "a number"),
):
    _converter.register_structure_hook(_kind, _strict(_kind, _expected))


def _structure_enum(value: Any, cls: type[enum.Enum]) -> enum.Enum:
    if type(value) is str:  # what cls(value) finds first, found without its overhead
        member = cls._value2member_map_.get(value)
        if member is not None:
            return member
    try:
        return cls(value)
    except ValueError:
        choices = ", ".join(str(m.value) for m in cls)
        raise _InputError(f"expected one of: {choices}") from None


# cattrs dispatches on the class's MRO, so StrEnum is registered itself: it comes before
# str in every StrEnum's MRO, where plain Enum comes after it.
for _base in (enum.StrEnum, enum.Enum):
    _converter.register_structure_hook(_base, _structure_enum)
    _converter.register_unstructure_hook(_base, lambda v: v.value)


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


_converter.register_structure_hook(dt.datetime, _structure_datetime)
_converter.register_unstructure_hook(dt.datetime, lambda v: v.isoformat())
_converter.register_structure_hook(dt.date, _structure_date)
_converter.register_unstructure_hook(dt.date, lambda v: v.isoformat())


def _is_frozenset(t: Any) -> bool:
    return typing.get_origin(t) is frozenset


def _unstructure_frozenset(t: Any) -> Callable[[frozenset[Any]], list[Any]]:
    (item,) = typing.get_args(t)
    hook = _converter.get_unstructure_hook(item)
    return lambda v: sorted(hook(i) for i in v)


_converter.register_unstructure_hook_factory(_is_frozenset, _unstructure_frozenset)


# -- tagged unions: {"type": "<tag>", ...fields} -------------------------------------------


def _tagged_union(union: Any, tags: Mapping[str, type]) -> None:
    by_class = {cls: tag for tag, cls in tags.items()}

    unstructure_hooks: dict[type, Callable[[Any], dict[str, Any]]] = {}
    structure_hooks: dict[type, Callable[[Any, type], Any]] = {}
    # Each class's hooks, looked up once: _converter.unstructure(value, cls) and
    # _converter.structure(fields, cls) look them up on every call.

    def unstructure(value: Any) -> dict[str, Any]:
        cls = type(value)
        tag = by_class[cls]
        hook = unstructure_hooks.get(cls)
        if hook is None:
            hook = unstructure_hooks[cls] = _converter.get_unstructure_hook(cls)
        return {"type": tag, **hook(value)}

    def structure(value: Any, _: type) -> Any:
        if not isinstance(value, Mapping):
            raise _InputError("expected a JSON object")
        tag = value.get("type")
        cls = tags.get(tag) if isinstance(tag, str) else None
        if cls is None:
            raise _InputError(f"'type' must be one of: {', '.join(tags)}")
        fields = {k: v for k, v in value.items() if k != "type"}
        hook = structure_hooks.get(cls)
        if hook is None:
            hook = structure_hooks[cls] = _converter.get_structure_hook(cls)
        return hook(fields, cls)

    _converter.register_unstructure_hook(union, unstructure)
    _converter.register_structure_hook(union, structure)


_tagged_union(Actor, _ACTOR_TAGS)
_tagged_union(Payload, _PAYLOAD_TAGS)


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
    try:
        return _converter.structure(data, cls)
    except (ValidationError, ClassValidationError, IterableValidationError, _InputError) as exc:
        raise ValidationError(what or _name(cls), list(_problems(exc, "$"))) from None
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        raise ValidationError(what or _name(cls), list(_problems(exc, "$"))) from None
    except RecursionError:
        raise ValidationError(what or _name(cls), ["$: nested too deeply"]) from None


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
    if isinstance(data, Mapping):
        version = data.get("schema_version")
        if isinstance(version, int) and not isinstance(version, bool) and version > SCHEMA_VERSION:
            raise SchemaVersionError("The event", version, SCHEMA_VERSION)
    return parse(Event, data, what="The event")


_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
"""What ``json.dumps`` builds for these options on every call, built once (it keeps no state)."""


def canonical_json(data: Any) -> str:
    """JSON with sorted keys, no spaces and no NaN: the same data always gives the same text."""
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
    except RecursionError:  # the parser's own limit on nesting
        raise ValidationError(what, ["$: nested too deeply to be an event"]) from None


# -- free text -----------------------------------------------------------------------------

Path = tuple[str | int, ...]


def free_text_paths(value: Any, prefix: Path = ()) -> Iterator[Path]:
    """The paths, into the unstructured form of *value*, of every free-text string it holds.

    A mapping of free text (applicant details) yields one path per entry.
    ``None`` (optional text left out) yields nothing.
    """
    found: list[Path] = []
    plan = _plan(type(value))
    if plan is not None:
        _collect_free_text(value, plan, prefix, found)
    yield from found


_Plan = tuple[tuple[str, bool], ...]
_PLANS: dict[type, _Plan | None] = {}
"""Each class met so far: its fields' names and whether each is free text, or ``None`` if not attrs."""


def _plan(cls: type, visiting: frozenset[type] = frozenset()) -> _Plan | None:
    """The fields of *cls* that may hold free text, with whether each is free text itself.

    A field whose declared type can hold neither a tuple nor an attrs object
    that holds free text (an id, a code, a time, a set of codes…) is left out:
    :func:`free_text_paths` would find nothing in it. *visiting* holds the
    classes whose plans are being made, so that classes that refer to each
    other keep those fields (safely).
    """
    if cls in _PLANS:
        return _PLANS[cls]
    if not attrs.has(cls):
        _PLANS[cls] = None
        return None
    try:
        hints = typing.get_type_hints(cls)
    except Exception:  # an annotation that cannot be resolved here: keep every field
        hints = {}
    inside = visiting | {cls}
    plan = tuple(
        (f.name, is_free_text(f))
        for f in attrs.fields(cls)
        if is_free_text(f) or f.name not in hints or _may_hold_free_text(hints[f.name], inside)
    )
    _PLANS[cls] = plan
    return plan


def _may_hold_free_text(hint: Any, visiting: frozenset[type]) -> bool:
    """Whether a value of type *hint* may be a tuple, or an attrs object whose plan is not empty."""
    origin = typing.get_origin(hint)
    if origin is typing.Union or origin is types.UnionType:
        return any(_may_hold_free_text(arg, visiting) for arg in typing.get_args(hint))
    if isinstance(origin, type):
        if issubclass(origin, tuple):
            return any(
                arg is not Ellipsis and _may_hold_free_text(arg, visiting) for arg in typing.get_args(hint)
            )
        return attrs.has(origin)  # other generics (mappings, sets, lists) are not looked into
    if origin is not None or not isinstance(hint, type):
        return True  # Any, a type variable, Literal, Annotated…: keep it
    if issubclass(hint, tuple) or hint in visiting:
        return True
    if attrs.has(hint):
        return bool(_plan(hint, visiting))
    return False


def _collect_free_text(value: Any, plan: _Plan, prefix: Path, found: list[Path]) -> None:
    """Add to *found* the paths :func:`free_text_paths` yields for *value* (whose class has *plan*)."""
    plans = _PLANS
    for name, free in plan:
        item = getattr(value, name)
        if free:
            if isinstance(item, str):
                found.append((*prefix, name))
            elif isinstance(item, Mapping):
                found.extend((*prefix, name, key) for key in item)
        elif isinstance(item, tuple):
            for index, element in enumerate(item):
                cls = type(element)
                inner = plans[cls] if cls in plans else _plan(cls)
                if inner is not None:
                    _collect_free_text(element, inner, (*prefix, name, index), found)
        else:
            cls = type(item)
            inner = plans[cls] if cls in plans else _plan(cls)
            if inner is not None:
                _collect_free_text(item, inner, (*prefix, name), found)
