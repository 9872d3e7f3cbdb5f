"""``relay`` and ``outbox``: deliver referral messages to routes, and see or re-drive dead letters."""

from __future__ import annotations

import argparse
import datetime as dt

from ethical_decisions.relay import LEASE_VARIABLE, Relay, RetryPolicy
from ethical_decisions.store import OutboxRow, OutboxStatus

from ._common import connect, positive_number, positive_seconds
from ._table import table

__all__ = ["add_commands"]


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``relay`` and ``outbox``."""
    relay = commands.add_parser(
        "relay",
        help="deliver referral messages to the routes' teams",
        description="Deliver the messages waiting in the outbox (new referrals, information provided, "
        "withdrawals) through each route's transport, retrying with backoff. A message that still fails "
        "after the last retry becomes a dead letter: see 'outbox list --status dead'. Runs until "
        "interrupted, or one pass with --once.",
    )
    relay.add_argument("--once", action="store_true", help="make one pass over the due messages, then stop")
    relay.add_argument(
        "--limit", type=positive_number, default=20, metavar="N", help="messages per pass (20)"
    )
    relay.add_argument(
        "--interval",
        type=positive_seconds,
        default=5.0,
        metavar="SECONDS",
        help="pause when nothing is due (5)",
    )
    relay.add_argument(
        "--lease",
        type=positive_seconds,
        metavar="SECONDS",
        help=f"how long a claimed message is left to this relay (default ${LEASE_VARIABLE}, else 300); "
        "longer than one delivery can take",
    )
    relay.set_defaults(run=_relay)

    outbox = commands.add_parser(
        "outbox",
        help="see undelivered messages and dead letters; re-drive a dead letter",
        description="Messages to the routes' teams and their delivery state. Dead letters are kept, "
        "never deleted; re-drive one once its route can take it again.",
    )
    actions = outbox.add_subparsers(title="actions", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help="list outbox messages")
    listing.add_argument(
        "--status", choices=[s.value for s in OutboxStatus], help="only messages in this state"
    )
    listing.set_defaults(run=_list)
    redrive = actions.add_parser("redrive", help="make a dead letter pending again")
    redrive.add_argument("message_id", metavar="MESSAGE_ID")
    redrive.set_defaults(run=_redrive)


def _relay(args: argparse.Namespace) -> int:
    policy = RetryPolicy(lease=dt.timedelta(seconds=args.lease)) if args.lease else None
    with connect(args) as edm:
        relay = Relay(edm, policy=policy)
        report = (
            relay.run_once(limit=args.limit)
            if args.once
            else relay.run(idle_sleep=args.interval, limit=args.limit)
        )
    late = f", results dropped as the lease ran out {report.lease_expired}" if report.lease_expired else ""
    print(f"delivered {report.delivered}, retrying {report.retrying}, dead letters {report.dead}{late}")
    return 0


_COLUMNS = (
    *("message", "route", "kind", "status", "attempts"),
    *("next attempt", "held by", "until", "last error"),
)


def _list(args: argparse.Namespace) -> int:
    with connect(args) as edm:
        rows = edm.store.outbox(status=OutboxStatus(args.status) if args.status else None)
    now = dt.datetime.now(dt.UTC)
    print(
        table(
            _COLUMNS,
            [
                (message.message_id, message.route_id, message.kind.replace("_", " "), *_delivery(r, now))
                for r in rows
                for message in (r.message,)
            ],
        )
    )
    dead = sum(1 for r in rows if r.status is OutboxStatus.DEAD)
    print(f"\n{len(rows)} message(s); {dead} dead letter(s).")
    return 0


def _delivery(row: OutboxRow, now: dt.datetime) -> tuple[object, ...]:
    """A row's status and attempts, when it is next due, which relay holds it until when, its last error."""
    held = row.held_at(now)
    return (
        row.status,
        row.attempts,
        _when(row.next_attempt_at) if row.status is OutboxStatus.PENDING and not held else "-",
        (row.claimed_by or "-") if held else "-",
        _when(row.claimed_until) if held and row.claimed_until else "-",
        row.last_error or "-",
    )


def _when(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M")


def _redrive(args: argparse.Namespace) -> int:
    with connect(args) as edm:
        Relay(edm).redrive(args.message_id)
    print(f"Message {args.message_id} is pending again; the relay will deliver it on its next pass.")
    return 0
