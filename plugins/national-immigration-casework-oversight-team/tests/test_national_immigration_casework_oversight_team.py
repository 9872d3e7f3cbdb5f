"""The National Immigration Casework Oversight Team plugin: Border Force's route and its settings."""

from __future__ import annotations

from edm_national_immigration_casework_oversight_team import plugin

from ethical_decisions.transports import QueueTransport, WebhookTransport

PREFIX = "EDM_NATIONAL_IMMIGRATION_CASEWORK_OVERSIGHT_TEAM"


def test_route_serves_border_force_through_the_queue_by_default() -> None:
    """Unconfigured, it registers its route for Border Force, with a 10-day target, delivered to the queue."""
    route = plugin.route({})

    assert (
        route.route_id,
        route.business_area,
    ) == ("national_immigration_casework_oversight_team", "border_force")
    assert (10, QueueTransport()) == (route.policy.response_target_days, route.transport)


def test_deployment_chooses_the_target_and_a_webhook() -> None:
    """The deployment's variables set the response target and deliver by webhook to the team's system."""
    route = plugin.route(
        {
            f"{PREFIX}_RESPONSE_TARGET_DAYS": "5",
            f"{PREFIX}_WEBHOOK_URL": "https://nicot.example/referrals",
            f"{PREFIX}_WEBHOOK_SECRET": "shared",
        }
    )

    assert route.policy.response_target_days == 5
    assert WebhookTransport("https://nicot.example/referrals", "shared") == route.transport
