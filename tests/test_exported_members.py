"""The public API: exactly what the package exports, each export real and documented, where the rest lives.

The rule is in the package's docstring: the top level holds what a casework system types to use the model;
the events and the pure rules, among others, live one namespace down.
"""

from __future__ import annotations

import importlib
import inspect

import pytest

import ethical_decisions
from ethical_decisions import events

EXPORTED = {
    # the facade, and what builds it
    "EthicalDecisions",
    "open_store",
    "Store",
    "MemoryStore",
    "SQLiteStore",
    "make_plugins",
    "Plugins",
    "PluginInfo",
    # the values and enums its methods take
    "DecisionMaker",
    "RouteTeamMember",
    "RecordsOfficer",
    "StaffRole",
    "KNOWN_BUSINESS_AREAS",
    "CaseReference",
    "ProposedDecision",
    "FinalDecision",
    "Concern",
    "ConcernCategory",
    "UnresolvedAcknowledgement",
    "DiscretionScope",
    "DiscretionResult",
    "ConsultedRole",
    "DiscussionResult",
    "AdviceResponse",
    "LaterOutcomeKind",
    "LaterOutcomeResult",
    # what its methods give back: the review and its parts, routes and guidance, compliance records
    "Review",
    "Stage",
    "Step",
    "OutcomeClass",
    "ConcernRecord",
    "ConcernStatus",
    "Resolution",
    "Referral",
    "ReferralStatus",
    "Route",
    "RoutePolicy",
    "EscalationRequirements",
    "RouteRegistry",
    "RouteRegistrar",
    "DiscretionGuidance",
    "hookimpl",
    "ComplianceRecord",
    "StepUsed",
    "Assessment",
    "AssessedElement",
    "Finding",
    # every error
    "EthicalDecisionsError",
    "ValidationError",
    "AssessmentError",
    "StepError",
    "NotPermittedError",
    "NotFoundError",
    "ConflictError",
    "RouteError",
    "NoRouteError",
    "DuplicateRouteError",
    "PluginError",
    "StoreError",
    "SchemaVersionError",
    "IntegrityError",
    "DeliveryError",
    # the trail's check, the model's words, the reports
    "verify",
    "VerificationReport",
    "ChainHead",
    "GUIDANCE",
    "reports",
}

ONE_NAMESPACE_DOWN = {
    "steps": ["allowed_steps", "decide"],
    "review": ["replay"],
    "transports": ["QueueTransport", "ReferralMessage", "Transport"],
    "guidance": ["Guidance"],
    "log": ["redact_personal_data"],
}
"""Names, besides the events, that the package exported before the API was tiered, and where each is now."""


def test_all_is_exactly_the_integrators_names_sorted() -> None:
    """__all__ holds exactly the names above, once each, constants first and then in order."""
    exported = ethical_decisions.__all__

    assert EXPORTED == set(exported)
    assert len(exported) == len(set(exported))
    assert exported == sorted(exported, key=lambda n: (not n.isupper(), n))


def test_every_exported_name_resolves() -> None:
    """Each name in __all__ is there to import, the lazily loaded ones (the SQLite store, the reports) too."""
    missing = [name for name in ethical_decisions.__all__ if not hasattr(ethical_decisions, name)]

    assert [] == missing


def test_every_public_name_has_a_docstring() -> None:
    """Each exported class, function and subpackage says what it is for.

    (The constants' own docstrings, in the modules that assign them, are checked by the docs tests.)
    """
    undocumented = [
        name
        for name in ethical_decisions.__all__
        if (
            inspect.isclass(obj := getattr(ethical_decisions, name))
            or inspect.isfunction(obj)
            or inspect.ismodule(obj)
        )
        and not inspect.getdoc(obj)
    ]

    assert [] == undocumented


def test_the_events_live_one_namespace_down() -> None:
    """No name of ethical_decisions.events (the event, its payloads, its schema) is exported at the top."""
    exported_events = [
        n for n in events.__all__ if n in ethical_decisions.__all__ or hasattr(ethical_decisions, n)
    ]

    assert "ReviewOpened" in events.__all__
    assert [] == exported_events


@pytest.mark.parametrize(
    ("module", "name"), [(m, n) for m, names in sorted(ONE_NAMESPACE_DOWN.items()) for n in names]
)
def test_the_rules_and_the_rest_live_one_namespace_down(module: str, name: str) -> None:
    """A name that left the top level is exported by the module that owns it, and no longer by the package."""
    owner = importlib.import_module(f"ethical_decisions.{module}")

    assert name in owner.__all__
    assert name not in ethical_decisions.__all__
    assert not hasattr(ethical_decisions, name)


def test_version_comes_from_the_installed_metadata() -> None:
    """__version__ is the distribution's version, not typed by hand."""
    from importlib.metadata import version

    assert ethical_decisions.__version__ == version("ethical-decisions")
