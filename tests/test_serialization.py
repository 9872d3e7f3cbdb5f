"""Versioned JSON: events and trails round-trip; bad input is refused readably, alike by both converters."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ethical_decisions import DecisionMaker, SchemaVersionError, UnresolvedAcknowledgement, ValidationError
from ethical_decisions import serialization as sz
from ethical_decisions.audit import unseal
from ethical_decisions.events import PAYLOAD_TYPES, SCHEMA_VERSION, Actor, Event, Payload
from ethical_decisions.review import replay
from ethical_decisions.serialization import (
    canonical_json,
    dumps_event,
    dumps_trail,
    event_from_dict,
    event_to_dict,
    loads_event,
    loads_trail,
    parse,
    unparse,
)

from . import strategies as s

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=8,
)

EVENT = {
    "review_id": "rv-1",
    "sequence": 2,
    "occurred_at": "2026-01-05T09:00:00+00:00",
    "actor": {
        "type": "decision_maker",
        "staff_id": "dm-1",
        "role": "caseworker",
        "business_area": "customer_services_group",
        "team": "Settlement",
    },
    "payload": {
        "type": "concern_raised",
        "concern": {"category": "vulnerability", "statement": "SECRET-STATEMENT"},
    },
    "schema_version": 1,
}


@pytest.mark.parametrize("payload_type", PAYLOAD_TYPES, ids=lambda t: t.kind)
@given(data=st.data())
def test_every_event_round_trips(payload_type: type[Payload], data: st.DataObject) -> None:
    """Any event of every kind comes back equal from its JSON."""
    event = data.draw(s.events_with(s.PAYLOADS[payload_type]))
    assert event == loads_event(dumps_event(event))


def test_every_kind_has_a_strategy() -> None:
    """The round-trip property above covers every kind of event there is."""
    assert set(PAYLOAD_TYPES) == set(s.PAYLOADS)


@given(st.lists(s.events, max_size=5))
def test_trails_round_trip(events: list[Event]) -> None:
    """A list of events comes back equal from its JSON array."""
    assert events == loads_trail(dumps_trail(events))


def test_a_whole_review_round_trips(edm, dm, case, proposed) -> None:  # type: ignore[no-untyped-def]
    """A real review's trail, dumped and loaded, replays to the same review."""
    review = edm.open_review(by=dm, case=case, proposed=proposed)
    review = edm.record_reflection(review.review_id, by=dm, note="No concerns: checked the impact.")
    trail = edm.trail(review.review_id)
    assert review == replay(loads_trail(dumps_trail(trail)))


def test_canonical_json_is_stable() -> None:
    """The same data always gives the same text: sorted keys, no spaces, Unicode kept."""
    assert canonical_json({"b": "é", "a": 1}) == '{"a":1,"b":"é"}'
    with pytest.raises(ValueError, match="Out of range float"):
        canonical_json({"x": float("nan")})


def test_times_are_utc_with_offset() -> None:
    """Event times are written with an explicit UTC offset."""
    data = event_to_dict(event_from_dict(EVENT))
    assert data["occurred_at"] == "2026-01-05T09:00:00+00:00"


def _problems(data: Any) -> tuple[str, ...]:
    with pytest.raises(ValidationError) as caught:
        event_from_dict(data)
    message = str(caught.value)
    assert "SECRET" not in message
    return caught.value.problems


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"sequence": "2"}, "sequence: expected a whole number"),
        ({"sequence": 0}, "sequence: must be a whole number of at least 1"),
        ({"occurred_at": "2026-01-05T09:00:00"}, "occurred_at: the time needs a timezone, e.g. +00:00"),
        ({"occurred_at": "yesterday"}, "occurred_at: expected an ISO 8601 date and time"),
        ({"actor": {"type": "wizard"}}, "actor: 'type' must be one of: decision_maker, route_team_member"),
        ({"payload": {"type": "concern_edited"}}, "payload: 'type' must be one of: review_opened"),
        (
            {"payload": {"type": "concern_raised", "concern": {"category": "mood", "statement": "SECRET"}}},
            "payload.concern.category: expected one of: unfair_outcome",
        ),
        (
            {"payload": {"type": "concern_raised", "concern": {"category": "other", "statement": "  "}}},
            "payload.concern.statement: must not be empty or only whitespace",
        ),
        (
            {"payload": {"type": "concern_raised", "concern": {"category": "other"}}},
            "payload.concern.statement: required field missing",
        ),
        ({"surprise": "SECRET"}, "$: unexpected fields: surprise"),
        ({"SECRET name!": 1}, "$: 1 unexpected fields"),
    ],
)
def test_bad_events_are_refused_without_echoing_values(change: dict[str, Any], expected: str) -> None:
    """Each fault is named by path and problem; no submitted value appears in the error."""
    problems = _problems({**EVENT, **change})
    assert any(p.startswith(expected) for p in problems), problems


def test_oversized_text_is_refused() -> None:
    """Text over the limit is refused with the limit, not the text."""
    payload = {"type": "concern_raised", "concern": {"category": "other", "statement": "SECRET" * 5000}}
    assert _problems({**EVENT, "payload": payload}) == (
        "payload.concern.statement: must be at most 20000 characters long",
    )


def test_events_from_a_newer_version_are_refused() -> None:
    """A reader refuses events written by a newer schema, saying to upgrade."""
    with pytest.raises(SchemaVersionError, match="Upgrade ethical-decisions"):
        event_from_dict({**EVENT, "schema_version": SCHEMA_VERSION + 1})


@pytest.mark.parametrize("text", ["", "{", "[1, 2", "\xff"])
def test_malformed_json_is_refused(text: str) -> None:
    """Text that is not JSON gets a validation error saying so."""
    with pytest.raises(ValidationError, match="not valid JSON"):
        loads_event(text)


def test_a_trail_reports_every_bad_event_by_index() -> None:
    """Faults in a trail are listed with the index of the event they are in."""
    bad = json.dumps([EVENT, {**EVENT, "sequence": "x"}, {**EVENT, "review_id": ""}])
    with pytest.raises(ValidationError) as caught:
        loads_trail(bad)
    assert caught.value.problems[0].startswith("[1].sequence")
    assert caught.value.problems[1].startswith("[2].review_id")


def test_parse_validates_any_input_type() -> None:
    """Input for any value type is structured strictly, with the same readable errors."""
    data = {"staff_id": "dm-1", "role": "caseworker", "business_area": "border_force", "team": "North"}
    assert DecisionMaker("dm-1", "caseworker", "border_force", "North") == parse(DecisionMaker, data)
    with pytest.raises(ValidationError, match="business_area: must be a lower-case code"):
        parse(DecisionMaker, {**data, "business_area": "Border Force"})
    with pytest.raises(ValidationError, match=r"\$: expected a JSON object|\$: wrong kind of value"):
        parse(DecisionMaker, ["not", "an", "object"])


@pytest.mark.parametrize("load", [loads_event, loads_trail])
def test_a_number_too_long_to_read_is_refused_as_invalid_input(load: Callable[[str], object]) -> None:
    """JSON with a number past Python's digit limit for integers raises ValidationError, not ValueError."""
    text = '{"a": ' + "1" * 5000 + "}"
    with pytest.raises(ValidationError) as caught:
        load(text if load is loads_event else f"[{text}]")
    assert caught.value.problems == ("$: holds a number with too many digits",)


def test_a_sealed_body_with_a_number_too_long_to_read_is_refused() -> None:
    """Reading a sealed event back raises only the library's errors for such a number too."""
    with pytest.raises(ValidationError):
        unseal('{"sequence": ' + "1" * 5000 + "}", {})


# -- the two converters: the fast one decides, the detailed one explains, and they agree ----------

PARSED: dict[Any, st.SearchStrategy[Any]] = {**s.PARSED, Actor: s.actors, Payload: s.payloads}
"""Every type parsed from outside JSON (and the two tagged unions), with a strategy for valid values."""


def _changes(data: Any) -> Iterator[Any]:
    """*data* (parsed JSON) changed in one place at a time: a value removed or replaced, or a key added.

    A replacement is a value of another JSON type, or a near miss of the same type (text for a
    number, a number for text or a flag, an empty or blank string, an unknown code or tag).
    """
    if isinstance(data, dict):
        yield {**data, "surprise": 1}
        for key, value in data.items():
            yield {k: v for k, v in data.items() if k != key}
            for changed in _changes(value):
                yield {**data, key: changed}
    elif isinstance(data, list):
        yield [*data, data[0]] if data else ["x"]
        for index, value in enumerate(data):
            yield data[:index] + data[index + 1 :]
            for changed in _changes(value):
                yield [*data[:index], changed, *data[index + 1 :]]
    yield from [None, True, 0, 1.5, "", " ", "x", "2026-13-05", [], {}]
    if isinstance(data, str):
        yield data.upper()
    if isinstance(data, int) and not isinstance(data, bool):
        yield str(data)


def _outcome(converter: Any, data: Any, cls: Any) -> tuple[str, Any]:
    """What *converter* makes of *data* as *cls*: the value, or that it refused."""
    try:
        return "value", converter.structure(data, cls)
    except Exception:
        return "refused", None


@pytest.mark.parametrize(
    "cls",
    sorted(PARSED, key=str),
    ids=lambda cls: {Actor: "Actor", Payload: "Payload"}.get(cls) or cls.__name__,
)
@settings(max_examples=5, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_both_converters_accept_and_refuse_the_same_input(cls: Any, data: st.DataObject) -> None:
    """A valid value's JSON comes back equal from both converters; any one change: refused by both or neither.

    parse() takes what the fast converter takes; the detailed one only explains a refusal, so if the
    two disagreed an input would be refused without a reason, or a reason given for what is valid.
    """
    value = data.draw(PARSED[cls])
    valid = json.loads(json.dumps(unparse(value, cls)))
    assert _outcome(sz._converter, valid, cls) == ("value", value) == _outcome(sz._detailed, valid, cls)
    for changed in _changes(valid):
        assert _outcome(sz._converter, changed, cls) == _outcome(sz._detailed, changed, cls), changed


def test_a_refusal_names_the_fault_the_detailed_converter_finds() -> None:
    """parse() refuses with the detailed converter's account of every fault, by path."""
    data = {**EVENT, "sequence": "2", "surprise": 1}
    with pytest.raises(ValidationError) as caught:
        parse(Event, data)
    assert caught.value.problems == ("sequence: expected a whole number", "$: unexpected fields: surprise")


def test_an_iterator_is_read_once_and_never_taken_in_part() -> None:
    """A valid one-shot iterator is taken; a refused one is refused whole, never read again for its rest."""
    assert parse(UnresolvedAcknowledgement, {"concern_ids": iter(["C1", "C2"]), "rationale": "Go."}) == (
        UnresolvedAcknowledgement(("C1", "C2"), "Go.")
    )
    with pytest.raises(ValidationError):
        parse(UnresolvedAcknowledgement, {"concern_ids": iter([1, "C2"]), "rationale": "Go."})


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
