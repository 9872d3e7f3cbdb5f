"""Who sent a request: the deployment's authentication plugin, or the development sign-in.

:class:`Authenticator` asks the :func:`~ethical_decisions.web.hookspecs.ethical_decisions_web_actor`
hook first. Only when no plugin implements it, and the app was made with the
development sign-in on, does it read the signed ``edm_dev_actor`` cookie that
the sign-in page sets; and even then only for a request that reached the
server straight from a loopback address (no ``Forwarded`` or
``X-Forwarded-For`` header, which a proxy in front would add).
"""

from __future__ import annotations

import importlib.metadata
import ipaddress
import json
from collections.abc import Iterable

import pluggy
import structlog

from ethical_decisions.exceptions import EthicalDecisionsError, ValidationError
from ethical_decisions.model import DecisionMaker, PolicyTeamMember, RecordsOfficer, RouteTeamMember
from ethical_decisions.plugins import Plugins
from ethical_decisions.serialization import parse, unparse

from . import hookspecs
from .bodies import DevSignIn
from .hookspecs import RequestInfo, WebActor
from .security import Signer

__all__ = [
    "DEV_COOKIE",
    "AuthPluginError",
    "Authenticator",
    "actor_from_sign_in",
    "is_loopback",
    "web_manager",
]

_ACTORS = (DecisionMaker, RouteTeamMember, RecordsOfficer, PolicyTeamMember)

DEV_COOKIE = "edm_dev_actor"
"""The development sign-in's cookie: who to be, signed by the server."""

_log = structlog.get_logger("ethical_decisions.web")


class AuthPluginError(EthicalDecisionsError):
    """The authentication plugin raised or returned something that is not an actor (answered with 500)."""


def is_loopback(host: str | None) -> bool:
    """Whether *host* is a loopback address (127.0.0.0/8, ::1) or ``localhost``."""
    if host is None:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def web_manager(
    plugins: Plugins, extra: Iterable[object] = (), *, entry_points: bool = True
) -> pluggy.PluginManager:
    """The library's plugin manager with the web hook added, and the authentication plugins registered.

    Adds :mod:`ethical_decisions.web.hookspecs` with ``pm.add_hookspecs``,
    registers *extra*, loads the ``ethical_decisions.web`` entry points (one
    that fails to load is logged by name and left out), then ``check_pending()``.
    """
    manager = plugins.manager
    caller = getattr(manager.hook, "ethical_decisions_web_actor", None)
    if caller is None or not caller.has_spec():
        manager.add_hookspecs(hookspecs)
    for plugin in extra:
        if not manager.is_registered(plugin):
            manager.register(plugin)
    if entry_points:
        for entry_point in importlib.metadata.entry_points(group=hookspecs.ENTRY_POINT_GROUP):
            if manager.has_plugin(entry_point.name) or manager.is_blocked(entry_point.name):
                continue
            try:
                manager.register(entry_point.load(), name=entry_point.name)
            except Exception as exc:  # one broken plugin must not stop the service starting
                _log.error(
                    "ethical_decisions.web.plugin_load_failed",
                    plugin=entry_point.name,
                    error_type=type(exc).__name__,
                )
    manager.check_pending()
    return manager


def actor_from_sign_in(sign_in: DevSignIn) -> WebActor:
    """The actor a development sign-in names.

    :raises ValidationError: if a field the kind of actor needs is missing.
    """
    if sign_in.kind == "decision_maker":
        missing = [n for n in ("role", "business_area", "team") if getattr(sign_in, n) is None]
        if missing:
            raise ValidationError("The sign-in", [f"{n}: required for a decision-maker" for n in missing])
        assert sign_in.role is not None
        assert sign_in.business_area is not None
        assert sign_in.team is not None
        return DecisionMaker(sign_in.staff_id, sign_in.role, sign_in.business_area, sign_in.team)
    if sign_in.kind == "route_team_member":
        if sign_in.route_id is None:
            raise ValidationError("The sign-in", ["route_id: required for a route team member"])
        return RouteTeamMember(sign_in.staff_id, sign_in.route_id)
    if sign_in.kind == "records_officer":
        return RecordsOfficer(sign_in.staff_id)
    if sign_in.kind == "policy_team_member":
        if sign_in.policy_team is None:
            raise ValidationError("The sign-in", ["policy_team: required for a member of a policy team"])
        return PolicyTeamMember(sign_in.staff_id, sign_in.policy_team)
    raise ValidationError(
        "The sign-in",
        ["kind: must be one of decision_maker, route_team_member, records_officer, policy_team_member"],
    )


class Authenticator:
    """Finds the actor for each request.

    :param manager: the plugin manager with the web hook (see :func:`web_manager`).
    :param signer: signs and checks the development sign-in cookie.
    :param dev_sign_in: allow the development sign-in (the caller has checked the address is loopback).
    """

    def __init__(self, manager: pluggy.PluginManager, signer: Signer, *, dev_sign_in: bool) -> None:
        self._manager = manager
        self._signer = signer
        self._dev_sign_in = dev_sign_in

    @property
    def has_plugin(self) -> bool:
        """Whether an authentication plugin implements the web hook."""
        return bool(self._manager.hook.ethical_decisions_web_actor.get_hookimpls())

    def dev_sign_in_allowed(self, info: RequestInfo) -> bool:
        """Whether *info*'s request may use the development sign-in."""
        proxied = "forwarded" in info.headers or "x-forwarded-for" in info.headers
        return self._dev_sign_in and not self.has_plugin and not proxied and is_loopback(info.client_host)

    def actor(self, info: RequestInfo) -> WebActor | None:
        """Who sent the request, or ``None`` if no one is signed in.

        :raises AuthPluginError: if the plugin raised or answered with something that is not an actor.
        """
        if self.has_plugin:
            try:
                found = self._manager.hook.ethical_decisions_web_actor(request=info)
            except Exception as exc:
                _log.error("ethical_decisions.web.auth_failed", error_type=type(exc).__name__)
                raise AuthPluginError("The authentication plugin failed; the request was refused.") from None
            if found is None or isinstance(
                found, DecisionMaker | RouteTeamMember | RecordsOfficer | PolicyTeamMember
            ):
                return found
            _log.error("ethical_decisions.web.auth_failed", error_type="InvalidReturn")
            raise AuthPluginError("The authentication plugin returned something that is not an actor.")
        if not self.dev_sign_in_allowed(info):
            return None
        value = self._signer.unsign("actor", info.cookies.get(DEV_COOKIE))
        if value is None:
            return None
        try:
            return actor_from_sign_in(parse(DevSignIn, json.loads(value)))
        except (ValueError, EthicalDecisionsError):
            return None

    def dev_cookie(self, sign_in: DevSignIn) -> str:
        """The signed cookie value for a development sign-in."""
        return self._signer.sign("actor", json.dumps(unparse(sign_in)).encode())
