"""Structured logging: stable event names, allow-listed fields, and a redaction processor.

The library logs through ``structlog.get_logger()`` and never configures
structlog: that is the application's choice. Every log call goes through
:func:`emit`, which keeps only allow-listed fields (ids, stages, steps,
categories, route ids, counts, durations, error types), so a statement, a piece
of advice, a rationale or an applicant's details cannot reach a log from here.

Routine events (info and debug) are logged only once the application has
configured structlog; warnings and errors always are.

Applications that log more (say, the objects they pass to the library) can add
:func:`redact_personal_data` to their processor chain.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import MutableMapping
from typing import Any

import attrs
import structlog

from ._fields import is_free_text

__all__ = ["ALLOWED_FIELDS", "LogEvent", "emit", "logs", "redact_personal_data"]

_logger = structlog.get_logger("ethical_decisions")


class LogEvent(enum.StrEnum):
    """The library's log event names. They are stable: alert on them."""

    EVENT_STORED = "ethical_decisions.event_stored"
    STEP_REFUSED = "ethical_decisions.step_refused"
    APPEND_CONFLICT = "ethical_decisions.append_conflict"
    PERMISSION_REFUSED = "ethical_decisions.permission_refused"
    PLUGIN_LOADED = "ethical_decisions.plugin_loaded"
    PLUGIN_LOAD_FAILED = "ethical_decisions.plugin_load_failed"
    PLUGIN_BLOCKED = "ethical_decisions.plugin_blocked"
    HOOK_FAILED = "ethical_decisions.hook_failed"
    REFERRAL_DELIVERED = "ethical_decisions.referral_delivered"
    REFERRAL_DELIVERY_FAILED = "ethical_decisions.referral_delivery_failed"
    REFERRAL_DEAD_LETTER = "ethical_decisions.referral_dead_letter"
    REFERRAL_LEASE_EXPIRED = "ethical_decisions.referral_lease_expired"
    STORE_OPENED = "ethical_decisions.store_opened"
    STORE_MIGRATED = "ethical_decisions.store_migrated"
    CHAIN_VERIFIED = "ethical_decisions.chain_verified"
    CHAIN_BROKEN = "ethical_decisions.chain_broken"
    LEDGER_BROKEN = "ethical_decisions.ledger_broken"
    TABLES_DIFFER = "ethical_decisions.tables_differ"
    STORE_DAMAGED = "ethical_decisions.store_damaged"
    STORE_REBUILT = "ethical_decisions.store_rebuilt"
    ASSESSMENT_RECORDED = "ethical_decisions.assessment_recorded"
    ASSESSMENT_REFUSED = "ethical_decisions.assessment_refused"
    RISING_CATEGORY = "ethical_decisions.rising_category"
    ISSUE_RECORDED = "ethical_decisions.systemic_issue_recorded"
    SPEAK_UP_RECORDED = "ethical_decisions.speak_up_recorded"
    """An answer to the speaking-up questions was kept: logged with no field at all (no id, no answer)."""
    GUIDANCE_FEEDBACK_SENT = "ethical_decisions.guidance_feedback_sent"
    OUTCOMES_IMPORTED = "ethical_decisions.outcomes_imported"
    RETENTION_SWEPT = "ethical_decisions.retention_swept"


ALLOWED_FIELDS = frozenset(
    {
        "actor_kind",
        "already_erased",
        "already_recorded",
        "closed_before",
        "dry_run",
        "erased",
        "held",
        "invalid",
        "matched",
        "not_recordable",
        "recorded",
        "rows",
        "unmatched",
        "assessed_by",
        "attempt",
        "business_area",
        "categories",
        "category",
        "count",
        "distribution",
        "duration_ms",
        "element",
        "error_type",
        "event_kind",
        "events",
        "expected_version",
        "actual_version",
        "finding",
        "hook",
        "issue_id",
        "kind",
        "message_id",
        "month",
        "outcome_class",
        "plugin",
        "position",
        "referral_id",
        "review_id",
        "reviews",
        "role",
        "route_id",
        "schema_version",
        "sequence",
        "stage",
        "staff_id",
        "status",
        "step",
        "store",
        "taken",
        "transport",
        "version",
    }
)
"""The only fields the library puts in a log entry. None can hold free text."""


_ROUTINE_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO}
_ROUTINE_ENABLED: dict[tuple[object, str], bool] = {}
"""Whether each configured wrapper class logs each routine level, found once per class."""


def logs(level: str) -> bool:
    """Whether :func:`emit` at *level* would log anything.

    Lets a caller skip working out fields for an event that would be dropped.
    """
    return level not in _ROUTINE_LEVELS or _logs_routine(level)


def _logs_routine(level: str) -> bool:
    """Whether the application's structlog configuration logs routine events at *level*.

    Not until it has configured structlog. After that, a wrapper class that
    can say (structlog's filtering loggers, with ``is_enabled_for``) is asked
    once, so that a filtered event costs a dict lookup, not the new logger
    that structlog's lazy proxy binds on every call.
    """
    if not structlog.is_configured():
        return False
    key = (structlog.get_config()["wrapper_class"], level)
    enabled = _ROUTINE_ENABLED.get(key)
    if enabled is None:
        is_enabled_for = getattr(_logger.bind(), "is_enabled_for", None)
        enabled = True if is_enabled_for is None else bool(is_enabled_for(_ROUTINE_LEVELS[level]))
        _ROUTINE_ENABLED[key] = enabled
    return enabled


def emit(event: LogEvent, *, level: str = "info", **fields: object) -> None:
    """Log *event* with only the allow-listed *fields* (others are dropped, not logged).

    Until the application configures structlog, only warnings and errors are
    logged: structlog's unconfigured default prints every level to standard
    output, which is no place for a library's routine events. Routine events
    below the configured level cost next to nothing.
    """
    if level in _ROUTINE_LEVELS and not _logs_routine(level):
        return
    safe = {key: value for key, value in fields.items() if key in ALLOWED_FIELDS}
    getattr(_logger, level)(str(event), **safe)


_FREE_TEXT_KEYS = frozenset(
    {
        "advice",
        "case",
        "consulted",
        "guidance",
        "note",
        "personal_details",
        "question",
        "rationale",
        "reason",
        "reference",
        "response",
        "statement",
        "summary",
    }
)
REDACTED = "[redacted]"


def _redact_value(value: Any) -> Any:
    if attrs.has(type(value)):
        summary: dict[str, Any] = {"type": type(value).__name__}
        for field in attrs.fields(type(value)):
            if is_free_text(field) or not field.repr or field.name in _FREE_TEXT_KEYS:
                continue
            item = getattr(value, field.name)
            if isinstance(item, str | int | float | bool | enum.Enum) or item is None:
                summary[field.name] = item
        return summary
    if isinstance(value, list | tuple):
        return [_redact_value(v) for v in value]
    if isinstance(value, dict):
        return {k: REDACTED if k in _FREE_TEXT_KEYS else _redact_value(v) for k, v in value.items()}
    return value


def redact_personal_data(
    logger: object, method_name: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """A structlog processor that removes free text and applicant details from a log entry.

    Values under keys that name free text (``statement``, ``advice``,
    ``rationale``, ``reference``…) become ``"[redacted]"``; any of this
    library's records (an event, a review, a concern…) is replaced by its type
    and its non-text fields. Add it before the renderer::

        structlog.configure(processors=[..., redact_personal_data, JSONRenderer()])
    """
    for key in list(event_dict):
        if key in _FREE_TEXT_KEYS:
            event_dict[key] = REDACTED
        elif key != "event":
            event_dict[key] = _redact_value(event_dict[key])
    return event_dict
