"""The web service's hook: who is signed in.

Authentication belongs to the deployment. A plugin implements
:func:`ethical_decisions_web_actor` and is registered under the
``ethical_decisions.web`` entry-point group (or passed to
:func:`ethical_decisions.web.create_app`); the web app adds this specification
to the library's plugin manager with ``pm.add_hookspecs`` and asks the hook on
every request. The first plugin to answer wins (``firstresult``). What the
actor may then do is the permission policy's business, not this hook's::

    from ethical_decisions import DecisionMaker, StaffRole, hookimpl

    class TrustedProxy:
        @hookimpl
        def ethical_decisions_web_actor(self, request):
            staff_id = request.headers.get("x-staff-id")  # set by the proxy, stripped from clients
            if staff_id is None:
                return None
            return DecisionMaker(staff_id, StaffRole.CASEWORKER, "border_force", "Heathrow")
"""

from __future__ import annotations

from collections.abc import Mapping

import attrs

from ethical_decisions.hookspecs import hookspec
from ethical_decisions.model import DecisionMaker, PolicyTeamMember, RecordsOfficer, RouteTeamMember

__all__ = ["ENTRY_POINT_GROUP", "RequestInfo", "WebActor", "ethical_decisions_web_actor"]

ENTRY_POINT_GROUP = "ethical_decisions.web"
"""The entry-point group the web app loads authentication plugins from."""

WebActor = DecisionMaker | RouteTeamMember | RecordsOfficer | PolicyTeamMember
"""Who can be signed in: a decision-maker, a member of a route's team, a records officer, or a member of a
policy team (who moves on the systemic issues the team owns)."""


@attrs.frozen
class RequestInfo:
    """What a request says about who sent it, for :func:`ethical_decisions_web_actor`.

    :param method: the HTTP method.
    :param path: the path asked for (no query string).
    :param headers: the request's headers, names in lower case (the last of repeated ones).
    :param cookies: the request's cookies.
    :param client_host: the address of the connection's other end (a proxy's, behind one).
    :param scheme: ``http`` or ``https``.
    """

    method: str
    path: str
    headers: Mapping[str, str]
    cookies: Mapping[str, str]
    client_host: str | None
    scheme: str


@hookspec(firstresult=True)
def ethical_decisions_web_actor(request: RequestInfo) -> WebActor | None:
    """Return who sent *request*, or ``None`` if this plugin cannot tell.

    Read a header set by a trusted proxy (and removed from clients' requests),
    a session cookie, or a bearer token, and return a
    :class:`~ethical_decisions.DecisionMaker`,
    :class:`~ethical_decisions.RouteTeamMember`,
    :class:`~ethical_decisions.RecordsOfficer` or
    :class:`~ethical_decisions.model.PolicyTeamMember`. The first plugin that returns
    an actor wins. A plugin that raises, or returns anything else, fails the
    request with 500 and is logged by name: the service never guesses who
    someone is. When no plugin answers, the request is not signed in (the
    development sign-in aside, which works only on a loopback address and only
    when no plugin implements this hook).
    """
