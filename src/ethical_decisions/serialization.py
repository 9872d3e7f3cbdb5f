"""Versioned JSON for events and trails, through one private cattrs converter.

Everything that crosses the library's edge as JSON (the store's rows, the
command line's input, exports) goes through here. Input is validated strictly:
unknown fields, wrong types, naive times and unknown event kinds are refused
with a :class:`~ethical_decisions.ValidationError` listing ``path: problem``
lines that never echo the submitted values, since they may be personal data.

Valid input, nearly all of it, takes a fast path: functions generated per class
that make the converter's very checks and conversions without keeping account
of where they are; anything they do not take goes through the converter, which
takes it or names every fault (see "the fast path" below).

``free_text_paths`` has moved to :mod:`ethical_decisions.freetext`, with the
one walk over free text that sealing, verify and erasure share; it can still
be imported from here.
"""

from __future__ import annotations

import datetime as dt
import enum
import functools
import inspect
import json
import re
import threading
import types
import typing
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, TypeVar

import attrs
import cattrs
from cattrs.errors import ClassValidationError, ForbiddenExtraKeysError, IterableValidationError

from .events import PAYLOAD_TYPES, SCHEMA_VERSION, Actor, Event, Payload
from .exceptions import SchemaVersionError, ValidationError
from .freetext import free_text_paths
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


_STRICT: Mapping[type, Callable[[Any, type], Any]] = {
    str: _strict(str, "text"),
    int: _strict(int, "a whole number"),
    bool: _strict(bool, "true or false"),
    float: _strict(float, "a number"),
}
for _kind, _hook in _STRICT.items():
    _converter.register_structure_hook(_kind, _hook)


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


_UNIONS: dict[Any, Mapping[str, type]] = {}
"""Each tagged union, with its classes by tag."""


def _tagged_union(union: Any, tags: Mapping[str, type]) -> None:
    _UNIONS[union] = tags
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


# -- the fast path: the same conversions, generated straight, for input that is valid -----
#
# The converter above keeps account of where it is, to name every fault, at a cost paid on
# every call; and it calls a hook for every field, down to each string's type check. Nearly
# all input is valid, so parse() first tries a function generated for the class that makes
# the very same checks and conversions in straight-line code and keeps no account: on any
# exception it gives up, and the converter runs from the start, accepting what it accepts
# and explaining what it refuses, so errors are the converter's own. The fast path never
# accepts what the converter refuses: each check is the converter hook's own test, or a
# stricter one (it takes only dicts and lists where the converter takes any mapping or
# iterable), and the objects are made by the same attrs ``__init__`` (converters and
# validators). A type whose hook it does not mirror exactly is left to the converter alone.


class _Unsupported(Exception):  # noqa: N818 - read as "type unsupported by the fast path"
    """A type whose conversion the fast path does not mirror: the converter alone handles it."""


class _Refused(Exception):  # noqa: N818 - read as "input refused by the fast path"
    """Input the fast path does not take; the converter then takes it, or says what is wrong."""


def _refuse() -> typing.NoReturn:
    raise _Refused


_MISSING = object()
_NONE = type(None)
_CHECKS: Mapping[type, str] = {
    str: "type({0}) is str",
    int: "type({0}) is int",
    bool: "type({0}) is bool",
    float: "(type({0}) is float or type({0}) is int)",
}
"""The test each strict primitive hook makes, as an expression of a local name."""


class _Source:
    """The text of a generated function, and the objects it refers to by name."""

    def __init__(self) -> None:
        self.names: dict[str, Any] = {"_refuse": _refuse, "_MISSING": _MISSING}
        self.depth = 0

    def ref(self, value: Any) -> str:
        """A global name for *value* in the generated code."""
        name = f"_g{len(self.names)}"
        self.names[name] = value
        return name

    def local(self) -> str:
        """A fresh name for a comprehension's variable."""
        self.depth += 1
        return f"_i{self.depth}"

    def define(self, name: str, lines: list[str]) -> Callable[[Any], Any]:
        """The function *name* defined by *lines*."""
        exec(compile("\n".join(lines), f"<serialization {name}>", "exec"), self.names)
        function: Callable[[Any], Any] = self.names[name]
        return function


def _optional(hint: Any) -> Any:
    """The type *hint* makes optional (``X`` of ``X | None``), or ``None`` if it is not ``X | None``."""
    if typing.get_origin(hint) not in (typing.Union, types.UnionType):
        return None
    args = typing.get_args(hint)
    if len(args) != 2 or _NONE not in args:
        return None
    return args[0] if args[1] is _NONE else args[1]


def _structure_expr(hint: Any, var: str, src: _Source) -> str:
    """An expression structuring the local *var* as the converter does for *hint*, or raising.

    :raises _Unsupported: if the converter's way with *hint* is not mirrored here.
    """
    if isinstance(hint, type) and hint in _CHECKS:
        if _converter.get_structure_hook(hint) is not _STRICT[hint]:
            raise _Unsupported(hint)
        return f"({var} if {_CHECKS[hint].format(var)} else _refuse())"
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        if _converter.get_structure_hook(hint) is not _structure_enum:
            raise _Unsupported(hint)
        # cls(value) looks the value up in this map first, and accepts it if found.
        return f"{src.ref(hint._value2member_map_)}[{var}]"
    for kind, hook in ((dt.datetime, _structure_datetime), (dt.date, _structure_date)):
        if hint is kind:
            if _converter.get_structure_hook(hint) is not hook:
                raise _Unsupported(hint)
            return f"{src.ref(hook)}({var}, None)"
    if hint in _UNIONS:
        # The union's function, inline: its class's function, by the "type" tag (which must be text).
        tag, table = src.local(), src.ref(_union_table(hint))
        return f"({table}[{tag}]({var}) if type({tag} := {var}['type']) is str else _refuse())"
    if isinstance(hint, type) and attrs.has(hint):
        return f"{src.ref(_fast_type_structure(hint))}({var})"
    inner = _optional(hint)
    if inner is not None:
        return f"(None if {var} is None else {_structure_expr(inner, var, src)})"
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if (origin is tuple and len(args) == 2 and args[1] is Ellipsis) or (
        origin is frozenset and len(args) == 1
    ):
        item = src.local()
        each = _structure_expr(args[0], item, src)
        return (
            f"({origin.__name__}([{each} for {item} in {var}])"
            f" if type({var}) is list or type({var}) is tuple else _refuse())"
        )
    if origin in (Mapping, dict) and len(args) == 2:
        key, value = src.local(), src.local()
        each = f"{_structure_expr(args[0], key, src)}: {_structure_expr(args[1], value, src)}"
        return f"({{{each} for {key}, {value} in {var}.items()}} if type({var}) is dict else _refuse())"
    raise _Unsupported(hint)


_UNSUPPORTED: Any = object()
_FAST_STRUCTURE: dict[tuple[Any, bool], Callable[[Any], Any]] = {}
"""Each type's generated structuring function (for a class, with the ``type`` tag allowed or not),
or :data:`_UNSUPPORTED` (also while it is being made, so that a class referring back to itself is)."""
_BUILDING = threading.RLock()
"""Held while functions are generated, so that no thread sees one being made as unsupported."""


def _fast_structure(cls: Any) -> Callable[[Any], Any] | None:
    """The generated structuring function of *cls*, or ``None`` if the converter alone can structure it."""
    try:
        function = _FAST_STRUCTURE.get((cls, False))
    except TypeError:  # an unhashable type argument
        return None
    if function is None:
        with _BUILDING:
            try:
                function = _fast_type_structure(cls)
            except Exception:  # _Unsupported, or a type the generator does not know at all
                function = _FAST_STRUCTURE[cls, False] = _UNSUPPORTED
    return None if function is _UNSUPPORTED else function


def _fast_type_structure(hint: Any) -> Callable[[Any], Any]:
    """The generated structuring function of an attrs class or a tagged union (hold :data:`_BUILDING`).

    :raises _Unsupported: if it, or a type it refers to, is not mirrored here.
    """
    if hint in _UNIONS:
        return _fast_cached(_FAST_STRUCTURE, (hint, False), functools.partial(_make_union_structure, hint))
    if isinstance(hint, type) and attrs.has(hint):
        make = functools.partial(_make_class_structure, hint, tagged=False)
        return _fast_cached(_FAST_STRUCTURE, (hint, False), make)
    raise _Unsupported(hint)


def _fast_cached(
    cache: dict[Any, Callable[[Any], Any]], key: Any, make: Callable[[], Callable[[Any], Any]]
) -> Callable[[Any], Any]:
    """The function *cache* holds under *key*, made by *make* if there is none yet (hold :data:`_BUILDING`).

    :raises _Unsupported: if it cannot be made (which is cached too).
    """
    found = cache.get(key)
    if found is None:
        cache[key] = _UNSUPPORTED  # while it is made: a type that refers back to itself is unsupported
        try:
            found = cache[key] = make()
        except Exception:  # _Unsupported, or a type the generator did not foresee
            raise _Unsupported(key) from None
    if found is _UNSUPPORTED:
        raise _Unsupported(key)
    return found


def _make_class_structure(cls: type, *, tagged: bool) -> Callable[[Any], Any]:
    """Generate the structuring function of the attrs class *cls*, taking a ``type`` key if *tagged*."""
    try:
        hints = typing.get_type_hints(cls)
    except Exception:  # an annotation that cannot be resolved here
        raise _Unsupported(cls) from None
    fields = attrs.fields(cls)
    names = [f.name for f in fields]
    if any(not f.init or f.alias != f.name or f.name not in hints for f in fields) or (
        tagged and "type" in names
    ):
        raise _Unsupported(cls)
    src = _Source()
    # No unknown keys: with every required key there (or _refuse() below), more keys than those
    # are allowed only if all are optional fields' (a tagged union's class also has its "type").
    required = sum(f.default is attrs.NOTHING for f in fields) + tagged
    unknown = f"len(o) > {required}"
    if required < len(fields) + tagged:
        unknown += f" and not o.keys() <= {src.ref(frozenset(names) | ({'type'} if tagged else set()))}"
    lines = ["def structure(o):", f"  if type(o) is not dict or {unknown}: _refuse()"]
    values: list[str] = []
    for index, f in enumerate(fields):
        var = f"a{index}"
        value = _structure_expr(hints[f.name], var, src)
        if f.default is attrs.NOTHING:
            lines.append(f"  {var} = o[{f.name!r}]")
        else:
            # attrs converts and validates a default just as a value passed in.
            default = src.ref(f.default)
            if isinstance(f.default, attrs.Factory):  # type: ignore[arg-type]  # a class; typed as a function
                if f.default.takes_self:
                    raise _Unsupported(cls)
                default = f"{src.ref(f.default.factory)}()"
            lines.append(f"  {var} = o.get({f.name!r}, _MISSING)")
            value = f"({default} if {var} is _MISSING else {value})"
        values.append(value)
    in_order = _takes_in_order(cls, [f.name for f in fields if not f.kw_only])
    arguments = [v for f, v in zip(fields, values, strict=True) if in_order and not f.kw_only] + [
        f"{f.name}={v}" for f, v in zip(fields, values, strict=True) if f.kw_only or not in_order
    ]
    lines.append(f"  return {src.ref(cls)}({', '.join(arguments)})")
    return src.define("structure", lines)


def _takes_in_order(cls: type, names: list[str]) -> bool:
    """Whether ``cls(...)`` takes *names* as its first positional parameters, in this order."""
    try:
        parameters = list(inspect.signature(cls).parameters.values())
    except (TypeError, ValueError):
        return False
    kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    return [p.name for p in parameters[: len(names)] if p.kind in kinds] == names


def _union_table(union: Any) -> dict[str, Callable[[Any], Any]]:
    """The generated structuring function of each class of a tagged union, by tag (hold :data:`_BUILDING`).

    :raises _Unsupported: if one of the classes is not mirrored here.
    """
    return {
        tag: _fast_cached(
            _FAST_STRUCTURE, (cls, True), functools.partial(_make_class_structure, cls, tagged=True)
        )
        for tag, cls in _UNIONS[union].items()
    }


def _make_union_structure(union: Any) -> Callable[[Any], Any]:
    """Generate the structuring function of a tagged union: its class's, by the ``type`` tag."""
    src = _Source()
    return src.define("structure", ["def structure(o):", f"  return {_structure_expr(union, 'o', src)}"])


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
    value = _structure_fast(cls, data)
    return value if value is not _MISSING else _parse_detailed(cls, data, what)


def _structure_fast(cls: Any, data: Any) -> Any:
    """*data* structured as *cls* by its generated function, or :data:`_MISSING` if none takes it.

    The converter then takes it, or says what is wrong.
    """
    fast = _fast_structure(cls)
    if fast is None:
        return _MISSING
    try:
        return fast(data)
    except Exception:  # any refusal, however raised: the converter decides
        return _MISSING


def _parse_detailed(cls: type[T], data: Any, what: str | None) -> T:
    """:func:`parse` by the converter alone, which names every fault."""
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
    event = _structure_fast(Event, data)
    return _written_by_this_version(event) if event is not _MISSING else _event_from_dict_detailed(data)


def _written_by_this_version(event: Event) -> Event:
    """*event*, if this version of the library can read it.

    :raises SchemaVersionError: if a newer version wrote it.
    """
    if event.schema_version > SCHEMA_VERSION:
        raise SchemaVersionError("The event", event.schema_version, SCHEMA_VERSION)
    return event


def _event_from_dict_detailed(data: Any) -> Event:
    """:func:`event_from_dict` by the converter alone, which names every fault."""
    if isinstance(data, Mapping):
        version = data.get("schema_version")
        if isinstance(version, int) and not isinstance(version, bool) and version > SCHEMA_VERSION:
            raise SchemaVersionError("The event", version, SCHEMA_VERSION)
    return _parse_detailed(Event, data, "The event")


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
    fast = _fast_structure(Event)  # looked up once for the whole trail
    if fast is not None:
        try:
            read: list[Event] = [fast(item) for item in data]
        except Exception:  # the loop below names every fault in every event
            pass
        else:
            return [_written_by_this_version(event) for event in read]
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
