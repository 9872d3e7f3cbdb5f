"""Bad input: every entry point taking outside data raises only the library's own errors, never echoing it.

Every generated string may carry a marker (``MARKER`` and capitals), standing for personal data: no
error message, argument or traceback may repeat one.
"""

from __future__ import annotations

import io
import json
import shutil
import sqlite3
import string
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest
import structlog
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ethical_decisions import (
    EthicalDecisionsError,
    FinalDecision,
    IntegrityError,
    RecordsOfficer,
    StoreError,
    ValidationError,
    testing,
    verify,
)
from ethical_decisions.events import PAYLOAD_TYPES, Event
from ethical_decisions.relay import Relay
from ethical_decisions.serialization import dumps_event, dumps_trail, loads_event, loads_trail, parse, unparse
from ethical_decisions.store import SQLiteStore
from tests import scenarios
from tests import strategies as s
from tests.conftest import RoutesPlugin

from .conftest import Figures

FUZZ = settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
# ``figures`` only counts examples across the run: sharing it between examples is intended.

markers = st.text(alphabet=string.ascii_uppercase, min_size=8, max_size=8).map(lambda s: f"MARKER{s}")
texts = st.one_of(
    markers,
    st.text(max_size=12),
    st.builds(lambda a, m, b: a + m + b, st.text(max_size=5), markers, st.text(max_size=5)),
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    texts,
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(texts | st.sampled_from(["type", "id"]), inner, max_size=4)
    ),
    max_leaves=15,
)

VALID = s.PARSED


def _paths(data: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield path
    if isinstance(data, dict):
        for key, value in data.items():
            yield from _paths(value, (*path, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from _paths(value, (*path, index))


def _mutate(data: Any, draw: Callable[[st.SearchStrategy[Any]], Any]) -> Any:
    """*data* (parsed JSON) with one place changed: removed, replaced, or given an unknown field."""
    data = json.loads(json.dumps(data))
    path = draw(st.sampled_from(list(_paths(data))))
    how = draw(st.sampled_from(["replace", "remove", "add", "newer"]))
    if not path:
        return draw(json_values) if how == "replace" else data
    *parents, last = path
    container = data
    for part in parents:
        container = container[part]
    if how == "remove":
        del container[last]
    elif how == "add" and isinstance(container, dict):
        container[draw(markers)] = draw(json_values)
    elif how == "newer" and isinstance(container, dict):
        container["schema_version"] = draw(st.integers(2, 99))
    else:
        container[last] = draw(json_values)
    return data


def _check_refusal(exc: BaseException, given: Any) -> None:
    """A refusal is the library's own, readable, and repeats no marker from the input."""
    assert isinstance(exc, EthicalDecisionsError), f"{type(exc).__name__} escaped: {exc}"
    shown = str(exc) + repr(exc.args) + "".join(traceback.format_exception(exc))
    assert "MARKER" not in shown
    assert str(exc).strip()
    if isinstance(exc, ValidationError):
        assert exc.problems
        assert all(": " in line for line in exc.problems)


CLASSES = sorted(VALID, key=lambda cls: cls.__name__)


@pytest.mark.parametrize("cls", CLASSES, ids=lambda cls: cls.__name__)
@FUZZ
@given(data=st.data())
def test_parse_takes_any_json_for_every_type(cls: type, data: st.DataObject, figures: Figures) -> None:
    """parse() of arbitrary JSON, or of a valid value's JSON with one place changed, for every type.

    It returns a valid value that round-trips, or raises ValidationError (SchemaVersionError for an
    event from a newer version) listing ``path: problem`` lines that repeat nothing of the input.
    """
    valid = unparse(data.draw(VALID[cls]), cls)
    given_data = data.draw(json_values | st.just(valid).map(lambda v: _mutate(v, data.draw)))
    figures.count("examples")
    try:
        value = parse(cls, given_data)
    except Exception as exc:
        _check_refusal(exc, given_data)
        return
    assert isinstance(value, cls)
    assert parse(cls, unparse(value, cls)) == value


@FUZZ
@given(
    text=st.one_of(
        st.text(max_size=60),
        s.events.map(dumps_event),
        st.builds(lambda e, cut: dumps_event(e)[:cut], s.events, st.integers(0, 200)),
        st.builds(json.dumps, json_values),
        st.just("[" * 5000),
        st.just('{"a":' * 3000),
    ),
    raw=st.booleans(),
)
def test_loads_event_and_trail_take_any_text(text: str, raw: bool, figures: Figures) -> None:
    """loads_event and loads_trail of any text or its UTF-8 bytes: an event, a trail or a readable refusal."""
    figures.count("examples")
    given_text: str | bytes = text.encode("utf-8", "surrogatepass") if raw else text
    for load in (loads_event, loads_trail):
        try:
            load(given_text)
        except Exception as exc:
            _check_refusal(exc, given_text)


@FUZZ
@given(events=st.lists(s.events, min_size=1, max_size=3), data=st.data())
def test_a_changed_trail_is_read_or_refused(
    events: list[Event], data: st.DataObject, figures: Figures
) -> None:
    """A valid trail's JSON with one place changed is read back, or refused naming the event by index."""
    figures.count("examples")
    changed = _mutate(json.loads(dumps_trail(events)), data.draw)
    try:
        loads_trail(json.dumps(changed))
    except Exception as exc:
        _check_refusal(exc, changed)


# -- store rows written by another version, or changed outside the library ---------------------


@pytest.fixture(name="template", scope="module")
def _template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    """A store with a few reviews: escalated and advised, closed and erased, still open."""
    path = tmp_path_factory.mktemp("rows") / "template.db"
    store = SQLiteStore(path)
    edm = testing.service(RoutesPlugin(testing.route("row_route")), store=store)
    dm = testing.decision_maker()
    team = testing.route_team_member("row_route")
    first = scenarios.escalated(edm, dm)
    referral = first.referrals[0].referral_id
    edm.acknowledge_referral(referral, by=team)
    edm.give_advice(referral, by=team, advice="Grant.")
    scenarios.respond(edm, referral, dm)
    edm.finalise(first.review_id, by=dm, decision=FinalDecision("grant", "Grant.", "Advised."))
    edm.erase_free_text(first.review_id, by=RecordsOfficer("ro-1"))
    second = scenarios.escalated(edm, dm)
    reviews = [first.review_id, second.review_id]
    store.close()
    return path, reviews


@FUZZ
@given(data=st.data())
def test_event_rows_changed_or_from_a_newer_version_are_refused_readably(
    template: tuple[Path, list[str]],
    tmp_path_factory: pytest.TempPathFactory,
    data: st.DataObject,
    figures: Figures,
) -> None:
    """An event row whose body or texts were written by another version, or changed, in a real SQLite file.

    Bodies get a newer schema_version, a field removed, an unknown field or a value of another kind, or
    stop being JSON; texts become other JSON, lose their entries or stop being JSON. Reading the review,
    its trail, the chain and the relay's messages raises only the library's errors (IntegrityError for a
    changed row, SchemaVersionError for a newer one), and verify reports the change at that row's
    position; texts that are not JSON at all cannot be read back as a record, so verify stops there with
    IntegrityError naming the position.
    """
    template_path, reviews = template
    path = tmp_path_factory.mktemp("row") / "changed.db"
    shutil.copy(template_path, path)
    with sqlite3.connect(path) as connection:
        positions = [p for (p,) in connection.execute("SELECT position FROM events ORDER BY position")]
        position = data.draw(st.sampled_from(positions))
        body, texts = connection.execute(
            "SELECT body, texts FROM events WHERE position = ?", (position,)
        ).fetchone()
        column = data.draw(st.sampled_from(["body", "texts"]))
        original = body if column == "body" else texts
        if data.draw(st.booleans()):
            changed = json.dumps(_mutate(json.loads(original), data.draw))
        else:
            changed = data.draw(st.text(max_size=20) | markers)
        connection.execute(f"UPDATE events SET {column} = ? WHERE position = ?", (changed, position))
    figures.count("examples")
    store = SQLiteStore(path)
    edm = testing.service(RoutesPlugin(testing.route("row_route")), store=store)
    try:
        for read in [
            *(lambda r=r: edm.review(r) for r in reviews),
            *(lambda r=r: edm.trail(r) for r in reviews),
            lambda: Relay(edm).run_once(),
        ]:
            try:
                read()
            except Exception as exc:
                _check_refusal(exc, changed)
        if column == "texts" and not _is_json(changed):
            with pytest.raises(IntegrityError) as info:
                verify(store.chain())
            _check_refusal(info.value, changed)
            assert f"The store's events table has a row (position {position}) whose texts" in str(info.value)
            return
        report = verify(store.chain())
        if not _same_json(changed, original) and changed != original:
            assert report.broken is not None, f"{column} changed at {position}, yet the chain verifies"
            assert report.broken.position == position
    finally:
        store.close()


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def _same_json(a: str, b: str) -> bool:
    try:
        return bool(json.loads(a) == json.loads(b))
    except ValueError:
        return False


NEWER_CODES = {"escalated to a new stage", "forwarded", '["a_new_category"]', "queued", "a_new_class"}
"""The values below that a newer version could write: codes this version does not know."""


@pytest.mark.parametrize(
    ("table", "column", "value", "read"),
    [
        ("events", "occurred_at", "yesterday", "chain"),
        ("events", "texts", "not json", "chain"),
        ("reviews", "stage", "escalated to a new stage", "reviews"),
        ("reviews", "closed_at", "2026-13-45", "reviews"),
        ("referrals", "status", "forwarded", "referrals"),
        ("referrals", "concern_categories", '["a_new_category"]', "referrals"),
        ("outbox", "status", "queued", "outbox"),
        ("compliance", "outcome_class", "a_new_class", "compliance"),
        ("compliance", "extensions", "[1]", "compliance"),
    ],
    ids=lambda v: str(v).replace(" ", "_")[:20],
)
def test_projection_rows_from_a_newer_version_are_refused_readably(
    template: tuple[Path, list[str]], tmp_path: Path, table: str, column: str, value: str, read: str
) -> None:
    """A store row holding a value this version does not know is refused with the library's own error.

    A newer version may add a stage, a referral status, a concern category or an outcome class: reading
    it raises StoreError saying to upgrade. A row changed outside the library (a time or JSON that does
    not parse, JSON of the wrong shape) raises IntegrityError. Either names the table and the column and
    never repeats the value, not ValueError from deep inside; and verify still runs: over the chain
    when a projection was changed, or stopping with IntegrityError at an event row it cannot read.
    """
    path = tmp_path / "changed.db"
    shutil.copy(template[0], path)
    with sqlite3.connect(path) as connection:
        connection.execute(
            f"UPDATE {table} SET {column} = ? WHERE rowid = (SELECT min(rowid) FROM {table})", (value,)
        )
    store = SQLiteStore(path)
    reads: dict[str, Callable[[], object]] = {
        "chain": lambda: verify(store.chain()),
        "reviews": store.reviews,
        "referrals": store.referrals,
        "outbox": store.outbox,
        "compliance": lambda: list(store.compliance_records()),
    }
    unknown_code = value in NEWER_CODES
    try:
        with pytest.raises(EthicalDecisionsError) as info:
            reads[read]()
        assert type(info.value) is (StoreError if unknown_code else IntegrityError)
        assert f"The store's {table} table has a row" in str(info.value)
        assert f"whose {column} column" in str(info.value)
        assert value not in "".join(traceback.format_exception(info.value))
        if table != "events":
            assert verify(store.chain()).ok
    finally:
        store.close()


# -- the command line --------------------------------------------------------------------------

COMMANDS = [
    ["verify"],
    ["export"],
    ["export", "--sealed"],
    ["routes"],
    ["referrals", "list"],
    ["referrals", "show"],
    ["referrals", "acknowledge"],
    ["referrals", "return"],
    ["referrals", "advise"],
    ["referrals", "assign"],
    ["referrals", "release"],
    ["handover"],
    ["outbox", "list"],
    ["outbox", "redrive"],
    ["relay", "--once"],
    ["report", "pdr"],
    ["report", "department"],
    ["nonsense"],
    [],
]
OPTIONS = [
    "--route",
    "--staff",
    "--question",
    "--advice",
    "--reason",
    "--to",
    "--role",
    "--to-role",
    "--team",
    "--to-team",
    "--unassigned",
    "--mine",
    "--review",
    "--head",
    "--from",
    "--to",
    "--format",
    "--threshold",
    "--sample",
    "--seed",
    "--status",
    "--limit",
    "--all",
    "--output",
    "--help",
]
FREE_TEXT_OPTIONS = {"--question", "--advice", "--reason"}


@pytest.fixture(name="cli_store", scope="module")
def _cli_store(template: tuple[Path, list[str]], tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("cli")
    path = folder / "cli.db"
    shutil.copy(template[0], path)
    return path


@pytest.fixture(name="no_logging_setup")
def _no_logging_setup() -> Iterator[None]:
    yield
    structlog.reset_defaults()  # the command configures structlog, as an application does


@FUZZ
@given(data=st.data())
def test_the_command_line_takes_any_arguments(
    cli_store: Path,
    template: tuple[Path, list[str]],
    data: st.DataObject,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    no_logging_setup: None,
    figures: Figures,
) -> None:
    """``ethical-decisions`` with random commands, options and values, over a real SQLite store.

    It exits 0, 1 (the library refused, saying why) or 2 (the command line was not understood);
    nothing else escapes. Free text given with --question, --advice or --reason (or on standard input)
    is never repeated in anything it prints, whether it succeeded or failed (unless the same text was
    also given as an id or another value, which the command may name back).
    """
    from ethical_decisions.cli import main

    referral = f"{template[1][1]}-R5"
    value = st.one_of(
        texts,
        st.sampled_from(
            [
                "-",
                "",
                "2026-01-01",
                "2026-02-30",
                "0",
                "-3",
                "json",
                "csv",
                "html",
                "dead",
                "row_route",
                referral,
                template[1][0],
                "1:" + "0" * 64,
            ]
        ),
    )
    command = data.draw(st.sampled_from(COMMANDS))
    argv: list[str] = [
        "--db",
        data.draw(st.sampled_from([f"sqlite:///{cli_store}", "memory://", "nowhere://x"])),
    ]
    argv += command
    named: list[str] = []  # ids and other values that the command may name back, unlike free text
    if command[:1] in (["referrals"], ["outbox"]) and command[1:] and command[1] not in ("list",):
        named.append(data.draw(st.sampled_from([referral, "rv-none-R1", f"{template[1][1]}#5"]) | texts))
        argv.append(named[-1])
    if command == ["handover"]:
        named.append(data.draw(st.sampled_from([template[1][0], template[1][1], "rv-none"]) | texts))
        argv.append(named[-1])
    secrets: list[str] = []
    for option in data.draw(st.lists(st.sampled_from(OPTIONS), max_size=5)):
        argv.append(option)
        if option in ("--all", "--help", "--unassigned", "--mine"):
            continue
        if option == "--output":
            argv.append(str(cli_store.parent / "out" / "report.txt"))
            continue
        given_value = data.draw(markers if option in FREE_TEXT_OPTIONS else value)
        (secrets if option in FREE_TEXT_OPTIONS else named).append(given_value)
        argv.append(given_value)
    stdin_text = data.draw(markers)
    secrets.append(stdin_text)
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin_text))
    figures.count("examples")
    try:
        status = main(argv)
    except SystemExit as exit_:
        status = exit_.code if isinstance(exit_.code, int) else 2
    out, err = capsys.readouterr()
    assert status in (0, 1, 2), (argv, out, err)
    if status == 1:
        assert err.startswith("ethical-decisions: error: "), err
    # Free text that was also given as an id (say) may be named back as that id: only the rest must not show.
    assert [m for m in secrets if m in out + err and not any(m in n for n in named)] == []


def test_every_value_type_taken_from_outside_is_fuzzed() -> None:
    """Every payload kind, the event, and every value type of the model have a parse fuzz test above."""
    from ethical_decisions import model

    value_types = {getattr(model, name) for name in model.__all__ if attrs.has(getattr(model, name))}
    assert {*PAYLOAD_TYPES, Event, *value_types} <= set(VALID)
