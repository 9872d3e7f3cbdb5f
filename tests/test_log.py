"""The library's logging: routine events follow the application's configured level, cheaply."""

from __future__ import annotations

import logging
from typing import Any

import structlog
from structlog.testing import LogCapture

from ethical_decisions import CaseReference, DecisionMaker, ProposedDecision, testing
from ethical_decisions.log import LogEvent, emit, logs


def _configure(level: int, capture: LogCapture, made: list[object]) -> None:
    def factory(*args: Any) -> structlog.PrintLogger:
        logger = structlog.PrintLogger()
        made.append(logger)
        return logger

    structlog.configure(
        processors=[capture],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=factory,
    )


def test_routine_events_follow_the_level_the_application_configures_and_reconfigures(
    dm: DecisionMaker, case: CaseReference, proposed: ProposedDecision
) -> None:
    """Filtered at WARNING, a stored event logs nothing; reconfigured at INFO, the next one is logged."""
    capture, made = LogCapture(), list[object]()
    edm = testing.service()
    _configure(logging.WARNING, capture, made)
    review = edm.open_review(by=dm, case=case, proposed=proposed)
    assert capture.entries == []
    assert not logs("info")

    _configure(logging.INFO, capture, made)
    edm.record_reflection(review.review_id, by=dm, concerns=[])
    assert [(e["event"], e["sequence"]) for e in capture.entries] == [(str(LogEvent.EVENT_STORED), 2)]
    assert logs("info")


def test_a_filtered_event_makes_no_logger() -> None:
    """Below the configured level, emitting binds no new logger per call (structlog's lazy proxy would)."""
    capture, made = LogCapture(), list[object]()
    _configure(logging.WARNING, capture, made)
    for _ in range(50):
        emit(LogEvent.EVENT_STORED, review_id="rv-1", sequence=1)
    assert capture.entries == []
    assert len(made) <= 1  # at most the one that answers whether INFO is enabled
    emit(LogEvent.CHAIN_BROKEN, level="error", position=3)
    assert [e["event"] for e in capture.entries] == [str(LogEvent.CHAIN_BROKEN)]


def test_nothing_routine_is_logged_until_structlog_is_configured() -> None:
    """Unconfigured, structlog would print every level to standard output: routine events stay quiet."""
    assert not structlog.is_configured()
    assert not logs("info")
    assert not logs("debug")
    assert logs("warning")
