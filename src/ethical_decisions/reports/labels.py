"""Words for the codes in figures: categories, steps, parts, outcomes, responses, findings, months, routes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from ethical_decisions.assessments import ELEMENT_LABELS, FINDING_LABELS, AssessedElement, Finding
from ethical_decisions.compliance import Part, StepUsed
from ethical_decisions.guidance import concern_category_label
from ethical_decisions.model import (
    AdviceResponse,
    ConcernCategory,
    LaterOutcomeKind,
    LaterOutcomeResult,
    OutcomeClass,
)

__all__ = [
    "CATEGORY",
    "ELEMENT",
    "FINDING",
    "KIND",
    "OUTCOME",
    "PART",
    "RESPONSE",
    "RESULT",
    "STEP",
    "month_label",
    "route_label",
]

CATEGORY: Mapping[ConcernCategory, str] = {c: concern_category_label(c) for c in ConcernCategory}
"""Each concern category in words, as every user interface names it."""

STEP: Mapping[StepUsed, str] = {
    StepUsed.DISCRETION_INSIDE_RULES: "Discretion inside the Rules",
    StepUsed.DISCRETION_OUTSIDE_RULES: "Discretion outside the Rules",
    StepUsed.DISCUSSION: "Discussed with someone",
    StepUsed.ESCALATION: "Escalated to a route",
    StepUsed.INFORMATION_REQUESTED: "Route asked for more information",
    StepUsed.REFERRAL_WITHDRAWN: "Referral withdrawn, with a reason",
}
"""Each step of the model in words."""

PART: Mapping[Part, str] = {
    Part.OPENED: "Opened",
    Part.REFLECTED: "Reflected on",
    Part.ESCALATED: "Escalated",
    Part.DECIDED: "Decided",
    Part.HANDED_OVER: "Handed over",
    Part.RECEIVED: "Received by handover",
}
"""Each part someone may take in a review, in words."""

OUTCOME: Mapping[OutcomeClass, str] = {
    OutcomeClass.NO_CONCERNS: "No concerns",
    OutcomeClass.RESOLVED_BY_DISCRETION: "Resolved by discretion",
    OutcomeClass.RESOLVED_BY_DISCUSSION: "Resolved by discussion",
    OutcomeClass.RESOLVED_AFTER_ESCALATION: "Resolved after escalation",
    OutcomeClass.PROCEEDED_WITH_UNRESOLVED_CONCERNS: "Proceeded, concerns unresolved",
}
"""How a review ended, in words."""

RESULT: Mapping[LaterOutcomeResult, str] = {
    LaterOutcomeResult.UPHELD: "Upheld",
    LaterOutcomeResult.OVERTURNED: "Overturned",
    LaterOutcomeResult.WITHDRAWN: "Withdrawn",
    LaterOutcomeResult.PENDING: "Pending",
}
"""What a challenge decided, in words."""

KIND: Mapping[LaterOutcomeKind, str] = {
    LaterOutcomeKind.ADMINISTRATIVE_REVIEW: "Administrative review",
    LaterOutcomeKind.APPEAL: "Appeal",
    LaterOutcomeKind.TRIBUNAL: "Tribunal",
    LaterOutcomeKind.COMPLAINT: "Complaint",
    LaterOutcomeKind.JUDICIAL_REVIEW: "Judicial review",
    LaterOutcomeKind.MP_LETTER: "MP letter",
    LaterOutcomeKind.OMBUDSMAN: "Ombudsman",
}
"""Where a decision was challenged, in words."""


RESPONSE: Mapping[AdviceResponse, str] = {
    AdviceResponse.FOLLOWED: "Advice followed",
    AdviceResponse.FOLLOWED_IN_PART: "Advice followed in part",
    AdviceResponse.NOT_FOLLOWED: "Advice not followed",
}
"""What a decision-maker did with a route's advice, in words."""

ELEMENT: Mapping[AssessedElement, str] = ELEMENT_LABELS
"""Each of the model's elements a line manager assesses, in words."""

FINDING: Mapping[Finding, str] = FINDING_LABELS
"""Each finding of an assessment, in words."""


def month_label(month: str) -> str:
    """``"2026-01"`` as ``"Jan 2026"``."""
    return f"{dt.date(int(month[:4]), int(month[5:7]), 1):%b %Y}"


def route_label(route_id: str, names: Mapping[str, str] | None = None) -> str:
    """The route's name from *names*, else its id in words.

    ``"safety_valve_mechanism"`` becomes ``"Safety Valve Mechanism"``.
    """
    if names and route_id in names:
        return names[route_id]
    return route_id.replace("_", " ").title()
