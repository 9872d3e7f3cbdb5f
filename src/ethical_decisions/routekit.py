"""What every route plugin shares: a plugin made from a few facts, and its deployment settings.

A business area's route plugin is one :class:`RoutePlugin`, named by its
distribution's entry point::

    plugin = RoutePlugin(
        distribution="ethical-decisions-my-route",
        route_id="my_route",
        business_area="border_force",
        name="My Route",
    )

    # pyproject.toml
    [project.entry-points.ethical_decisions]
    my_route = "my_package:plugin"

It registers one :class:`~ethical_decisions.Route`, whose version is the
distribution's installed version, and offers its own guidance, if it has any,
for concerns in its business area. The model's own prompts
(:data:`~ethical_decisions.prompts.DISCRETION_PROMPTS`) are not a route's to
offer: the library offers them once, for every business area, before any
plugin's.

Deployment settings, read from the environment when the routes are first
needed (``<ID>`` is the route id in capitals, e.g. ``SAFETY_VALVE_MECHANISM``):

``EDM_<ID>_RESPONSE_TARGET_DAYS``
    calendar days to give advice in; by default
    :data:`DEFAULT_RESPONSE_TARGET_DAYS`. The guidance sets no target: this is
    the deployment's choice.
``EDM_<ID>_WEBHOOK_URL`` and ``EDM_<ID>_WEBHOOK_SECRET``
    deliver referrals by :class:`~ethical_decisions.transports.WebhookTransport`;
    unset, they wait in the store's queue. Setting only one is an error.
``EDM_<ID>_WEBHOOK_TIMEOUT``
    seconds to wait for the webhook; by default 10.
"""

from __future__ import annotations

import importlib.metadata
import os
import re
from collections.abc import Mapping, Sequence

import attrs

from .exceptions import PluginError, ValidationError
from .guidance import GUIDANCE
from .hookspecs import hookimpl
from .model import KNOWN_BUSINESS_AREAS, ConcernCategory, EscalationRequirements, RoutePolicy, StaffRole
from .routes import DiscretionGuidance, Route, RouteRegistrar
from .transports import QueueTransport, Transport, WebhookTransport

__all__ = [
    "DEFAULT_RESPONSE_TARGET_DAYS",
    "DEFAULT_WEBHOOK_TIMEOUT",
    "RoutePlugin",
    "response_target_days",
    "setting_name",
    "transport_from_environment",
]

DEFAULT_RESPONSE_TARGET_DAYS = 10
"""A route's response target when the deployment sets none. Not from the guidance, which sets none."""

DEFAULT_WEBHOOK_TIMEOUT = 10.0
"""Seconds to wait for a route's webhook when the deployment sets no timeout."""

_NOT_NAME = re.compile(r"[^A-Z0-9]+")


def setting_name(route_id: str, setting: str) -> str:
    """The environment variable of a route's *setting*, e.g. ``EDM_SAFETY_VALVE_MECHANISM_WEBHOOK_URL``."""
    return f"EDM_{_NOT_NAME.sub('_', route_id.upper())}_{setting}"


def _environment(environ: Mapping[str, str] | None) -> Mapping[str, str]:
    return os.environ if environ is None else environ


def response_target_days(route_id: str, environ: Mapping[str, str] | None = None) -> int:
    """The route's response target in calendar days: ``EDM_<ID>_RESPONSE_TARGET_DAYS``, or the default.

    :raises PluginError: if the variable is set to something other than a whole number of days, 1 or more.
    """
    variable = setting_name(route_id, "RESPONSE_TARGET_DAYS")
    raw = _environment(environ).get(variable, "").strip()
    if not raw:
        return DEFAULT_RESPONSE_TARGET_DAYS
    if not raw.isdigit() or int(raw) < 1:
        raise PluginError(route_id, f"{variable} must be a whole number of calendar days, 1 or more")
    return int(raw)


def transport_from_environment(route_id: str, environ: Mapping[str, str] | None = None) -> Transport:
    """The route's transport: a webhook if ``EDM_<ID>_WEBHOOK_URL`` is set, else the store's queue.

    :raises PluginError: if the URL is set without ``EDM_<ID>_WEBHOOK_SECRET`` (or the secret without
        the URL), or a setting is malformed; the message names the variable to fix.
    """
    env = _environment(environ)
    url_variable, secret_variable, timeout_variable = (
        setting_name(route_id, s) for s in ("WEBHOOK_URL", "WEBHOOK_SECRET", "WEBHOOK_TIMEOUT")
    )
    url, secret = env.get(url_variable, "").strip(), env.get(secret_variable, "")
    if not url and not secret:
        return QueueTransport()
    if not url or not secret:
        raise PluginError(
            route_id,
            f"set both {url_variable} and {secret_variable} to deliver by webhook, "
            "or neither to use the store's queue",
        )
    raw_timeout = env.get(timeout_variable, "").strip()
    try:
        timeout = float(raw_timeout) if raw_timeout else DEFAULT_WEBHOOK_TIMEOUT
        return WebhookTransport(url, secret, timeout)
    except (ValueError, ValidationError) as exc:
        problems = "; ".join(exc.problems) if isinstance(exc, ValidationError) else "timeout: not a number"
        raise PluginError(
            route_id, f"the webhook settings {url_variable} and {timeout_variable} are not valid: {problems}"
        ) from None


@attrs.frozen(eq=False)
class RoutePlugin:
    """A route plugin made from data: the route it registers and the guidance it offers.

    :param distribution: the plugin's distribution; its installed version is the route's version.
    :param route_id: e.g. ``"safety_valve_mechanism"``.
    :param business_area: the id of the business area the route serves.
    :param name: the route's name, e.g. ``"Safety Valve Mechanism"``.
    :param about: what the sources say about the route's team, added to the standard description.
    :param business_area_name: by default the name in :data:`~ethical_decisions.KNOWN_BUSINESS_AREAS`.
    :param eligible_roles: who may refer; by default everyone.
    :param requirements_by_role: exceptions to the default requirements (discretion considered and a
        discussion held) for particular roles.
    :param guidance: the route's own prompts, offered for every concern category in its business area
        (after the model's own prompts, which the library offers).
    :param version: the route's version; by default the distribution's installed version (set it only
        in tests).
    :param reconsiders: for a second tier (a senior panel, say), the id of the route whose advice it
        reconsiders: a decision-maker escalates a concern here only after that route has advised on it.
        The guidance names no second tier; a business area that has one declares it here.
    """

    distribution: str
    route_id: str
    business_area: str
    name: str
    about: str = ""
    business_area_name: str | None = None
    eligible_roles: frozenset[StaffRole] = frozenset(StaffRole)
    requirements_by_role: Mapping[StaffRole, EscalationRequirements] = attrs.field(factory=dict)
    guidance: Sequence[DiscretionGuidance] = ()
    version: str | None = None
    reconsiders: str | None = None

    def route(self, environ: Mapping[str, str] | None = None) -> Route:
        """The route, with the deployment's settings from *environ* (by default the process environment).

        :raises PluginError: if the distribution is not installed or a setting is malformed.
        """
        area_name = self.business_area_name or KNOWN_BUSINESS_AREAS.get(
            self.business_area, self.business_area
        )
        target = response_target_days(self.route_id, environ)
        version = self.version or self._installed_version()
        if target != DEFAULT_RESPONSE_TARGET_DAYS:
            # A deployment's own target changes the rules, so it changes the version referrals record.
            version = f"{version}+target{target}"
        policy = RoutePolicy(
            route_id=self.route_id,
            version=version,
            business_area=self.business_area,
            eligible_roles=self.eligible_roles,
            requirements_by_role=self.requirements_by_role,
            response_target_days=target,
            reconsiders=self.reconsiders,
        )
        if self.reconsiders is None:
            description = (
                f"The escalation route for {area_name} in the Ethical Decision-Making Model "
                f"(version {GUIDANCE.version}). If the issue remains unresolved within your business area, "
                "you can escalate the issue to an independent team who will provide advice on how to "
                f"resolve the issue. {self.about}"
            )
        else:
            description = (
                f"A second tier for {area_name}: it reconsiders the advice of route {self.reconsiders} on a "
                "concern the decision-maker still could not resolve after that advice, and escalated "
                f"again. {self.about}"
            )
        return Route(
            policy=policy,
            name=self.name,
            business_area_name=area_name,
            description=description.strip(),
            transport=transport_from_environment(self.route_id, environ),
        )

    def discretion_guidance(self, category: ConcernCategory) -> tuple[DiscretionGuidance, ...]:
        """The route's own prompts for a concern of *category*: the same for every category."""
        return tuple(self.guidance)

    def _installed_version(self) -> str:
        try:
            return importlib.metadata.version(self.distribution)
        except importlib.metadata.PackageNotFoundError:
            raise PluginError(
                self.route_id,
                f"its distribution {self.distribution!r} is not installed, so the route has no version "
                f"to record on referrals; install it (pip install {self.distribution})",
            ) from None

    @hookimpl
    def ethical_decisions_register_routes(self, register: RouteRegistrar) -> None:
        """Register the route."""
        register(self.route())

    @hookimpl
    def ethical_decisions_discretion_guidance(
        self, business_area: str, category: ConcernCategory
    ) -> Sequence[DiscretionGuidance] | None:
        """The route's own prompts, for concerns in its business area only; ``None`` if it has none."""
        if business_area != self.business_area or not self.guidance:
            return None
        return self.discretion_guidance(category)
