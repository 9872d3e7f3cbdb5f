"""A writer to kill: run by ``test_crash_safety.py`` as ``python crash_child.py DB_PATH``.

It imports the library once, then reads commands on standard input, one per line: ``run N DELAY_MS SEED``
forks a writer that drives reviews ``kN-0001``, ``kN-0002``… through the model into the SQLite file
until, DELAY_MS milliseconds after the fork, this process kills it with SIGKILL. The writer reports on
standard output, one line per write (under PIPE_BUF, so each arrives whole or not at all):

- ``begin REVIEW SEQUENCE`` before a command that should record event SEQUENCE,
- ``ok REVIEW SEQUENCE`` once the command has returned (the event is then promised to be stored).

After the kill this process prints ``killed N`` (every line the writer wrote comes before it). Forking
from a process that has already imported everything makes each kill cost milliseconds, not an import.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import signal
import sys
import time
import traceback

import structlog

from ethical_decisions import (
    AdviceResponse,
    CaseReference,
    Concern,
    ConcernCategory,
    ConsultedRole,
    DiscretionResult,
    DiscretionScope,
    DiscussionResult,
    EthicalDecisions,
    FinalDecision,
    LaterOutcomeKind,
    LaterOutcomeResult,
    ProposedDecision,
    RecordsOfficer,
    Review,
    RouteRegistrar,
    UnresolvedAcknowledgement,
    hookimpl,
    testing,
)
from ethical_decisions.plugins import make_plugins
from ethical_decisions.relay import Relay
from ethical_decisions.store import SQLiteStore

ROUTE = "crash_route"
AREA = "customer_services_group"


class Routes:
    """The one route the writer escalates to."""

    @hookimpl
    def ethical_decisions_register_routes(self, register: RouteRegistrar) -> None:
        """Register the crash test's route (delivered through the store's queue)."""
        register(testing.route(ROUTE, business_area=AREA))


def _say(line: str) -> None:
    os.write(1, (line + "\n").encode())


class Writer:
    """Drives reviews through every kind of step, saying what it does before and after each."""

    def __init__(self, path: str, run: int, seed: int) -> None:
        self.rng = random.Random(seed)
        self.run = run
        self.count = 0
        self.edm = EthicalDecisions(
            SQLiteStore(path),
            plugins=make_plugins(blocked=(), entry_points=False, extra=[Routes()]),
            new_id=self._new_id,
        )
        self.relay = Relay(self.edm)
        self.dm = testing.decision_maker("dm-crash", business_area=AREA)
        self.team = testing.route_team_member(ROUTE, "rt-crash")
        self.officer = RecordsOfficer("ro-crash")

    def _new_id(self) -> str:
        self.count += 1
        return f"k{self.run:03d}-{self.count:04d}"

    def step(self, review_id: str, version: int, command: object, *args: object, **kwargs: object) -> Review:
        """Run one command, announcing the event it should record and confirming it afterwards."""
        _say(f"begin {review_id} {version + 1}")
        assert callable(command)
        review = command(*args, **kwargs)
        assert isinstance(review, Review)
        _say(f"ok {review.review_id} {review.version}")
        return review

    def review(self) -> None:
        """One review along a random path: no concerns; resolved; escalated and advised; withdrawn."""
        dm, rng = self.dm, self.rng
        rid = f"k{self.run:03d}-{self.count + 1:04d}"
        _say(f"begin {rid} 1")
        review = self.edm.open_review(
            by=dm,
            case=CaseReference(f"CASE-{rid}", {"full_name": f"Applicant {rid}"}),
            proposed=ProposedDecision("refuse", "Refuse: residence not shown."),
        )
        _say(f"ok {review.review_id} {review.version}")
        path = rng.choice(["none", "discretion", "escalate", "withdraw"])
        if path == "none":
            review = self.step(rid, review.version, self.edm.record_reflection, rid, by=dm, note="Nothing.")
            review = self.finalise(review)
            return self.later(review)
        review = self.step(
            rid,
            review.version,
            self.edm.record_reflection,
            rid,
            by=dm,
            concerns=[Concern(ConcernCategory.EVIDENTIAL_BURDEN, "Records we hold are missing.")],
        )
        resolved = path == "discretion"
        review = self.step(
            rid,
            review.version,
            self.edm.consider_discretion,
            rid,
            by=dm,
            concern_id="C1",
            scope=DiscretionScope.INSIDE_RULES,
            guidance="Evidential flexibility.",
            reason="Considered.",
            result=DiscretionResult.RESOLVED if resolved else DiscretionResult.NOT_RESOLVED,
        )
        if not resolved:
            review = self.escalate(review)
        review = self.finalise(review)
        return self.later(review)

    def escalate(self, review: Review) -> Review:
        """Discuss, escalate, deliver, and either withdraw, or take the route's advice and respond to it."""
        dm, rid = self.dm, review.review_id
        review = self.step(
            rid,
            review.version,
            self.edm.record_discussion,
            rid,
            by=dm,
            concern_id="C1",
            consulted_role=ConsultedRole.TEAM_LEADER,
            consulted="tl-1",
            advice="Escalate it.",
            result=DiscussionResult.NOT_RESOLVED,
        )
        review = self.step(
            rid, review.version, self.edm.escalate, rid, by=dm, concern_ids=["C1"], question="May we?"
        )
        referral = review.referrals[-1].referral_id
        self.relay.run_once(limit=3)
        if self.rng.random() < 0.3:
            return self.step(rid, review.version, self.edm.withdraw_referral, referral, by=dm, reason="Moot.")
        review = self.step(rid, review.version, self.edm.acknowledge_referral, referral, by=self.team)
        review = self.step(
            rid, review.version, self.edm.return_referral, referral, by=self.team, question="Which records?"
        )
        review = self.step(
            rid, review.version, self.edm.provide_information, referral, by=dm, response="The 1970s ones."
        )
        self.relay.run_once(limit=3)
        review = self.step(rid, review.version, self.edm.give_advice, referral, by=self.team, advice="Grant.")
        followed = self.rng.random() < 0.5
        return self.step(
            rid,
            review.version,
            self.edm.respond_to_advice,
            referral,
            by=dm,
            concern_id="C1",
            response=AdviceResponse.FOLLOWED if followed else AdviceResponse.NOT_FOLLOWED,
            reason="Followed." if followed else "The Rules leave no room for it.",
            resolved=followed,
        )

    def finalise(self, review: Review) -> Review:
        """Take the final decision, acknowledging any concern left open."""
        open_ids = tuple(c.concern_id for c in review.open_concerns)
        unresolved = UnresolvedAcknowledgement(open_ids, "Within the Rules.") if open_ids else None
        return self.step(
            review.review_id,
            review.version,
            self.edm.finalise,
            review.review_id,
            by=self.dm,
            decision=FinalDecision("grant", "Grant.", "The concern was met."),
            unresolved=unresolved,
        )

    def later(self, review: Review) -> None:
        """Sometimes record an appeal's outcome, and sometimes erase the free text."""
        rid = review.review_id
        if self.rng.random() < 0.4:
            review = self.step(
                rid,
                review.version,
                self.edm.record_later_outcome,
                rid,
                by=self.officer,
                challenge=LaterOutcomeKind.APPEAL,
                result=LaterOutcomeResult.UPHELD,
                decided_on=dt.datetime.now(dt.UTC).date(),
            )
        if self.rng.random() < 0.3:
            self.step(rid, review.version, self.edm.erase_free_text, rid, by=self.officer)


def _write_forever(path: str, run: int, seed: int) -> None:
    writer = Writer(path, run, seed)
    while True:
        writer.review()


def main() -> None:
    """Serve ``run`` commands until standard input closes."""
    structlog.configure(logger_factory=structlog.ReturnLoggerFactory())  # keep stdout for reports
    path = sys.argv[1]
    for line in sys.stdin:
        _, run, delay_ms, seed = line.split()
        pid = os.fork()
        if pid == 0:
            try:
                _write_forever(path, int(run), int(seed))
            except BaseException:  # the writer is meant to be killed, never to fail: show why it did
                traceback.print_exc()
            os._exit(3)
        time.sleep(int(delay_ms) / 1000)
        os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
        killed = os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
        _say(f"killed {run}" if killed else f"failed {run} {status}")


if __name__ == "__main__":
    main()
