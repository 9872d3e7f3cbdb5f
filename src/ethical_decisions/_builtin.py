"""The built-in plugins: the library's own defaults, through the same hooks as any plugin."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from .events import Event
from .hookspecs import hookimpl
from .log import LogEvent, emit, logs
from .model import ConcernCategory
from .policy import People, Permission, PermissionRequest, default_policy
from .prompts import DISCRETION_PROMPTS
from .review import Review
from .routes import DiscretionGuidance

__all__ = ["DefaultPolicy", "LoggingPlugin", "PromptsPlugin"]


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


class PromptsPlugin:
    """Offers the model's own prompts for discretion, once, for a concern in any business area.

    They are :data:`~ethical_decisions.prompts.DISCRETION_PROMPTS`: one on the
    discretion inside the Immigration Rules, one on the discretion outside them.
    ``tryfirst``, so that they come before what route plugins add for their own areas.
    """

    name: ClassVar[str] = "ethical_decisions.prompts"

    @hookimpl(tryfirst=True)
    def ethical_decisions_discretion_guidance(
        self, business_area: str, category: ConcernCategory
    ) -> Sequence[DiscretionGuidance] | None:
        """The model's prompts for *category*, whatever the business area."""
        return DISCRETION_PROMPTS[category]


class DefaultPolicy:
    """The library's own permission policy (see :func:`~ethical_decisions.policy.default_policy`)."""

    name: ClassVar[str] = "ethical_decisions.policy"

    def __init__(self, people: People) -> None:
        self.people = people

    @hookimpl(trylast=True)
    def ethical_decisions_permission(self, request: PermissionRequest) -> Permission:
        """The default policy's answer, with what the deployment says of its people."""
        return default_policy(request, self.people)
