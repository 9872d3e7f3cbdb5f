"""The fast path of parse/event_from_dict/loads_trail changes speed only, never what is accepted or said.

``parse`` first tries a structuring function generated per class and, on any exception, runs the
detailed cattrs converter from the start. These properties hold the two together: for valid input,
the same objects (same types at every node); for invalid input, the same
:class:`~ethical_decisions.ValidationError` (same problems lines); and the fast structuring function
never accepts what the converter refuses.
"""

from __future__ import annotations

import datetime as dt
import enum
import json
import math
from collections.abc import Callable, Iterator, Mapping
from types import MappingProxyType
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ethical_decisions import (
    ConcernCategory,
    ConsultedRole,
    DiscretionResult,
    DiscretionScope,
    DiscussionResult,
    EscalationRequirements,
    LaterOutcomeKind,
    LaterOutcomeResult,
    SchemaVersionError,
    StaffRole,
    UnresolvedAcknowledgement,
    ValidationError,
)
from ethical_decisions import serialization as sz
from ethical_decisions.events import PAYLOAD_TYPES, Actor, Event, Payload
from ethical_decisions.serialization import (
    canonical_json,
    event_from_dict,
    loads_trail,
    parse,
    unparse,
)

from . import strategies as s

AGREE = settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])

VALID: dict[Any, st.SearchStrategy[Any]] = {**s.PARSED, Actor: s.actors, Payload: s.payloads}
"""Every type the library parses from outside JSON, with a strategy for valid values (and the unions)."""


def _name(cls: Any) -> str:
    """A test id for *cls*: its name, or for a tagged union its alias's."""
    return {Actor: "Actor", Payload: "Payload"}.get(cls) or str(cls.__name__)


CLASSES = sorted(VALID, key=_name)

CODES = sorted(
    {
        str(member.value)
        for kind in (
            StaffRole,
            ConcernCategory,
            DiscretionScope,
            DiscretionResult,
            ConsultedRole,
            DiscussionResult,
            LaterOutcomeKind,
            LaterOutcomeResult,
        )
        for member in kind
    }
    | {cls.kind for cls in PAYLOAD_TYPES}
    | {"decision_maker", "route_team_member", "records_officer"}
)
"""Every enum value and union tag: a changed code is most often another valid one."""


class _Text(str):
    """Text of a str subclass: the converter's strict hook refuses it where the validators would not."""

    __slots__ = ()


class _Dict(dict[str, Any]):
    """A dict subclass: the converter takes any mapping, the fast path only plain dicts."""


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=8),
    st.sampled_from(CODES),
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=8,
)
TIMES = [
    "2026-01-05T09:00:00",
    "2026-01-05T09:00:00+01:00",
    "2026-01-05T09:00:00.5-05:30",
    "2026-01-05T09:00:00Z",
    "2026-01-05",
    "2026-13-05",
    "",
]


def _near_misses(value: Any) -> list[Any]:
    """Values like *value* (a JSON value) but of another type or form: what a faulty writer produces."""
    if isinstance(value, bool):
        return [0, 1, "true", None, not value, 1.0]
    if isinstance(value, int):
        return [True, False, float(value), str(value), 0, -1, 2**70, None, value + 1]
    if isinstance(value, str):
        return [_Text(value), "", "   ", value.upper(), value + "\n", 1, None, [value], *TIMES, *CODES]
    if isinstance(value, list):
        return [tuple(value), value[:-1], value + value, value[::-1], (v for v in value), {"0": value}, "ab"]
    if isinstance(value, dict):
        return [MappingProxyType(value), _Dict(value), list(value.items()), list(value), "{}"]
    return [0, "", [], {}, False, "x"]


def _paths(data: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every place in *data*, through plain dicts and lists only."""
    yield path
    if isinstance(data, dict):
        for key, value in data.items():
            yield from _paths(value, (*path, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from _paths(value, (*path, index))


def _copy(data: Any) -> Any:
    """A deep copy of JSON-shaped *data*, keeping dict subclasses' class and anything else as is."""
    if isinstance(data, dict):
        return type(data)((k, _copy(v)) for k, v in data.items())
    if isinstance(data, list):
        return [_copy(v) for v in data]
    return data


def _mutate(data: Any, draw: Callable[[st.SearchStrategy[Any]], Any]) -> Any:
    """*data* with a place removed, replaced by a near miss or any JSON, or given an unknown key."""
    data = _copy(data)
    path = draw(st.sampled_from(list(_paths(data))))
    how = draw(st.sampled_from(["remove", "near", "near", "json", "add", "newer"]))
    if not path:
        return draw(st.sampled_from(_near_misses(data)) | json_values)
    *parents, last = path
    container = data
    for part in parents:
        container = container[part]
    if how == "remove":
        del container[last]
    elif how == "add" and isinstance(container, dict):
        container[draw(st.sampled_from(["surprise", "type", "SECRET name!", *CODES]))] = draw(json_values)
    elif how == "newer" and isinstance(container, dict):
        container["schema_version"] = draw(st.sampled_from([0, -1, 2, 99, True, 1.0, "1", None]))
    elif how == "json":
        container[last] = draw(json_values)
    else:
        container[last] = draw(st.sampled_from(_near_misses(container[last])))
    return data


def inputs(cls: type) -> st.SearchStrategy[Any]:
    """Input to parse as *cls*: a valid value's JSON with up to three places changed, or any JSON."""

    @st.composite
    def build(draw: Callable[[st.SearchStrategy[Any]], Any]) -> Any:
        data = sz._converter.unstructure(draw(VALID[cls]), cls)
        for _ in range(draw(st.integers(0, 3))):
            data = _mutate(data, draw)
        return data

    return build() | json_values


Outcome = tuple[str, Any]


def _outcome(call: Callable[[], Any]) -> Outcome:
    """What *call* returned, or the kind and the words of what it raised."""
    try:
        return "value", call()
    except ValidationError as exc:
        return "ValidationError", (str(exc), exc.problems)
    except SchemaVersionError as exc:
        return "SchemaVersionError", str(exc)


def _same(a: Any, b: Any) -> bool:
    """Whether *a* and *b* are equal with the same type at every node (``1 == True`` is not enough)."""
    if type(a) is not type(b):
        return False
    if attrs.has(type(a)):
        return all(_same(getattr(a, f.name), getattr(b, f.name)) for f in attrs.fields(type(a)))
    if isinstance(a, list | tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, Mapping):
        return (
            list(a) == list(b)
            and all(_same(k, j) for k, j in zip(a, b, strict=True))
            and all(_same(a[k], b[k]) for k in a)
        )
    if isinstance(a, frozenset):
        return {(type(x), x) for x in a} == {(type(x), x) for x in b}
    if isinstance(a, dt.datetime):
        return a == b and a.utcoffset() == b.utcoffset() and a.tzinfo is b.tzinfo
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    return bool(a == b)


def _same_outcome(a: Outcome, b: Outcome) -> bool:
    """Whether two outcomes are the same value (as :func:`_same`) or the same error in the same words."""
    return a[0] == b[0] and (_same(a[1], b[1]) if a[0] == "value" else a[1] == b[1])


def _repeatable(data: Any) -> bool:
    """Whether *data* reads the same every time (no one-shot iterator inside)."""
    if isinstance(data, Mapping):
        return all(_repeatable(v) for v in data.values())
    if isinstance(data, list | tuple):
        return all(_repeatable(v) for v in data)
    return not isinstance(data, Iterator)


@pytest.mark.parametrize("cls", CLASSES, ids=_name)
@AGREE
@given(data=st.data())
def test_parse_agrees_with_the_detailed_converter(cls: type, data: st.DataObject) -> None:
    """parse() returns the converter's very object, or raises its very ValidationError (same problems).

    And the fast path alone never accepts what the converter refuses, nor makes a different object.
    """
    given_data = data.draw(inputs(cls))
    if _repeatable(given_data):  # a generator is read once: see test_the_fast_path_reads_no_generator
        _check_agreement(cls, given_data)


def _single_changes(data: Any) -> Iterator[Any]:
    """*data* with each place in turn removed, replaced by each near miss, or given an unknown key."""
    for path in _paths(data):
        if not path:
            yield from _near_misses(data)
            continue
        *parents, last = path
        changes: list[tuple[str, Any]] = [("remove", None)]
        changes += [("replace", miss) for miss in _near_misses(_at(data, path))]
        changes += [("add", key) for key in ("surprise", "SECRET name!", "type")]
        for how, what in changes:
            changed = _copy(data)
            container = _at(changed, tuple(parents))
            if how == "remove":
                del container[last]
            elif how == "replace":
                container[last] = what
            elif isinstance(container, dict):
                container[what] = 1
            yield changed


def _at(data: Any, path: tuple[Any, ...]) -> Any:
    """The value at *path* in *data*."""
    for part in path:
        data = data[part]
    return data


@pytest.mark.parametrize("cls", CLASSES, ids=_name)
@settings(max_examples=3)
@given(data=st.data())
def test_every_single_change_agrees_with_the_detailed_converter(cls: type, data: st.DataObject) -> None:
    """For a valid value's JSON changed in any one place in any listed way, parse() is the converter's.

    Each change is tried: each field removed, replaced by a value of another type or form (a str
    subclass, a bool for a number, a tuple for a list, a mapping proxy for a dict, a code of
    another kind…), or an unknown key added. The fast path alone accepts none the converter refuses.
    """
    valid = sz._converter.unstructure(data.draw(VALID[cls]), cls)
    fast = sz._fast_structure(cls)
    assert fast is not None
    for given_data in _single_changes(valid):
        if _repeatable(given_data):
            _check_agreement(cls, given_data)


def _check_agreement(cls: type, given_data: Any) -> None:
    """parse() of *given_data* is the converter's; the fast path alone accepts only what it accepts."""
    expected = _outcome(lambda: sz._parse_detailed(cls, given_data, None))
    assert _same_outcome(_outcome(lambda: parse(cls, given_data)), expected)
    fast = sz._fast_structure(cls)
    assert fast is not None
    try:
        value = fast(given_data)
    except Exception:
        return
    assert expected[0] == "value", f"the fast path took input the converter refuses: {given_data!r}"
    assert _same(value, expected[1])


@AGREE
@given(data=st.data())
def test_event_from_dict_agrees_with_the_detailed_path(data: st.DataObject) -> None:
    """event_from_dict and loads_trail give the detailed path's event, ValidationError or version error."""
    given_data = data.draw(inputs(Event))
    if not _repeatable(given_data):
        return
    expected = _outcome(lambda: sz._event_from_dict_detailed(given_data))
    assert _same_outcome(_outcome(lambda: event_from_dict(given_data)), expected)
    try:
        text = json.dumps([given_data])
    except (TypeError, ValueError):
        return  # not JSON (a mapping proxy inside): loads_trail cannot be given it
    expected = _outcome(lambda: sz._event_from_dict_detailed(json.loads(text)[0]))  # str subclasses gone
    trail = _outcome(lambda: loads_trail(text))
    if expected[0] == "value":
        assert _same_outcome(trail, ("value", [expected[1]]))
    elif expected[0] == "ValidationError":
        assert trail[0] == "ValidationError"
        assert trail[1][1] == tuple(f"[0].{p}" for p in expected[1][1])
    else:
        assert trail == expected


@pytest.mark.parametrize("cls", CLASSES, ids=_name)
@AGREE
@given(data=st.data())
def test_valid_input_takes_the_fast_path(cls: type, data: st.DataObject) -> None:
    """The fast path structures every valid value's JSON itself (so it is not silently always skipped)."""
    value = data.draw(VALID[cls])
    fast = sz._fast_structure(cls)
    assert fast is not None
    for form in (sz._converter.unstructure(value, cls), json.loads(json.dumps(unparse(value, cls)))):
        assert _same(fast(form), value)


@given(json_values)
def test_canonical_json_is_the_standard_librarys_text(value: Any) -> None:
    """canonical_json writes what json.dumps does with sorted keys, no spaces and Unicode kept."""
    expected = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    assert canonical_json(value) == expected


def test_canonical_json_still_refuses_data_that_contains_itself() -> None:
    """A list or dict inside itself is refused with json's own ValueError, not a RecursionError."""
    looped: dict[str, Any] = {"a": 1}
    looped["self"] = [looped]
    with pytest.raises(ValueError, match="Circular reference detected"):
        canonical_json(looped)
    listed: list[Any] = []
    listed.append(listed)
    with pytest.raises(ValueError, match="Circular reference detected"):
        canonical_json(listed)
    with pytest.raises(ValueError, match="Out of range float"):
        canonical_json([{"x": math.inf}])


def test_the_fast_path_reads_no_generator() -> None:
    """The fast path refuses a generator without reading it, so the converter reads it whole."""
    ids = (i for i in ["C1", "C2"])
    data = {"concern_ids": ids, "rationale": "Proceed."}
    fast = sz._fast_structure(UnresolvedAcknowledgement)
    assert fast is not None
    with pytest.raises(Exception):  # noqa: B017, PT011 - any refusal hands over to the converter
        fast(data)
    assert parse(UnresolvedAcknowledgement, data) == UnresolvedAcknowledgement(("C1", "C2"), "Proceed.")


class _Colour(enum.Enum):
    """A plain enum, for a class of every field type the generator knows."""

    RED = "red"
    BLUE = "blue"


@attrs.frozen
class _Everything:
    """Every kind of field the fast path generates code for, with defaults, factories and kw_only."""

    name: str
    count: int
    ratio: float
    flag: bool
    colour: _Colour
    on: dt.date
    at: dt.datetime
    tags: frozenset[_Colour] = frozenset()
    numbers: tuple[int, ...] = attrs.field(factory=tuple)
    labels: Mapping[str, float] = attrs.field(factory=dict)
    maybe: int | None = None
    inner: EscalationRequirements | None = None
    later: str = attrs.field(default="x", kw_only=True)


@attrs.frozen
class _Loop:
    """A class that refers to itself: the fast path leaves it to the converter."""

    name: str
    next: _Loop | None = None


@attrs.frozen
class _Untyped:
    """A field of a type the fast path does not know (a list): the converter alone handles the class."""

    items: list[int]


everything = st.builds(
    _Everything,
    name=st.text(max_size=5),
    count=st.integers(),
    ratio=st.floats(allow_nan=False) | st.integers(),
    flag=st.booleans(),
    colour=st.sampled_from(_Colour),
    on=st.dates(),
    at=s.utc_times,
    tags=st.frozensets(st.sampled_from(_Colour)),
    numbers=st.lists(st.integers(), max_size=3).map(tuple),
    labels=st.dictionaries(st.text(max_size=3), st.floats(allow_nan=False), max_size=2),
    maybe=st.none() | st.integers(),
    inner=st.none() | VALID[EscalationRequirements],
    later=st.text(max_size=3),
)


@AGREE
@given(data=st.data())
def test_every_field_kind_agrees_with_the_converter(data: st.DataObject) -> None:
    """A class using every field kind the generator knows: same objects, same errors."""
    value = data.draw(everything)
    given_data = sz._converter.unstructure(value, _Everything)
    for _ in range(data.draw(st.integers(0, 2))):
        given_data = _mutate(given_data, data.draw)
    if _repeatable(given_data):
        _check_agreement(_Everything, given_data)


def test_types_the_fast_path_does_not_know_are_left_to_the_converter() -> None:
    """A self-referring class or an unknown field type has no fast path, and parses as before."""
    assert sz._fast_structure(_Loop) is None
    assert sz._fast_structure(_Untyped) is None
    assert parse(_Loop, {"name": "a", "next": {"name": "b"}}) == _Loop("a", _Loop("b"))
    assert unparse(_Untyped([1])) == {"items": [1]}
    with pytest.raises(ValidationError) as caught:
        parse(_Untyped, {"items": ["1"]})
    assert caught.value.problems == ("items[0]: expected a whole number",)
