"""ethical-decisions: the Home Office Ethical Decision-Making Model for casework systems.

Once a decision-maker has a proposed decision, they reflect on its impact. If
something concerns them, they articulate it, look for discretion inside and
then outside the Immigration Rules, discuss the case, and escalate through
their business area's route. This package asks the model's questions, records
the answers and the reasons in a tamper-evident trail, routes concerns, and
feeds Performance Development Review monitoring. It never decides.

Start with :class:`EthicalDecisions`.

What the package exports is what a casework system types to use the model:

- the facade, :class:`EthicalDecisions`, and what it is built from: a store
  (:func:`open_store`, :class:`Store`, :class:`MemoryStore`,
  :class:`SQLiteStore`) and plugins (:func:`make_plugins`, :class:`Plugins`,
  and the :class:`PluginInfo` they list);
- the values and enums its methods take (people, the case, decisions,
  concerns, and the answers to the model's questions);
- what its methods give back: the :class:`Review` and the records and enums it
  is made of, the routes and the guidance plugins offer (the same records a
  route plugin registers, with :data:`hookimpl`), and the
  :class:`ComplianceRecord` that PDR monitoring reads from the store, with
  the line manager's :class:`Assessment` of a sampled record (its
  :class:`AssessedElement` and :class:`Finding`);
- every error; :func:`verify` and what it reports; the model's words,
  :data:`GUIDANCE`; and the :mod:`~ethical_decisions.reports` subpackage.

Everything else lives one namespace down, in the module that owns it, and is
documented there: the events of a review's trail (:mod:`ethical_decisions.events`);
the pure rules (:func:`ethical_decisions.steps.decide`,
:func:`ethical_decisions.steps.allowed_steps`, :func:`ethical_decisions.review.replay`);
delivery to the routes' teams (:mod:`ethical_decisions.transports`,
:mod:`ethical_decisions.relay`); logging (:mod:`ethical_decisions.log`); and the
helpers for writing plugins and tests (:mod:`ethical_decisions.routekit`,
:mod:`ethical_decisions.testing`). A name is added here only if a casework
system cannot do its ordinary work without typing it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .assessments import AssessedElement, Assessment, Finding
from .audit import ChainHead, VerificationReport, verify
from .compliance import ComplianceRecord, StepUsed
from .exceptions import (
    AssessmentError,
    ConflictError,
    DeliveryError,
    DuplicateRouteError,
    EthicalDecisionsError,
    IntegrityError,
    NoRouteError,
    NotFoundError,
    NotPermittedError,
    PluginError,
    RouteError,
    SchemaVersionError,
    StepError,
    StoreError,
    ValidationError,
)
from .guidance import GUIDANCE
from .hookspecs import hookimpl
from .model import (
    KNOWN_BUSINESS_AREAS,
    AdviceResponse,
    CaseReference,
    Concern,
    ConcernCategory,
    ConsultedRole,
    DecisionMaker,
    DiscretionResult,
    DiscretionScope,
    DiscussionResult,
    EscalationRequirements,
    FinalDecision,
    LaterOutcomeKind,
    LaterOutcomeResult,
    OutcomeClass,
    ProposedDecision,
    RecordsOfficer,
    RoutePolicy,
    RouteTeamMember,
    StaffRole,
    Stage,
    Step,
    UnresolvedAcknowledgement,
)
from .plugins import PluginInfo, Plugins, make_plugins
from .review import ConcernRecord, ConcernStatus, Referral, ReferralStatus, Resolution, Review
from .routes import DiscretionGuidance, Route, RouteRegistrar, RouteRegistry
from .service import EthicalDecisions
from .store import MemoryStore, Store

if TYPE_CHECKING:
    from . import reports
    from .store import SQLiteStore, open_store

__all__ = [
    "GUIDANCE",
    "KNOWN_BUSINESS_AREAS",
    "AdviceResponse",
    "AssessedElement",
    "Assessment",
    "AssessmentError",
    "CaseReference",
    "ChainHead",
    "ComplianceRecord",
    "Concern",
    "ConcernCategory",
    "ConcernRecord",
    "ConcernStatus",
    "ConflictError",
    "ConsultedRole",
    "DecisionMaker",
    "DeliveryError",
    "DiscretionGuidance",
    "DiscretionResult",
    "DiscretionScope",
    "DiscussionResult",
    "DuplicateRouteError",
    "EscalationRequirements",
    "EthicalDecisions",
    "EthicalDecisionsError",
    "FinalDecision",
    "Finding",
    "IntegrityError",
    "LaterOutcomeKind",
    "LaterOutcomeResult",
    "MemoryStore",
    "NoRouteError",
    "NotFoundError",
    "NotPermittedError",
    "OutcomeClass",
    "PluginError",
    "PluginInfo",
    "Plugins",
    "ProposedDecision",
    "RecordsOfficer",
    "Referral",
    "ReferralStatus",
    "Resolution",
    "Review",
    "Route",
    "RouteError",
    "RoutePolicy",
    "RouteRegistrar",
    "RouteRegistry",
    "RouteTeamMember",
    "SQLiteStore",
    "SchemaVersionError",
    "StaffRole",
    "Stage",
    "Step",
    "StepError",
    "StepUsed",
    "Store",
    "StoreError",
    "UnresolvedAcknowledgement",
    "ValidationError",
    "VerificationReport",
    "hookimpl",
    "make_plugins",
    "open_store",
    "reports",
    "verify",
]


def __getattr__(name: str) -> Any:
    # The version is read from the installed metadata when first asked for, not at import;
    # the SQLite store (and sqlite3) and the reports are loaded when first used.
    if name == "__version__":
        return importlib.import_module("importlib.metadata").version("ethical-decisions")
    if name in ("SQLiteStore", "open_store"):
        value = getattr(importlib.import_module(".store", __name__), name)
        globals()[name] = value
        return value
    if name == "reports":
        return importlib.import_module(".reports", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
