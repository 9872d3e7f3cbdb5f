"""The register of systemic issues in every store: its events chained, its rows verified and rebuilt."""

from __future__ import annotations

import datetime as dt

from tests.conftest import RoutesPlugin
from tests.scenarios import escalated
from tests.store.conftest import Backend

from ethical_decisions import EthicalDecisions, RouteTeamMember, testing
from ethical_decisions.model import PolicyTeamMember, RecordsOfficer, SystemicIssueStatus

ROUTE = "ccu_test"
MEMBER = RouteTeamMember("ccu-0001", ROUTE)
POLICY = PolicyTeamMember("pol-0001", "settlement_policy")
DUE = dt.date(2026, 3, 1)


def _service(backend: Backend) -> EthicalDecisions:
    route = testing.route(ROUTE, business_area="customer_services_group")
    return testing.service(RoutesPlugin(route), store=backend.open(), clock=testing.FakeClock())


def _issue(edm: EthicalDecisions) -> str:
    referral = escalated(edm, testing.decision_maker()).referrals[0].referral_id
    issue = edm.open_systemic_issue(
        referral,
        by=MEMBER,
        title="Residence evidence the department holds",
        description="Applicants are asked for records we hold ourselves.",
        rule="Appendix Settlement 4.2",
        owner="settlement_policy",
        due_on=DUE,
        issue_id="si-0001",
    )
    return issue.issue_id


def test_an_issue_is_kept_in_the_chain_and_verifies(backend: Backend) -> None:
    """Opening, linking and updating an issue chains its events with the reviews' and verify passes."""
    edm = _service(backend)
    issue_id = _issue(edm)
    second = escalated(edm, testing.decision_maker("dm-0002")).referrals[0].referral_id
    edm.link_systemic_issue(issue_id, second, by=MEMBER)
    edm.update_systemic_issue(issue_id, by=POLICY, status=SystemicIssueStatus.ACCEPTED)
    edm.update_systemic_issue(issue_id, by=POLICY, status="change_made")

    [row] = edm.systemic_issues()
    report = edm.verify()

    assert row.status is SystemicIssueStatus.CHANGE_MADE
    assert len(row.referral_ids) == 2
    assert row.route_id == ROUTE
    assert report.ok, str(report)
    assert report.checked["systemic_issues"] == 1
    assert edm.systemic_issue(issue_id).title.startswith("Residence")


def test_erasing_an_issue_leaves_a_chain_that_verifies(backend: Backend) -> None:
    """A records officer erases an issue's words; the chain still verifies and the title reads as erased."""
    edm = _service(backend)
    issue_id = _issue(edm)

    issue = edm.erase_systemic_issue_text(issue_id, by=RecordsOfficer("ro-0001"))

    assert issue.title == "[erased]"
    assert edm.verify().ok


def test_a_changed_issue_row_is_found_and_rebuilt(sql_backend: Backend) -> None:
    """Verify names the systemic_issues row changed outside the library, and rebuild puts it right."""
    edm = _service(sql_backend)
    issue_id = _issue(edm)
    sql_backend.sql("UPDATE systemic_issues SET status = 'closed' WHERE issue_id = ?", (issue_id,))

    found = edm.verify()
    edm.store.rebuild()

    assert [(d.table, d.column) for d in found.differences] == [("systemic_issues", "status")]
    assert edm.verify().ok
    assert edm.systemic_issues()[0].status is SystemicIssueStatus.OPEN


def test_a_deleted_issue_row_is_found_and_rebuilt(sql_backend: Backend) -> None:
    """A systemic issue row deleted outside the library is missing to verify, and rebuilt."""
    edm = _service(sql_backend)
    _issue(edm)
    sql_backend.sql("DELETE FROM systemic_issues")

    found = edm.verify()
    edm.store.rebuild()

    assert found.difference_count == 1
    assert edm.verify().ok
