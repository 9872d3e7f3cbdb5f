"""The words of the Ethical Decision-Making Model, verbatim, as data.

Every interface that shows the model (a casework screen, the command line, a
report) takes its questions and prompts from here, so all of them ask the same
questions in the guidance's own words. The text is tagged with the version of
the guidance it comes from, and every review records that version when it opens.

Source: Home Office, *The Ethical Decision-Making Model*, version 2.0,
published for Home Office staff on 29 May 2025.
"""

from __future__ import annotations

import datetime as dt

import attrs

from .model import ConcernCategory, ConsultedRole, DiscretionScope, Step

__all__ = [
    "GUIDANCE",
    "Guidance",
    "GuidanceStep",
    "concern_category_label",
    "consulted_role_label",
    "discretion_scope_label",
]


@attrs.frozen
class GuidanceStep:
    """One of the model's four numbered steps.

    :param number: 1 to 4, as numbered in the guidance.
    :param text: the step, verbatim.
    :param library_step: the library step that records an answer to it.
    """

    number: int
    text: str
    library_step: Step


@attrs.frozen
class Guidance:
    """One version of the model's text."""

    version: str
    published: dt.date
    title: str
    existing_process: str
    reflection: str
    question: str
    question_example: str
    decision_discomfort: str
    no_concerns: str
    if_concerns: str
    steps: tuple[GuidanceStep, ...]
    escalation_routes: tuple[tuple[str, str], ...]
    """(business area, route) pairs as the guidance lists them."""
    no_right_answer: str

    @property
    def label(self) -> str:
        """E.g. ``"Ethical Decision-Making Model, version 2.0 (29 May 2025)"``."""
        return f"{self.title}, version {self.version} ({self.published:%-d %B %Y})"

    def step(self, number: int) -> GuidanceStep:
        """The numbered step (1 to 4)."""
        return self.steps[number - 1]


GUIDANCE = Guidance(
    version="2.0",
    published=dt.date(2025, 5, 29),
    title="The Ethical Decision-Making Model",
    existing_process=(
        "The relevant, existing decision-making process should be followed to the point "
        "where you have a proposed decision."
    ),
    reflection=(
        "Once you have a proposed decision, you should reflect and consider the potential "
        "impact of the decision."
    ),
    question=("Are there any ethical or unintended consequences in the proposed decision that concern you?"),
    question_example=(
        "for example where the decision is impacting the customer in a way that was not intended"
    ),
    decision_discomfort=(
        "where a decision-maker feels that the proposed outcome is not right or may have "
        "unintended consequences for the customer"
    ),
    no_concerns=(
        "If you do not have any concerns with the impact of the proposed decision, you can "
        "proceed with the decision."
    ),
    if_concerns="If you have concerns, follow the steps below:",
    steps=(
        GuidanceStep(
            1,
            "What is it about the proposed decision that makes you feel uncomfortable?",
            Step.RECORD_REFLECTION,
        ),
        GuidanceStep(
            2,
            "Are you able to make a different decision by applying current rules and guidance "
            "that resolves the issue?",
            Step.CONSIDER_DISCRETION,
        ),
        GuidanceStep(
            3,
            "If you cannot satisfactorily resolve the issue, or do not feel you have the "
            "authority to take a different decision, you should discuss the case with someone. "
            "This can be with your technical specialist, line manager, team leader or a colleague.",
            Step.RECORD_DISCUSSION,
        ),
        GuidanceStep(
            4,
            "If you feel the issue is not satisfactorily resolved, you can escalate the case "
            "through the escalation route available for your business area:",
            Step.ESCALATE,
        ),
    ),
    escalation_routes=(
        ("Customer Services Group", "Chief Caseworker Unit"),
        ("Immigration Enforcement", "Safety Valve Mechanism"),
        ("HM Passport Office (HMPO)", "Quality Examination Support Team"),
        ("Border Force", "National Immigration Casework Oversight Team"),
    ),
    no_right_answer=(
        "The model does not direct you as to what you should do or provide a \u201cright "
        "answer\u201d. It encourages critical thinking."
    ),
)
"""The current guidance: version 2.0, published 29 May 2025."""

_CATEGORY_LABELS = {
    ConcernCategory.UNFAIR_OUTCOME: "Unfair outcome",
    ConcernCategory.UNINTENDED_CONSEQUENCE: "Unintended consequence",
    ConcernCategory.VULNERABILITY: "Vulnerability",
    ConcernCategory.EVIDENTIAL_BURDEN: "Evidential burden or standard of proof",
    ConcernCategory.EQUALITY_OR_HUMAN_RIGHTS: "Equality or human rights impact",
    ConcernCategory.ERROR_IN_RECORDS: "Error in records",
    ConcernCategory.OTHER: "Other",
}
_SCOPE_LABELS = {
    DiscretionScope.INSIDE_RULES: "Inside the Immigration Rules",
    DiscretionScope.OUTSIDE_RULES: "Outside the Immigration Rules",
}
_CONSULTED_LABELS = {
    ConsultedRole.TECHNICAL_SPECIALIST: "Technical specialist",
    ConsultedRole.LINE_MANAGER: "Line manager",
    ConsultedRole.TEAM_LEADER: "Team leader",
    ConsultedRole.COLLEAGUE: "Colleague",
}


def concern_category_label(category: ConcernCategory) -> str:
    """A reader's label for a concern category, e.g. ``"Error in records"``."""
    return _CATEGORY_LABELS[category]


def discretion_scope_label(scope: DiscretionScope) -> str:
    """A reader's label for a discretion scope."""
    return _SCOPE_LABELS[scope]


def consulted_role_label(role: ConsultedRole) -> str:
    """A reader's label for the role consulted in a discussion."""
    return _CONSULTED_LABELS[role]
