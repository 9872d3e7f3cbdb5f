"""The built-in plugins: the library's own defaults, through the same hooks as any plugin."""

from __future__ import annotations

from typing import ClassVar

from .events import Event
from .hookspecs import hookimpl
from .log import LogEvent, emit, logs
from .review import Review

__all__ = ["LoggingPlugin"]


class LoggingPlugin:
    """Logs every stored event with allow-listed fields only (ids, kind, stage, area)."""

    name: ClassVar[str] = "ethical_decisions.logging"

    @hookimpl
    def ethical_decisions_event_stored(self, event: Event, review: Review) -> None:
        """Log ``ethical_decisions.event_stored``."""
        if not logs("info"):  # filtered out: spare working out the review's stage
            return
        emit(
            LogEvent.EVENT_STORED,
            review_id=event.review_id,
            sequence=event.sequence,
            event_kind=event.kind,
            actor_kind=type(event.actor).__name__,
            staff_id=event.actor.staff_id,
            stage=str(review.stage),
            business_area=review.business_area,
        )
