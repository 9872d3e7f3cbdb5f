"""Prompts to think about discretion, for each kind of concern, that every route plugin offers.

Step 2 of the model asks: *"Are you able to make a different decision by
applying current rules and guidance that resolves the issue?"*, considering
discretion *"firstly inside and then if applicable, outside the Immigration
Rules"*. :data:`DISCRETION_PROMPTS` turns that into questions for each
:class:`~ethical_decisions.ConcernCategory`: one about the discretion inside
the Rules and one about the discretion outside them. They are questions, never
answers: the model *"does not direct you as to what you should do or provide a
'right answer'"*, and it is not *"a separate route for you to exercise
discretion or grant leave"*.

The wording comes from the model itself and from the Government's response to
the Windrush Lessons Learned Review; each prompt names its source.
"""

from __future__ import annotations

from collections.abc import Mapping

from .model import ConcernCategory, DiscretionScope
from .routes import DiscretionGuidance

__all__ = ["DISCRETION_PROMPTS", "MODEL_REFERENCE", "WINDRUSH_RESPONSE_REFERENCE"]

MODEL_REFERENCE = "The Ethical Decision-Making Model, version 2.0 (Home Office, 29 May 2025)"
"""How the prompts cite the model."""

WINDRUSH_RESPONSE_REFERENCE = (
    "The Response to the Windrush Lessons Learned Review: A Comprehensive Improvement Plan "
    "(CP 293, September 2020)"
)
"""How the prompts cite the Government's response to the Windrush Lessons Learned Review."""

_INSIDE = DiscretionScope.INSIDE_RULES
_OUTSIDE = DiscretionScope.OUTSIDE_RULES

_OUTSIDE_THE_RULES = DiscretionGuidance(
    _OUTSIDE,
    "Discretion outside the Rules, where it applies",
    "If the rules themselves lead to the outcome that concerns you, is discretion outside the "
    "Immigration Rules applicable to this case, and is it yours to exercise? The model prompts you to "
    "think critically about the discretion you already have; it is not a separate route to exercise "
    "discretion or grant leave. If you do not feel you have the authority, discuss the case.",
    f"{MODEL_REFERENCE}: using the model",
)

DISCRETION_PROMPTS: Mapping[ConcernCategory, tuple[DiscretionGuidance, ...]] = {
    ConcernCategory.UNFAIR_OUTCOME: (
        DiscretionGuidance(
            _INSIDE,
            "Is the outcome right in the full context of the case?",
            "What is it about the proposed outcome that feels unfair? Have you assessed and evaluated the "
            "case in its full context, rather than by completing a checklist? Is there a different "
            "decision you could make by applying current rules and guidance, including the discretion "
            "available to you?",
            f"{MODEL_REFERENCE}: why we have the model; steps 1 and 2",
        ),
        _OUTSIDE_THE_RULES,
    ),
    ConcernCategory.UNINTENDED_CONSEQUENCE: (
        DiscretionGuidance(
            _INSIDE,
            "How would the decision affect the person?",
            "Is the proposed decision impacting the person in a way that was not intended? Which "
            "requirement produces that effect, and do current rules and guidance allow you to decide "
            "differently?",
            f"{MODEL_REFERENCE}: the model's question on reflection",
        ),
        DiscretionGuidance(
            _OUTSIDE,
            "The impact, not only the intent",
            "Looking beyond the intent of the rule to its impact on the person in practice: is discretion "
            "outside the Immigration Rules applicable, and is it yours to exercise? Record the consequence "
            "you identified, so that it can be raised where trends are spotted.",
            f"{WINDRUSH_RESPONSE_REFERENCE}, paragraph 125",
        ),
    ),
    ConcernCategory.VULNERABILITY: (
        DiscretionGuidance(
            _INSIDE,
            "The complexity of the person's life",
            "Does the person have more complex circumstances or higher needs, or are they in a position "
            "of vulnerability? Have you taken proper account of the complexity of their life in applying "
            "the rules and guidance, and in what you ask of them?",
            f"{WINDRUSH_RESPONSE_REFERENCE}, paragraphs 73 and 113",
        ),
        DiscretionGuidance(
            _OUTSIDE,
            "Vulnerability the rules do not reach",
            "If the rules do not take account of the person's vulnerability, is discretion outside the "
            "Immigration Rules applicable, and is it yours to exercise? If you are unsure of your "
            "authority, discuss the case before deciding.",
            f"{MODEL_REFERENCE}: steps 2 and 3",
        ),
    ),
    ConcernCategory.EVIDENTIAL_BURDEN: (
        DiscretionGuidance(
            _INSIDE,
            "What are you asking the person to prove?",
            "Are you asking for evidence the person cannot reasonably provide, especially where the Home "
            "Office holds the relevant information or can obtain it more easily than they can? Does the "
            "guidance let you decide whether the evidence provided meets the requirement?",
            f"{WINDRUSH_RESPONSE_REFERENCE}, paragraphs 96 and 97 (Recommendation 18)",
        ),
        DiscretionGuidance(
            _OUTSIDE,
            "The person behind the case, not the process",
            "Where an evidential requirement itself produces the outcome that concerns you, is discretion "
            "outside the Immigration Rules applicable, and is it yours to exercise? Think about the person "
            "behind the case, rather than the process.",
            f"{WINDRUSH_RESPONSE_REFERENCE}, paragraph 96",
        ),
    ),
    ConcernCategory.EQUALITY_OR_HUMAN_RIGHTS: (
        DiscretionGuidance(
            _INSIDE,
            "Equality and human rights consequences",
            "Would the proposed decision have equality or human rights consequences for the person? What "
            "do the current rules and guidance already allow you to take into account?",
            f"{WINDRUSH_RESPONSE_REFERENCE}, paragraph 125 (Recommendation 12)",
        ),
        DiscretionGuidance(
            _OUTSIDE,
            "Impact in practice",
            "If those consequences cannot be addressed within the rules, is discretion outside the "
            "Immigration Rules applicable, and is it yours to exercise? Consider the impact on the person "
            "in practice, not only the intent of the rule.",
            f"{WINDRUSH_RESPONSE_REFERENCE}, paragraph 125",
        ),
    ),
    ConcernCategory.ERROR_IN_RECORDS: (
        DiscretionGuidance(
            _INSIDE,
            "Is the record right?",
            "Does the proposed decision rest on a record that may be wrong or incomplete? Can it be "
            "checked, or the information obtained, before you decide? The Home Office may hold "
            "information that the person cannot easily provide.",
            f"{WINDRUSH_RESPONSE_REFERENCE}, paragraph 96; Recommendation 22",
        ),
        DiscretionGuidance(
            _OUTSIDE,
            "If the record cannot be put right in time",
            "If an error in the records cannot be resolved before the decision is due, is discretion "
            "outside the Immigration Rules applicable, and is it yours to exercise? Record the error, so "
            "that it can be remedied at its source.",
            f"{WINDRUSH_RESPONSE_REFERENCE}, paragraph 101",
        ),
    ),
    ConcernCategory.OTHER: (
        DiscretionGuidance(
            _INSIDE,
            "What makes you uncomfortable?",
            "What is it about the proposed decision that makes you feel uncomfortable? Are you able to "
            "make a different decision by applying current rules and guidance that resolves the issue?",
            f"{MODEL_REFERENCE}: steps 1 and 2",
        ),
        _OUTSIDE_THE_RULES,
    ),
}
"""Two prompts for every concern category: discretion inside the Immigration Rules, then outside them."""
