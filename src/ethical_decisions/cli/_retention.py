"""``retention sweep``: erase the free text of reviews past the deployment's retention period.

For a scheduler (cron, a systemd timer, a Kubernetes CronJob): idempotent and
resumable (each erasure is its own transaction; a run killed part way is
finished by the next), a progress bar on a terminal, and one summary line
(also logged as ``ethical_decisions.retention_swept``, counts only). It acts as
the records officer named by ``--staff``. See :mod:`ethical_decisions.retention`.
"""

from __future__ import annotations

import argparse

from ethical_decisions.model import RecordsOfficer
from ethical_decisions.retention import PERIOD_VARIABLE, retention_period, sweep

from ._common import connect, staff_id
from ._progress import Progress

__all__ = ["add_commands"]


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``retention`` with ``sweep``."""
    retention = commands.add_parser(
        "retention",
        help="erase free text past the retention period (a retention sweep)",
        description="Retention of reviews' free text.",
    )
    actions = retention.add_subparsers(title="actions", metavar="ACTION")
    swept = actions.add_parser(
        "sweep",
        help="erase the free text of reviews closed longer ago than the retention period",
        description="Erase the free text of every review closed longer ago than the retention period "
        f"(--period, else ${PERIOD_VARIABLE}: an ISO 8601 duration such as P6Y, or a number of days), with "
        "the library's erasure: each is an event in the review's trail, so verify passes after. A review "
        "is held while a later outcome on it is pending. The audit chain is checked first: on a broken "
        "chain nothing is erased. Safe to run again, and to rerun after it was stopped part way.",
    )
    swept.add_argument(
        "--period", metavar="DURATION", help=f"the retention period (default: ${PERIOD_VARIABLE})"
    )
    swept.add_argument("--dry-run", action="store_true", help="erase nothing; count what would be erased")
    swept.add_argument(
        "--staff", required=True, type=staff_id, metavar="STAFF_ID", help="your staff id (a records officer)"
    )
    swept.set_defaults(run=_sweep)


def _sweep(args: argparse.Namespace) -> int:
    period = retention_period(args.period)
    with connect(args, create=False) as edm, Progress("sweeping", 1) as bar:

        def advance(done: int, total: int) -> None:
            bar.total = max(total, 1)
            bar.advance(done - bar.done)

        report = sweep(
            edm, by=RecordsOfficer(args.staff), period=period, dry_run=args.dry_run, progress=advance
        )
    print(report.summary())
    return 0
