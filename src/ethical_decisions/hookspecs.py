"""The hooks through which business areas extend the library.

A plugin is a module or object with functions decorated by :data:`hookimpl`,
named after the hooks below, and registered under the ``ethical_decisions``
entry-point group of its distribution::

    [project.entry-points.ethical_decisions]
    my_route = "my_package.plugin"

Every hook is called through pluggy by the library's typed facade
(:class:`ethical_decisions.plugins.Plugins`), so pluggy's documented behaviour
holds: ``tryfirst`` implementations first, then the last registered first,
then ``trylast`` ones; wrappers (``hookwrapper=True`` or ``wrapper=True``)
around them, seeing and able to change the result; ``firstresult`` hooks
stopping at the first answer that is not ``None``.

A plugin that raises, or returns something unusable, is reported by name and
never stops the others, and nothing a plugin does can change a recorded event.
A plugin that raises is left out and **the hook is called again without it**;
when what the plugins returned together is unusable, each is asked again on its
own to find whose part it is. So the hooks other than
:func:`ethical_decisions_event_stored` may be called more than once for one
question, and must be free of side effects: answer from what you are given.

Only observers (:func:`ethical_decisions_event_stored`) are called in a worker
thread (which sees the caller's context variables, not its thread-locals), and
waited for at most ``EDM_PLUGIN_TIMEOUT`` seconds (by default
:data:`~ethical_decisions.plugins.DEFAULT_HOOK_TIMEOUT`). The other hooks are
called in the caller's thread, with no time limit, while a step waits for
their answer: keep them quick.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from .compliance import ComplianceRecord, Scalar
    from .events import Event
    from .learning import FeedbackNotice, GuidanceFeedback
    from .model import ConcernCategory
    from .policy import Permission, PermissionRequest
    from .review import Review
    from .routes import DiscretionGuidance, RouteRegistrar
    from .signals import RisingCategory

__all__ = [
    "PROJECT_NAME",
    "ethical_decisions_compliance_record",
    "ethical_decisions_discretion_guidance",
    "ethical_decisions_event_stored",
    "ethical_decisions_feedback",
    "ethical_decisions_guidance_feedback",
    "ethical_decisions_permission",
    "ethical_decisions_register_routes",
    "ethical_decisions_rising_category",
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
    both plugins. Called once, the first time routes are needed (and again,
    without it, if a plugin raises: do nothing but register). ``register``
    works only while the hook runs, from the hook itself. A plugin whose hook
    raises, or that registers something that is not a ``Route``, adds none of
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
    is shown together, in pluggy's call order, after the model's own prompts
    (which the library offers, through this hook, for every area). It prompts
    thought and never decides. Guidance from a plugin that raises or returns
    something unusable is left out.
    """


@hookspec
def ethical_decisions_event_stored(event: Event, review: Review) -> None:
    """Observe *event*, which has just been stored, and the *review* as it now stands.

    For logging, metrics and notifications. Called after the event is
    committed, so an observer that fails cannot lose or corrupt the trail; its
    failure is logged with the plugin's name, and the observers pluggy had not
    yet called are still told, once. So is an observer that does not return
    within ``EDM_PLUGIN_TIMEOUT`` seconds: the step has been recorded and
    returns without waiting longer, and the observer is skipped until its call
    ends. (When it does end, pluggy goes on to the observers after it in that
    call, which hear of that event a second time: to act once per event, key
    on the event's ``review_id`` and ``sequence``.) Send slow work (a network
    call) to a queue. The event and review are frozen: changing them raises and
    changes nothing the library holds. They hold free text and applicant
    details: an observer must not send them anywhere that the applicant's data
    may not go.
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
    stored, in the step's thread: a plugin that raises is reported and the step
    is stored without its fields (the hook is called again without it, so
    return fields and do nothing else).
    """


@hookspec(firstresult=True)
def ethical_decisions_permission(request: PermissionRequest) -> Permission | None:
    """Say whether ``request.actor`` may take ``request.step`` on ``request.review``.

    Return :meth:`Permission.allow() <ethical_decisions.policy.Permission.allow>`,
    :meth:`Permission.refuse(reason, would_allow) <ethical_decisions.policy.Permission.refuse>`,
    or ``None`` to leave the question to the next plugin. The first answer
    wins (pluggy's ``firstresult``); the library's own default policy
    (:func:`~ethical_decisions.policy.default_policy`) answers last, so a
    plugin answering for some steps and ``None`` for the rest changes only
    those. Asked before every step, before the model's rules; a refusal
    records nothing and raises :class:`~ethical_decisions.NotPermittedError`
    with the reason and what would allow the step. The reason must hold ids
    and roles only, never free text: it reaches logs and screens.
    """


@hookspec
def ethical_decisions_rising_category(signal: RisingCategory) -> None:
    """Hear that a kind of concern is rising, to tell whoever should know (a business area, policy).

    Called once for each category that a department report signals as rising
    (the rule is :data:`ethical_decisions.signals.RULE`), when a department
    report is made through the command line, and by
    :func:`ethical_decisions.reports.signals`, which a scheduler can call
    monthly. The signal holds a category, a month and counts the report shows:
    no hidden count, no free text, nothing about a person. Called in the
    caller's thread, after the report is made: a plugin that raises is reported
    by name and the others are still told; nothing it does changes the report.
    Send slow work (an email, a ticket) to a queue.
    """


@hookspec
def ethical_decisions_feedback(notice: FeedbackNotice) -> None:
    """Hear that something has come of a concern a decision-maker raised, to tell them.

    The learning loop's observer: called when a route gives advice on a
    referral, when the referral is linked to a systemic issue, when a
    systemic issue linked to it changes status, and when a later outcome is
    recorded against the review's decision, once for the decision-maker who
    made the referral (``notice.staff_id``). The casework system turns it into
    a notification. The notice holds ids, codes and a time, never free text.
    Called like :func:`ethical_decisions_event_stored`: after the change is
    stored, in a worker thread, waited for at most ``EDM_PLUGIN_TIMEOUT``
    seconds; a plugin that fails is reported by name and the others are still
    told. To act once per notice, key on its referral, kind, issue and time.
    """


@hookspec(firstresult=True)
def ethical_decisions_guidance_feedback(feedback: GuidanceFeedback) -> bool | None:
    """Take feedback on the guidance itself, sent by a decision-maker from within a review.

    The model's Contacts send questions to the Chief Casework Unit and
    formatting errors to the Guidance Review, Atlas and Forms team
    (``feedback.kind``). Return ``True`` once the plugin has taken the
    feedback (queued it for that team), or ``None`` to leave it to the next
    plugin: the first answer wins (pluggy's ``firstresult``). The feedback
    carries none of the case's free text, but its ``text`` is free text: send
    it only where staff feedback may go, and never to a log. Called in the
    caller's thread; the library counts the feedback by guidance version
    whether or not a plugin took it.
    """
