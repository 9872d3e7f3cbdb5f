"""The four route plugins as installed (``pip install -e plugins/<each>``), found through their entry points.

Each one's referral is walked end to end: escalated, delivered by the relay (through
the queue, and by webhook through an outage), acknowledged and answered by the
route's team, and the decision finalised.
"""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import os

import attrs
import pytest

from ethical_decisions import (
    ConcernCategory,
    DecisionMaker,
    EthicalDecisions,
    FinalDecision,
    NoRouteError,
    NotPermittedError,
    OutcomeClass,
    PluginInfo,
    ReferralStatus,
    StaffRole,
    StepError,
    make_plugins,
    testing,
)
from ethical_decisions.prompts import DISCRETION_PROMPTS
from ethical_decisions.relay import Relay, RelayReport
from ethical_decisions.routekit import RoutePlugin

from . import scenarios
from .conftest import NOW, WEBHOOK_SECRET
from .webhook import Receiver, WebhookServer

ROUTES = {
    "chief_caseworker_unit": ("ethical-decisions-chief-caseworker-unit", "customer_services_group"),
    "safety_valve_mechanism": ("ethical-decisions-safety-valve-mechanism", "immigration_enforcement"),
    "quality_examination_support_team": (
        "ethical-decisions-quality-examination-support-team",
        "hm_passport_office",
    ),
    "national_immigration_casework_oversight_team": (
        "ethical-decisions-national-immigration-casework-oversight-team",
        "border_force",
    ),
}
DEFAULT_RULES = [r for r in ROUTES if r != "safety_valve_mechanism"]


@pytest.fixture(name="deployment", autouse=True)
def _deployment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No deployment settings but those a test makes, and every route plugin installed."""
    for name in os.environ:
        if name.startswith("EDM_"):
            monkeypatch.delenv(name)
    installed = {ep.name for ep in importlib.metadata.entry_points(group="ethical_decisions")}
    missing = ", ".join(sorted(set(ROUTES) - installed))
    assert not missing, f"install the route plugins first: pip install -e plugins/<each> (missing: {missing})"


@pytest.fixture(name="service")
def _service() -> EthicalDecisions:
    return testing.service(installed=True)


@pytest.fixture(name="relay_clock")
def _relay_clock() -> testing.FakeClock:
    return testing.FakeClock(NOW + dt.timedelta(days=1), step=dt.timedelta(0))


def _version(route_id: str) -> str:
    return importlib.metadata.version(ROUTES[route_id][0])


def _decision_maker(route_id: str, role: StaffRole = StaffRole.CASEWORKER) -> DecisionMaker:
    return testing.decision_maker(role=role, business_area=ROUTES[route_id][1])


@pytest.mark.parametrize("route_id", list(ROUTES))
def test_the_models_prompts_are_offered_once_then_the_routes_own(route_id: str) -> None:
    """In each route's area the model's own prompts come once, from the library, then the route's own.

    An area with no route plugin is offered the model's prompts all the same.
    """
    plugins = make_plugins(blocked=())
    plugin: RoutePlugin = plugins.manager.get_plugin(route_id)
    business_area = ROUTES[route_id][1]

    for category in ConcernCategory:
        offered = plugins.discretion_guidance(business_area, category)
        elsewhere = plugins.discretion_guidance("an_area_without_a_route", category)

        assert (*DISCRETION_PROMPTS[category], *plugin.guidance) == offered
        assert DISCRETION_PROMPTS[category] == elsewhere


def test_routes_listed_with_their_distribution_versions() -> None:
    """The plugin list shows each route plugin with its distribution and version; each registers its route."""
    plugins = make_plugins(blocked=())

    for route_id, (distribution, business_area) in ROUTES.items():
        assert PluginInfo(route_id, distribution, _version(route_id)) in plugins.info()
        route = plugins.routes().get(route_id)
        assert (business_area, _version(route_id), "queue", 10) == (
            route.business_area,
            route.version,
            route.transport.name,
            route.policy.response_target_days,
        )
    assert list(plugins.problems()) == []


@pytest.mark.parametrize("route_id", list(ROUTES))
def test_referral_walked_end_to_end_through_the_queue(
    route_id: str, service: EthicalDecisions, relay_clock: testing.FakeClock
) -> None:
    """A case escalates to its route, is delivered and answered; the decision-maker responds and decides."""
    dm = _decision_maker(route_id)
    team = testing.route_team_member(route_id)
    referral = scenarios.escalated(service, dm).referrals[0]

    delivered = Relay(service, clock=relay_clock).run_once()
    queue = [r.referral_id for r in service.referrals(route_id)]
    service.acknowledge_referral(referral.referral_id, by=team)
    service.give_advice(referral.referral_id, by=team, advice=scenarios.ADVICE)
    scenarios.respond(service, referral.referral_id, dm)
    review = service.finalise(
        referral.review_id,
        by=dm,
        decision=FinalDecision(outcome="grant", summary="Grant.", rationale="The records were found."),
    )

    assert (route_id, _version(route_id)) == (referral.route_id, referral.route.version)
    assert RelayReport(delivered=1) == delivered
    assert [referral.referral_id] == queue
    assert review.outcome_class == OutcomeClass.RESOLVED_AFTER_ESCALATION
    assert review.referrals[0].status == ReferralStatus.CLOSED
    assert review.referrals[0].advice == scenarios.ADVICE
    assert service.referrals(route_id) == []


@pytest.mark.parametrize("route_id", list(ROUTES))
def test_referral_delivered_by_webhook_through_an_outage(
    route_id: str,
    monkeypatch: pytest.MonkeyPatch,
    webhook: WebhookServer,
    receiver: Receiver,
    relay_clock: testing.FakeClock,
) -> None:
    """With the route's webhook configured, killing the receiver mid-run loses nothing: delivered later."""
    prefix = f"EDM_{route_id.upper()}_WEBHOOK"
    monkeypatch.setenv(f"{prefix}_URL", webhook.url)
    monkeypatch.setenv(f"{prefix}_SECRET", WEBHOOK_SECRET.decode())
    service = testing.service(installed=True)
    referral = scenarios.escalated(service, _decision_maker(route_id)).referrals[0]
    relay = Relay(service, clock=relay_clock)

    webhook.stop()
    during_outage = relay.run_once()
    webhook.start()
    relay_clock.advance(dt.timedelta(minutes=1))
    after_outage = relay.run_once()

    assert service.routes().get(route_id).transport.name == "webhook"
    assert (RelayReport(retrying=1), RelayReport(delivered=1)) == (during_outage, after_outage)
    assert [referral.referral_id] == list(receiver.accepted)
    body = receiver.accepted[referral.referral_id]
    assert (route_id, _version(route_id), scenarios.QUESTION) == (
        body["route_id"],
        body["route_version"],
        body["question"],
    )
    assert all(r.signature_ok for r in receiver.requests)


def test_frontline_officer_refers_to_the_safety_valve_mechanism_without_discussion(
    service: EthicalDecisions,
) -> None:
    """A frontline Immigration Enforcement officer escalates once discretion is considered, undiscussed."""
    officer = _decision_maker("safety_valve_mechanism", StaffRole.FRONTLINE_OFFICER)

    review = scenarios.escalated(service, officer, discuss=False)

    assert [(r.route_id, r.referred_by.role) for r in review.referrals] == [
        ("safety_valve_mechanism", StaffRole.FRONTLINE_OFFICER)
    ]


@pytest.mark.parametrize(
    ("route_id", "role"),
    [("safety_valve_mechanism", StaffRole.CASEWORKER)]
    + [
        (route_id, role)
        for route_id in DEFAULT_RULES
        for role in (StaffRole.CASEWORKER, StaffRole.FRONTLINE_OFFICER)
    ],
)
def test_escalation_without_discussion_is_refused(
    route_id: str, role: StaffRole, service: EthicalDecisions
) -> None:
    """Everyone else, and every role at the other routes, must discuss the case first; nothing is recorded."""
    dm = _decision_maker(route_id, role)
    review = scenarios.open_with_concern(service, dm)
    prepared = scenarios.prepare(service, review.review_id, dm, discuss=False)

    with pytest.raises(StepError, match="discussed"):
        service.escalate(review.review_id, by=dm, concern_ids=["C1"], question=scenarios.QUESTION)
    assert prepared.version == service.review(review.review_id).version


def test_route_rules_stay_frozen_for_a_review_when_the_plugin_is_upgraded(service: EthicalDecisions) -> None:
    """A review keeps the rules of the version it first escalated under; a new review gets the new ones."""
    import edm_safety_valve_mechanism

    officer = _decision_maker("safety_valve_mechanism", StaffRole.FRONTLINE_OFFICER)
    first = scenarios.escalated(service, officer, discuss=False)
    service.withdraw_referral(first.referrals[0].referral_id, by=officer, reason="Asked too early.")
    upgraded = attrs.evolve(edm_safety_valve_mechanism.plugin, version="9.0.0", requirements_by_role={})
    after_upgrade = EthicalDecisions(
        service.store, plugins=testing.plugins(upgraded), clock=testing.FakeClock()
    )

    again = after_upgrade.escalate(first.review_id, by=officer, concern_ids=["C1"], question="Again, please.")
    fresh = scenarios.open_with_concern(after_upgrade, officer)
    scenarios.prepare(after_upgrade, fresh.review_id, officer, discuss=False)

    assert after_upgrade.routes().get("safety_valve_mechanism").version == "9.0.0"
    assert [_version("safety_valve_mechanism")] * 2 == [r.route.version for r in again.referrals]
    with pytest.raises(StepError, match="discussed"):
        after_upgrade.escalate(fresh.review_id, by=officer, concern_ids=["C1"], question="Please advise.")


def test_only_the_routes_own_team_acts_on_its_referrals(service: EthicalDecisions) -> None:
    """A member of another route's team cannot acknowledge a referral; the route's own team can."""
    referral_id = (
        scenarios.escalated(service, _decision_maker("chief_caseworker_unit")).referrals[0].referral_id
    )

    with pytest.raises(NotPermittedError, match="safety_valve_mechanism"):
        service.acknowledge_referral(referral_id, by=testing.route_team_member("safety_valve_mechanism"))
    review = service.acknowledge_referral(referral_id, by=testing.route_team_member("chief_caseworker_unit"))

    assert review.referrals[0].status == ReferralStatus.ACKNOWLEDGED


def test_business_area_without_a_route_is_told_what_is_installed(service: EthicalDecisions) -> None:
    """Escalating in an area with no route names the installed routes and how to install one.

    Nothing is recorded and nothing is queued for delivery.
    """
    dm = testing.decision_maker(business_area="an_area_without_a_route")
    review = scenarios.open_with_concern(service, dm)
    prepared = scenarios.prepare(service, review.review_id, dm)

    with pytest.raises(NoRouteError) as caught:
        service.escalate(review.review_id, by=dm, concern_ids=["C1"], question=scenarios.QUESTION)

    assert set(ROUTES) <= set(caught.value.installed)
    assert all(route_id in str(caught.value) for route_id in ROUTES)
    assert "pip install" in str(caught.value)
    assert prepared.version == service.review(review.review_id).version
    assert service.store.outbox() == []


def test_blocking_an_installed_plugin_removes_its_route(monkeypatch: pytest.MonkeyPatch) -> None:
    """``EDM_BLOCKED_PLUGINS`` keeps an installed route plugin from loading; the others still do."""
    monkeypatch.setenv("EDM_BLOCKED_PLUGINS", "safety_valve_mechanism")

    routes = make_plugins().routes()

    assert set(ROUTES) - {"safety_valve_mechanism"} == {r.route_id for r in routes if r.route_id in ROUTES}
