"""The documentation keeps up with the code: hooks, public names, modules, the stage diagram and the commands.

The site itself is built by ``sphinx-build -n -W`` (warnings as errors) and its
code samples run by ``sphinx-build -b doctest``; these tests catch what a
build would not: a hook or a public name left out of the reference, a diagram
that could not follow the rules, a command shown on a page that does not run.
"""

from __future__ import annotations

import argparse
import contextlib
import enum
import inspect
import io
import re
import shlex
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import ethical_decisions
from ethical_decisions import (
    AdviceResponse,
    CaseReference,
    Concern,
    ConcernCategory,
    ConsultedRole,
    DecisionMaker,
    DiscretionResult,
    DiscretionScope,
    DiscussionResult,
    EthicalDecisions,
    ProposedDecision,
    StaffRole,
    Stage,
    Step,
    hookspecs,
    open_store,
)

DOCS = Path(__file__).resolve().parents[1] / "docs"
sys.path.insert(0, str(DOCS / "_ext"))

import edm_stages  # noqa: E402 - found on the path just added


def _hooks() -> list[str]:
    return sorted(
        name
        for name, function in inspect.getmembers(hookspecs, inspect.isfunction)
        if getattr(function, f"{hookspecs.PROJECT_NAME}_spec", None) is not None
    )


def test_every_hook_has_a_section_on_the_hooks_page() -> None:
    """Each hook in hookspecs.py has its own section and its autodoc entry (signature and docstring)."""
    page = (DOCS / "hooks.md").read_text(encoding="utf-8")
    hooks = _hooks()

    assert hooks, "no hook specifications found"
    missing = [
        name
        for name in hooks
        if f"## `{name}`" not in page or f".. autofunction:: ethical_decisions.hookspecs.{name}" not in page
    ]
    assert [] == missing


def test_the_hooks_page_documents_no_hook_that_does_not_exist() -> None:
    """A hook removed from hookspecs.py is removed from the hooks page too."""
    page = (DOCS / "hooks.md").read_text(encoding="utf-8")

    documented = set(re.findall(r"autofunction:: ethical_decisions\.hookspecs\.(\w+)", page))
    assert set(_hooks()) == documented


def _api_names() -> list[str]:
    names: list[str] = []
    for page in sorted((DOCS / "api").glob("*.md")):
        for block in re.findall(r"\.\. edm-names::\n\n((?:   \S+\n)+)", page.read_text(encoding="utf-8")):
            names += block.split()
    return names


def test_every_exported_name_is_in_the_api_reference_once() -> None:
    """Every name in ethical_decisions.__all__ has one entry in the API reference, and no other name does."""
    names = _api_names()

    assert sorted(ethical_decisions.__all__) == sorted(names)
    assert len(names) == len(set(names))


PUBLIC_MODULES = (
    "assessments",
    "audit",
    "caseindex",
    "clock",
    "compliance",
    "events",
    "exceptions",
    "freetext",
    "guidance",
    "learning",
    "log",
    "model",
    "outcomes",
    "plugins",
    "policy",
    "projections",
    "prompts",
    "relay",
    "reports",
    "retention",
    "review",
    "routekit",
    "routes",
    "serialization",
    "service",
    "signals",
    "steps",
    "store",
    "testing",
    "transports",
)


def _module_pages() -> dict[str, list[Path]]:
    """Each module documented by an ``edm-module`` directive, and the API pages that document it."""
    pages: dict[str, list[Path]] = {}
    for page in sorted((DOCS / "api").rglob("*.md")):
        for module in re.findall(
            r"\.\. edm-module:: ethical_decisions\.(\w+)\n", page.read_text(encoding="utf-8")
        ):
            pages.setdefault(module, []).append(page)
    return pages


@pytest.mark.parametrize("module", PUBLIC_MODULES)
def test_every_public_module_has_a_reference_page(module: str) -> None:
    """Each public module is documented from its source on one page of the API reference, in its index."""
    (page,) = _module_pages()[module]
    index = (DOCS / "api" / "index.md").read_text(encoding="utf-8")

    assert f"\n{page.relative_to(DOCS / 'api').with_suffix('').as_posix()}\n" in index


def test_every_module_page_is_for_a_public_module() -> None:
    """No page documents a module that is not in the list above (a renamed module is noticed)."""
    assert set(PUBLIC_MODULES) == set(_module_pages())


def test_the_hookspecs_module_is_documented_on_the_hooks_page() -> None:
    """The hook specifications' module is the hooks page itself."""
    assert ".. automodule:: ethical_decisions.hookspecs" in (DOCS / "hooks.md").read_text(encoding="utf-8")


# -- the stage diagram ----------------------------------------------------------------------


@pytest.fixture(name="graph", scope="module")
def _graph() -> edm_stages.StageGraph:
    """The stage graph, walked from the rules as the documentation build walks it."""
    return edm_stages.stage_graph()


def test_the_diagram_walk_reaches_every_stage_and_takes_every_step(graph: edm_stages.StageGraph) -> None:
    """Walking reviews through the rules reaches every Stage and takes every Step at least once."""
    assert tuple(Stage) == graph.stages
    assert frozenset(s for s in Step if not s.on_register) == graph.steps_taken


def test_the_diagram_shows_what_the_rules_allow(graph: edm_stages.StageGraph) -> None:
    """Known paths of the model are in the diagram, and nothing leaves the closed stage."""
    edges = {(t.source, t.step, t.target) for t in graph.transitions}

    assert (Stage.AWAITING_REFLECTION, Step.RECORD_REFLECTION, Stage.READY_TO_PROCEED) in edges
    assert (Stage.AWAITING_REFLECTION, Step.RECORD_REFLECTION, Stage.RESOLVING_CONCERNS) in edges
    assert (Stage.RESOLVING_CONCERNS, Step.ESCALATE, Stage.AWAITING_ADVICE) in edges
    assert (Stage.AWAITING_ADVICE, Step.RETURN_REFERRAL, Stage.INFORMATION_REQUESTED) in edges
    assert (Stage.READY_TO_FINALISE, Step.FINALISE, Stage.CLOSED) in edges
    assert not any(s is Stage.AWAITING_ADVICE and step is Step.FINALISE for s, step, _ in edges)
    assert {Stage.CLOSED} == {target for source, _, target in edges if source is Stage.CLOSED}


def test_the_drawing_names_every_stage_and_step(graph: edm_stages.StageGraph) -> None:
    """The SVG drawn from the walk labels every stage and every step it found."""
    svg = edm_stages.render_svg(graph)

    assert [] == [s for s in Stage if str(s).capitalize() not in svg]
    assert [] == [s for s in Step if not s.on_register and str(s) not in svg]


def test_the_diagram_build_stops_on_a_step_it_cannot_try(monkeypatch: pytest.MonkeyPatch) -> None:
    """If the rules offer a step the walk has no example for, the build fails naming it: no stale diagram."""

    class NewStep(enum.StrEnum):
        CONSULT_THE_PANEL = "consult the panel"

    real = edm_stages.allowed_steps

    def with_a_new_step(review: object) -> tuple[object, ...]:
        return (*real(review), NewStep.CONSULT_THE_PANEL)  # type: ignore[arg-type]

    monkeypatch.setattr(edm_stages, "allowed_steps", with_a_new_step)
    with pytest.raises(edm_stages.UnknownStepError, match="CONSULT_THE_PANEL"):
        edm_stages.stage_graph()


def test_the_model_page_draws_the_diagram_from_the_code() -> None:
    """The model page uses the generating directive, not a picture that could go stale."""
    page = (DOCS / "model.md").read_text(encoding="utf-8")

    assert "```{edm-stage-diagram}" in page
    assert not list(DOCS.rglob("*.svg")), "a drawn diagram file could drift from the code"


# -- the command reference and the commands shown on pages ------------------------------------


def test_the_command_reference_is_generated_from_the_parser() -> None:
    """The command page is built from ethical_decisions.cli._parser(), which makes an argparse parser."""
    page = (DOCS / "cli.md").read_text(encoding="utf-8")
    from ethical_decisions.cli import _parser

    assert "```{edm-cli} ethical_decisions.cli:_parser" in page
    assert isinstance(_parser(), argparse.ArgumentParser)


def _console_examples(page: Path) -> Iterator[tuple[list[str], str]]:
    """Each ``$ ethical-decisions ...`` line of the page's console blocks, as arguments, and its output."""
    for block in re.findall(r"```console\n(.*?)```", page.read_text(encoding="utf-8"), flags=re.DOTALL):
        for command in re.split(r"^(?=\$ )", block, flags=re.MULTILINE):
            line, _, shown = command.partition("\n")
            if line.startswith("$ ethical-decisions "):
                yield shlex.split(line.removeprefix("$ ethical-decisions ").partition(" < ")[0]), shown


def _console_commands(page: Path) -> Iterator[list[str]]:
    """The ``$ ethical-decisions ...`` lines of the page's console blocks, as argument lists."""
    for argv, _ in _console_examples(page):
        yield argv


def _seed_the_referral(url: str) -> str:
    """The review the route-teams page describes, escalated to the Chief Caseworker Unit."""
    edm = EthicalDecisions(open_store(url))
    dm = DecisionMaker("cw-1042", "caseworker", "customer_services_group", "Settlement Casework")
    rid = edm.open_review(
        by=dm,
        case=CaseReference("HO-2026-000123"),
        proposed=ProposedDecision("refuse", "Refuse settlement: no documents for 1971-1990."),
        review_id="rv-7f3a9c2e4b1d6a08",
    ).review_id
    edm.record_reflection(rid, by=dm, concerns=[Concern(ConcernCategory.EVIDENTIAL_BURDEN, "No documents.")])
    edm.consider_discretion(
        rid,
        by=dm,
        concern_id="C1",
        scope=DiscretionScope.INSIDE_RULES,
        guidance="Guidance.",
        reason="Reason.",
        result=DiscretionResult.NOT_RESOLVED,
    )
    edm.record_discussion(
        rid,
        by=dm,
        concern_id="C1",
        consulted_role=ConsultedRole.TEAM_LEADER,
        consulted="tl-0003",
        advice="Escalate.",
        result=DiscussionResult.NOT_RESOLVED,
    )
    referral_id = edm.escalate(
        rid, by=dm, concern_ids=["C1"], question="Can our records stand in?"
    ).referrals[0]
    edm.store.close()
    return referral_id.referral_id


def test_the_route_team_commands_shown_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each ``ethical-decisions`` command on the route-teams page runs, in order, on the review it shows.

    What a command prints is what the page shows, unless the page shows dates (which depend on the day);
    after the advice, the decision-maker responds and ``referrals show`` says what became of it.
    """
    from ethical_decisions.cli import main

    url = f"sqlite:///{tmp_path / 'ethical-decisions.db'}"
    referral_id = _seed_the_referral(url)
    examples = list(_console_examples(DOCS / "route-teams.md"))
    assert len(examples) >= 5
    for argv, shown in examples:
        assert referral_id in argv or argv[:2] == ["referrals", "list"]
        dm = DecisionMaker("cw-1042", "caseworker", "customer_services_group", "Settlement Casework")
        if argv[:2] == ["referrals", "advise"]:
            # Between returning the referral and advising, the page has the decision-maker answer.
            edm = EthicalDecisions(open_store(url))
            edm.provide_information(referral_id, by=dm, response="HMRC records.")
            edm.store.close()
            monkeypatch.setattr("sys.stdin", io.StringIO("Treat the HMRC records as the evidence."))
        if argv[:2] == ["referrals", "show"] and "What became of the advice" in shown:
            # After the advice, the page has the decision-maker respond to it.
            edm = EthicalDecisions(open_store(url))
            edm.respond_to_advice(
                referral_id,
                by=dm,
                concern_id="C1",
                response=AdviceResponse.FOLLOWED_IN_PART,
                reason="HMRC records cover 1979 onwards; her school's records cover the 1970s.",
                resolved=True,
            )
            edm.store.close()
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            status = main(["--db", url, *argv])
        assert 0 == status, (argv, out.getvalue())
        if not re.search(r"\d{4}-\d\d-\d\d", shown):  # what does not depend on the day it is run
            assert shown == out.getvalue(), argv
        for section in ("What became of the advice", "C1: followed in part; the concern is resolved"):
            assert (section in shown) == (section in out.getvalue()), argv


def test_the_handover_commands_on_the_people_page_print_what_it_shows(tmp_path: Path) -> None:
    """Each ``ethical-decisions handover`` on the people page runs, in order, printing what the page shows."""
    from ethical_decisions.cli import main

    url = f"sqlite:///{tmp_path / 'ethical-decisions.db'}"
    _seed_the_referral(url)
    examples = list(_console_examples(DOCS / "people.md"))
    assert [argv[0] for argv, _ in examples] == ["handover", "handover"]
    for argv, shown in examples:
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            status = main(["--db", url, *argv])
        assert (0, shown) == (status, out.getvalue())


def test_the_people_file_on_the_people_page_is_complete_and_loads(tmp_path: Path) -> None:
    """The example people file on the people page uses every key the file may have, and loads."""
    from ethical_decisions.policy import load_people

    (example,) = re.findall(r"```toml\n(.*?)```", (DOCS / "people.md").read_text(encoding="utf-8"), re.DOTALL)
    path = tmp_path / "people.toml"
    path.write_text(example, encoding="utf-8")

    people = load_people(path)

    assert people.records_officers == {"ro-0001", "ro-0002"}
    assert {"chief_caseworker_unit", "safety_valve_mechanism"} == set(people.route_teams)
    assert people.managers["lm-0007"] == {"cw-1042", "cw-1077"}
    assert ["cw-1042", "cw-1077", "lm-0007"] == sorted(people.staff)
    assert people.handover_roles == {StaffRole.LINE_MANAGER, StaffRole.TEAM_LEADER}
