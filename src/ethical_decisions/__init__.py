"""ethical-decisions: the Home Office Ethical Decision-Making Model for casework systems.

Once a decision-maker has a proposed decision, they reflect on its impact. If
something concerns them, they articulate it, look for discretion inside and
then outside the Immigration Rules, discuss the case, and escalate through
their business area's route. This package asks the model's questions, records
the answers and the reasons in a tamper-evident trail, routes concerns, and
feeds Performance Development Review monitoring. It never decides.

Start with :class:`EthicalDecisions`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .audit import ChainHead, VerificationReport, verify
from .compliance import ComplianceRecord, StepUsed
from .events import (
    PAYLOAD_TYPES,
    SCHEMA_VERSION,
    Actor,
    AdviceGiven,
    ConcernRaised,
    DiscretionConsidered,
    DiscussionHeld,
    Event,
    FreeTextErased,
    InformationProvided,
    LaterOutcomeRecorded,
    Payload,
    ReferralAcknowledged,
    ReferralReturned,
    ReferralSubmitted,
    ReferralWithdrawn,
    ReflectionRecorded,
    ReviewFinalised,
    ReviewOpened,
)
from .exceptions import (
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
from .guidance import GUIDANCE, Guidance
from .hookspecs import hookimpl
from .log import redact_personal_data
from .model import (
    KNOWN_BUSINESS_AREAS,
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
from .review import ConcernRecord, ConcernStatus, Referral, ReferralStatus, Resolution, Review, replay
from .routes import DiscretionGuidance, Route, RouteRegistrar, RouteRegistry
from .service import EthicalDecisions
from .steps import allowed_steps, decide
from .store import MemoryStore, Store
from .transports import QueueTransport, ReferralMessage, Transport

if TYPE_CHECKING:
    from .store import SQLiteStore, open_store

__all__ = [
    "GUIDANCE",
    "KNOWN_BUSINESS_AREAS",
    "PAYLOAD_TYPES",
    "SCHEMA_VERSION",
    "Actor",
    "AdviceGiven",
    "CaseReference",
    "ChainHead",
    "ComplianceRecord",
    "Concern",
    "ConcernCategory",
    "ConcernRaised",
    "ConcernRecord",
    "ConcernStatus",
    "ConflictError",
    "ConsultedRole",
    "DecisionMaker",
    "DeliveryError",
    "DiscretionConsidered",
    "DiscretionGuidance",
    "DiscretionResult",
    "DiscretionScope",
    "DiscussionHeld",
    "DiscussionResult",
    "DuplicateRouteError",
    "EscalationRequirements",
    "EthicalDecisions",
    "EthicalDecisionsError",
    "Event",
    "FinalDecision",
    "FreeTextErased",
    "Guidance",
    "InformationProvided",
    "IntegrityError",
    "LaterOutcomeKind",
    "LaterOutcomeRecorded",
    "LaterOutcomeResult",
    "MemoryStore",
    "NoRouteError",
    "NotFoundError",
    "NotPermittedError",
    "OutcomeClass",
    "Payload",
    "PluginError",
    "PluginInfo",
    "Plugins",
    "ProposedDecision",
    "QueueTransport",
    "RecordsOfficer",
    "Referral",
    "ReferralAcknowledged",
    "ReferralMessage",
    "ReferralReturned",
    "ReferralStatus",
    "ReferralSubmitted",
    "ReferralWithdrawn",
    "ReflectionRecorded",
    "Resolution",
    "Review",
    "ReviewFinalised",
    "ReviewOpened",
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
    "Transport",
    "UnresolvedAcknowledgement",
    "ValidationError",
    "VerificationReport",
    "allowed_steps",
    "decide",
    "hookimpl",
    "make_plugins",
    "open_store",
    "redact_personal_data",
    "replay",
    "verify",
]


def __getattr__(name: str) -> Any:
    # The version is read from the installed metadata when first asked for, not at import;
    # the SQLite store (and sqlite3) is loaded when first used.
    if name == "__version__":
        return importlib.import_module("importlib.metadata").version("ethical-decisions")
    if name in ("SQLiteStore", "open_store"):
        value = getattr(importlib.import_module(".store", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
