"""The pages in a real browser: a review walked end to end by two people, every page checked by axe-core.

Debian's Chromium (``/usr/bin/chromium``) is driven by Playwright through its
executable path; no browser is downloaded. Without it these tests are skipped
with the reason, unless ``EDM_REQUIRE_BROWSER=1`` (set by CI) makes that a
failure. The server is uvicorn on a loopback port, in this process, so its
logs are captured: they must hold none of the free text typed.

Every page visited is checked with axe-core (the copy in this folder, from
npm) for WCAG 2.2 AA, must log no console error (a Content Security Policy
violation is one), and is saved as a screenshot in ``EDM_SCREENSHOTS`` when
that is set.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import structlog

from ethical_decisions import (
    CaseReference,
    Concern,
    ConcernCategory,
    ConsultedRole,
    DiscretionResult,
    DiscretionScope,
    DiscussionResult,
    EthicalDecisions,
    MemoryStore,
    ProposedDecision,
    make_plugins,
    testing,
)
from ethical_decisions.policy import People

from .conftest import AREA, ROUTE_ID, RoutesPlugin
from .live import Records, Server

CHROMIUM = "/usr/bin/chromium"
AXE = Path(__file__).with_name("axe.min.js")
WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
LAUNCH_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

TYPED = {
    "reference": "CSG-FT-REF-4471",
    "summary": "FT-SUMMARY refuse: no evidence of residence since 1973",
    "statement": "FT-STATEMENT we hold records that may show her residence",
    "guidance": "FT-GUIDANCE evidential flexibility",
    "reason": "FT-REASON the guidance does not reach our own records",
    "consulted": "FT-CONSULTED Priya",
    "advice": "FT-ADVICE escalate this to the unit",
    "question": "FT-QUESTION may we rely on our own HMRC records",
    "route_advice": "FT-ROUTE-ADVICE yes: search them and rely on them",
    "response_reason": "FT-RESPONSE-REASON the HMRC records were searched and show it",
    "final_summary": "FT-FINAL grant indefinite leave",
    "rationale": "FT-RATIONALE our own records establish the residence",
    "handover": "FT-HANDOVER on leave from Monday for two weeks",
}
"""Everything typed into the pages: none of it may reach a log."""


def _browser_or_skip() -> str:
    if shutil.which(CHROMIUM) or Path(CHROMIUM).exists():
        return CHROMIUM
    reason = f"no Chromium at {CHROMIUM} (apt-get install chromium chromium-driver)"
    if os.environ.get("EDM_REQUIRE_BROWSER") == "1":
        pytest.fail(f"EDM_REQUIRE_BROWSER=1 but {reason}")
    pytest.skip(reason)


PEOPLE = People(
    route_teams={ROUTE_ID: frozenset({"ccu-0007", "ccu-0012"})},
    managers={"lm-0001": frozenset({"cw-0042", "cw-0077"})},
)
"""The people file's worth for the browser: the route's team, and whom the line manager manages."""


@pytest.fixture(name="server")
def _server() -> Iterator[tuple[Server, list[Any], Records]]:
    route = testing.route(ROUTE_ID, business_area=AREA, name="Chief Caseworker Unit")
    edm = EthicalDecisions(
        MemoryStore(),
        plugins=make_plugins(blocked=(), entry_points=False, extra=[RoutesPlugin(route)], people=PEOPLE),
    )
    records = Records()
    root = logging.getLogger()
    root.addHandler(records)
    with structlog.testing.capture_logs() as logs:
        server = Server(edm)
        server.start()
        try:
            yield server, logs, records
        finally:
            server.stop()
            root.removeHandler(records)


class Visitor:
    """One person's browser context: visits pages and checks each one."""

    def __init__(self, context: Any, base: str, name: str, shots: Path | None) -> None:
        self.page = context.new_page()
        self.base = base
        self.name = name
        self.shots = shots
        self.errors: list[str] = []
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("response", self._response)
        self.count = 0
        self.checked: list[str] = []

    def _console(self, message: Any) -> None:
        # A page answered with 422 (a form with errors) is logged as a failed load: the responses say which.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            self.errors.append(message.text)

    def _response(self, response: Any) -> None:
        if response.status >= 400 and response.request.resource_type != "document":
            self.errors.append(f"{response.status} for {response.url}")

    def go(self, path: str) -> None:
        """Open *path* and check it."""
        self.page.goto(self.base + path)
        self.check()

    def submit(self, button: str) -> None:
        """Press the button named *button*, wait for the next page, and check it."""
        with self.page.expect_navigation():
            self.page.get_by_role("button", name=button).click()
        self.check()

    def follow(self, link: str) -> None:
        """Follow the link named *link* and check the page."""
        with self.page.expect_navigation():
            self.page.get_by_role("link", name=link).first.click()
        self.check()

    def check(self) -> None:
        """Run axe-core for WCAG 2.2 AA, require no console error, and take a screenshot."""
        page = self.page
        page.wait_for_load_state("load")
        # Evaluated through DevTools, not as a <script>: the page's CSP stays in force.
        page.evaluate(AXE.read_text(encoding="utf-8") + "\n;undefined")
        result = page.evaluate(
            "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})"
            ".then(r => r.violations.map("
            "v => v.id + ': ' + v.help + ' @ ' + v.nodes.map(n => n.target).join(' | ')))",
            WCAG_22_AA,
        )
        title = page.title()
        assert [] == result, f"axe violations on {page.url} ({title})"
        assert [] == self.errors, f"console errors on {page.url}: {self.errors}"
        self.count += 1
        self.checked.append(title)
        if self.shots is not None:
            self.shots.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(self.shots / f"{self.name}-{self.count:02d}.png"), full_page=True)

    def fill(self, label: str, text: str) -> None:
        """Type *text* into the field labelled *label*."""
        self.page.get_by_label(label, exact=True).fill(text)

    def choose(self, label: str) -> None:
        """Choose the radio or checkbox labelled *label*."""
        self.page.get_by_label(label, exact=True).check()


def _sign_in(visitor: Visitor, kind: str, staff_id: str, extra: dict[str, str]) -> None:
    visitor.go("/sign-in")
    visitor.choose(kind)
    visitor.fill("Staff id", staff_id)
    for label, value in extra.items():
        if value == "check":
            visitor.choose(label)
        else:
            visitor.fill(label, value)
    visitor.submit("Sign in")


def _screenshots() -> Path | None:
    shots_env = os.environ.get("EDM_SCREENSHOTS")
    return Path(shots_env) if shots_env else None


def _no_free_text_logged(logs: list[Any], records: Records) -> None:
    text = "\n".join([str(e) for e in logs] + records.lines)
    assert any(e.get("event") == "ethical_decisions.web.request" for e in logs), "no access log captured"
    for typed in TYPED.values():
        assert typed not in text, "free text reached the server's logs"


def test_a_review_walked_in_the_browser(server: tuple[Server, list[Any], Records]) -> None:
    """A decision-maker escalates, a route team member advises, the decision-maker responds; it closes.

    The response to the advice is one question per page, and the route's team then sees on its
    referral page what became of its advice. Every page visited passes axe-core's WCAG 2.2 AA
    rules and logs no console error (no CSP violation), and the server's logs hold none of the
    free text typed.
    """
    chromium = _browser_or_skip()
    from playwright.sync_api import sync_playwright

    running, logs, records = server
    shots = _screenshots()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=LAUNCH_FLAGS)
        try:
            dm = Visitor(browser.new_context(), running.url, "decision-maker", shots)
            team = Visitor(browser.new_context(), running.url, "route-team", shots)
            _walk(dm, team)
        finally:
            browser.close()
    assert dm.count + team.count >= 27
    text = "\n".join([str(e) for e in logs] + records.lines)
    assert any(e.get("event") == "ethical_decisions.web.request" for e in logs), "no access log captured"
    for typed in TYPED.values():
        assert typed not in text, "free text reached the server's logs"
    assert not [line for line in records.lines if line.startswith("uvicorn.access")], "uvicorn logged paths"
    assert "?" not in "".join(str(e.get("route")) for e in logs), "a query string reached the access log"


def _walk(dm: Visitor, team: Visitor) -> None:
    _sign_in(
        dm,
        "Decision-maker",
        "cw-0042",
        {"Caseworker": "check", "Customer Services Group": "check", "Your team": "Settlement Casework"},
    )
    dm.submit("Start a review of a proposed decision")
    dm.submit("Continue")  # empty: the error summary links to each field
    assert dm.page.get_by_role("link", name="Enter the case reference").is_visible()
    dm.fill("Case reference", TYPED["reference"])
    dm.fill("Outcome", "refuse")
    dm.fill("The proposed decision", TYPED["summary"])
    dm.submit("Continue")
    dm.follow("Reflect on the proposed decision")
    dm.choose("Yes")
    dm.submit("Continue")
    dm.fill("What is it about the proposed decision that makes you feel uncomfortable?", TYPED["statement"])
    dm.choose("Evidential burden or standard of proof")
    dm.submit("Record the reflection")
    dm.follow("Consider discretion inside the Immigration Rules")
    dm.fill("Which rules or guidance did you consider?", TYPED["guidance"])
    dm.fill("What did you find?", TYPED["reason"])
    dm.choose("It does not resolve the concern")
    dm.submit("Record the discretion considered")
    dm.follow("Consider discretion outside the Immigration Rules")
    dm.fill("Which rules or guidance did you consider?", TYPED["guidance"])
    dm.fill("What did you find?", TYPED["reason"])
    dm.choose("A different decision may be possible, but not on my authority")
    dm.submit("Record the discretion considered")
    dm.follow("Record a discussion of the case")
    dm.choose("Technical specialist")
    dm.fill("Their name or staff id", TYPED["consulted"])
    dm.fill("What did they advise?", TYPED["advice"])
    dm.choose("It did not resolve the concern")
    dm.submit("Record the discussion")
    dm.follow("Escalate the concern")
    dm.choose("Concern C1: Evidential burden or standard of proof")
    dm.fill("What do you want to ask the Chief Caseworker Unit?", TYPED["question"])
    dm.submit("Continue")
    dm.submit("Escalate to the Chief Caseworker Unit")
    assert "awaiting advice" in dm.page.content()

    _sign_in(
        team,
        "Member of a route\N{RIGHT SINGLE QUOTATION MARK}s team",
        "ccu-0007",
        {"Chief Caseworker Unit": "check"},
    )
    team.follow("rv-")
    team.submit("Acknowledge the referral")
    team.follow("Give advice")
    team.fill("What is your advice?", TYPED["route_advice"])
    team.submit("Give the advice")

    dm.page.reload()
    dm.check()
    assert "Take the final decision" not in dm.page.content()  # advice awaits a response
    dm.follow("Respond to the advice on concern C1")
    assert TYPED["route_advice"] in dm.page.content()
    dm.submit("Continue")  # nothing chosen: the error summary says what to do
    assert dm.page.get_by_role("link", name="Select whether you followed the advice").is_visible()
    dm.choose("I followed the advice")
    dm.submit("Continue")
    dm.fill("Why did you follow the advice, in part, or not?", TYPED["response_reason"])
    dm.submit("Continue")
    dm.choose("Yes")
    dm.submit("Continue")
    assert "Check your answers before recording your response" in dm.page.content()
    dm.submit("Record your response")
    team.page.reload()
    team.check()
    assert "What became of the advice" in team.page.content()
    assert TYPED["response_reason"] in team.page.content()
    dm.follow("Take the final decision")
    dm.fill("Outcome", "grant")
    dm.fill("The decision", TYPED["final_summary"])
    dm.fill("Why is this the right decision?", TYPED["rationale"])
    dm.submit("Continue")
    dm.submit("Take the decision")
    assert "closed" in dm.page.content()

    dm.follow("Reports")
    dm.submit("Open the department report")
    dm.page.go_back()
    dm.submit("Open the PDR report")
    dm.go("/verify")
    assert "The audit trail is intact" in dm.page.content()


def _escalated(edm: EthicalDecisions, owner: str) -> tuple[str, str]:
    """A review held by *owner* with concern C1 escalated to the route: (review id, referral id)."""
    dm = testing.decision_maker(owner)
    review = edm.open_review(
        by=dm, case=CaseReference("CSG-FT-4480"), proposed=ProposedDecision("refuse", "R.")
    )
    rid = review.review_id
    edm.record_reflection(rid, by=dm, concerns=[Concern(ConcernCategory.VULNERABILITY, "Statement.")])
    edm.consider_discretion(
        rid,
        by=dm,
        concern_id="C1",
        scope=DiscretionScope.INSIDE_RULES,
        guidance="Guidance.",
        reason="Reason.",
        result=DiscretionResult.NOT_RESOLVED,
    )
    edm.record_discussion(
        rid,
        by=dm,
        concern_id="C1",
        consulted_role=ConsultedRole.TEAM_LEADER,
        consulted="tl-0003",
        advice="Escalate.",
        result=DiscussionResult.NOT_RESOLVED,
    )
    review = edm.escalate(rid, by=dm, concern_ids=["C1"], question="Question?")
    return rid, review.referrals[0].referral_id


def _decision_maker(visitor: Visitor, staff_id: str, role: str) -> None:
    _sign_in(
        visitor,
        "Decision-maker",
        staff_id,
        {role: "check", "Customer Services Group": "check", "Your team": "Settlement Casework"},
    )


def _route_member(visitor: Visitor, staff_id: str) -> None:
    _sign_in(
        visitor,
        "Member of a route\N{RIGHT SINGLE QUOTATION MARK}s team",
        staff_id,
        {"Chief Caseworker Unit": "check"},
    )


def test_handover_and_assignment_in_the_browser(server: tuple[Server, list[Any], Records]) -> None:
    """A line manager hands a review over and the new owner finishes it; a referral is taken and passed on.

    The old owner's step page shows the policy's refusal; a route team member assigns a
    referral to themselves and a colleague sees it under "Assigned to you" only once it is
    assigned to them, and is shown the policy's refusal on its advice page meanwhile. Every
    page passes axe-core, and nothing typed reaches the logs.
    """
    chromium = _browser_or_skip()
    from playwright.sync_api import sync_playwright

    running, logs, records = server
    edm = running.edm
    owner = testing.decision_maker("cw-0042")
    held = edm.open_review(
        by=owner, case=CaseReference("CSG-FT-4479"), proposed=ProposedDecision("grant", "G.")
    )
    edm.record_reflection(held.review_id, by=owner)
    _, referral_id = _escalated(edm, "cw-0500")
    shots = _screenshots()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=LAUNCH_FLAGS)
        try:
            visitors = {
                name: Visitor(browser.new_context(), running.url, name, shots)
                for name in ("manager", "old-owner", "new-owner", "member", "colleague")
            }
            _handover(visitors, held.review_id)
            _assignment(visitors["member"], visitors["colleague"], referral_id)
        finally:
            browser.close()
    assert "cw-0077" == edm.review(held.review_id).decided_by
    assert "ccu-0012" == edm.referral(referral_id).assignee.staff_id  # type: ignore[union-attr]
    assert sum(v.count for v in visitors.values()) >= 25
    _no_free_text_logged(logs, records)


def _handover(visitors: dict[str, Visitor], review_id: str) -> None:
    manager, old, new = visitors["manager"], visitors["old-owner"], visitors["new-owner"]
    _decision_maker(manager, "lm-0001", "Line manager")
    assert "Open reviews held by people you manage" in manager.page.content()
    manager.follow(review_id)
    manager.follow("Hand the review over")
    manager.submit("Continue")  # empty: the error summary names the staff id and the role
    assert manager.page.get_by_role("link", name="Select their role").is_visible()
    manager.fill("Their staff id", "cw-0077")
    manager.choose("Caseworker")
    manager.submit("Continue")
    manager.fill("Why are you handing the review over?", TYPED["handover"])
    manager.submit("Continue")
    assert "Check your answers before handing the review over" in manager.page.content()
    manager.submit("Hand the review over")
    assert "cw-0077 (caseworker, Settlement Casework)" in manager.page.content()
    assert "Who has held the review" in manager.page.content()

    _decision_maker(old, "cw-0042", "Caseworker")
    old.go(f"/reviews/{review_id}/final-decision")
    assert "You may not take this step" in old.page.content()
    assert "the review is held by cw-0077" in old.page.content()

    _decision_maker(new, "cw-0077", "Caseworker")
    new.follow(review_id)
    new.follow("Take the final decision")
    new.fill("Outcome", "grant")
    new.fill("The decision", TYPED["final_summary"])
    new.fill("Why is this the right decision?", TYPED["rationale"])
    new.submit("Continue")
    new.submit("Take the decision")
    assert "The review is closed" in new.page.content()


def _assignment(member: Visitor, colleague: Visitor, referral_id: str) -> None:
    _route_member(member, "ccu-0007")
    _route_member(colleague, "ccu-0012")
    member.follow("Unassigned (1)")
    member.follow(referral_id)
    member.submit("Assign it to me")
    assert "Release it to the unassigned queue" in member.page.content()
    member.follow("Back to the queue")
    member.follow("Assigned to you (1)")
    assert referral_id in member.page.content()

    colleague.go("/queue?view=mine")
    assert referral_id not in colleague.page.content()
    colleague.follow("All open (1)")
    colleague.follow(referral_id)
    assert "Acknowledge the referral" not in colleague.page.content()
    colleague.go(f"/referrals/{referral_id}/advice")
    assert "is assigned to ccu-0007" in colleague.page.content()

    member.go(f"/referrals/{referral_id}")
    member.follow("Assign it to a colleague")
    member.choose("ccu-0012")
    member.submit("Assign the referral")
    colleague.go("/queue?view=mine")
    assert referral_id in colleague.page.content()


LEARNING_TYPED = {
    "issue_title": "FT-ISSUE-TITLE our own records are not searched",
    "issue_description": "FT-ISSUE-DESCRIPTION applicants are asked for records the department holds",
    "decline": "FT-DECLINE-REASON",
    "note": "FT-ASSESSMENT-NOTE talk through the rationale at the PDR",
    "guidance_feedback": "FT-GUIDANCE-FEEDBACK the link to evidential flexibility is broken",
}
"""Everything typed into the learning loop's and the assessment's pages: none of it may reach a log."""


def test_learning_loop_and_assessment_in_the_browser(server: tuple[Server, list[Any], Records]) -> None:
    """The learning loop and an assessment, walked in the browser by four people.

    A route team member flags a systemic issue from a referral's page, and its policy team accepts it;
    the decision-maker sees it on their feedback page, answers the speaking-up questions and sends
    feedback on the guidance; a line manager records an assessment. Every page passes axe-core, and
    nothing typed reaches the logs.
    """
    chromium = _browser_or_skip()
    from playwright.sync_api import sync_playwright

    running, logs, records = server
    edm = running.edm
    review_id, referral_id = _escalated(edm, "cw-0042")
    shots = _screenshots()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=LAUNCH_FLAGS)
        try:
            visitors = {
                name: Visitor(browser.new_context(), running.url, name, shots)
                for name in ("flagging-member", "policy-team", "learning-dm", "assessing-manager")
            }
            issue_id = _flag(visitors["flagging-member"], referral_id)
            _policy(visitors["policy-team"], issue_id)
            _decided(edm, review_id, referral_id)
            _learning_dm(visitors["learning-dm"], review_id, issue_id)
            _assess(visitors["assessing-manager"], review_id)
        finally:
            browser.close()
    assert "accepted" == edm.systemic_issue(issue_id).status.value
    assert [("concern_articulated", "partly_evident")] == [
        (a.element.value, a.finding.value) for a in edm.assessments(review_id)
    ]
    assert sum(v.count for v in visitors.values()) >= 20
    _no_free_text_logged(logs, records)
    text = "\n".join([str(e) for e in logs] + records.lines)
    for typed in LEARNING_TYPED.values():
        assert typed not in text, "free text reached the server's logs"


def _flag(member: Visitor, referral_id: str) -> str:
    _route_member(member, "ccu-0007")
    member.go(f"/referrals/{referral_id}")
    member.follow("Flag a systemic issue")
    member.submit("Open the issue")  # empty: the error summary names each answer
    assert member.page.get_by_role("link", name="Enter a title for the issue").is_visible()
    member.fill("Title", LEARNING_TYPED["issue_title"])
    member.fill(
        "What has the route\N{RIGHT SINGLE QUOTATION MARK}s team seen?", LEARNING_TYPED["issue_description"]
    )
    member.fill("Which rule or guidance does it concern?", "Appendix Settlement 4.2")
    member.fill("Which policy team owns it?", "settlement_policy")
    member.fill("Day", "31")
    member.fill("Month", "3")
    member.fill("Year", "2030")
    member.submit("Open the issue")
    assert "Status history" in member.page.content()
    issue_id = member.page.url.rsplit("/", 1)[1]
    member.follow("Systemic issues")
    assert LEARNING_TYPED["issue_title"] in member.page.content()
    return issue_id


def _policy(policy: Visitor, issue_id: str) -> None:
    _sign_in(policy, "Member of a policy team", "pol-0001", {"Your policy team": "settlement_policy"})
    policy.follow(issue_id)
    policy.follow("Move the issue on")
    policy.choose("Declined")
    policy.submit("Record the change")  # no reason: the register's rule says one is needed
    assert policy.page.get_by_role("link", name="Declining an issue needs a reason").is_visible()
    policy.choose("Accepted")
    policy.submit("Record the change")
    assert "Accepted" in policy.page.content()


def _decided(edm: EthicalDecisions, review_id: str, referral_id: str) -> None:
    """The route advises and the decision-maker responds and decides (through the library)."""
    from ethical_decisions import AdviceResponse, FinalDecision, RouteTeamMember

    member = RouteTeamMember("ccu-0012", ROUTE_ID)
    edm.acknowledge_referral(referral_id, by=member)
    edm.give_advice(referral_id, by=member, advice="Advice.")
    dm = testing.decision_maker("cw-0042")
    edm.respond_to_advice(
        referral_id, by=dm, concern_id="C1", response=AdviceResponse.FOLLOWED, reason="Reason.", resolved=True
    )
    edm.finalise(review_id, by=dm, decision=FinalDecision("grant", "Grant.", "Rationale."))


def _learning_dm(dm: Visitor, review_id: str, issue_id: str) -> None:
    _decision_maker(dm, "cw-0042", "Caseworker")
    dm.follow("Your referrals")
    assert issue_id in dm.page.content()
    dm.go(f"/reviews/{review_id}")
    dm.follow("Answer two questions about speaking up")
    dm.submit("Send your answers")  # nothing chosen: the error summary says what to do
    assert dm.page.get_by_role("link", name="Select whether you would speak up again").is_visible()
    dm.page.locator("#again").check()
    dm.page.locator("#detriment-2").check()
    dm.submit("Send your answers")
    assert "your answers are kept" in dm.page.content()
    dm.follow(f"Back to review {review_id}")
    dm.follow("Give feedback on the guidance")
    dm.choose("A formatting error in the guidance")
    dm.fill("Your question, or the error and where it is", LEARNING_TYPED["guidance_feedback"])
    dm.submit("Send the feedback")
    assert "Your feedback on the guidance is counted" in dm.page.content()


def _assess(manager: Visitor, review_id: str) -> None:
    _decision_maker(manager, "lm-0001", "Line manager")
    manager.follow("Assessments")
    manager.choose("cw-0042")
    today = dt.date.today()  # the server's clock is the real one: the review closed this month
    manager.fill("Month", str(today.month))
    manager.fill("Year", str(today.year))
    manager.submit("Show the sample")
    manager.follow(review_id)
    manager.follow("Concern put into words")
    manager.submit("Record the finding")  # nothing chosen
    assert manager.page.get_by_role("link", name="Select whether it is evident in the record").is_visible()
    manager.choose("Partly evident")
    manager.fill("A note for the PDR conversation (optional)", LEARNING_TYPED["note"])
    manager.submit("Record the finding")
    assert "Partly evident" in manager.page.content()
    assert LEARNING_TYPED["note"] not in manager.page.content()
