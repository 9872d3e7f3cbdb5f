"""People at the command line: handing a review over, and a route team assigning its referrals.

Run over a copy of the demo's store. Every refusal is checked three ways: the
exit status and its one-line reason, the store file's bytes unchanged, and no
free text given (a marker in ``--reason``) repeated in anything printed.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import attrs
import pytest

from ethical_decisions import EthicalDecisions, ReferralStatus, open_store
from ethical_decisions.events import ReferralAssigned, ReferralReleased, ReviewHandedOver
from ethical_decisions.model import DecisionMaker, StaffRole
from tests.test_cli import _db, _demo_db, run

__all__ = ["_db", "_demo_db"]  # the command tests' demo store, used here as it is

CCU = "chief_caseworker_unit"
CSG = "customer_services_group"
MARKER = "MARKERREASON she told me about her illness"


@attrs.frozen
class Demo:
    """What the tests act on in the demo's store."""

    review_id: str
    """An open review in Customer Services Group, awaiting the Chief Caseworker Unit's advice."""
    owner: DecisionMaker
    referral_id: str
    """Its referral, submitted and unassigned."""
    closed_id: str
    """A closed review of Customer Services Group."""


@pytest.fixture(name="demo")
def _demo(db: str) -> Demo:
    edm = EthicalDecisions(open_store(db))
    try:
        (waiting,) = edm.store.referrals(route_id=CCU, statuses={ReferralStatus.SUBMITTED}, unassigned=True)
        review = edm.review(waiting.review_id)
        closed = next(r for r in edm.store.reviews(business_area=CSG) if r.closed_at is not None)
    finally:
        edm.store.close()
    return Demo(review.review_id, review.owner, waiting.referral_id, closed.review_id)


def _bytes(db: str) -> bytes:
    path = Path(db.removeprefix("sqlite:///"))
    wal = path.with_name(path.name + "-wal")
    return path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


def _people_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, owner: DecisionMaker, text: str = ""
) -> Path:
    """A people file (set for the command): a register of staff, managers, and the CCU's team."""
    path = tmp_path / "people.toml"
    register = "".join(
        f'[staff.{who}]\nrole = "{role}"\nbusiness_area = "{area}"\nteam = "{team}"\n\n'
        for who, role, area, team in (
            (owner.staff_id, owner.role.value, CSG, owner.team),
            ("csg-0100", "caseworker", CSG, "Family Casework"),
            ("csg-lm01", "line_manager", CSG, owner.team),
            ("csg-lm02", "line_manager", CSG, "Family Casework"),
            ("bf-0100", "caseworker", "border_force", "Heathrow Arrivals"),
        )
    )
    path.write_text(
        f'{text}\n[route_teams]\n{CCU} = ["ccu-0001", "ccu-0002"]\n\n'
        f'[managers]\ncsg-lm01 = ["{owner.staff_id}"]\ncsg-lm02 = ["csg-0100"]\n\n{register}',
        encoding="utf-8",
    )
    monkeypatch.setenv("EDM_PEOPLE_FILE", str(path))
    return path


def _handover(demo: Demo, *options: str, to: str = "csg-0100", staff: str | None = None) -> list[str]:
    staff = staff or demo.owner.staff_id
    return ["handover", demo.review_id, "--to", to, "--staff", staff, "--reason", MARKER, *options]


# -- handover ------------------------------------------------------------------------------------


def test_the_owner_hands_a_review_over_and_the_new_owner_holds_it(
    capsys: pytest.CaptureFixture[str], db: str, demo: Demo, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The owner hands over with the reason on standard input; the trail records from, to and by whom.

    With no people file, the new owner is the role given with --to-role, in the review's business area
    and, without --to-team, the owner's team. The reason is kept, and never printed.
    """
    monkeypatch.setattr("sys.stdin", io.StringIO(MARKER))
    argv = ["handover", demo.review_id, "--to", "csg-0100", "--staff", demo.owner.staff_id]
    status, out, err = run(capsys, "--db", db, *argv, "--reason", "-", "--to-role", "senior_caseworker")

    assert (status, err) == (0, "")
    assert out == (
        f"Review {demo.review_id} is now held by csg-0100 (senior caseworker, {demo.owner.team}); "
        f"handed over from {demo.owner.staff_id} by {demo.owner.staff_id} ({demo.owner.role.value}).\n"
    )
    edm = EthicalDecisions(open_store(db))
    review = edm.review(demo.review_id)
    last = edm.trail(demo.review_id)[-1]
    edm.store.close()
    assert review.owner == DecisionMaker("csg-0100", StaffRole.SENIOR_CASEWORKER, CSG, demo.owner.team)
    assert isinstance(last.payload, ReviewHandedOver)
    assert (last.actor, last.payload.handed_from, last.payload.reason) == (
        demo.owner,
        demo.owner.staff_id,
        MARKER,
    )


def test_a_line_manager_hands_over_someone_elses_review(
    capsys: pytest.CaptureFixture[str], db: str, demo: Demo
) -> None:
    """A line manager of the business area, named by --role, hands over a review they do not hold."""
    argv = _handover(demo, "--role", "line_manager", "--to-role", "caseworker", staff="csg-lm09")
    status, out, _ = run(capsys, "--db", db, *argv)

    assert status == 0
    assert out.endswith(f"handed over from {demo.owner.staff_id} by csg-lm09 (line manager).\n")
    edm = EthicalDecisions(open_store(db))
    last = edm.trail(demo.review_id)[-1]
    edm.store.close()
    assert last.actor == DecisionMaker("csg-lm09", StaffRole.LINE_MANAGER, CSG, demo.owner.team)


def test_the_people_files_register_says_who_people_are(
    capsys: pytest.CaptureFixture[str], db: str, demo: Demo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With a register of staff, --staff and --to are who it says (their role and team), with no --role."""
    _people_file(tmp_path, monkeypatch, demo.owner)

    status, out, _ = run(capsys, "--db", db, *_handover(demo, staff="csg-lm01"))

    assert status == 0
    assert (
        f"now held by csg-0100 (caseworker, Family Casework); handed over from {demo.owner.staff_id}" in out
    )
    assert out.endswith("by csg-lm01 (line manager).\n")


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        (
            "not the owner",
            "Cannot hand the review over as caseworker csg-0200: the review is held by {owner}",
        ),
        (
            "closed",
            "Cannot hand the review over: review {closed} is closed; only an open review is handed over",
        ),
        ("to yourself", "--to: names you (--staff); a review is handed over to someone else"),
        ("to the owner", "--to: {owner} already holds review {review}"),
        ("no role for --to", "--to-role: no people file lists csg-0100, so give their role"),
        ("no role for --staff", "--role: no people file lists csg-0200, so give their role"),
        ("blank reason", "--reason: must not be empty or only whitespace"),
        ("no such review", "No review with id 'rv-nope' is in the store"),
        (
            "unknown --to",
            "--to: csg-9999 is not in the register of staff in the file named by EDM_PEOPLE_FILE",
        ),
        ("unknown --staff", "--staff: csg-9999 is not in the register of staff"),
        ("another business area", "it can be handed over only to a decision-maker in that business area"),
        ("not their manager", "the review is held by {owner}, whom csg-lm02 does not manage"),
    ],
)
def test_a_handover_refused_or_malformed_exits_1_says_why_and_changes_nothing(
    capsys: pytest.CaptureFixture[str],
    db: str,
    demo: Demo,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    case: str,
    expected: str,
) -> None:
    """Each refusal exits 1 naming what was wrong (a refusal by the library in one line), never the reason.

    Refused by the permission policy or the model: someone who neither holds the review nor manages
    the owner, a closed review, another business area, a manager who does not manage the owner. Bad
    input: handing over to yourself or to the owner, a role needed and not given, a blank reason, no
    such review, a staff id the people file's register does not list. The store's bytes are unchanged.
    """
    owner = demo.owner.staff_id
    register = case in ("unknown --to", "unknown --staff", "another business area", "not their manager")
    if register:
        _people_file(tmp_path, monkeypatch, demo.owner)
    argv = {
        "not the owner": _handover(demo, "--role", "caseworker", "--to-role", "caseworker", staff="csg-0200"),
        "closed": ["handover", demo.closed_id, "--to", "csg-0100", "--staff", owner, "--reason", MARKER],
        "to yourself": _handover(demo, to=owner),
        "to the owner": _handover(demo, "--role", "line_manager", to=owner, staff="csg-lm09"),
        "no role for --to": _handover(demo),
        "no role for --staff": _handover(demo, "--to-role", "caseworker", staff="csg-0200"),
        "blank reason": [*_handover(demo, "--to-role", "caseworker"), "--reason", " \n "],
        "no such review": ["handover", "rv-nope", "--to", "csg-0100", "--staff", owner, "--reason", MARKER],
        "unknown --to": _handover(demo, to="csg-9999"),
        "unknown --staff": _handover(demo, staff="csg-9999"),
        "another business area": _handover(demo, to="bf-0100"),
        "not their manager": _handover(demo, staff="csg-lm02"),
    }[case]
    before = _bytes(db)

    status, out, err = run(capsys, "--db", db, *argv)

    assert (status, out) == (1, "")
    assert expected.format(owner=owner, closed=demo.closed_id, review=demo.review_id) in err
    if err.startswith("ethical-decisions: error: Cannot "):
        assert err.count("\n") == 1
    assert "MARKER" not in err
    assert _bytes(db) == before


def test_a_handover_without_a_reason_is_not_understood(
    capsys: pytest.CaptureFixture[str], db: str, demo: Demo
) -> None:
    """--reason is required: without it the command line is not understood (exit 2) and nothing changes."""
    before = _bytes(db)
    argv = ["handover", demo.review_id, "--to", "csg-0100", "--staff", demo.owner.staff_id]

    with pytest.raises(SystemExit) as exit_:
        main_argv(argv, db)

    assert exit_.value.code == 2
    assert "the following arguments are required: --reason" in capsys.readouterr().err
    assert _bytes(db) == before


def main_argv(argv: list[str], db: str) -> int:
    """Run the command without catching argparse's exit."""
    from ethical_decisions.cli import main

    return main(["--db", db, *argv])


def test_verbose_logs_of_a_handover_never_repeat_the_reason(
    capsys: pytest.CaptureFixture[str], db: str, demo: Demo
) -> None:
    """With --verbose, a refused and then a recorded handover log their events, and never the reason."""
    refused = _handover(demo, "--role", "caseworker", "--to-role", "caseworker", staff="csg-0200")
    recorded = _handover(demo, "--to-role", "caseworker")

    results = [run(capsys, "--db", db, "--verbose", *argv) for argv in (refused, recorded)]

    printed = "".join(out + err for _, out, err in results)
    assert [status for status, _, _ in results] == [1, 0]
    assert "ethical_decisions.permission_refused" in printed
    assert "ethical_decisions.event_stored" in printed
    assert "MARKER" not in printed


# -- referral assignment -------------------------------------------------------------------------


def _referrals(capsys: pytest.CaptureFixture[str], db: str, *options: str) -> list[dict[str, object]]:
    status, out, _ = run(
        capsys, "--db", db, "referrals", "list", "--route", CCU, "--format", "json", *options
    )
    assert status == 0
    rows: list[dict[str, object]] = json.loads(out)
    return rows


def test_a_route_team_member_takes_a_referral_works_it_and_releases_one(
    capsys: pytest.CaptureFixture[str], db: str, demo: Demo
) -> None:
    """Taking a referral moves it from the unassigned queue to the member's own; releasing moves it back.

    ``referrals show`` names the assignee, the list's ``assigned to`` column shows them, and the
    history says who assigned and released it.
    """
    route = ["--route", CCU]
    assert [r["referral_id"] for r in _referrals(capsys, db, "--unassigned")] == [demo.referral_id]

    status, out, _ = run(
        capsys, "--db", db, "referrals", "assign", demo.referral_id, *route, "--staff", "ccu-0001"
    )

    assert (status, out) == (0, f"Referral {demo.referral_id}: assigned to ccu-0001.\n")
    assert _referrals(capsys, db, "--unassigned") == []
    (mine,) = _referrals(capsys, db, "--mine", "--staff", "ccu-0001")
    assert (mine["referral_id"], mine["assignee_id"]) == (demo.referral_id, "ccu-0001")
    status, out, _ = run(capsys, "--db", db, "referrals", "list", *route, "--mine", "--staff", "ccu-0001")
    assert "assigned to" in out.splitlines()[0]
    assert f"{demo.referral_id}  {CCU}  submitted" in out
    assert "ccu-0001" in out.splitlines()[2]
    _, out, _ = run(capsys, "--db", db, "referrals", "show", demo.referral_id, *route)
    assert "  assigned to: ccu-0001\n" in out

    status, out, _ = run(
        capsys, "--db", db, "referrals", "release", demo.referral_id, *route, "--staff", "ccu-0002"
    )

    back = f"it is back in route {CCU}'s unassigned queue"
    assert (status, out) == (0, f"Referral {demo.referral_id}: released from ccu-0001; {back}.\n")
    assert [r["referral_id"] for r in _referrals(capsys, db, "--unassigned")] == [demo.referral_id]
    _, out, _ = run(capsys, "--db", db, "referrals", "show", demo.referral_id, *route)
    assert "  assigned to: nobody (it is in the unassigned queue)\n" in out
    assert "referral assigned by ccu-0001 to themselves\n" in out
    assert "referral released by ccu-0002\n" in out


def test_a_referral_assigned_to_a_colleague_is_theirs_to_answer(
    capsys: pytest.CaptureFixture[str], db: str, demo: Demo
) -> None:
    """Assigned with --to, the referral is the colleague's: another member's acknowledgement is refused."""
    route = ["--route", CCU]
    argv = ["referrals", "assign", demo.referral_id, *route, "--staff", "ccu-0001", "--to", "ccu-0002"]
    assert run(capsys, "--db", db, *argv)[:2] == (0, f"Referral {demo.referral_id}: assigned to ccu-0002.\n")
    before = _bytes(db)

    status, _, err = run(
        capsys, "--db", db, "referrals", "acknowledge", demo.referral_id, *route, "--staff", "ccu-0001"
    )

    assert status == 1
    assert err == (
        f"ethical-decisions: error: Cannot acknowledge the referral as member of route {CCU}'s team "
        f"ccu-0001: referral {demo.referral_id} is assigned to ccu-0002. To take it: ask ccu-0002, or "
        "assign the referral to yourself first. Nothing was recorded.\n"
    )
    assert _bytes(db) == before
    status, out, _ = run(
        capsys, "--db", db, "referrals", "acknowledge", demo.referral_id, *route, "--staff", "ccu-0002"
    )
    assert (status, out) == (0, f"Referral {demo.referral_id}: acknowledged.\n")


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("to the referrer", "{referrer} made referral {referral}, and nobody answers their own referral"),
        ("to someone off the team", "ccu-0009 is not on route chief_caseworker_unit's team"),
        (
            "by someone off the team",
            "Cannot assign the referral as member of route chief_caseworker_unit's team",
        ),
        ("release unassigned", "referral '{referral}' is not assigned to anyone"),
        ("another route", "No referral to route 'safety_valve_mechanism' with id '{referral}'"),
    ],
)
def test_an_assignment_refused_exits_1_with_the_policys_reason_and_changes_nothing(
    capsys: pytest.CaptureFixture[str],
    db: str,
    demo: Demo,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    case: str,
    expected: str,
) -> None:
    """Each refused assignment or release exits 1 with one line saying why, and changes nothing.

    Assigning to the member who made the referral, or to someone off the team the people file lists,
    by someone off it, releasing a referral nobody holds, and acting on another route's referral.
    """
    if "off the team" in case:
        _people_file(tmp_path, monkeypatch, demo.owner)
    edm = EthicalDecisions(open_store(db))
    referrer = edm.referral(demo.referral_id).referred_by.staff_id
    edm.store.close()
    assign = ["referrals", "assign", demo.referral_id, "--route", CCU]
    argv = {
        "to the referrer": [*assign, "--staff", "ccu-0001", "--to", referrer],
        "to someone off the team": [*assign, "--staff", "ccu-0001", "--to", "ccu-0009"],
        "by someone off the team": [*assign, "--staff", "ccu-0009"],
        "release unassigned": [
            "referrals",
            "release",
            demo.referral_id,
            "--route",
            CCU,
            "--staff",
            "ccu-0001",
        ],
        "another route": [
            "referrals",
            "assign",
            demo.referral_id,
            "--route",
            "safety_valve_mechanism",
            "--staff",
            "svm-1",
        ],
    }[case]
    before = _bytes(db)

    status, out, err = run(capsys, "--db", db, *argv)

    assert (status, out) == (1, "")
    assert expected.format(referrer=referrer, referral=demo.referral_id) in err
    assert err.count("\n") == 1
    assert _bytes(db) == before


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--mine"], "--mine needs --staff STAFF_ID"),
        (["--staff", "ccu-0001"], "--staff is used only with --mine"),
        (["--mine", "--unassigned", "--staff", "ccu-0001"], "not allowed with argument"),
        (["--mine", "--staff", "not an id"], "expected a staff id"),
    ],
)
def test_the_queues_options_that_cannot_go_together_are_not_understood(
    capsys: pytest.CaptureFixture[str], db: str, options: list[str], message: str
) -> None:
    """--mine needs --staff and --staff needs --mine; --mine and --unassigned exclude each other (exit 2)."""
    with pytest.raises(SystemExit) as exit_:
        main_argv(["referrals", "list", *options], db)

    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert message in err
    assert "not an id" not in err


def test_the_queue_prints_statuses_in_words_and_json_keeps_the_codes(
    capsys: pytest.CaptureFixture[str], db: str, demo: Demo
) -> None:
    """``referrals list --all`` shows ``advice given``, never ``advice_given``; its JSON keeps the code."""
    team = ["--route", CCU, "--staff", "ccu-0001"]
    assert run(capsys, "--db", db, "referrals", "acknowledge", demo.referral_id, *team)[0] == 0
    status, out, _ = run(
        capsys, "--db", db, "referrals", "advise", demo.referral_id, *team, "--advice", "Grant."
    )
    assert (status, out) == (0, f"Referral {demo.referral_id}: advice given.\n")

    status, out, _ = run(capsys, "--db", db, "referrals", "list", "--all")

    assert status == 0
    assert "advice given" in out
    assert "advice_given" not in out
    assert "advice_given" in {r["status"] for r in _referrals(capsys, db, "--all")}


def test_the_demo_hands_reviews_over_and_its_route_teams_take_referrals(demo_db: Path) -> None:
    """The demo's trail has handovers (one by a line manager), and referrals taken, reassigned, released.

    Route team members take referrals themselves: one is released and taken by another, one taken
    over half way, and most taken once.
    """
    edm = EthicalDecisions(open_store(f"sqlite:///{demo_db}"))
    events = [record.event() for record in edm.store.chain()]
    edm.store.close()

    handovers = [e for e in events if isinstance(e.payload, ReviewHandedOver)]
    assert handovers
    assert any(
        isinstance(e.actor, DecisionMaker) and e.actor.role is StaffRole.LINE_MANAGER for e in handovers
    )
    history: dict[str, list[str]] = {}
    for event in events:
        if isinstance(event.payload, ReferralAssigned | ReferralReleased):
            history.setdefault(event.payload.referral_id, []).append(event.kind)
    taken = [(e.actor.staff_id, e.payload) for e in events if isinstance(e.payload, ReferralAssigned)]
    assert all(by == payload.assignee.staff_id for by, payload in taken)
    assert ["referral_assigned", "referral_released", "referral_assigned"] in history.values()
    assert ["referral_assigned", "referral_assigned"] in history.values()  # taken over half way
    assert sum(kinds == ["referral_assigned"] for kinds in history.values()) > 2
