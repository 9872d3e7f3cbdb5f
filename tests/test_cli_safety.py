"""The command line's safe operation and clear errors (issue 15): every bad command changes nothing on disk.

Each test runs a command as a user might mistype it and checks the exit status, the message, and that
the store's file (and the folder around it) is byte for byte what it was.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ethical_decisions import (
    DecisionMaker,
    EthicalDecisions,
    EthicalDecisionsError,
    NotFoundError,
    open_store,
    testing,
)
from ethical_decisions._fields import check_id, is_id, is_identifier
from ethical_decisions.cli import main
from ethical_decisions.figures import Period
from ethical_decisions.review import review_id_of_referral
from ethical_decisions.serialization import loads_event, loads_trail, parse

MONTHS = ["--from", "2020-01-01", "--to", "2020-12-31"]
DAYS = ["--from", "2020-01-01", "--to", "2035-12-31"]


@pytest.fixture(name="demo_db", scope="module")
def _demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("demo")
    db = folder / "demo.db"
    status = main(["--db", f"sqlite:///{db}", "demo", "--reviews", "40", "--reports", str(folder / "r")])
    assert status == 0
    return db


@pytest.fixture(name="store")
def _store(demo_db: Path, tmp_path: Path) -> Path:
    """A private copy of the demo store, in a folder of its own (the test's current folder)."""
    copy = tmp_path / "store.db"
    shutil.copy(demo_db, copy)
    return copy


@pytest.fixture(name="in_tmp", autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test runs in its own empty folder, with no store named by the environment."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("EDM_DATABASE_URL", raising=False)


def snapshot(folder: Path) -> dict[str, str]:
    """Every file under *folder*, by relative path, with a digest of its bytes."""
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def recorded_staff(store: Path) -> str:
    """The staff id of a decision-maker who opened a review in *store*."""
    with contextlib.closing(sqlite3.connect(store)) as connection:
        (staff_id,) = connection.execute("SELECT staff_id FROM reviews ORDER BY review_id LIMIT 1").fetchone()
    return str(staff_id)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """Run the command; return its status, standard output and standard error (argparse's exits too)."""
    try:
        status = main(list(argv))
    except SystemExit as exit_:
        status = int(exit_.code or 0)
    out, err = capsys.readouterr()
    return status, out, err


def refused(capsys: pytest.CaptureFixture[str], folder: Path, *argv: str, status: int = 1) -> tuple[str, str]:
    """Run a command that must be refused with *status*, leaving every file under *folder* as it was."""
    before = snapshot(folder)
    got, out, err = run(capsys, *argv)
    assert got == status, err
    assert snapshot(folder) == before
    return out, err


# -- 1. --output is safe ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "command",
    [
        ["report", "department", *MONTHS],
        ["report", "pdr", "--staff", "csg-0001", *DAYS],
        ["export"],
    ],
)
@pytest.mark.parametrize("force", [[], ["--force"]])
def test_output_never_overwrites_the_store_even_with_force(
    capsys: pytest.CaptureFixture[str], store: Path, command: list[str], force: list[str]
) -> None:
    """--output naming the store's own file is refused, with or without --force; the store is unchanged."""
    _, err = refused(
        capsys, store.parent, "--db", f"sqlite:///{store}", *command, "--output", str(store), *force
    )
    assert "it is the store's own file" in err
    assert "wrote" not in err


def test_output_through_another_path_to_the_store_is_refused(
    capsys: pytest.CaptureFixture[str], store: Path
) -> None:
    """The store reached by a symbolic link, a hard link, a relative path or its WAL file is still refused."""
    (store.parent / "link.db").symlink_to(store)
    os.link(store, store.parent / "hard.db")
    for output in ("link.db", "hard.db", "./sub/../store.db", "store.db-wal"):
        if output.startswith("./sub"):
            (store.parent / "sub").mkdir(exist_ok=True)
        _, err = refused(
            capsys, store.parent, "--db", "sqlite:///store.db", "export", "--force", "--output", output
        )
        assert "it is the store's own file" in err, output


def test_output_refuses_an_existing_file_without_force(
    capsys: pytest.CaptureFixture[str], store: Path
) -> None:
    """An existing file is not replaced without --force (nothing written); with --force it is."""
    existing = store.parent / "report.txt"
    existing.write_text("keep me\n")
    argv = ["--db", f"sqlite:///{store}", "report", "department", *MONTHS, "--output", str(existing)]

    _, err = refused(capsys, store.parent, *argv)

    assert f"Cannot write {existing}: the file already exists. Pass --force" in err
    status, _, err = run(capsys, *argv, "--force")
    assert (status, err.strip()) == (0, f"wrote {existing}")
    assert existing.read_text() != "keep me\n"


def test_output_never_makes_a_folder(capsys: pytest.CaptureFixture[str], store: Path) -> None:
    """--output in a folder that does not exist is refused naming the folder, and no folder is made."""
    output = store.parent / "no" / "such" / "x.html"
    for argv in (
        ["report", "department", *MONTHS, "--format", "html"],
        ["report", "pdr", "--staff", "csg-0001", *DAYS],
        ["export", "--sealed"],
    ):
        _, err = refused(capsys, store.parent, "--db", f"sqlite:///{store}", *argv, "--output", str(output))
        assert f"the folder {output.parent} does not exist" in err
        assert not (store.parent / "no").exists()


def test_output_that_is_a_folder_is_refused(capsys: pytest.CaptureFixture[str], store: Path) -> None:
    """--output naming a folder is refused as a folder, even with --force."""
    _, err = refused(
        capsys, store.parent, "--db", f"sqlite:///{store}", "export", "--force", "--output", str(store.parent)
    )
    assert "it is a folder" in err


def test_output_to_a_new_file_is_written(capsys: pytest.CaptureFixture[str], store: Path) -> None:
    """A new file in a folder that exists is written, and the store still verifies."""
    output = store.parent / "events.jsonl"
    status, _, err = run(capsys, "--db", f"sqlite:///{store}", "export", "--output", str(output))
    assert (status, err.strip()) == (0, f"wrote {output}")
    assert json.loads(output.read_text().splitlines()[0])["payload"]["type"] == "review_opened"
    assert run(capsys, "--db", f"sqlite:///{store}", "verify")[0] == 0


def test_a_refused_export_leaves_no_half_written_file(
    capsys: pytest.CaptureFixture[str], store: Path
) -> None:
    """An export the library refuses (an unknown review) leaves no output file behind."""
    output = store.parent / "one.jsonl"
    _, err = refused(
        capsys,
        store.parent,
        "--db",
        f"sqlite:///{store}",
        "export",
        "--review",
        "rv-none",
        "--output",
        str(output),
    )
    assert "No review with id 'rv-none'" in err
    assert not output.exists()


def test_demo_reports_never_overwrite_the_store(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """The demo refuses to write a report over the store's own file, before loading anything."""
    db = tmp_path / "department.html"
    status, _, err = run(
        capsys, "--db", f"sqlite:///{db}", "demo", "--reviews", "4", "--reports", str(tmp_path)
    )
    assert status == 1
    assert "it is the store's own file" in err
    assert run(capsys, "--db", f"sqlite:///{db}", "export")[1] == ""  # the store holds no events


# -- 2. commands that act on what is recorded never make a store -----------------------------------

READERS = [
    ["verify"],
    ["rebuild"],
    ["compact"],
    ["routes"],
    ["report", "department", *MONTHS],
    ["report", "pdr", "--staff", "csg-0001", *DAYS],
    ["referrals", "list"],
    ["referrals", "list", "--unassigned"],
    ["referrals", "show", "rv-1-R2", "--route", "chief_caseworker_unit"],
    ["referrals", "acknowledge", "rv-1-R2", "--route", "chief_caseworker_unit", "--staff", "ccu-1"],
    ["referrals", "assign", "rv-1-R2", "--route", "chief_caseworker_unit", "--staff", "ccu-1"],
    ["handover", "rv-1", "--to", "cw-2", "--staff", "cw-1", "--reason", "Leave."],
    ["relay", "--once"],
    ["outbox", "list"],
    ["outbox", "redrive", "rv-1#2"],
    ["export"],
]


@pytest.mark.parametrize("command", READERS, ids=lambda argv: " ".join(argv[:2]))
def test_a_missing_store_is_refused_and_none_is_made(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, command: list[str]
) -> None:
    """Every command but demo, run where there is no store, exits 1 naming the path and how to make one.

    No file is created: not the store, nor its journal, nor the default ethical-decisions.db.
    """
    missing = tmp_path / "mistyped.db"
    for db in (["--db", f"sqlite:///{missing}"], []):
        out, err = refused(capsys, tmp_path, *db, *command)
        where = missing if db else tmp_path / "ethical-decisions.db"
        assert f"There is no store at sqlite:///{where}: no such file" in err
        assert "ethical-decisions demo" in err
        assert "No route" not in out + err
        assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("plain", ["r.db", "data/reviews.sqlite3", "/srv/edm/reviews.db"])
def test_a_plain_path_as_the_store_gets_the_url_to_write(
    capsys: pytest.CaptureFixture[str], store: Path, plain: str
) -> None:
    """--db r.db is refused (never guessed), suggesting sqlite:///r.db; no file is made."""
    _, err = refused(capsys, store.parent, "--db", plain, "referrals", "list")
    assert f"for an SQLite file write sqlite:///{plain} " in err


def test_a_plain_value_that_is_not_a_path_is_not_repeated(
    capsys: pytest.CaptureFixture[str], store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A --db or EDM_DATABASE_URL that may be a password pasted in the wrong place is never repeated."""
    _, err = refused(capsys, store.parent, "--db", "hunter2:secret", "verify")
    assert ("hunter2" in err, "sqlite:///path/to/reviews.db" in err) == (False, True)
    monkeypatch.setenv("EDM_DATABASE_URL", "s3cr3t-pa55")
    _, err = refused(capsys, store.parent, "verify")
    assert ("s3cr3t" in err, "sqlite:///path/to/reviews.db" in err) == (False, True)


def test_a_folder_as_the_store_is_named_as_a_folder(capsys: pytest.CaptureFixture[str], store: Path) -> None:
    """A folder given as the store gets an error naming it a folder (not SQLite's own); it is left alone."""
    for url in (f"sqlite:///{store.parent}", "sqlite:///."):
        _, err = refused(capsys, store.parent, "--db", url, "referrals", "list")
        assert "is a folder, not a file; name a file in it" in err
        assert "unable to open" not in err


def test_referrals_list_without_a_route_does_not_mention_route_none(
    capsys: pytest.CaptureFixture[str], store: Path
) -> None:
    """Listing every route's referrals where none await advice prints no 'No route None' hint."""
    with sqlite3.connect(store) as connection:
        connection.execute("DELETE FROM referrals")
    status, out, err = run(capsys, "--db", f"sqlite:///{store}", "referrals", "list")
    assert (status, "0 referral(s)." in out, err) == (0, True, "")


# -- 3. a PDR report for nobody is refused --------------------------------------------------------


def test_pdr_report_for_a_staff_id_with_no_records_is_refused(
    capsys: pytest.CaptureFixture[str], store: Path
) -> None:
    """A PDR report for --staff nobody-9999 exits 1 saying there are no records and ids are case-sensitive.

    No report is printed or written.
    """
    output = store.parent / "pdr.html"
    out, err = refused(
        capsys,
        store.parent,
        *("--db", f"sqlite:///{store}", "report", "pdr", "--staff", "nobody-9999", *DAYS),
        *("--output", str(output)),
    )
    assert out == ""
    assert "No records for staff id 'nobody-9999' in this store" in err
    assert "staff ids are case-sensitive." in err
    assert not output.exists()


def test_pdr_report_for_a_differently_cased_staff_id_suggests_the_recorded_one(
    capsys: pytest.CaptureFixture[str], store: Path
) -> None:
    """A staff id that differs from a recorded one only in case is refused, suggesting the recorded one."""
    recorded = recorded_staff(store)
    argv = ["--db", f"sqlite:///{store}", "report", "pdr", "--staff", recorded.upper(), *DAYS]
    out, err = refused(capsys, store.parent, *argv)
    assert out == ""
    assert f"staff ids are case-sensitive; did you mean {recorded!r}?" in err


def test_pdr_report_for_a_period_with_no_records_is_refused(
    capsys: pytest.CaptureFixture[str], store: Path
) -> None:
    """A recorded staff id with nothing in the period is refused too, naming the period (no zeros)."""
    out, err = refused(
        capsys,
        store.parent,
        *("--db", f"sqlite:///{store}", "report", "pdr", "--staff", recorded_staff(store)),
        *("--from", "2001-01-01", "--to", "2001-12-31"),
    )
    assert out == ""
    period = "(1 January 2001 to 31 December 2001)"
    assert f"Staff id {recorded_staff(store)!r} has no records in the period {period}" in err


# -- 4. clear errors ------------------------------------------------------------------------------

PERSONAL = "She is 78 and unwell"


def test_an_unknown_referral_is_named_as_a_referral(capsys: pytest.CaptureFixture[str], store: Path) -> None:
    """A well-formed referral id whose review is not stored is named as a referral, not a review."""
    for action in (["show"], ["acknowledge", "--staff", "ccu-1"], ["assign", "--staff", "ccu-1"]):
        argv = [
            "referrals",
            action[0],
            "rv-0000000000000000-R5",
            "--route",
            "chief_caseworker_unit",
            *action[1:],
        ]
        _, err = refused(capsys, store.parent, "--db", f"sqlite:///{store}", *argv)
        assert "No referral with id 'rv-0000000000000000-R5' is in the store" in err
        assert "review" not in err


@pytest.mark.parametrize("day", ["2026-02-30", "2026-13-01", "2025-02-29"])
def test_a_date_that_does_not_exist_is_called_so(
    capsys: pytest.CaptureFixture[str], store: Path, day: str
) -> None:
    """--from 2026-02-30 says the date does not exist (exit 2), not that it should be written YYYY-MM-DD."""
    _, err = refused(
        capsys,
        store.parent,
        *("--db", f"sqlite:///{store}", "report", "department", "--from", day, "--to", "2026-03-31"),
        status=2,
    )
    assert "argument --from: that date does not exist" in err
    assert "YYYY-MM-DD" not in err


@pytest.mark.parametrize(
    ("argv", "suggestion"),
    [
        (["referals", "list"], "did you mean 'referrals'?"),
        (["referrals", "lst"], "did you mean 'list'?"),
        (["outbox", "list", "--status", "ded"], "did you mean 'dead'?"),
        (["report", "department", *MONTHS, "--format", "htm"], "did you mean 'html'?"),
        (["verfy"], "did you mean 'verify'?"),
    ],
)
def test_a_typo_gets_the_nearest_valid_choice(
    capsys: pytest.CaptureFixture[str], store: Path, argv: list[str], suggestion: str
) -> None:
    """A mistyped command or choice exits 2 suggesting the nearest valid one, without repeating the typo."""
    _, err = refused(capsys, store.parent, "--db", f"sqlite:///{store}", *argv, status=2)
    assert suggestion in err
    assert "the value given" not in err
    assert f"'{argv[-1]}'" not in err


@pytest.mark.parametrize(
    ("argv", "help_of"),
    [
        (["verify", "--chian-only"], "ethical-decisions verify --help"),
        (["systemic", "list", "--overdeu"], "ethical-decisions systemic list --help"),
        (["report", "department", *MONTHS, "--treshold", "5"], "ethical-decisions report department --help"),
    ],
)
def test_an_unknown_option_points_at_the_help_of_the_command_given(
    capsys: pytest.CaptureFixture[str], store: Path, argv: list[str], help_of: str
) -> None:
    """An option the command does not take exits 2 naming it and that command's own help, changing nothing."""
    _, err = refused(capsys, store.parent, "--db", f"sqlite:///{store}", *argv, status=2)
    (option,) = [word for word in argv if word.startswith("--") and word not in ("--from", "--to")]
    assert f"unrecognized arguments (options: {option})" in err
    assert f"see '{help_of}' for what it takes" in err


def test_a_closed_referral_is_refused_in_plain_words(capsys: pytest.CaptureFixture[str], store: Path) -> None:
    """Acting on a closed referral says it is closed and why, without 'is closed: it is closed'."""
    with contextlib.closing(sqlite3.connect(store)) as connection:
        (referral, route, assignee) = connection.execute(
            "SELECT referral_id, route_id, assignee_id FROM referrals WHERE status = 'closed' LIMIT 1"
        ).fetchone()
    for action in ("acknowledge", "release"):
        argv = ["referrals", action, referral, "--route", route, "--staff", assignee or "x-1"]
        _, err = refused(capsys, store.parent, "--db", f"sqlite:///{store}", *argv)
        assert f"referral '{referral}' is closed" in err
        assert "it is closed" not in err


def test_route_team_output_prints_words_not_codes(capsys: pytest.CaptureFixture[str], store: Path) -> None:
    """Referrals list/show and outbox list print statuses, categories and kinds in words, not raw codes."""
    db = ["--db", f"sqlite:///{store}"]
    _, listing, _ = run(capsys, *db, "referrals", "list", "--all")
    _, outbox, _ = run(capsys, *db, "outbox", "list")
    shown = ""
    with contextlib.closing(sqlite3.connect(store)) as connection:
        for referral, route in connection.execute("SELECT referral_id, route_id FROM referrals"):
            shown += run(capsys, *db, "referrals", "show", referral, "--route", route)[1]
    for code in (
        "advice_given",
        "not_resolved",
        "error_in_records",
        "unintended_consequence",
        "referral_submitted",
    ):
        assert code not in listing + outbox + shown
    assert "referral submitted" in outbox
    assert "advice given" in listing + shown


# -- 6. ids from outside --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "field"),
    [
        (["referrals", "show", PERSONAL, "--route", "chief_caseworker_unit"], "REFERRAL_ID"),
        (["handover", PERSONAL, "--to", "cw-2", "--staff", "cw-1", "--reason", "Leave."], "REVIEW_ID"),
        (["export", "--review", PERSONAL], "--review"),
        (["report", "pdr", "--staff", PERSONAL, *DAYS], "--staff"),
        (["referrals", "list", "--mine", "--staff", PERSONAL], "--staff"),
    ],
)
def test_a_malformed_id_names_the_field_and_format_never_the_value(
    capsys: pytest.CaptureFixture[str], store: Path, argv: list[str], field: str
) -> None:
    """An id that is not in its documented form exits 2 naming the field and the form, not the value."""
    out, err = refused(capsys, store.parent, "--db", f"sqlite:///{store}", *argv, status=2)
    assert f"argument {field}: expected a" in err
    assert "She is" not in out + err


def test_an_unknown_message_id_in_free_text_is_not_repeated(
    capsys: pytest.CaptureFixture[str], store: Path
) -> None:
    """Outbox redrive with free text as the message id is refused without repeating it."""
    _, err = refused(capsys, store.parent, "--db", f"sqlite:///{store}", "outbox", "redrive", PERSONAL)
    assert "No outbox message with the id given (not in an id's form)" in err
    assert "She is" not in err


# -- 5. only library errors escape the public parse functions -------------------------------------

_TEXT = st.one_of(
    st.text(max_size=40),
    st.just(PERSONAL),
    st.builds(
        lambda head, n: head + "1" * n + "}",
        st.sampled_from(['{"a": ', "[", '{"sequence": ']),
        st.integers(0, 6000),
    ),
    st.builds(lambda n: "[" * n, st.integers(0, 3000)),
)


def _message(call: Callable[[], object]) -> str:
    """What *call* raises (only a library error may escape it), or ``""``."""
    try:
        call()
    except EthicalDecisionsError as exc:
        return str(exc)
    return ""


@settings(max_examples=200, deadline=None)
@given(text=_TEXT)
def test_public_parse_functions_raise_only_library_errors(text: str) -> None:
    """loads_event, loads_trail, parse, the id checks and the period builders raise only the library's errors.

    Nothing else (no bare ValueError, RecursionError or TypeError) escapes any text; no message repeats it.
    """
    for call in (
        lambda: loads_event(text),
        lambda: loads_event(text.encode("utf-8", "surrogatepass")),
        lambda: loads_trail(text),
        lambda: parse(DecisionMaker, {"staff_id": text, "role": text, "business_area": "x", "team": "T"}),
        lambda: review_id_of_referral(text),
        lambda: check_id(text, "concern", "concern_id"),
        lambda: Period.from_months(text),
        lambda: Period.from_months("2026-01", text),
        lambda: str(NotFoundError("review", text)),
    ):
        assert PERSONAL not in _message(call)


@settings(max_examples=100, deadline=None)
@given(text=st.one_of(st.text(max_size=20), st.just(PERSONAL)))
def test_the_service_refuses_any_id_with_a_library_error(text: str) -> None:
    """Any text as a review, referral or concern id reaches the service as a library error, never echoed."""
    edm = EthicalDecisions(open_store("memory://"))
    for call in (
        lambda: edm.review(text),
        lambda: edm.referral(text),
        lambda: edm.discretion_guidance("rv-1", text),
        lambda: edm.acknowledge_referral(text, by=testing.route_team_member("chief_caseworker_unit")),
    ):
        message = _message(call)
        assert message, "an id the store does not hold was accepted"
        assert PERSONAL not in message
        assert len(text) < 3 or text not in message or is_identifier(text) or is_id(text, "referral")
