"""Versioned JSON: every event and whole trails round-trip; bad input is refused readably."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ethical_decisions import DecisionMaker, SchemaVersionError, ValidationError
from ethical_decisions.events import PAYLOAD_TYPES, SCHEMA_VERSION, Event, Payload
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
)

from . import strategies as s

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
