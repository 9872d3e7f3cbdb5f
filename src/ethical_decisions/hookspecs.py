"""The hooks through which business areas extend the library.

A plugin is a module or object with functions decorated by :data:`hookimpl`,
named after the hooks below, and registered under the ``ethical_decisions``
entry-point group of its distribution::

    [project.entry-points.ethical_decisions]
    my_route = "my_package.plugin"

Every hook is called through the library's typed facade
(:class:`ethical_decisions.plugins.Plugins`), one plugin at a time: a plugin
that raises, returns something unusable or does not return within the hook
timeout (``EDM_PLUGIN_TIMEOUT``, by default
:data:`~ethical_decisions.plugins.DEFAULT_HOOK_TIMEOUT` seconds) is reported
by name and never stops the others, and nothing a plugin does can change a
recorded event. Each call runs in a worker thread that sees the caller's
context variables (not its thread-locals); a call that times out runs on in
the background and that plugin's hook is skipped until it ends.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from .compliance import ComplianceRecord, Scalar
    from .events import Event
    from .model import ConcernCategory
    from .review import Review
    from .routes import DiscretionGuidance, RouteRegistrar

__all__ = [
    "PROJECT_NAME",
    "ethical_decisions_compliance_record",
    "ethical_decisions_discretion_guidance",
    "ethical_decisions_event_stored",
    "ethical_decisions_register_routes",
    "hookimpl",
    "hookspec",
]

PROJECT_NAME = "ethical_decisions"
"""The pluggy project name, and the entry-point group plugins register under."""

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
"""Marks the hook specifications below."""

hookimpl = pluggy.HookimplMarker(PROJECT_NAME)
"""Marks a plugin's implementation of a hook: ``@hookimpl def ethical_decisions_...``."""


@hookspec
def ethical_decisions_register_routes(register: RouteRegistrar) -> None:
    """Register the escalation routes this plugin provides.

    Call ``register(route)`` once per :class:`~ethical_decisions.routes.Route`.
    The library owns route ids: registering an id that another plugin already
    registered raises :class:`~ethical_decisions.DuplicateRouteError`, naming
    both plugins. Called once, the first time routes are needed. A plugin whose
    hook raises or does not return within the hook timeout registers none of
    its routes.
    """


@hookspec
def ethical_decisions_discretion_guidance(
    business_area: str, category: ConcernCategory
) -> Sequence[DiscretionGuidance] | None:
    """Offer guidance on discretion for a concern of *category* in *business_area*.

    Return what a decision-maker in that area might consider inside the
    Immigration Rules and, where applicable, outside them; or ``None`` when the
    plugin has nothing for that area or category. The guidance of every plugin
    is shown together. It prompts thought and never decides. Guidance from a
    plugin that does not answer within the hook timeout is left out.
    """


@hookspec
def ethical_decisions_event_stored(event: Event, review: Review) -> None:
    """Observe *event*, which has just been stored, and the *review* as it now stands.

    For logging, metrics and notifications. Called after the event is
    committed, so an observer that fails cannot lose or corrupt the trail; its
    failure is logged with the plugin's name and the next observer still runs.
    So is an observer that does not return within the hook timeout: the step
    has been recorded and returns without waiting longer, and the observer is
    skipped until its call ends. Send slow work (a network call) to a queue.
    The observer receives copies: changing them changes nothing the library
    holds. The event and review hold free text and applicant details: an
    observer must not send them anywhere that the applicant's data may not go.
    """


@hookspec
def ethical_decisions_compliance_record(record: ComplianceRecord) -> Mapping[str, Scalar] | None:
    """Receive the compliance *record* of a review that has just closed, and enrich it.

    Return extra fields for PDR monitoring (names to strings, numbers, booleans
    or ``None``), or ``None`` to add nothing. They are stored in the record's
    ``extensions``. They must not hold applicant data or free text. A field
    name that another plugin already added, a value that is not a scalar, a
    number that is not finite, or text longer than 200 characters is refused
    and reported with the plugin's name. Called before the closing step is
    stored, so a plugin that does not return within the hook timeout is
    reported and the step is stored without its fields.
    """
