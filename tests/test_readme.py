"""README.md's promises: its commands are the ones CI runs, and its Python example runs as shown."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

ROOT = Path(__file__).parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README, flags=re.DOTALL)


def test_readme_opens_with_the_two_commands() -> None:
    """The first two blocks are the demo command and the test command, one line each."""
    demo, tests = (block.strip() for block in _blocks("sh")[:2])
    assert README.index("```sh") < README.index("## What it is")
    assert demo.endswith("ethical-decisions demo")
    assert tests.endswith("python -m pytest")
    assert "\n" not in demo + tests


def test_ci_runs_the_readme_test_command() -> None:
    """.ci/run runs exactly the test command README.md gives."""
    tests = _blocks("sh")[1].strip()
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert tests in ci.splitlines()


def test_python_example_runs_and_prints_what_it_says() -> None:
    """The README's Python example runs as written, and prints the outcome its comments show."""
    (example,) = _blocks("python")
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        exec(compile(example, "README.md", "exec"), {})
    lines = output.getvalue().splitlines()
    assert lines[0] == "resolved_after_escalation True"
    assert lines[1].startswith("intact: 9 events in 1 reviews; head ")
