"""``demo``: six months of synthetic cases in the four business areas, through the model, into the store.

The cases open in the six whole calendar months before this one: the period its
reports cover, which its summary states too, so that the console's counts and the
reports' agree (a department report covers whole months). Line managers then
assess a sample of each decision-maker's records, as they would for PDRs.

The demo's people are made up, so it ignores the deployment's people file
(``EDM_PEOPLE_FILE``): the default permission policy applies with nobody in particular.
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import os
import random
from pathlib import Path

from ethical_decisions.caseindex import KEY_VARIABLE
from ethical_decisions.exceptions import NoRouteError, StoreError
from ethical_decisions.model import (
    KNOWN_BUSINESS_AREAS,
    DecisionMaker,
    StaffRole,
)
from ethical_decisions.policy import People
from ethical_decisions.relay import Relay
from ethical_decisions.reports import Period
from ethical_decisions.reports.labels import OUTCOME
from ethical_decisions.review import Review
from ethical_decisions.service import EthicalDecisions

from ._common import connect, positive_number, refuse_store_file
from ._demo_cases import AREAS, Case, DemoClock, Walk, awaiting_advice, pick_path
from ._demo_learning import (
    DEMO_KEY,
    OFFICER,
    Learning,
    import_later_outcomes,
    raise_systemic_issues,
    retention_dry_run,
    speak_up_and_guidance,
    write_later_outcomes,
)
from ._demo_people import HandoverPlanner, TeamPlan, assess_samples, pdr_subject, people_summary
from ._progress import Progress
from ._report import write_reports
from ._table import table

__all__ = ["add_commands"]

_STAFF_PER_AREA = 8
_MONTHS = 6
"""The demo's cases open in the six whole calendar months before this one: the reports' period."""


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``demo``."""
    demo = commands.add_parser(
        "demo",
        help="load six months of synthetic cases through the whole model, then report on them",
        description="Walk six whole months of synthetic cases (the six calendar months before this one) in "
        "the four business areas through the model (reflection, concerns of every category, discretion, "
        "discussion, handovers, route teams taking and answering referrals, responses to their advice: "
        "followed, in part, not followed, escalated again; final decisions of every outcome, later appeal "
        "outcomes) into the store; have line managers assess a sample of each decision-maker's records; "
        "deliver the referrals, verify the audit chain, and write a department report and a PDR report for "
        "those months as HTML. The summary states the same period and counts what the reports count. No "
        "case or person is real, so the demo loads only into an empty store, unless --add is given, and "
        "ignores the people file named by EDM_PEOPLE_FILE.",
    )
    demo.add_argument(
        "--reviews", type=positive_number, default=600, metavar="N", help="how many cases (default 600)"
    )
    demo.add_argument("--seed", type=int, default=2025, help="the random seed, for the same cases every time")
    demo.add_argument(
        "--reports",
        type=Path,
        default=Path("edm-reports"),
        metavar="DIR",
        help="where to write the HTML reports",
    )
    demo.add_argument(
        "--add",
        action="store_true",
        help="add the cases even though the store already holds reviews (only ever a store of demo cases)",
    )
    demo.set_defaults(run=_demo)


def _staff(rng: random.Random) -> list[DecisionMaker]:
    staff = []
    for area, (prefix, _, teams) in AREAS.items():
        for n in range(1, _STAFF_PER_AREA + 1):
            frontline = area == "immigration_enforcement" and n <= 5
            role = (
                StaffRole.FRONTLINE_OFFICER
                if frontline
                else rng.choice([StaffRole.CASEWORKER, StaffRole.CASEWORKER, StaffRole.SENIOR_CASEWORKER])
            )
            staff.append(DecisionMaker(f"{prefix}-{n:04d}", role, area, teams[n % len(teams)]))
    return staff


def _check_routes(edm: EthicalDecisions) -> None:
    routes = edm.routes()
    missing = [area for area in AREAS if not any(r.business_area == area for r in routes)]
    if missing:
        names = ", ".join(KNOWN_BUSINESS_AREAS[a] for a in missing)
        raise NoRouteError(f"the demo's business areas ({names})", sorted(r.route_id for r in routes))


def _learning(
    edm: EthicalDecisions, clock: DemoClock, reviews: list[Review], period: Period, args: argparse.Namespace
) -> Learning:
    """The learning loop over the walked cases (see :mod:`._demo_learning`)."""

    def set_clock(at: dt.datetime) -> None:
        clock.now = at

    today = clock.now
    rng = random.Random(args.seed + 3)
    issues, linked, moved = raise_systemic_issues(edm, set_clock, reviews, period.end)
    answered, sent = speak_up_and_guidance(edm, set_clock, reviews, rng)
    clock.now = today
    checked, imported = import_later_outcomes(edm, write_later_outcomes(reviews, today, rng, args.reports))
    return Learning(issues, linked, moved, answered, sent, checked, imported, retention_dry_run(edm))


def _today() -> dt.datetime:
    """Nine o'clock this morning, UTC: the demo's "now" (the tests set another day)."""
    return dt.datetime.now(dt.UTC).replace(hour=9, minute=0, second=0, microsecond=0)


def _period(today: dt.datetime) -> Period:
    """The :data:`_MONTHS` whole calendar months before the month of *today*: what the demo reports on.

    A department report covers whole months that have ended, so the demo's
    cases open in these months, and its summary and its reports state them.
    """
    month = today.year * 12 + today.month - 1
    first, last = month - _MONTHS, month - 1
    return Period.from_months(
        f"{first // 12:04d}-{first % 12 + 1:02d}", f"{last // 12:04d}-{last % 12 + 1:02d}"
    )


def _demo(args: argparse.Namespace) -> int:
    rng = random.Random(args.seed)
    today = _today()
    period = _period(today)
    days = (period.end - period.start).days
    clock = DemoClock(today)
    staff = _staff(rng)
    handovers = HandoverPlanner(staff, args.reviews, random.Random(args.seed + 1))
    teams = TeamPlan()
    key = os.environ.get(KEY_VARIABLE) or DEMO_KEY  # the cases are made up: a demo key will do
    with connect(args, clock=clock, people=People(), create=True, case_index_key=key) as edm:
        head = edm.head()
        if head is not None and not args.add:
            raise StoreError(
                f"The store {edm.store.url} already holds {head.position} events. The demo's cases are "
                "made up, so it loads them only into an empty store, where they cannot mix with real "
                "reviews: give a new file with --db sqlite:///demo.db (before 'demo'), or pass --add to "
                "add more cases to a store of demo cases."
            )
        _check_routes(edm)
        for name in ("department.html", "later-outcomes.csv"):
            refuse_store_file(args.reports / name, edm.store)
        print(f"Walking {args.reviews} synthetic cases through the model into {edm.store.url} ...")
        reviews: list[Review] = []
        # The last case of each area is recent and still with its route, so every queue has one.
        last_of_area = {args.reviews - i: area for i, area in enumerate(AREAS)}
        with Progress("cases", args.reviews) as progress:
            for number in range(1, args.reviews + 1):
                waiting = last_of_area.get(number)
                maker = rng.choice([s for s in staff if waiting in (None, s.business_area)])
                recent = waiting is not None or rng.random() < 0.06
                age = rng.uniform(1, 12) if recent else rng.uniform(14, days)
                opened = period.end - dt.timedelta(days=age, minutes=rng.randint(0, 480))
                path = (
                    awaiting_advice
                    if waiting
                    else pick_path(maker.business_area, maker.role, rng, recent=recent, late=age < 34)
                )
                closes = path is not awaiting_advice
                handover = handovers.plan(number, maker, closes=closes)
                taken = not closes and teams.take_waiting(waiting)
                walk = Walk(edm, clock, Case(number, maker, opened, rng, handover, taken), teams)
                path(walk)
                assert walk.review is not None
                reviews.append(walk.review)
                progress.advance()
        clock.now = today
        learning = _learning(edm, clock, reviews, period, args)
        clock.now = today
        assessed = assess_samples(edm, clock, staff, period, random.Random(args.seed + 2))
        clock.now = today
        delivered = Relay(edm).run_once(limit=10 * args.reviews)
        report = edm.verify()
        subject = pdr_subject(reviews)
        written = write_reports(edm, period, args.reports, staff_id=subject)
        written["later outcomes"] = args.reports / "later-outcomes.csv"
    _summary(
        reviews,
        period,
        learning=learning,
        assessed=assessed,
        delivered=delivered.delivered,
        verified=str(report),
        written=written,
        db=args.db,
        subject=subject,
    )
    return 0


def _summary(
    reviews: list[Review],
    period: Period,
    *,
    learning: Learning,
    assessed: tuple[int, int],
    delivered: int,
    verified: str,
    written: dict[str, Path],
    db: str | None,
    subject: str,
) -> None:
    """What the demo did, in its reports' terms: reviews closed and referrals submitted in *period*."""
    by_area: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    closed = [r for r in reviews if r.closed_at is not None and r.closed_at in period]
    for review in closed:
        assert review.outcome_class is not None
        by_area[review.business_area][OUTCOME[review.outcome_class]] += 1
    classes = [label for label in OUTCOME.values() if any(label in counts for counts in by_area.values())]
    print(f"\nReviews closed from {period.describe()} (the reports' period), by how they ended:\n")
    print(
        table(
            ["outcome", *(KNOWN_BUSINESS_AREAS[a] for a in AREAS), "all"],
            [[c, *(by_area[a][c] for a in AREAS), sum(by_area[a][c] for a in AREAS)] for c in classes],
        )
    )
    still_open = sum(1 for r in reviews if r.closed_at is None)
    later = len(reviews) - len(closed) - still_open
    referrals = [referral for r in reviews for referral in r.referrals if referral.submitted_at in period]
    again = sum(1 for r in reviews for c in r.concerns for response in c.responses if not response.resolved)
    after = f", {later} closed after it" if later else ""
    print(
        f"\n{len(reviews)} cases: {len(closed)} reviews closed in the period, {still_open} still open{after}."
    )
    print(
        f"{len(referrals)} referrals submitted in the period; {delivered} referral messages delivered; "
        f"{again} responses to advice left a concern unresolved."
    )
    records, findings = assessed
    print(f"Line managers assessed {records} records ({findings} findings).")
    print(
        f"Systemic issues: {learning.issues} raised by the Chief Caseworker Unit's and the Safety Valve "
        f"Mechanism's teams, {learning.linked} more referrals linked, {learning.moved} moved on by policy "
        f"teams. {learning.speak_up} answers to the speaking-up questions; {learning.guidance} pieces of "
        "feedback on the guidance."
    )
    print(f"Later outcomes, a dry run first: {learning.checked.summary()}.")
    print(f"Later outcomes imported: {learning.outcomes.summary()}.")
    print(f"Retention at a 90-day period, a dry run (nothing erased): {learning.swept.summary()}.")
    print(people_summary(reviews))
    print(f"Audit chain: {verified}")
    print("\nReports written:")
    for name, path in written.items():
        print(f"  {name}: {path.resolve()}")
    db = f"--db {db} " if db else ""
    advised = (r.referred_by.staff_id for review in reviews for r in review.referrals if r.advice_at)
    feedback_to = next(advised, subject)
    print("\nWhere to look next:")
    print(f"  open {written['department'].resolve()} in a browser")
    print(f"  ethical-decisions {db}referrals list --route chief_caseworker_unit")
    print(f"  ethical-decisions {db}referrals list --unassigned")
    days = f"--from {period.first_day} --to {period.last_day}"
    print(f"  ethical-decisions {db}report pdr --staff {subject} {days}")
    print(f"  ethical-decisions {db}assessments {subject} {days}")
    print(f"  ethical-decisions {db}signals")
    print(f"  ethical-decisions {db}systemic list")
    print(f"  ethical-decisions {db}feedback --staff {feedback_to}")
    key = "" if os.environ.get(KEY_VARIABLE) else f"{KEY_VARIABLE}={DEMO_KEY} "
    print(
        f"  {key}ethical-decisions {db}outcomes import {written['later outcomes']} --dry-run "
        f"--staff {OFFICER.staff_id}"
    )
    print(f"  ethical-decisions {db}retention sweep --period P90D --dry-run --staff {OFFICER.staff_id}")
    print(f"  ethical-decisions {db}routes")
    print(f"  ethical-decisions {db}verify")
    print(f"  ethical-decisions {db}report --help")
