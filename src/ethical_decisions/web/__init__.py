"""The web service: GOV.UK-style pages and a JSON API over the same service, store and plugins.

An optional extra (``pip install 'ethical-decisions[web]'``), started with
``ethical-decisions serve``. :func:`create_app` makes the ASGI application;
authentication belongs to the deployment, through the
:func:`~ethical_decisions.web.hookspecs.ethical_decisions_web_actor` hook.
See the web page of the docs.
"""

from __future__ import annotations

from .app import create_app
from .hookspecs import RequestInfo, WebActor

__all__ = ["RequestInfo", "WebActor", "create_app"]
