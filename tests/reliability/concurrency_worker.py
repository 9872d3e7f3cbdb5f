"""One of several processes writing to one store at once: run by ``test_concurrency.py``.

``python concurrency_worker.py workload URL INDEX FOLDER START REVIEWS PROCESSES`` runs two
decision-maker threads, each taking REVIEWS reviews through reflection, discretion, discussion and
escalation and, once advised, responding to the advice and finalising, and one route-team thread that
acknowledges and advises whatever is in the route's queue, racing the other processes' team threads. It
stops when all PROCESSES have written ``FOLDER/done-N`` and the queue is empty.

``python concurrency_worker.py race URL INDEX PLAN START`` runs two threads that, at each round's
moment, take the round's command on the round's review, as every other contender does.

Every command's outcome is printed as one JSON line: ``{"ok": [review, version]}`` for a success,
``{"refused": "ConflictError"}`` or ``{"refused": "StepError"}`` when the model or a concurrent writer
refused it, ``{"error": ...}`` for anything else (which fails the test: no StoreError, such as
"database is locked", may reach a caller).
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import structlog

from ethical_decisions import (
    AdviceResponse,
    CaseReference,
    Concern,
    ConcernCategory,
    ConflictError,
    ConsultedRole,
    DiscretionResult,
    DiscretionScope,
    DiscussionResult,
    EthicalDecisions,
    FinalDecision,
    ProposedDecision,
    ReferralStatus,
    Review,
    RouteRegistrar,
    StepError,
    hookimpl,
    testing,
)
from ethical_decisions.plugins import make_plugins
from ethical_decisions.store import open_store

ROUTE = "race_route"
AREA = "customer_services_group"
FINAL = FinalDecision("grant", "Grant.", "Advice taken.")
_print_lock = threading.Lock()


class Routes:
    """The one route everybody escalates to."""

    @hookimpl
    def ethical_decisions_register_routes(self, register: RouteRegistrar) -> None:
        """Register the concurrency tests' route."""
        register(testing.route(ROUTE, business_area=AREA))


def service(url: str, index: int) -> EthicalDecisions:
    """A service over the store at *url*, making review ids unique to process *index*."""
    counter = iter(range(1, 10**6))
    lock = threading.Lock()

    def new_id() -> str:
        with lock:
            return f"p{index}-{next(counter):04d}"

    plugins = make_plugins(blocked=(), entry_points=False, extra=[Routes()])
    return EthicalDecisions(open_store(url), plugins=plugins, new_id=new_id)


def say(**line: Any) -> None:
    """Print one outcome as a JSON line."""
    text = json.dumps(line)
    with _print_lock:
        sys.stdout.write(text + "\n")
        sys.stdout.flush()


def attempt(command: Callable[..., Review], *args: Any, **kwargs: Any) -> Review | None:
    """Run *command*, reporting its outcome; the review on success, else ``None``."""
    try:
        review = command(*args, **kwargs)
    except (ConflictError, StepError) as exc:
        name = "ConflictError" if isinstance(exc, ConflictError) else "StepError"
        say(refused=name)
        return None
    except Exception as exc:  # reported, and the test fails on it
        say(error=type(exc).__name__, message=str(exc))
        return None
    say(ok=[review.review_id, review.version])
    return review


def _until(start: float) -> None:
    time.sleep(max(0.0, start - time.time()))


# -- the mixed workload ---------------------------------------------------------------------


def decision_maker(edm: EthicalDecisions, thread: int, reviews: int) -> None:
    """Open *reviews* reviews, escalate each, then respond to the advice and finalise each once advised."""
    dm = testing.decision_maker(f"dm-{thread}", business_area=AREA)
    mine: list[str] = []
    for _ in range(reviews):
        review = attempt(
            edm.open_review,
            by=dm,
            case=CaseReference("CASE-1", {"full_name": "A. Applicant"}),
            proposed=ProposedDecision("refuse", "Refuse."),
        )
        if review is None:
            continue
        rid = review.review_id
        steps: list[tuple[Callable[..., Review], dict[str, Any]]] = [
            (edm.record_reflection, {"concerns": [Concern(ConcernCategory.VULNERABILITY, "Unwell.")]}),
            (
                edm.consider_discretion,
                {
                    "concern_id": "C1",
                    "scope": DiscretionScope.INSIDE_RULES,
                    "guidance": "Exceptional circumstances.",
                    "reason": "Not enough.",
                    "result": DiscretionResult.NOT_RESOLVED,
                },
            ),
            (
                edm.record_discussion,
                {
                    "concern_id": "C1",
                    "consulted_role": ConsultedRole.LINE_MANAGER,
                    "consulted": "lm-1",
                    "advice": "Escalate.",
                    "result": DiscussionResult.NOT_RESOLVED,
                },
            ),
            (edm.escalate, {"concern_ids": ["C1"], "question": "May we grant?"}),
        ]
        for command, kwargs in steps:
            if attempt(command, rid, by=dm, **kwargs) is None:
                break
        else:
            mine.append(rid)
    deadline = time.time() + 120
    while mine and time.time() < deadline:
        for rid in list(mine):
            review = edm.review(rid)
            if review.referrals_awaiting_advice:
                continue
            for concern in review.advised_concerns:
                attempt(
                    edm.respond_to_advice,
                    concern.referral_ids[-1],
                    by=dm,
                    concern_id=concern.concern_id,
                    response=AdviceResponse.FOLLOWED,
                    reason="Followed the route's advice.",
                    resolved=True,
                )
            if edm.review(rid).advised_concerns:
                continue
            attempt(edm.finalise, rid, by=dm, decision=FINAL)
            mine.remove(rid)
        time.sleep(0.05)
    if mine:
        say(error="Timeout", message=f"{len(mine)} reviews never advised")


def route_team(edm: EthicalDecisions, thread: int, finished: Callable[[], bool]) -> None:
    """Acknowledge and advise whatever the queue holds, racing other teams, until all is done."""
    member = testing.route_team_member(ROUTE, f"rt-{thread}")
    while True:
        queue = edm.referrals(ROUTE)
        if not queue and finished():
            return
        for row in queue:
            if row.status is ReferralStatus.SUBMITTED:
                attempt(edm.acknowledge_referral, row.referral_id, by=member)
            elif row.status is ReferralStatus.ACKNOWLEDGED:
                attempt(edm.give_advice, row.referral_id, by=member, advice="Grant it.")
        time.sleep(0.02)


def workload(url: str, index: int, folder: Path, start: float, reviews: int, processes: int) -> None:
    """Two decision-maker threads and one route-team thread over one service."""
    edm = service(url, index)
    _until(start)
    makers = [threading.Thread(target=decision_maker, args=(edm, index * 10 + n, reviews)) for n in range(2)]

    def finished() -> bool:
        return all((folder / f"done-{p}").exists() for p in range(processes))

    team = threading.Thread(target=route_team, args=(edm, index, finished))
    for thread in (*makers, team):
        thread.start()
    for thread in makers:
        thread.join()
    (folder / f"done-{index}").touch()
    team.join()
    edm.store.close()


# -- races -----------------------------------------------------------------------------------


def contend(edm: EthicalDecisions, thread: str, round_: dict[str, Any], start: float) -> None:
    """Take this round's command at its moment."""
    dm = testing.decision_maker("dm-race", business_area=AREA)
    member = testing.route_team_member(ROUTE, f"rt-{thread}")
    rid, referral, version = round_["review"], round_["referral"], round_["version"]
    commands: dict[str, Callable[[], Review]] = {
        "acknowledge": lambda: edm.acknowledge_referral(referral, by=member),
        "advise": lambda: edm.give_advice(referral, by=member, advice="Grant."),
        "respond": lambda: edm.respond_to_advice(
            referral,
            by=dm,
            concern_id="C1",
            response=AdviceResponse.FOLLOWED,
            reason=f"Followed, says {thread}.",
            resolved=True,
        ),
        "finalise": lambda: edm.finalise(rid, by=dm, decision=FINAL),
        "versioned": lambda: edm.raise_concern(
            rid,
            by=dm,
            category=ConcernCategory.OTHER,
            statement=f"Seen by {thread}.",
            expected_version=version,
        ),
    }
    edm.review(rid)  # loaded beforehand, as a user's screen would have it
    _until(start + round_["at"])
    say(round=round_["index"], **_outcome(commands[round_["kind"]]))


def _outcome(command: Callable[[], Review]) -> dict[str, Any]:
    try:
        review = command()
    except ConflictError:
        return {"refused": "ConflictError"}
    except StepError:
        return {"refused": "StepError"}
    except Exception as exc:  # reported, and the test fails on it
        return {"error": type(exc).__name__, "message": str(exc)}
    return {"ok": [review.review_id, review.version]}


def race(url: str, index: int, plan: Path, start: float) -> None:
    """Two contending threads per process, each with its own service, for every round of *plan*."""
    rounds = json.loads(plan.read_text())
    services = [service(url, index) for _ in range(2)]

    def run(n: int) -> None:
        for round_ in rounds:
            contend(services[n], f"{index}-{n}", round_, start)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for edm in services:
        edm.store.close()


def main() -> None:
    """Dispatch on the first argument."""
    structlog.configure(logger_factory=structlog.ReturnLoggerFactory())  # keep stdout for outcomes
    mode, url, index = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if mode == "workload":
        folder, start, reviews, processes = sys.argv[4:8]
        workload(url, index, Path(folder), float(start), int(reviews), int(processes))
    else:
        race(url, index, Path(sys.argv[4]), float(sys.argv[5]))


if __name__ == "__main__":
    main()
