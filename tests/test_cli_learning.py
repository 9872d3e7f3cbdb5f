"""The learning loop at the command line: ``systemic list|show|open|link|update`` and ``feedback``.

Run over a copy of the demo's store. A refusal exits 1 with one line that never repeats a value given,
and leaves the store's bytes as they were.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ethical_decisions import EthicalDecisions, ReferralStatus, open_store
from tests.test_cli import _db, _demo_db, run

__all__ = ["_db", "_demo_db"]

CCU = "chief_caseworker_unit"
MARKER = "MARKERTITLE the applicant's illness"


def _referrals(db: str) -> list[tuple[str, str]]:
    """Two referrals to the Chief Caseworker Unit, each with who made it."""
    edm = EthicalDecisions(open_store(db))
    try:
        found = edm.store.referrals(route_id=CCU)
    finally:
        edm.store.close()
    return [(r.referral_id, r.referred_by) for r in found[:2]]


def _bytes(db: str) -> bytes:
    path = Path(db.removeprefix("sqlite:///"))
    wal = path.with_name(path.name + "-wal")
    return path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


def _open(capsys: pytest.CaptureFixture[str], db: str, referral_id: str) -> str:
    status, out, err = run(
        capsys, "--db", db, "systemic", "open", referral_id, "--staff", "ccu-0009", "--route", CCU,
        "--title", MARKER, "--description", "Records we hold are asked for.", "--rule", "Appendix FM 1.0",
        "--owner", "family_policy", "--due", "2020-01-31",
    )  # fmt: skip
    assert (status, err) == (0, "")
    return out.split()[2].rstrip(":")


def test_an_issue_is_opened_linked_updated_and_listed_overdue(
    db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A route team opens and links an issue, its policy team accepts it; the list flags it overdue."""
    (first, _), (second, _) = _referrals(db)
    issue_id = _open(capsys, db, first)

    linked = run(
        capsys, "--db", db, "systemic", "link", issue_id, second, "--staff", "ccu-0009", "--route", CCU
    )
    accepted = run(
        capsys, "--db", db, "systemic", "update", issue_id, "--staff", "pol-1", "--team", "family_policy",
        "--status", "accepted",
    )  # fmt: skip
    status, listing, _ = run(capsys, "--db", db, "systemic", "list")
    shown = run(capsys, "--db", db, "systemic", "show", issue_id)[1]

    assert linked[0] == 0
    assert "2 referrals linked" in linked[1]
    assert accepted[0] == 0
    assert "accepted" in accepted[1]
    assert status == 0
    assert "OVERDUE" in listing
    assert issue_id in listing
    assert MARKER not in listing
    assert MARKER in shown
    assert run(capsys, "--db", db, "verify")[0] == 0


def test_bad_input_is_refused_naming_the_field_and_changes_nothing(
    db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """An unknown referral or issue, a bad transition or date: refused, no value echoed, nothing changed."""
    (first, _), _ = _referrals(db)
    issue_id = _open(capsys, db, first)
    before = _bytes(db)
    attempts = [
        ("systemic", "link", issue_id, "MARKERREF-R1", "--staff", "ccu-0009", "--route", CCU),
        ("systemic", "link", "si-MARKERNONE", first, "--staff", "ccu-0009", "--route", CCU),
        (
            "systemic",
            "update",
            issue_id,
            "--staff",
            "pol-1",
            "--team",
            "family_policy",
            "--status",
            "change_made",
        ),
        (
            "systemic",
            "update",
            issue_id,
            "--staff",
            "pol-1",
            "--team",
            "family_policy",
            "--status",
            "declined",
        ),
        (
            "systemic",
            "update",
            issue_id,
            "--staff",
            "pol-1",
            "--team",
            "family_policy",
            "--due",
            "MARKER-13-45",
        ),
        (
            "systemic",
            "update",
            issue_id,
            "--staff",
            "pol-1",
            "--team",
            "other_policy",
            "--status",
            "accepted",
        ),
    ]
    for argv in attempts:
        try:
            status, out, err = run(capsys, "--db", db, *argv)
        except SystemExit as exc:  # argparse refuses a malformed date itself
            status, (out, err) = int(str(exc.code)), capsys.readouterr()
        assert status in (1, 2), argv
        assert "MARKER" not in out + err, argv
    assert _bytes(db) == before


def test_feedback_shows_a_decision_maker_what_came_of_their_referral(
    db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """``feedback --staff`` lists the person's referrals, with advice and the issues linked to them."""
    (first, maker), _ = _referrals(db)
    issue_id = _open(capsys, db, first)

    status, out, _ = run(capsys, "--db", db, "feedback", "--staff", maker)

    assert status == 0
    assert first in out
    assert f"{issue_id} (open)" in out
    assert MARKER not in out


def test_the_demo_store_has_referrals_awaiting_and_advised() -> None:
    """The statuses the tests above rely on exist (a guard against the demo changing under them)."""
    assert ReferralStatus.SUBMITTED.awaiting_advice
