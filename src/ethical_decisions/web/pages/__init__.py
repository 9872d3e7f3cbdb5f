"""The pages, in the GOV.UK Design System's patterns: a decision-maker's review, a route's queue, the reports.

Every page works without JavaScript; forms are CSRF-protected; each page
offers only what the review allows now, and a refused step shows the
library's message.
"""

from __future__ import annotations

from starlette.routing import BaseRoute

from . import advice, assessments, decision, feedback, handover, issues, referrals, review, service

__all__ = ["routes"]


def routes() -> list[BaseRoute]:
    """Every page's route."""
    return [
        route
        for module in (review, decision, advice, handover, referrals, issues, assessments, feedback, service)
        for route in module.PAGES.routes()
    ]
