"""The model's words, shown by every interface, are the guidance's own."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ethical_decisions import GUIDANCE, ConcernCategory, Step
from ethical_decisions.guidance import concern_category_label

SOURCE = Path(__file__).parent / "data" / "ethical-decision-making-model-v2.0.txt"


def _normalise(text: str) -> str:
    text = text.replace("**", "").replace("\u2013", "-").replace("\u201c", '"').replace("\u201d", '"')
    return re.sub(r"\s+", " ", text).strip()


@pytest.fixture(name="source", scope="module")
def _source() -> str:
    return _normalise(SOURCE.read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    "field",
    [
        "existing_process",
        "reflection",
        "question",
        "question_example",
        "decision_discomfort",
        "no_concerns",
        "if_concerns",
        "no_right_answer",
    ],
)
def test_prompts_are_verbatim(source: str, field: str) -> None:
    """Each prompt appears word for word in version 2.0 of the guidance."""
    text = _normalise(getattr(GUIDANCE, field)).rstrip("?")
    assert text in source


@pytest.mark.parametrize("number", [1, 2, 3, 4])
def test_the_four_steps_are_verbatim(source: str, number: int) -> None:
    """The numbered steps are the guidance's, in its order."""
    step = GUIDANCE.step(number)
    assert step.number == number
    assert f"{number}. {_normalise(step.text)}" in source


def test_the_steps_map_to_the_library_steps() -> None:
    """Each numbered step names the library step that records its answer."""
    assert [s.library_step for s in GUIDANCE.steps] == [
        Step.RECORD_REFLECTION,
        Step.CONSIDER_DISCRETION,
        Step.RECORD_DISCUSSION,
        Step.ESCALATE,
    ]


def test_escalation_routes_are_as_listed(source: str) -> None:
    """The four routes are listed as the guidance lists them."""
    for area, route in GUIDANCE.escalation_routes:
        assert f"{area} - {route}" in source


def test_version_and_date() -> None:
    """The guidance is tagged with its version and publication date."""
    assert GUIDANCE.label == "The Ethical Decision-Making Model, version 2.0 (29 May 2025)"


def test_every_category_has_a_label() -> None:
    """Interfaces can show every concern category in words."""
    assert (
        concern_category_label(ConcernCategory.EVIDENTIAL_BURDEN) == "Evidential burden or standard of proof"
    )
    assert all(concern_category_label(c) for c in ConcernCategory)
