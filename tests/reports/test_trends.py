"""Trends that reach someone: rising categories, categories by route, time to escalate, managers' findings.

The rising categories reach a business area through a hook; every trend count is suppressed like any other.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from ethical_decisions import (
    CaseReference,
    Concern,
    ConcernCategory,
    DiscretionResult,
    DiscretionScope,
    EthicalDecisions,
    FinalDecision,
    ProposedDecision,
    ValidationError,
    hookimpl,
    testing,
)
from ethical_decisions.reports import (
    DepartmentFigures,
    DepartmentReport,
    Period,
    department_report,
    labels,
    render,
    signals,
)
from ethical_decisions.reports.document import Cell
from ethical_decisions.reports.suppression import Mark
from ethical_decisions.reports.trends import rising_categories, rising_in
from ethical_decisions.signals import RULE, RisingCategory, most_before, rising
from ethical_decisions.store import Store

from .conftest import AS_OF, CCU, QUARTER

C = ConcernCategory
DAY = 86400
MONTHS = {1: "2026-01", 2: "2026-02", 3: "2026-03", 4: "2026-04", 5: "2026-05"}
CLOSED = {  # concerns of each category closed in each month of 2026
    C.VULNERABILITY: {1: 5, 2: 5, 3: 5, 4: 5, 5: 5},  # steady: not rising
    C.UNINTENDED_CONSEQUENCE: {5: 6},  # from nothing: rising
    C.EVIDENTIAL_BURDEN: {1: 5, 2: 5, 3: 6, 5: 12},  # 12 against a mean of 11/3: rising
}
FIVE_MONTHS = Period.from_dates(dt.date(2026, 1, 1), dt.date(2026, 5, 31))
JUNE = dt.datetime(2026, 6, 10, 9, tzinfo=dt.UTC)


class Told:
    """Hears the rising categories."""

    def __init__(self) -> None:
        self.signals: list[RisingCategory] = []

    @hookimpl
    def ethical_decisions_rising_category(self, signal: RisingCategory) -> None:
        """Keep the signal."""
        self.signals.append(signal)


class Failing:
    """Fails on hearing one."""

    @hookimpl
    def ethical_decisions_rising_category(self, signal: RisingCategory) -> None:
        """Fail."""
        raise RuntimeError("the mail server is down")


def _months(*plugins: object) -> EthicalDecisions:
    """Reviews closing in January to May 2026 with the concerns of :data:`CLOSED`, resolved by discretion."""
    clock = testing.FakeClock(now=dt.datetime(2026, 1, 2, tzinfo=dt.UTC), step=dt.timedelta(0))
    edm = testing.service(*plugins, clock=clock)
    dm = testing.decision_maker()
    for category, by_month in CLOSED.items():
        for month, count in by_month.items():
            for n in range(count):
                clock.now = dt.datetime(2026, month, 2 + n, 10, tzinfo=dt.UTC)
                rid = edm.open_review(
                    by=dm, case=CaseReference("C"), proposed=ProposedDecision("refuse", "R.")
                ).review_id
                edm.record_reflection(rid, by=dm, concerns=[Concern(category, "Something is wrong.")])
                edm.consider_discretion(
                    rid,
                    by=dm,
                    concern_id="C1",
                    scope=DiscretionScope.INSIDE_RULES,
                    guidance="G.",
                    reason="R.",
                    result=DiscretionResult.RESOLVED,
                )
                edm.finalise(rid, by=dm, decision=FinalDecision("grant", "G.", "Discretion."))
    return edm


def test_the_rule_reads_only_what_is_shown() -> None:
    """A hidden month counts at its most (total less what is shown); with nothing to bound it, not judged."""
    assert 9 == most_before([5, 4, 0], shown_in_row=99, row_total=None)  # all shown: their sum
    assert 2 + (20 - 14) == most_before([None, 2, 0], shown_in_row=14, row_total=20)
    assert most_before([None, 2, 0], shown_in_row=14, row_total=None) is None
    assert rising(6, 0, 5)
    assert rising(12, 16, 5)  # 12 is twice 16/3 and more
    assert not rising(10, 16, 5)  # 10 is less than twice 16/3
    assert not rising(4, 0, 5)  # under the threshold
    assert not rising(None, 0, 5)  # the latest month is hidden
    assert not rising(9, None, 5)  # a hidden month that nothing bounds


def test_a_rising_category_is_found_from_the_cells_as_shown() -> None:
    """Given cells, hidden ones (mark, no value) included, the rule judges each category as a reader would."""

    def cells(*values: int | None) -> list[Cell]:
        return [
            Cell("concerns", (), v, str(v))
            if v is not None
            else Cell("concerns", (), None, "[c]", Mark.HIDDEN)
            for v in values
        ]

    months = ["2026-01", "2026-02", "2026-03", "2026-04"]
    rows = {
        C.OTHER: cells(0, None, 0, 7, 9),  # the hidden month is at most 9 - 7 = 2: 7 is over twice 2/3
        C.VULNERABILITY: cells(5, None, 5, 6, None),  # a hidden month, and a hidden total: not judged
        C.UNFAIR_OUTCOME: cells(6, 6, 6, None, 18),  # the latest month hidden: not judged
    }

    found = rising_in(rows, months, 5)

    assert [RisingCategory(C.OTHER, "2026-04", 7, 2, "2026-01")] == list(found)
    assert () == rising_in(rows, months[:3], 5)  # three months: nothing to compare with


def test_the_department_report_opens_with_the_categories_rising(memory_store_of_months: Store) -> None:
    """The first section names the rising categories; its cells are the concern table's, shown alike."""
    report = department_report(memory_store_of_months, FIVE_MONTHS, as_of=JUNE)
    first = report.tables[0]
    (categories,) = [t for t in report.tables if t.key == "concern_categories"]

    assert "rising" == first.key
    assert RULE in first.about
    assert {labels.CATEGORY[C.UNINTENDED_CONSEQUENCE], labels.CATEGORY[C.EVIDENTIAL_BURDEN]} == {
        r.label for r in first.rows
    }
    shown = {(c.measure, c.dimensions): c.shown for c in categories.cells()}
    assert all(shown[(c.measure, c.dimensions)] == c.shown for c in first.cells())
    assert {(C.UNINTENDED_CONSEQUENCE, 6), (C.EVIDENTIAL_BURDEN, 12)} == {
        (s.category, s.count) for s in rising_categories(report)
    }
    assert "Concern categories rising" in render(report, "text")


@pytest.fixture(name="memory_store_of_months", scope="module")
def _memory_store_of_months() -> Store:
    return _months().store


def test_signals_tell_every_plugin_once_and_a_failing_one_is_reported() -> None:
    """A scheduler's call tells each plugin of each rising category; a plugin that raises stops no other."""
    told = Told()
    edm = _months(told, Failing())

    found = signals(edm.store, plugins=edm.plugins, as_of=JUNE, months=4)

    assert {C.UNINTENDED_CONSEQUENCE, C.EVIDENTIAL_BURDEN} == {s.category for s in found}
    assert list(found) == told.signals
    assert all(s.month == "2026-05" and s.period_start == "2026-02" for s in found)
    assert {s.category for s in signals(edm.store, as_of=JUNE)} == {s.category for s in found}  # six months
    with pytest.raises(ValidationError, match="months: give 4 or more"):
        signals(edm.store, as_of=JUNE, months=3)
    assert [p.hook for p in edm.plugins.problems()] == ["ethical_decisions_rising_category"] * len(found)


def test_no_category_is_judged_on_fewer_than_four_months(memory_quarter: Store) -> None:
    """A quarter has three months before nothing: the section says so and names no category."""
    report = department_report(memory_quarter, QUARTER, as_of=AS_OF)
    (rising_table,) = [t for t in report.tables if t.key == "rising"]

    assert () == rising_table.rows
    assert "no category is judged" in rising_table.about


def test_time_to_escalate_sits_beside_time_to_advice() -> None:
    """Mean days from proposed decision to first referral, per route, beside the mean days to advice."""
    figures = DepartmentFigures(
        period=QUARTER,
        as_of=AS_OF,
        escalations={(CCU, "2026-01"): 6, (CCU, "2026-02"): 6},
        first_referrals={CCU: 7},  # five took a concern back after advice
        escalate_seconds={CCU: 7 * 2 * DAY},
        advised={CCU: 12},
        within_target={CCU: 12},
        advice_seconds={CCU: 12 * 3 * DAY},
        target_seconds={CCU: 10 * DAY},
    )
    report = DepartmentReport.from_figures(figures, made_at=AS_OF, route_names={CCU: "Unit"})
    keys = [t.key for t in report.tables]
    (table,) = [t for t in report.tables if t.key == "time_to_escalate"]

    assert keys.index("time_to_escalate") == keys.index("time_to_advice") + 1
    assert [7, 2.0, 12, 3.0] == [c.value if c else None for c in table.rows[0].cells]


def test_first_referrals_are_entered_as_part_of_the_referrals_they_are_of(memory_quarter: Store) -> None:
    """A route's first referrals are shown or hidden consistently with its referrals: never more than them.

    At thresholds 3 to 6, each route's first referrals, where shown, are at most its referrals where
    shown, and a first-referral count under the threshold is never shown. (The disclosure audit's
    attack reads them as part of the referrals and finds no hidden count narrowed.)
    """
    compared = hidden = 0
    for threshold in range(3, 7):
        report = department_report(
            memory_quarter, QUARTER, as_of=AS_OF, threshold=threshold, route_names={CCU: "Unit"}
        )
        (escalations,) = [t for t in report.tables if t.key == "escalations"]
        (table,) = [t for t in report.tables if t.key == "time_to_escalate"]
        for referrals_row, first_row in zip(escalations.rows, table.rows, strict=True):
            total, first = referrals_row.cells[-1], first_row.cells[0]
            assert total is not None
            assert first is not None
            if isinstance(first.value, int) and not first.suppressed:
                assert first.value == 0 or first.value >= threshold
                if isinstance(total.value, int) and not total.suppressed:
                    assert first.value <= total.value
                    compared += 1
            else:
                hidden += 1

    assert compared > 0  # some shown counts were compared,
    assert hidden > 0  # and some were hidden: neither half of the check is empty


def test_categories_by_route_and_assessments_are_suppressed_like_every_count(memory_quarter: Store) -> None:
    """At the default threshold every trend count shown is 0 or at least 5, and the rest are hidden."""
    report = department_report(memory_quarter, QUARTER, as_of=AS_OF)
    trend = [t for t in report.tables if t.key in ("referred_categories", "time_to_escalate", "assessments")]
    counts: list[Any] = [
        c for t in trend for c in t.cells() if not c.measure.startswith("mean") and c.value is not None
    ]

    assert 3 == len(trend)
    assert [c for c in counts if 0 < c.value < 5] == []
    assert any(c.suppressed for t in trend for c in t.cells())


def test_the_signals_command_prints_what_is_rising_last_month(
    tmp_path: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    """``ethical-decisions signals`` reads the months before this one and prints each category rising."""
    from ethical_decisions.cli import main
    from ethical_decisions.store import open_store

    now = dt.datetime.now(dt.UTC)
    last_month = dt.datetime(now.year, now.month, 1, tzinfo=dt.UTC) - dt.timedelta(days=20)
    url = f"sqlite:///{tmp_path / 'store.db'}"
    store = open_store(url)
    clock = testing.FakeClock(now=last_month, step=dt.timedelta(0))
    edm = testing.service(store=store, clock=clock)
    dm = testing.decision_maker()
    for n in range(6):
        clock.now = last_month + dt.timedelta(hours=n)
        rid = edm.open_review(
            by=dm, case=CaseReference("C"), proposed=ProposedDecision("refuse", "R.")
        ).review_id
        edm.record_reflection(rid, by=dm, concerns=[Concern(C.OTHER, "Odd.")])
        edm.consider_discretion(
            rid, by=dm, concern_id="C1", scope=DiscretionScope.INSIDE_RULES, guidance="G.", reason="R.",
            result=DiscretionResult.RESOLVED,
        )  # fmt: skip
        edm.finalise(rid, by=dm, decision=FinalDecision("grant", "G.", "Discretion."))
    store.close()

    assert 0 == main(["--db", url, "signals"])
    out = capsys.readouterr().out
    assert (
        f"Rising: other: 6 concerns in {last_month:%Y-%m}, against at most 0 in the 3 months before." in out
    )
