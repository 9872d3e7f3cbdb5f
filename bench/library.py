"""Every name the benchmarks take from ethical_decisions, imported here and nowhere else.

The library's modules are being restructured (issue 13): when a name moves,
this is the one file to change. The first group is the public API; the
second group is internal (underscored modules, or code another branch is
moving), used only where a benchmark must run exactly what the store runs.
"""

from __future__ import annotations

# -- public: what an integrator types ----------------------------------------------------------
from ethical_decisions import EthicalDecisions, MemoryStore, SQLiteStore, make_plugins, testing
from ethical_decisions.compliance import StepUsed
from ethical_decisions.figures import DepartmentFigures, Period
from ethical_decisions.model import (
    AdviceResponse,
    CaseReference,
    Concern,
    ConcernCategory,
    ConsultedRole,
    DecisionMaker,
    DiscretionResult,
    DiscretionScope,
    DiscussionResult,
    FinalDecision,
    LaterOutcomeKind,
    LaterOutcomeResult,
    OutcomeClass,
    ProposedDecision,
    RecordsOfficer,
    RouteTeamMember,
    StaffRole,
    Stage,
    UnresolvedAcknowledgement,
)
from ethical_decisions.outcomes import import_outcomes
from ethical_decisions.reports import department_report
from ethical_decisions.review import ReferralStatus, Review, replay
from ethical_decisions.serialization import dumps_trail, event_to_dict, loads_trail
from ethical_decisions.store import Store

# isort: split
# -- internal ----------------------------------------------------------------------------------
# The department report's SQL as the SQL stores run it: a function of a DB-API cursor and the
# store's dialect (how it writes times, JSON and booleans).
from ethical_decisions.store._dialect import SQLITE as SQLITE_DIALECT
from ethical_decisions.store._report_sql import department_figures as department_sql

# The SQLite store's row format and schema version: the reports' data set is written in them.
from ethical_decisions.store import _rows as store_rows  # isort: skip
from ethical_decisions.store._schema import SCHEMA_VERSION as STORE_SCHEMA_VERSION  # isort: skip


def postgres_store(url: str, schema: str) -> Store:
    """The PostgreSQL store at *url* in *schema* (imports psycopg: call it only when a server is there)."""
    from ethical_decisions.store.postgres import PostgresStore  # noqa: PLC0415 - needs the postgres extra

    return PostgresStore(url, schema=schema)


__all__ = [
    "SQLITE_DIALECT",
    "STORE_SCHEMA_VERSION",
    "AdviceResponse",
    "CaseReference",
    "Concern",
    "ConcernCategory",
    "ConsultedRole",
    "DecisionMaker",
    "DepartmentFigures",
    "DiscretionResult",
    "DiscretionScope",
    "DiscussionResult",
    "EthicalDecisions",
    "FinalDecision",
    "LaterOutcomeKind",
    "LaterOutcomeResult",
    "MemoryStore",
    "OutcomeClass",
    "Period",
    "ProposedDecision",
    "RecordsOfficer",
    "ReferralStatus",
    "Review",
    "RouteTeamMember",
    "SQLiteStore",
    "StaffRole",
    "Stage",
    "StepUsed",
    "Store",
    "UnresolvedAcknowledgement",
    "department_report",
    "department_sql",
    "dumps_trail",
    "event_to_dict",
    "import_outcomes",
    "loads_trail",
    "make_plugins",
    "postgres_store",
    "replay",
    "store_rows",
    "testing",
]
