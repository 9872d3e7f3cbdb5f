"""Route plugins made with ``routekit``, registered in the test: the route, its settings and its guidance."""

from __future__ import annotations

import importlib.metadata

import attrs
import pytest

from ethical_decisions import (
    ConcernCategory,
    DiscretionGuidance,
    DiscretionScope,
    EscalationRequirements,
    NoRouteError,
    PluginError,
    StaffRole,
    testing,
)
from ethical_decisions.prompts import DISCRETION_PROMPTS
from ethical_decisions.routekit import (
    DEFAULT_RESPONSE_TARGET_DAYS,
    RoutePlugin,
    response_target_days,
    setting_name,
    transport_from_environment,
)
from ethical_decisions.transports import QueueTransport, WebhookTransport

from . import scenarios

OWN_PROMPT = DiscretionGuidance(DiscretionScope.INSIDE_RULES, "A route's own prompt", "What else?")


@pytest.fixture(name="plugin")
def _plugin() -> RoutePlugin:
    return RoutePlugin(
        distribution="ethical-decisions",
        route_id="test_route",
        business_area="border_force",
        name="Test Route",
        about="What the sources say about the team.",
        requirements_by_role={StaffRole.FRONTLINE_OFFICER: EscalationRequirements(discussion_held=False)},
        guidance=(OWN_PROMPT,),
    )


def test_registers_its_route_with_the_installed_version(plugin: RoutePlugin) -> None:
    """Registered in a service, the plugin's route carries its policy and its distribution's version."""
    route = testing.service(plugin).routes().get("test_route")

    assert (
        route.route_id,
        route.business_area,
        route.business_area_name,
        route.name,
    ) == ("test_route", "border_force", "Border Force", "Test Route")
    assert importlib.metadata.version("ethical-decisions") == route.version
    assert EscalationRequirements(discussion_held=False) == route.policy.requirements_for(
        StaffRole.FRONTLINE_OFFICER
    )
    assert EscalationRequirements() == route.policy.requirements_for(StaffRole.CASEWORKER)
    assert frozenset(StaffRole) == route.policy.eligible_roles
    assert route.description.startswith(
        "The escalation route for Border Force in the Ethical Decision-Making"
    )
    assert route.description.endswith("What the sources say about the team.")
    assert isinstance(route.transport, QueueTransport)


def test_uninstalled_distribution_is_reported_and_registers_nothing(plugin: RoutePlugin) -> None:
    """Without an installed distribution there is no version to record.

    The plugin's failure is reported by name, and escalating to it is refused.
    """
    orphan = attrs.evolve(plugin, distribution="ethical-decisions-not-installed")
    edm = testing.service(orphan)

    with pytest.raises(PluginError, match="pip install ethical-decisions-not-installed"):
        orphan.route()
    assert len(edm.routes()) == 0
    assert [(p.plugin, p.hook, p.error_type) for p in edm.plugins.problems()] == [
        ("RoutePlugin", "ethical_decisions_register_routes", "PluginError")
    ]
    with pytest.raises(NoRouteError):
        scenarios.escalated(edm, testing.decision_maker(business_area="border_force"))


def test_response_target_is_a_deployment_setting(plugin: RoutePlugin) -> None:
    """The target defaults to 10 days; EDM_<ID>_RESPONSE_TARGET_DAYS overrides it and marks the version."""
    default = plugin.route({}).policy
    overridden = plugin.route({"EDM_TEST_ROUTE_RESPONSE_TARGET_DAYS": "15"}).policy

    assert 10 == DEFAULT_RESPONSE_TARGET_DAYS == default.response_target_days
    assert overridden.response_target_days == 15
    assert f"{default.version}+target15" == overridden.version


@pytest.mark.parametrize("value", ["0", "-3", "ten", "1.5"])
def test_malformed_response_target_names_the_variable(value: str) -> None:
    """A target that is not a whole number of days, 1 or more, is refused, naming the variable."""
    with pytest.raises(PluginError, match="EDM_TEST_ROUTE_RESPONSE_TARGET_DAYS"):
        response_target_days("test_route", {"EDM_TEST_ROUTE_RESPONSE_TARGET_DAYS": value})


def test_webhook_chosen_when_configured() -> None:
    """With a URL and a secret set, the route delivers by webhook; with neither, through the queue."""
    env = {
        "EDM_TEST_ROUTE_WEBHOOK_URL": "https://team.example/referrals",
        "EDM_TEST_ROUTE_WEBHOOK_SECRET": "s3cret",
        "EDM_TEST_ROUTE_WEBHOOK_TIMEOUT": "2.5",
    }

    chosen = transport_from_environment("test_route", env)

    assert WebhookTransport("https://team.example/referrals", "s3cret", 2.5) == chosen
    assert QueueTransport() == transport_from_environment("test_route", {})


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"EDM_TEST_ROUTE_WEBHOOK_URL": "https://team.example/r"}, "EDM_TEST_ROUTE_WEBHOOK_SECRET"),
        ({"EDM_TEST_ROUTE_WEBHOOK_SECRET": "s3cret"}, "EDM_TEST_ROUTE_WEBHOOK_URL"),
        (
            {"EDM_TEST_ROUTE_WEBHOOK_URL": "file:///etc/passwd", "EDM_TEST_ROUTE_WEBHOOK_SECRET": "s"},
            "url: must be an http:// or https:// URL",
        ),
        (
            {
                "EDM_TEST_ROUTE_WEBHOOK_URL": "https://team.example/r",
                "EDM_TEST_ROUTE_WEBHOOK_SECRET": "s",
                "EDM_TEST_ROUTE_WEBHOOK_TIMEOUT": "soon",
            },
            "EDM_TEST_ROUTE_WEBHOOK_TIMEOUT",
        ),
    ],
)
def test_half_or_malformed_webhook_settings_are_refused(env: dict[str, str], named: str) -> None:
    """Half a webhook configuration, or a malformed one, is an error that says what to set."""
    with pytest.raises(PluginError) as caught:
        transport_from_environment("test_route", env)

    assert named in str(caught.value)


def test_setting_names_are_valid_environment_variables() -> None:
    """Route ids may hold '.', ':' and '-'; the variable names use capitals, digits and '_' only."""
    assert setting_name("hmpo-qest.v2", "WEBHOOK_URL") == "EDM_HMPO_QEST_V2_WEBHOOK_URL"


def test_guidance_for_its_own_business_area_only(plugin: RoutePlugin) -> None:
    """For a concern in its area the plugin offers its own prompts, after the model's; elsewhere nothing.

    The model's own prompts come from the library, once, in every area.
    """
    edm = testing.service(plugin)
    in_area = scenarios.open_with_concern(edm, testing.decision_maker(business_area="border_force"))
    elsewhere = scenarios.open_with_concern(edm, testing.decision_maker())

    offered = edm.discretion_guidance(in_area.review_id, "C1")

    model_prompts = DISCRETION_PROMPTS[ConcernCategory.EVIDENTIAL_BURDEN]
    assert (*model_prompts, OWN_PROMPT) == offered
    assert model_prompts == edm.discretion_guidance(elsewhere.review_id, "C1")


@pytest.mark.parametrize("category", list(ConcernCategory))
def test_shared_prompts_ask_inside_then_outside_the_rules(category: ConcernCategory) -> None:
    """Every category has a prompt on discretion inside the Rules, then outside; each asks, never tells."""
    prompts = DISCRETION_PROMPTS[category]

    assert [p.scope for p in prompts] == [DiscretionScope.INSIDE_RULES, DiscretionScope.OUTSIDE_RULES]
    assert all("?" in p.text and p.reference for p in prompts)
