"""The retention sweep: erases free text past the period, holds pending outcomes, resumes after a kill."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from ethical_decisions import (
    EthicalDecisions,
    FinalDecision,
    IntegrityError,
    LaterOutcomeKind,
    LaterOutcomeResult,
    NotPermittedError,
    RecordsOfficer,
    ValidationError,
    testing,
)
from ethical_decisions.cli import main
from ethical_decisions.log import LogEvent
from ethical_decisions.model import PolicyTeamMember
from ethical_decisions.retention import RetentionPeriod, parse_period, retention_period, sweep
from ethical_decisions.store import open_store
from tests import scenarios
from tests.conftest import RoutesPlugin
from tests.reliability.unchanged import differences, snapshot

from .helpers import KEY, closed_reviews, file_bytes

OFFICER = RecordsOfficer("ro-0001")
LATER = dt.datetime(2033, 1, 6, tzinfo=dt.UTC)
"""Over six years after the test clock's reviews closed (January 2026)."""
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(name="edm")
def _edm() -> EthicalDecisions:
    return testing.service(case_index_key=KEY)


@pytest.mark.parametrize(
    ("text", "period"),
    [
        ("P6Y", RetentionPeriod(years=6)),
        ("p1y6m", RetentionPeriod(years=1, months=6)),
        ("P2W3D", RetentionPeriod(weeks=2, days=3)),
        ("2190", RetentionPeriod(days=2190)),
    ],
)
def test_a_period_is_an_iso_duration_or_days(text: str, period: RetentionPeriod) -> None:
    """ISO 8601 durations of years, months, weeks and days, or a number of days, are read."""
    assert parse_period(text) == period


@pytest.mark.parametrize("text", ["six years", "P", "PT6H", "P0D", "-5", "P6Y!"])
def test_a_period_that_is_not_a_duration_is_refused_without_repeating_it(text: str) -> None:
    """Anything else is a ValidationError naming where it came from, not what it was."""
    with pytest.raises(ValidationError) as info:
        parse_period(text, source="--period")
    assert "--period:" in str(info.value)
    assert text == "P" or text not in str(info.value)


def test_no_period_at_all_names_the_variable() -> None:
    """With neither --period nor EDM_RETENTION_PERIOD, the error names the variable and the option."""
    with pytest.raises(ValidationError, match="EDM_RETENTION_PERIOD: not set") as refused:
        retention_period(None, environ={})
    assert "--period P6Y" in str(refused.value)


def test_counting_back_a_month_from_its_last_day_lands_on_the_shorter_months_last_day() -> None:
    """31 March less a month is 28 February (or 29th in a leap year)."""
    moment = dt.datetime(2027, 3, 31, 12, tzinfo=dt.UTC)
    assert RetentionPeriod(months=1).before(moment) == dt.datetime(2027, 2, 28, 12, tzinfo=dt.UTC)
    assert RetentionPeriod(years=1, days=1).before(moment) == dt.datetime(2026, 3, 30, 12, tzinfo=dt.UTC)


def test_a_sweep_erases_past_the_period_records_it_and_verify_passes(edm: EthicalDecisions) -> None:
    """Every review closed before the cut-off gets a free_text_erased event; the chain still verifies."""
    ids = closed_reviews(edm, 3)
    report = sweep(edm, by=OFFICER, period=parse_period("P6Y"), now=LATER)
    assert (report.due, report.erased, report.already_erased) == (3, 3, 0)
    assert all(edm.review(i).erased_at is not None for i in ids)
    assert edm.trail(ids[0])[-1].payload.reason == "retention_period_ended"  # type: ignore[union-attr]
    assert edm.verify().ok


def test_a_review_within_its_period_is_left_alone(edm: EthicalDecisions) -> None:
    """Closed less than the period ago: not touched."""
    closed_reviews(edm, 2)
    report = sweep(edm, by=OFFICER, period=parse_period("P6Y"), now=dt.datetime(2031, 1, 1, tzinfo=dt.UTC))
    assert report.erased == 0
    assert report.due == 0


def test_a_dry_run_counts_and_erases_nothing(edm: EthicalDecisions) -> None:
    """The dry run says what it would erase and the store is unchanged."""
    closed_reviews(edm, 2)
    before = snapshot(edm.store)
    report = sweep(edm, by=OFFICER, period=parse_period("P6Y"), now=LATER, dry_run=True)
    assert report.erased == 2
    assert "would erase 2" in report.summary()
    assert differences(before, snapshot(edm.store)) == []


def test_a_pending_outcome_holds_the_review_until_it_is_decided(edm: EthicalDecisions) -> None:
    """An appeal recorded as pending holds the review; once its result is recorded, the next sweep erases."""
    first, second = closed_reviews(edm, 2)
    today = dt.date(2026, 1, 5)
    edm.record_later_outcome(
        first,
        by=OFFICER,
        challenge=LaterOutcomeKind.APPEAL,
        result=LaterOutcomeResult.PENDING,
        decided_on=today,
    )
    report = sweep(edm, by=OFFICER, period=parse_period("P6Y"), now=LATER)
    assert (report.erased, dict(report.held)) == (1, {"later_outcome_pending": 1})
    assert edm.review(first).erased_at is None
    assert edm.review(second).erased_at is not None
    edm.record_later_outcome(
        first,
        by=OFFICER,
        challenge=LaterOutcomeKind.APPEAL,
        result=LaterOutcomeResult.UPHELD,
        decided_on=today,
    )
    again = sweep(edm, by=OFFICER, period=parse_period("P6Y"), now=LATER)
    assert (again.erased, again.already_erased, dict(again.held)) == (1, 1, {})


def test_a_review_linked_from_an_open_systemic_issue_is_held_until_the_issue_moves_on() -> None:
    """Open or accepted, an issue holds the reviews whose referrals it links; once the change is made, not."""
    route = testing.route("ccu_test")
    edm = testing.service(RoutesPlugin(route), case_index_key=KEY)
    dm, team = testing.decision_maker(), testing.route_team_member("ccu_test")
    policy = PolicyTeamMember("pol-0001", "settlement_policy")
    linked = scenarios.escalated(edm, dm)
    referral = linked.referrals[0].referral_id
    edm.acknowledge_referral(referral, by=team)
    edm.give_advice(referral, by=team, advice="Check our own records.")
    scenarios.respond(edm, referral, dm)
    edm.finalise(linked.review_id, by=dm, decision=FinalDecision("grant", "Granted.", "Our records show it."))
    (other,) = closed_reviews(edm, 1)
    issue = edm.open_systemic_issue(
        referral,
        by=team,
        title="Residence records the department holds",
        description="Asked for again and again.",
        rule="Appendix Settlement 4.2",
        owner="settlement_policy",
        due_on=dt.date(2026, 3, 1),
    )
    edm.update_systemic_issue(issue.issue_id, by=policy, status="accepted")

    report = sweep(edm, by=OFFICER, period=parse_period("P6Y"), now=LATER)

    assert (report.erased, dict(report.held)) == (1, {"systemic_issue_open": 1})
    assert (edm.review(linked.review_id).erased_at, edm.review(other).erased_at is not None) == (None, True)
    edm.update_systemic_issue(issue.issue_id, by=policy, status="change_made")
    again = sweep(edm, by=OFFICER, period=parse_period("P6Y"), now=LATER)
    assert (again.erased, dict(again.held)) == (1, {})
    assert edm.verify().ok


def test_another_hold_can_be_added(edm: EthicalDecisions) -> None:
    """A deployment's hold (here, every review) keeps the free text, counted under its reason."""
    closed_reviews(edm, 1)
    report = sweep(edm, by=OFFICER, period=parse_period("P6Y"), now=LATER, holds=[lambda r: "legal_hold"])
    assert (report.erased, dict(report.held)) == (0, {"legal_hold": 1})


def test_a_sweep_is_idempotent(edm: EthicalDecisions) -> None:
    """A second run finds everything already erased and records nothing new."""
    closed_reviews(edm, 2)
    sweep(edm, by=OFFICER, period=parse_period("P6Y"), now=LATER)
    head = edm.head()
    report = sweep(edm, by=OFFICER, period=parse_period("P6Y"), now=LATER)
    assert (report.erased, report.already_erased) == (0, 2)
    assert edm.head() == head


def test_only_a_records_officer_sweeps(edm: EthicalDecisions) -> None:
    """The permission policy applies: a records officer it does not know of is refused, nothing erased."""
    from ethical_decisions import hookimpl
    from ethical_decisions.policy import Permission

    class Refuse:
        @hookimpl(tryfirst=True)
        def ethical_decisions_permission(self, request: object) -> Permission:
            """Refuse everything."""
            return Permission.refuse("not today", "ask another day")

    strict = testing.service(Refuse(), store=edm.store)
    closed_reviews(edm, 1)
    before = snapshot(edm.store)
    with pytest.raises(NotPermittedError):
        sweep(strict, by=OFFICER, period=parse_period("P6Y"), now=LATER)
    assert differences(before, snapshot(edm.store)) == []


def test_a_sweep_on_a_broken_chain_erases_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An edited event: the sweep refuses with an IntegrityError (exit 1) and no byte of the store changes."""
    db = tmp_path / "edm.db"
    store = open_store(f"sqlite:///{db}")
    closed_reviews(testing.service(store=store), 2)
    store.close()
    import sqlite3

    with sqlite3.connect(db) as connection:
        connection.execute("UPDATE events SET body = replace(body, 'refuse', 'grant') WHERE position = 1")
    before = file_bytes(db)
    assert (
        main(["--db", f"sqlite:///{db}", "retention", "sweep", "--period", "P1D", "--staff", "ro-0001"]) == 1
    )
    assert "does not verify" in capsys.readouterr().err
    assert file_bytes(db) == before
    with pytest.raises(IntegrityError):
        sweep(testing.service(store=open_store(f"sqlite:///{db}")), by=OFFICER, period=parse_period("P1D"))


def test_the_command_refuses_a_period_that_is_not_a_duration_and_changes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--period six-years: exit 1, the error names --period, and the store's files are unchanged."""
    db = tmp_path / "edm.db"
    store = open_store(f"sqlite:///{db}")
    closed_reviews(testing.service(store=store), 1)
    store.close()
    before = file_bytes(db)
    assert (
        main(["--db", f"sqlite:///{db}", "retention", "sweep", "--period", "six-years", "--staff", "r1"]) == 1
    )
    err = capsys.readouterr().err
    assert "--period: not a duration" in err
    assert "six-years" not in err
    assert file_bytes(db) == before


def test_the_command_prints_one_summary_line_and_logs_counts_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A dry run then a sweep: a summary line each; the log entry has counts and no free text."""
    url = f"sqlite:///{tmp_path / 'edm.db'}"
    store = open_store(url)
    closed_reviews(testing.service(store=store), 2)
    store.close()
    monkeypatch.setenv("EDM_RETENTION_PERIOD", "P30D")
    assert main(["--db", url, "--verbose", "retention", "sweep", "--dry-run", "--staff", "ro-0001"]) == 0
    assert main(["--db", url, "--verbose", "retention", "sweep", "--staff", "ro-0001"]) == 0
    out = capsys.readouterr()
    assert "(dry run)" in out.out
    assert "would erase 2" in out.out
    assert "erased 2" in out.out
    assert LogEvent.RETENTION_SWEPT.value in out.err
    assert "Applicant" not in out.err + out.out
    assert "HX-" not in out.err + out.out
    assert main(["--db", url, "verify"]) == 0


def test_a_sweep_killed_part_way_is_finished_by_the_next_run(tmp_path: Path) -> None:
    """SIGKILL mid-sweep leaves some reviews erased, the rest intact; a rerun finishes; verify passes."""
    url = f"sqlite:///{tmp_path / 'edm.db'}"
    store = open_store(url)
    ids = closed_reviews(testing.service(store=store), 120)
    store.close()
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.learning.sweep_child", url],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert child.stdout is not None
    for _ in range(10):
        assert child.stdout.readline().startswith("looked")
    child.send_signal(signal.SIGKILL)
    child.wait()
    child.stdout.close()
    assert child.returncode == -signal.SIGKILL
    edm = EthicalDecisions(open_store(url, create=False), plugins=testing.plugins())
    erased = sum(edm.review(i).erased_at is not None for i in ids)
    assert 10 <= erased < len(ids)
    assert edm.verify().ok
    report = sweep(edm, by=OFFICER, period=parse_period("P30D"))
    assert (report.erased, report.already_erased) == (len(ids) - erased, erased)
    assert all(edm.review(i).erased_at is not None for i in ids)
    assert edm.verify().ok
