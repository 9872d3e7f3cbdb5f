"""``report`` and ``signals``: PDR and department reports in four formats; concern categories rising.

Making a department report tells the installed plugins of each concern category it shows rising (the
``ethical_decisions_rising_category`` hook); ``signals`` does only that, for a scheduler to run monthly.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ethical_decisions import reports
from ethical_decisions.assessments import sample_seed
from ethical_decisions.service import EthicalDecisions
from ethical_decisions.signals import RULE

from ._common import (
    CommandError,
    check_output,
    connect,
    parse_date,
    positive_number,
    refuse_store_file,
    whole_number,
    write_output,
)
from ._common import staff_id as staff_id_type

__all__ = ["add_commands", "write_reports"]


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--from",
        dest="first_day",
        required=True,
        type=parse_date,
        metavar="DATE",
        help="the first day of the period, YYYY-MM-DD",
    )
    parser.add_argument(
        "--to",
        dest="last_day",
        required=True,
        type=parse_date,
        metavar="DATE",
        help="the last day of the period, YYYY-MM-DD (included)",
    )
    parser.add_argument(
        "--format",
        choices=reports.FORMATS,
        default="text",
        help="text for the terminal (default), json, csv, or html (one self-contained page)",
    )
    parser.add_argument(
        "--output",
        type=Path,
        metavar="FILE",
        help="write here instead of standard output (a new file, in a folder that exists)",
    )
    parser.add_argument("--force", action="store_true", help="replace the --output file if it exists")


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``report pdr`` and ``report department``."""
    report = commands.add_parser(
        "report",
        help="PDR and department reports",
        description="Reports on how the Ethical Decision-Making Model is used, from the compliance records "
        "of closed reviews. They hold no applicant data and no free text.",
    )
    kinds = report.add_subparsers(title="reports", metavar="REPORT", required=True)

    pdr = kinds.add_parser(
        "pdr",
        help="evidence for one decision-maker's Performance Development Review",
        description="Evidence for one decision-maker's PDR conversation about how they used the model over "
        "a period: their line manager's assessment of sampled records against the model's elements, what "
        "they did with routes' advice, referrals returned for more information, their decisions later "
        "challenged and the result, concerns proceeded with unresolved, and a few records picked at "
        "random to talk about. What the rules force (a reflection and a rationale on every closed review) "
        "is said once, never scored. It never ranks people or sets a number of escalations to reach: "
        "raising concerns never counts against anyone.",
    )
    pdr.add_argument(
        "--staff",
        required=True,
        type=staff_id_type,
        metavar="STAFF_ID",
        help="the decision-maker's staff id (case-sensitive)",
    )
    _common(pdr)
    pdr.add_argument(
        "--sample", type=whole_number, default=3, metavar="N", help="records to pick for the conversation (3)"
    )
    pdr.add_argument("--seed", type=int, help="pick the same records each time")
    pdr.set_defaults(run=_pdr)

    department = kinds.add_parser(
        "department",
        help="how the model is used across the department",
        description="Concern categories rising (first), escalations per route per month, referrals from "
        "frontline staff and caseworkers, outcomes, time to advice against each route's target and time "
        "to escalate beside it, overdue referrals, concern categories over time and by route, the "
        "overturn rate at appeal or tribunal for decisions reviewed with and without concerns, and line "
        "managers' assessments per element. Counts under the threshold are suppressed so that no one can "
        "be identified, and a few others so that no hidden count can be worked out from the rest. It covers "
        "whole calendar months that have ended (--from the first day of a month, --to the last day of one), "
        "so that two reports cannot be subtracted to give a day or a week; any other period is refused, "
        "naming the nearest. The installed plugins are told of each concern category rising.",
    )
    _common(department)
    department.add_argument(
        "--threshold",
        type=int,
        default=reports.DEFAULT_THRESHOLD,
        metavar="N",
        help=f"suppress counts under N (default {reports.DEFAULT_THRESHOLD})",
    )
    department.add_argument(
        "--issue-titles",
        action="store_true",
        help="list the titles of the systemic issues opened in the period, where your deployment has "
        "decided the report's readers may read them (titles only; only when the count of issues is shown)",
    )
    department.set_defaults(run=_department)

    signals = commands.add_parser(
        "signals",
        help="the concern categories rising last month (for a scheduler to run monthly)",
        description="Work out which concern categories are rising in the last whole month, from the "
        "department report of the whole months before this one (six by default), print them, and tell the "
        "installed plugins (the ethical_decisions_rising_category hook) so that a business area can be "
        "told. " + RULE,
    )
    signals.add_argument(
        "--threshold",
        type=int,
        default=reports.DEFAULT_THRESHOLD,
        metavar="N",
        help=f"suppress counts under N (default {reports.DEFAULT_THRESHOLD})",
    )
    signals.add_argument(
        "--months",
        type=positive_number,
        default=6,
        metavar="N",
        help="whole months the report covers, four or more (default 6)",
    )
    signals.set_defaults(run=_signals)


def _pdr(args: argparse.Namespace) -> int:
    period = reports.Period.from_dates(args.first_day, args.last_day)
    with connect(args) as edm:
        check_output(args.output, force=args.force, store=edm.store)
        _require_records(edm, args.staff, period)
        report = reports.pdr_report(edm.store, args.staff, period, sample_size=args.sample, seed=args.seed)
        write_output(reports.render(report, args.format), args.output, force=args.force, store=edm.store)
    return 0


def _require_records(edm: EthicalDecisions, staff_id: str, period: reports.Period) -> None:
    """Refuse a PDR report that would be all zeros: for a staff id with no records, or none in *period*.

    A report of zeros could be taken into a conversation as if it were evidence.

    :raises CommandError: saying which, that staff ids are case-sensitive, and any id that differs only
        in case.
    """
    figures = edm.store.pdr_figures(staff_id, period)
    if figures.closed or figures.open_at_end or any(figures.parts.values()):
        return
    store = edm.store
    if store.reviews(staff_id=staff_id) or store.reviews(owner_id=staff_id):
        raise CommandError(
            f"Staff id {staff_id!r} has no records in the period ({period.describe()}): no review they "
            "took part in closed in it, and they held none open at its end, so there is nothing to report. "
            "Choose a period in which they worked on reviews; nothing was written."
        )
    folded = staff_id.casefold()
    others = sorted(
        {
            known
            for review in store.reviews()
            for known in (review.staff_id, review.owner_id)
            if known.casefold() == folded and known != staff_id
        }
    )
    maybe = f"; did you mean {' or '.join(repr(o) for o in others)}?" if others else "."
    raise CommandError(
        f"No records for staff id {staff_id!r} in this store: no review was opened, held or decided by "
        f"them. Check the staff id: staff ids are case-sensitive{maybe} Nothing was written."
    )


def _department(args: argparse.Namespace) -> int:
    period = reports.Period.from_dates(args.first_day, args.last_day)
    with connect(args) as edm:
        check_output(args.output, force=args.force, store=edm.store)
        report = _department_report(edm, period, args.threshold, issue_titles=args.issue_titles)
        write_output(reports.render(report, args.format), args.output, force=args.force, store=edm.store)
    return 0


def _department_report(
    edm: EthicalDecisions, period: reports.Period, threshold: int, *, issue_titles: bool = False
) -> reports.DepartmentReport:
    """The department report, with the plugins told of each concern category it shows rising."""
    names = {route.route_id: route.name for route in edm.routes()}
    report = reports.department_report(
        edm.store, period, threshold=threshold, route_names=names, issue_titles=issue_titles
    )
    reports.tell(edm.plugins, report)
    return report


def _signals(args: argparse.Namespace) -> int:
    with connect(args) as edm:
        names = {route.route_id: route.name for route in edm.routes()}
        found = reports.signals(
            edm.store, plugins=edm.plugins, months=args.months, threshold=args.threshold, route_names=names
        )
    if not found:
        print("No concern category is rising in the last whole month.")
    for signal in found:
        print(f"Rising: {signal.describe()}.")
    return 0


def write_reports(
    edm: EthicalDecisions, period: reports.Period, folder: Path, *, staff_id: str
) -> dict[str, Path]:
    """Write the department report and *staff_id*'s PDR report as HTML into *folder*; return the paths.

    The folder is the demo's own: it is made if need be, and the two reports in it replaced; the
    store's own file is never written over.
    """
    folder.mkdir(parents=True, exist_ok=True)
    written = {
        "department": folder / "department.html",
        "pdr": folder / f"pdr-{staff_id}.html",
    }
    for path in written.values():
        refuse_store_file(path, edm.store)
    written["department"].write_text(
        reports.render(_department_report(edm, period, reports.DEFAULT_THRESHOLD), "html"), encoding="utf-8"
    )
    seed = sample_seed(staff_id, period.first_day)  # the sample the line manager assessed
    pdr = reports.pdr_report(edm.store, staff_id, period, seed=seed)
    written["pdr"].write_text(reports.render(pdr, "html"), encoding="utf-8")
    return written
