"""The ``ethical-decisions`` command as its users use it: the demo, routes, the queue, reports, the chain."""

from __future__ import annotations

import collections
import contextlib
import datetime as dt
import io
import json
import re
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from ethical_decisions import (
    ConcernCategory,
    EthicalDecisions,
    OutcomeClass,
    ReferralStatus,
    open_store,
    testing,
)
from ethical_decisions.cli import main
from ethical_decisions.compliance import Part
from ethical_decisions.figures import Period
from ethical_decisions.reports.labels import OUTCOME
from ethical_decisions.store import SQLiteStore
from tests import scenarios

ROUTES = (
    "chief_caseworker_unit",
    "safety_valve_mechanism",
    "quality_examination_support_team",
    "national_immigration_casework_oversight_team",
)


@pytest.fixture(name="demo_db", scope="module")
def _demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("demo")
    db = folder / "demo.db"
    status = main(
        ["--db", f"sqlite:///{db}", "demo", "--reviews", "60", "--reports", str(folder / "reports")]
    )
    assert status == 0
    return db


@pytest.fixture(name="db")
def _db(demo_db: Path, tmp_path: Path) -> str:
    """A private copy of the demo store, for tests that change it."""
    copy = tmp_path / "copy.db"
    shutil.copy(demo_db, copy)
    return f"sqlite:///{copy}"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """Run the command; return its status, standard output and standard error."""
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def test_demo_loads_reviews_and_writes_reports(demo_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The demo fills the store with verified reviews in the four areas and writes both HTML reports."""
    reports = demo_db.parent / "reports"
    assert (reports / "department.html").read_text().startswith("<!DOCTYPE html>")
    assert len(list(reports.glob("pdr-*.html"))) == 1
    status, out, _ = run(capsys, "--db", f"sqlite:///{demo_db}", "verify")
    assert status == 0
    assert out.startswith("intact: ")
    with sqlite3.connect(demo_db) as connection:
        areas = {row[0] for row in connection.execute("SELECT DISTINCT business_area FROM reviews")}
    assert areas == {
        "customer_services_group",
        "immigration_enforcement",
        "hm_passport_office",
        "border_force",
    }


def test_demo_prints_where_to_look_next(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The demo's summary names the report to open and the commands to try."""
    status, out, _ = run(
        capsys,
        "--db",
        f"sqlite:///{tmp_path / 'd.db'}",
        "demo",
        "--reviews",
        "12",
        "--reports",
        str(tmp_path / "r"),
    )
    assert status == 0
    assert "12 cases: " in out
    assert f"open {tmp_path / 'r' / 'department.html'} in a browser" in out
    assert "Audit chain: intact" in out


def test_demos_pdr_report_credits_someone_who_opened_a_review_and_handed_it_over(demo_db: Path) -> None:
    """The demo writes the PDR report of a person who opened a review and handed it over before it closed.

    The HTML shows the table of their part, and the report's figures credit the handover to them.
    """
    (page,) = (demo_db.parent / "reports").glob("pdr-*.html")
    staff_id = page.stem.removeprefix("pdr-")
    store = open_store(f"sqlite:///{demo_db}")
    figures = store.pdr_figures(
        staff_id, Period(dt.datetime(2000, 1, 1, tzinfo=dt.UTC), dt.datetime.now(dt.UTC))
    )
    store.close()

    assert "Your part in reviews closed in the period" in page.read_text(encoding="utf-8")
    assert figures.parts[Part.OPENED] >= figures.parts[Part.HANDED_OVER] >= 1


def test_demo_is_the_same_for_the_same_seed_and_its_summary_counts_the_store(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Two demos with one seed print the same summary; its handover and assignment counts are the trail's."""
    printed = []
    for name in ("a", "b"):
        db = f"sqlite:///{tmp_path / name}.db"
        status, out, _ = run(capsys, "--db", db, "demo", "--reviews", "30", "--reports", str(tmp_path / name))
        assert status == 0
        summary = out.split("\n\n", 1)[1].split("Audit chain:")[0]
        printed.append(summary.splitlines())
    assert printed[0] == printed[1]
    edm = EthicalDecisions(open_store(db))
    kinds = collections.Counter(record.kind for record in edm.store.chain())
    waiting = edm.store.referrals(statuses={s for s in ReferralStatus if s.awaiting_advice}, unassigned=True)
    edm.store.close()
    (handovers,) = [line for line in printed[1] if "handed over" in line]
    assert handovers.startswith(f"{kinds['review_handed_over']} reviews handed over (1 by a line manager). ")
    submitted = kinds["referral_submitted"]
    assert (
        f" {submitted - len(waiting)} of {submitted} referrals assigned to a route team member" in handovers
    )
    assert f"{kinds['referral_released']} released and taken again); {len(waiting)} awaiting" in handovers


def test_demo_loads_only_into_an_empty_store_unless_told_to_add(
    capsys: pytest.CaptureFixture[str], db: str
) -> None:
    """Made-up cases never mix with real ones: a second demo is refused, changing nothing, unless --add."""
    path = db.removeprefix("sqlite:///")
    before = sqlite3.connect(path).execute("SELECT count(*) FROM events").fetchone()
    reviews = (
        sqlite3.connect(path)
        .execute("SELECT count(DISTINCT review_id) FROM events WHERE review_id NOT LIKE 'si-%'")
        .fetchone()[0]
    )
    status, out, err = run(capsys, "--db", db, "demo", "--reviews", "4")
    assert (status, out) == (1, "")
    assert "already holds" in err
    assert "--add" in err
    after = sqlite3.connect(db.removeprefix("sqlite:///")).execute("SELECT count(*) FROM events").fetchone()
    assert before == after
    status, out, _ = run(
        capsys, "--db", db, "demo", "--reviews", "4", "--add", "--reports", str(Path(db[10:]).parent)
    )
    assert status == 0
    assert f"events in {reviews + 4} reviews" in out


def test_output_to_a_closed_pipe_ends_quietly(tmp_path: Path) -> None:
    """``ethical-decisions ... | head`` ends without a traceback when the reader stops reading."""
    command = [sys.executable, "-m", "ethical_decisions", "--db", f"sqlite:///{tmp_path / 'p.db'}", "demo"]
    command += ["--reviews", "20", "--reports", str(tmp_path / "r")]
    demo = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp_path)
    assert demo.stdout is not None
    demo.stdout.readline()
    demo.stdout.close()
    _, err = demo.communicate(timeout=120)
    assert b"Traceback" not in err
    assert demo.returncode in (0, 141)


def test_routes_lists_the_four_routes_with_versions(capsys: pytest.CaptureFixture[str], db: str) -> None:
    """Every installed route is listed with its plugin, and every plugin with its distribution's version."""
    status, out, _ = run(capsys, "--db", db, "routes")
    assert status == 0
    for route_id in ROUTES:
        assert route_id in out
    assert re.search(r"ethical-decisions-safety-valve-mechanism\s+0\.1\.0\s+installed", out)
    assert "ethical_decisions.logging" in out


def test_a_route_team_works_its_queue(capsys: pytest.CaptureFixture[str], db: str) -> None:
    """List, show, acknowledge, return, and advise: the advice flows back into the review."""
    status, out, _ = run(
        capsys, "--db", db, "referrals", "list", "--route", "chief_caseworker_unit", "--format", "json"
    )
    assert status == 0
    queue = json.loads(out)
    assert queue, "the demo leaves referrals awaiting advice"
    waiting = next(r for r in queue if r["status"] == "submitted")
    referral = waiting["referral_id"]
    route = ["--route", "chief_caseworker_unit"]
    status, out, _ = run(capsys, "--db", db, "referrals", "show", referral, *route)
    assert (status, "Question" in out, "Concerns" in out) == (0, True, True)
    assert run(capsys, "--db", db, "referrals", "acknowledge", referral, *route, "--staff", "ccu-1")[0] == 0
    status, out, _ = run(
        capsys,
        "--db",
        db,
        "referrals",
        "return",
        referral,
        *route,
        "--staff",
        "ccu-1",
        "--question",
        "Which records were searched?",
    )
    assert (status, out.strip()) == (0, f"Referral {referral}: returned for more information.")
    status, _, err = run(
        capsys, "--db", db, "referrals", "advise", referral, *route, "--staff", "ccu-1", "--advice", "Grant."
    )
    assert status == 1
    assert "waiting for the decision-maker's answer" in err


def test_verbose_logs_never_repeat_free_text(
    capsys: pytest.CaptureFixture[str], db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With --verbose the library logs each step to stderr, and none of the advice or question typed in.

    Through every route-team command that takes free text, on the command line or on standard input,
    when the library records it and when it refuses it.
    """

    def waiting(route: str) -> str:
        _, out, _ = run(capsys, "--db", db, "referrals", "list", "--route", route, "--format", "json")
        return str(next(r for r in json.loads(out) if r["status"] == "submitted")["referral_id"])

    first, second = waiting("chief_caseworker_unit"), waiting("safety_valve_mechanism")
    team = ["--route", "chief_caseworker_unit", "--staff", "ccu-1"]
    svm = ["--route", "safety_valve_mechanism", "--staff", "svm-1"]
    printed, statuses = "", []
    for argv, stdin in (
        (["referrals", "acknowledge", first, *team], ""),
        (["referrals", "return", first, *team, "--question", "MARKERQUESTION about the applicant?"], ""),
        (["referrals", "advise", first, *team, "--advice", "MARKERADVICE refused while returned"], ""),
        (["referrals", "acknowledge", second, *svm], ""),
        (["referrals", "advise", second, *svm, "--advice", "-"], "MARKERSTDIN advice on standard input"),
    ):
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
        status, out, err = run(capsys, "--db", db, "--verbose", *argv)
        statuses.append(status)
        printed += out + err
    assert statuses == [0, 0, 1, 0, 0]  # recorded, recorded, refused, recorded, recorded
    assert "ethical_decisions.event_stored" in printed  # --verbose really logs
    assert "MARKER" not in printed


def test_verify_logs_a_broken_chain(capsys: pytest.CaptureFixture[str], db: str) -> None:
    """The command's verify is the service's: a broken chain is logged at error level, as well as printed."""
    with sqlite3.connect(db.removeprefix("sqlite:///")) as connection:
        connection.execute("UPDATE events SET hash = 'x' || substr(hash, 2) WHERE position = 3")
    status, out, err = run(capsys, "--db", db, "--verbose", "verify")
    assert status == 1
    assert "BROKEN at position 3" in out
    assert "ethical_decisions.chain_broken" in out + err


def test_listing_a_route_that_is_not_installed_says_so(capsys: pytest.CaptureFixture[str], db: str) -> None:
    """A mistyped route id gives an empty queue and a hint to check it, not an empty table alone."""
    status, out, err = run(capsys, "--db", db, "referrals", "list", "--route", "chief_casework_unit")
    assert status == 0
    assert "0 referral(s)." in out
    assert "No route 'chief_casework_unit' is installed" in err
    assert "ethical-decisions routes" in err


def test_another_routes_team_cannot_see_or_act(capsys: pytest.CaptureFixture[str], db: str) -> None:
    """A referral to one route is neither shown to nor answerable by another route's team."""
    _, out, _ = run(
        capsys, "--db", db, "referrals", "list", "--route", "chief_caseworker_unit", "--format", "json"
    )
    referral = json.loads(out)[0]["referral_id"]
    status, _, err = run(
        capsys, "--db", db, "referrals", "show", referral, "--route", "safety_valve_mechanism"
    )
    assert status == 1
    assert "No referral to route 'safety_valve_mechanism'" in err
    status, _, err = run(
        capsys,
        "--db",
        db,
        "referrals",
        "acknowledge",
        referral,
        "--route",
        "safety_valve_mechanism",
        "--staff",
        "svm-1",
    )
    assert status == 1


@pytest.mark.parametrize("fmt", ["text", "json", "csv", "html"])
def test_reports_in_every_format(
    capsys: pytest.CaptureFixture[str], db: str, tmp_path: Path, fmt: str
) -> None:
    """Both reports render in every format, to standard output or to a file.

    The department report covers whole months that have ended; the PDR report any days.
    """
    last = dt.datetime.now(dt.UTC).date().replace(day=1) - dt.timedelta(days=1)
    months = ["--from", "2020-01-01", "--to", last.isoformat(), "--format", fmt]
    status, out, _ = run(capsys, "--db", db, "report", "department", *months)
    assert status == 0
    assert out.strip()
    output = tmp_path / f"pdr.{fmt}"
    period = ["--from", "2020-01-01", "--to", "2035-12-31", "--format", fmt]
    with contextlib.closing(sqlite3.connect(db.removeprefix("sqlite:///"))) as connection:
        (staff,) = connection.execute("SELECT staff_id FROM reviews ORDER BY review_id LIMIT 1").fetchone()
    status, _, err = run(
        capsys, "--db", db, "report", "pdr", "--staff", staff, *period, "--output", str(output)
    )
    assert (status, err.strip()) == (0, f"wrote {output}")
    assert output.read_text().strip()


def test_verify_fails_after_one_byte_of_an_event_changes(capsys: pytest.CaptureFixture[str], db: str) -> None:
    """Changing one byte of one event in the SQLite file makes verify exit 1 naming the broken link."""
    path = db.removeprefix("sqlite:///")
    with sqlite3.connect(path) as connection:
        (body,) = connection.execute("SELECT body FROM events WHERE position = 7").fetchone()
        changed = body.replace('"sequence":', '"sequence" :', 1)
        assert changed != body
        connection.execute("UPDATE events SET body = ? WHERE position = 7", (changed,))
    status, out, _ = run(capsys, "--db", db, "verify")
    assert status == 1
    assert out.startswith("BROKEN at position 7")


def test_verify_against_a_head_kept_elsewhere(capsys: pytest.CaptureFixture[str], db: str) -> None:
    """The head verify prints detects, next time, events removed from the end and covered up.

    The store's own head row shows the last event deleted; once the head row is set back too and the
    tables rebuilt to match, only the head kept elsewhere shows it.
    """
    _, out, _ = run(capsys, "--db", db, "verify")
    head = out.split("--head ")[1].split()[0]
    path = db.removeprefix("sqlite:///")
    with sqlite3.connect(path) as connection:
        connection.execute("DELETE FROM events WHERE position = (SELECT max(position) FROM events)")
    status, out, _ = run(capsys, "--db", db, "verify")
    assert (status, "before the store's own head row" in out) == (1, True)
    with sqlite3.connect(path) as connection:
        connection.execute(
            "UPDATE chain_head SET position = position - 1,"
            " hash = (SELECT hash FROM events ORDER BY position DESC LIMIT 1)"
        )
    assert run(capsys, "--db", db, "rebuild", "--force")[0] == 0
    assert run(capsys, "--db", db, "verify")[0] == 0
    status, out, _ = run(capsys, "--db", db, "verify", "--head", head)
    assert status == 1
    assert "removed from the end" in out


def test_export_writes_json_lines(capsys: pytest.CaptureFixture[str], db: str, tmp_path: Path) -> None:
    """Export writes one event per line; sealed export holds digests and hashes, no free text."""
    status, out, _ = run(capsys, "--db", db, "export")
    lines = [json.loads(line) for line in out.splitlines()]
    assert status == 0
    assert lines[0]["payload"]["type"] == "review_opened"
    assert "Demo applicant" in out
    output = tmp_path / "sealed.jsonl"
    assert run(capsys, "--db", db, "export", "--sealed", "--output", str(output))[0] == 0
    sealed = output.read_text()
    assert "Demo applicant" not in sealed
    assert len(sealed.splitlines()) == len(lines)
    assert {"position", "review_id", "sequence", "kind", "body", "hash"} == set(
        json.loads(sealed.splitlines()[0])
    )


def test_verify_refuses_a_missing_store_and_makes_none(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Verify on a path with no store exits 1 naming the path and how to make a store, and creates no file."""
    missing = tmp_path / "mistyped.db"

    status, out, err = run(capsys, "--db", f"sqlite:///{missing}", "verify")

    assert (status, out) == (1, "")
    assert (str(missing) in err, "ethical-decisions demo" in err) == (True, True)
    assert list(tmp_path.iterdir()) == []


def test_verify_names_each_table_edit_and_rebuild_puts_it_right(
    capsys: pytest.CaptureFixture[str], db: str
) -> None:
    """A referral's status edited by SQL fails verify, naming table, row and column; rebuild puts it right.

    Without --force, rebuild says what it would change, changes nothing and exits 1; with it, the
    table is rewritten and verify passes. --chain-only checks the chain alone, which is intact.
    """
    path = db.removeprefix("sqlite:///")
    with sqlite3.connect(path) as connection:
        (referral,) = connection.execute("SELECT referral_id FROM referrals LIMIT 1").fetchone()
        connection.execute("UPDATE referrals SET status = 'withdrawn' WHERE referral_id = ?", (referral,))

    status, out, _ = run(capsys, "--db", db, "verify")
    assert status == 1
    assert f"referrals '{referral}', column status: differs from what the events say" in out
    assert "'ethical-decisions rebuild'" in out
    status, out, _ = run(capsys, "--db", db, "verify", "--chain-only")
    assert (status, "tables not checked" in out) == (0, True)

    status, out, _ = run(capsys, "--db", db, "rebuild")
    assert (status, f"referrals '{referral}', column status" in out, "Nothing was changed" in out) == (
        1,
        True,
        True,
    )
    assert run(capsys, "--db", db, "verify")[0] == 1
    assert run(capsys, "--db", db, "rebuild", "--force")[0] == 0
    assert run(capsys, "--db", db, "verify")[0] == 0
    status, out, _ = run(capsys, "--db", db, "rebuild")
    assert (status, out.startswith("Nothing to rebuild")) == (0, True)


def test_compact(capsys: pytest.CaptureFixture[str], db: str) -> None:
    """Compact runs on an SQLite store and leaves it verifying."""
    status, out, _ = run(capsys, "--db", db, "compact")
    assert (status, out.startswith("Compacted")) == (0, True)
    assert run(capsys, "--db", db, "verify")[0] == 0


def test_outbox_list_shows_who_holds_a_message_and_until_when(
    capsys: pytest.CaptureFixture[str], db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A message a relay has claimed is listed with the relay's name and the end of its lease.

    The relay takes its lease from --lease, else from EDM_RELAY_LEASE; a bad value there is refused.
    """
    store = SQLiteStore(db.removeprefix("sqlite:///"))
    try:
        edm = EthicalDecisions(store)
        review = scenarios.escalated(edm, testing.decision_maker("csg-0001"))
        now = dt.datetime.now(dt.UTC)
        (claimed,) = store.claim_outbox(now=now, limit=1, lease=dt.timedelta(hours=1), by="relay-on-host-7")
        assert claimed.message.review_id == review.review_id
    finally:
        store.close()

    status, out, _ = run(capsys, "--db", db, "outbox", "list", "--status", "pending")

    (line,) = [line for line in out.splitlines() if claimed.message.message_id in line]
    until = (now + dt.timedelta(hours=1)).strftime("%Y-%m-%d %H:%M")
    assert (status, "relay-on-host-7" in line, until in line) == (0, True, True)
    monkeypatch.setenv("EDM_RELAY_LEASE", "soon")
    status, _, err = run(capsys, "--db", db, "relay", "--once")
    assert (status, "EDM_RELAY_LEASE: give a number of seconds greater than 0" in err) == (1, True)


def test_relay_and_outbox(capsys: pytest.CaptureFixture[str], db: str) -> None:
    """The relay's pass over a delivered outbox does nothing; the outbox lists what was delivered."""
    status, out, _ = run(capsys, "--db", db, "relay", "--once")
    assert (status, out.strip()) == (0, "delivered 0, retrying 0, dead letters 0")
    status, out, _ = run(capsys, "--db", db, "outbox", "list", "--status", "delivered")
    assert status == 0
    assert "referral submitted" in out
    status, _, err = run(capsys, "--db", db, "outbox", "redrive", "no-such-message")
    assert status == 1
    assert "No outbox message with id 'no-such-message'" in err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["report", "pdr", "--staff", "x", "--from", "2026-13-01", "--to", "2026-12-01"], "does not exist"),
        (["report", "department", "--from", "2026-02-01", "--to", "2026-01-01"], "the last day is before"),
        (["verify", "--head", "nonsense"], "expected POSITION:HASH"),
        (
            ["referrals", "show", "rv-nope-R2", "--route", "chief_caseworker_unit"],
            "No referral with id 'rv-nope-R2'",
        ),
        (
            ["referrals", "advise", "rv-x-R1", "--route", "r", "--staff", "s", "--advice", "  "],
            "must not be empty",
        ),
        (["demo", "--reviews", "0"], "expected a whole number of 1 or more"),
        (["relay", "--limit", "0"], "expected a whole number of 1 or more"),
        (["relay", "--interval", "-1"], "expected a number of seconds greater than 0"),
        (["relay", "--interval", "nan"], "expected a number of seconds greater than 0"),
        (["relay", "--lease", "0"], "expected a number of seconds greater than 0"),
        (
            ["report", "pdr", "--staff", "x", "--from", "2026-01-01", "--to", "2026-02-01", "--sample", "-1"],
            "expected a whole number of 0 or more",
        ),
        (
            ["report", "department", "--from", "2025-01-01", "--to", "2025-01-31", "--output", "/"],
            "Cannot write /: it is a folder. Name a file; nothing was written.",
        ),
        (
            ["report", "department", "--from", "2025-06-07", "--to", "2025-12-06"],
            "period: a department report covers whole calendar months (or quarters), so that two reports "
            "cannot be subtracted to give a day or a week: the nearest is 1 June 2025 to 30 November 2025 "
            "(from 2025-06-01 to 2025-11-30)",
        ),
        (
            ["export", "--output", "/proc/no-such-folder/events.jsonl"],
            "Cannot write /proc/no-such-folder/events.jsonl: the folder /proc/no-such-folder does not exist",
        ),
    ],
)
def test_bad_input_gets_a_clear_error_and_non_zero_exit(
    capsys: pytest.CaptureFixture[str], db: str, argv: list[str], message: str
) -> None:
    """Each mistake is named, with what to do, and the command exits non-zero."""
    try:
        status, _, err = run(capsys, "--db", db, *argv)
    except SystemExit as exit_:  # argparse's own errors
        status, err = int(exit_.code or 0), capsys.readouterr().err
    assert status != 0
    assert message in err


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["demo"],
        ["routes"],
        ["referrals"],
        ["referrals", "list"],
        ["referrals", "advise"],
        ["referrals", "assign"],
        ["referrals", "release"],
        ["handover"],
        ["relay"],
        ["outbox", "list"],
        ["report"],
        ["report", "pdr"],
        ["report", "department"],
        ["verify"],
        ["rebuild"],
        ["compact"],
        ["export"],
    ],
)
def test_every_command_has_help(capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    """--help works on every command and subcommand."""
    with pytest.raises(SystemExit) as exit_:
        main([*argv, "--help"])
    assert exit_.value.code == 0
    assert "usage: ethical-decisions" in capsys.readouterr().out


def test_no_command_prints_help_and_fails(capsys: pytest.CaptureFixture[str]) -> None:
    """Run with no command, it explains itself and exits 2."""
    assert main([]) == 2
    assert "commands:" in capsys.readouterr().err


def test_the_module_and_the_script_are_the_same_command(db: str) -> None:
    """``python -m ethical_decisions`` and the installed ``ethical-decisions`` script both run."""
    module = subprocess.run(
        [sys.executable, "-m", "ethical_decisions", "--db", db, "verify"],
        capture_output=True,
        text=True,
        check=False,
    )
    script = Path(sys.executable).with_name("ethical-decisions")
    installed = subprocess.run(
        [str(script), "--db", db, "verify"], capture_output=True, text=True, check=False
    )
    assert (module.returncode, installed.returncode) == (0, 0)
    assert module.stdout == installed.stdout


def test_default_store_comes_from_the_environment(
    capsys: pytest.CaptureFixture[str], db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without --db the store is EDM_DATABASE_URL."""
    monkeypatch.setenv("EDM_DATABASE_URL", db)
    status, out, _ = run(capsys, "verify")
    assert status == 0
    assert out.startswith("intact:")


@pytest.mark.slow
def test_the_demo_shows_the_whole_model_and_its_summary_agrees_with_its_reports(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The default demo: every category and outcome in the period; the summary's counts are the report's.

    The summary and both HTML reports state the same whole-month period; the summary's outcomes by
    business area add up to the department report's; every concern category and outcome class has
    reviews in the period; line managers' assessments reach the PDR report, and a category rises.
    """
    db = tmp_path / "demo.db"
    status, out, _ = run(capsys, "--db", f"sqlite:///{db}", "demo", "--reports", str(tmp_path / "r"))
    assert status == 0
    stated = re.search(r"Reviews closed from (\d+ \w+ \d{4}) to (\d+ \w+ \d{4}) \(the reports' period\)", out)
    assert stated is not None
    first, last = (dt.datetime.strptime(d, "%d %B %Y").date() for d in stated.groups())
    period = Period.from_dates(first, last)
    assert (first.day, (last + dt.timedelta(days=1)).day) == (1, 1)  # whole calendar months
    department = (tmp_path / "r" / "department.html").read_text(encoding="utf-8")
    (pdr_page,) = (tmp_path / "r").glob("pdr-*.html")
    assert all(period.describe() in page for page in (department, pdr_page.read_text(encoding="utf-8")))

    store = open_store(f"sqlite:///{db}")
    try:
        figures = store.department_figures(period, as_of=period.end)
    finally:
        store.close()
    rows = [re.split(r"\s{2,}", line.strip()) for line in out.splitlines() if line.startswith("  ")]
    summary = {row[0]: int(row[-1]) for row in rows if len(row) == 6 and row[-1].isdigit()}

    assert {OUTCOME[o]: n for o, n in figures.outcomes.items()} == {k: v for k, v in summary.items() if v}
    assert set(figures.outcomes) == set(OutcomeClass)
    assert {category for _, category in figures.categories} == set(ConcernCategory)
    assert sum(figures.assessed.values()) > 0
    assert "Sampled records assessed by their line manager" in pdr_page.read_text(encoding="utf-8")
    assert re.search(r'id="rising".*?<tbody><tr><td>', department, flags=re.DOTALL)
