"""The Safety Valve Mechanism plugin: open to frontline officers, who need no prior discussion."""

from __future__ import annotations

from edm_safety_valve_mechanism import plugin

from ethical_decisions import EscalationRequirements, StaffRole


def test_frontline_officers_need_discretion_but_no_discussion() -> None:
    """A frontline officer's referral needs discretion considered only; every other role the default."""
    policy = plugin.route({}).policy

    assert EscalationRequirements(
        discretion_considered=True, discussion_held=False
    ) == policy.requirements_for(StaffRole.FRONTLINE_OFFICER)
    assert {EscalationRequirements()} == {
        policy.requirements_for(role) for role in StaffRole if role is not StaffRole.FRONTLINE_OFFICER
    }
    assert frozenset(StaffRole) == policy.eligible_roles


def test_described_as_open_to_all_immigration_enforcement_areas() -> None:
    """Its description and its own prompt come from what the sources say about the mechanism."""
    route = plugin.route({})

    assert "accessible to all Immigration Enforcement areas, not just caseworkers" in route.description
    assert [g.title for g in plugin.guidance] == ["See the person, not just the case"]
