"""``ethical-decisions assessments`` and ``assess``: a line manager's sample, and recording findings on it."""

from __future__ import annotations

from pathlib import Path

import pytest

from ethical_decisions import AssessedElement, Finding, open_store, testing
from ethical_decisions.cli import main
from tests import scenarios
from tests.conftest import RoutesPlugin

PERIOD = ["--from", "2026-01-01", "--to", "2026-12-31"]
NOTE = "MARKERNOTE the rationale quotes the advice but not the Rules"


@pytest.fixture(name="db")
def _db(tmp_path: Path) -> str:
    """Four reviews cw-1 decided, one cw-2 decided, all closed in 2026."""
    url = f"sqlite:///{tmp_path / 'store.db'}"
    store = open_store(url)
    edm = testing.service(RoutesPlugin(testing.route("ccu_test")), store=store)
    for staff_id in ("cw-1", "cw-1", "cw-1", "cw-1", "cw-2"):
        dm = testing.decision_maker(staff_id)
        review = scenarios.open_with_concern(edm, dm)
        scenarios.close_unresolved(edm, review.review_id, dm)
    store.close()
    return url


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """Run the command; its status, standard output and standard error."""
    try:
        status = main(list(argv))
    except SystemExit as exit_:
        status = int(exit_.code or 0)
    out, err = capsys.readouterr()
    return status, out, err


def test_a_manager_lists_the_sample_assesses_it_and_the_list_shows_the_findings(
    db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """The sample is the same each time; a finding recorded on it is listed, and the note is never printed."""
    status, first, _ = run(capsys, "--db", db, "assessments", "cw-1", *PERIOD)
    again = run(capsys, "--db", db, "assessments", "cw-1", *PERIOD)[1]
    assert (0, first) == (status, again)
    assert (
        "3 of the reviews closed from 1 January 2026 to 31 December 2026 in which cw-1 took a part" in first
    )
    review_id = first.split("ethical-decisions assess ")[1].split()[0]

    status, out, err = run(
        capsys, "--db", db, "assess", review_id, "--staff", "lm-1", "--role", "line_manager",
        "--element", "rationale_explains", "--finding", "partly", "--note", NOTE,
    )  # fmt: skip
    assert (0, "") == (status, err)
    assert out.startswith(
        f"Review {review_id}, cw-1's part: a rationale that explains the decision: partly evident"
    )
    assert "(with a note)" in out
    listed = run(capsys, "--db", db, "assessments", "cw-1", *PERIOD)[1]
    assert "A rationale that explains the decision: Partly evident" in listed
    assert "1 of 6" in listed
    report = run(capsys, "--db", db, "report", "pdr", "--staff", "cw-1", *PERIOD)[1]
    assert "Sampled records assessed by their line manager" in report
    assert "MARKER" not in out + listed + report
    store = open_store(db)
    (kept,) = store.assessments(review_id=review_id)
    store.close()
    assert (kept.element, kept.finding, kept.note) == (
        AssessedElement.RATIONALE_EXPLAINS,
        Finding.PARTLY_EVIDENT,
        NOTE,
    )


REFUSED = {
    "assessing yourself": (
        ["--staff", "cw-1", "--role", "line_manager"],
        1,
        "cw-1 cannot assess their own records",
    ),
    "no role for --staff": (["--staff", "lm-1"], 1, "--role: no people file lists lm-1"),
    "a caseworker's role": (["--staff", "lm-1", "--role", "caseworker"], 2, "invalid choice"),
    "an element that is not one": (
        ["--staff", "lm-1", "--role", "line_manager", "--element", "MARKER"],
        2,
        "--element: invalid choice (choose from concern_articulated",
    ),
    "someone who took no part": (
        ["--staff", "lm-1", "--role", "team_leader", "--of", "cw-2"],
        1,
        "cw-2 took no part in review",
    ),
}


@pytest.mark.parametrize(("options", "status", "why"), REFUSED.values(), ids=REFUSED.keys())
def test_an_assessment_refused_exits_non_zero_says_why_and_changes_nothing(
    db: str, capsys: pytest.CaptureFixture[str], options: list[str], status: int, why: str
) -> None:
    """A refusal exits 1 (2 when the command line cannot be understood), says why, never repeats the note."""
    review_id = (
        run(capsys, "--db", db, "assessments", "cw-1", *PERIOD)[1]
        .split("ethical-decisions assess ")[1]
        .split()[0]
    )
    argv = ["--db", db, "assess", review_id, "--element", "use_of_advice", "--finding", "not", "--note", NOTE]
    found_status, out, err = run(capsys, *argv, *options)

    assert (status, "") == (found_status, out)
    assert why in err
    assert "MARKER" not in err
    store = open_store(db)
    assert [] == store.assessments()
    store.close()
