"""The one walk over free text: what it finds, how its paths are written, and what erasure keeps."""

from __future__ import annotations

from typing import Any

import attrs
from hypothesis import given

from ethical_decisions import (
    CaseReference,
    Concern,
    ConcernCategory,
    ProposedDecision,
)
from ethical_decisions._fields import FREE_TEXT_FIELD, optional_free_text
from ethical_decisions.events import Event, ReflectionRecorded, ReviewOpened
from ethical_decisions.freetext import erased, free_text_paths, free_texts, key_path, locate, path_key
from ethical_decisions.serialization import event_to_dict

from .strategies import events


def test_a_mapping_of_texts_gives_a_path_per_entry_and_left_out_text_none() -> None:
    """Applicant details give a text per entry; tuples give their index; optional text left out gives none."""
    opened = ReviewOpened(
        CaseReference("HO-1", {"full_name": "A. Person", "nationality": "X"}),
        ProposedDecision("refuse", "No fee."),
    )
    assert free_texts(opened) == [
        (("case", "reference"), "HO-1"),
        (("case", "personal_details", "full_name"), "A. Person"),
        (("case", "personal_details", "nationality"), "X"),
        (("proposed", "summary"), "No fee."),
    ]
    reflection = ReflectionRecorded((Concern(ConcernCategory.OTHER, "Carer."),), note=None)
    assert list(free_text_paths(reflection, ("payload",))) == [("payload", "concerns", 0, "statement")]


@given(events)
def test_a_key_stands_for_its_path_and_leads_to_the_text(event: Event) -> None:
    """Each path written as a key reads back as the same path, and leads to the text in the event's JSON."""
    data = event_to_dict(event)
    for path, text in free_texts(event):
        assert key_path(path_key(path)) == path
        container, last = locate(data, key_path(path_key(path)))
        assert container[last] == text


@attrs.frozen
class _Note:
    """A record that holds itself, and free text at every level."""

    text: str = attrs.field(metadata=FREE_TEXT_FIELD)
    reply: _Note | None = None


@attrs.frozen
class _Folder:
    """Records in fields typed loosely: the walk still looks into them."""

    anything: Any
    notes: tuple[_Note, ...]
    code: str = "x"
    extra: str | None = optional_free_text()


def test_free_text_is_found_in_records_that_hold_themselves_and_in_loosely_typed_fields() -> None:
    """Leaving out fields that cannot hold text never leaves out one that can."""
    folder = _Folder(_Note("a", _Note("b")), (_Note("c", _Note("d")),), extra="e")
    assert [text for _, text in free_texts(folder)] == ["a", "b", "c", "d", "e"]
    assert list(free_text_paths(folder))[1] == ("anything", "reply", "text")


def test_erasure_keeps_every_key_and_no_word() -> None:
    """Erased texts still say where text was (so verify can check the digests are in place), with no words."""
    assert erased({"/payload/note": "Checked.", "/payload/concerns/0/statement": None}) == {
        "/payload/note": None,
        "/payload/concerns/0/statement": None,
    }
