"""Free text: which values of a record are what a person wrote, and where they are in its JSON.

Free text is a field marked with ``_fields.FREE_TEXT_FIELD`` in its attrs
metadata: statements, reasons, advice, rationale, summaries, and the mapping
of applicant details. Such a field holds a string, ``None`` (optional text
left out, which is no text), or a mapping of texts, each entry a text of its
own. The fields are looked for in a record, in the attrs records its fields
hold and in tuples of them, at any depth; ids, codes, times, sets and other
mappings are never free text and are not looked into.

A text's *path* is the way to it in the record's JSON form (as
:func:`~ethical_decisions.serialization.unparse` writes it): field names, tuple
indexes and mapping keys, such as ``("payload", "concerns", 0, "statement")``
or ``("payload", "case", "personal_details", "full_name")``. The audit chain
writes a path as a *key*, its parts each after a ``/``:
``/payload/concerns/0/statement``.

This one walk serves the three things that must agree on where text is:
sealing (:func:`ethical_decisions.audit.seal` keeps each text by its key and
hashes its digest in its place), :func:`~ethical_decisions.audit.verify`
(which expects a text for each key), and erasure (which keeps the keys and
drops the words; a review read back then has
:data:`~ethical_decisions.audit.ERASED` at each path).
"""

from __future__ import annotations

import datetime as dt
import enum
import types
import typing
from collections.abc import Iterator, Mapping, Set
from typing import Any

import attrs

from ._fields import is_free_text

__all__ = ["Path", "erased", "free_text_paths", "free_texts", "key_path", "locate", "path_key"]

Path = tuple[str | int, ...]
"""The way to a text in a record's JSON form: field names, tuple indexes and mapping keys."""


def free_texts(value: Any, prefix: Path = ()) -> list[tuple[Path, str]]:
    """Each free text *value* holds, with its path (after *prefix*), in field order.

    A value that is not an attrs record holds none.
    """
    found: list[tuple[Path, str]] = []
    _add_free_texts(value, prefix, found)
    return found


def _add_free_texts(value: Any, prefix: Path, found: list[tuple[Path, str]]) -> None:
    """Add to *found* each free text *value* holds, with its path after *prefix*."""
    for name, free in _fields(type(value)):
        item = getattr(value, name)
        if free:
            if isinstance(item, str):
                found.append(((*prefix, name), item))
            elif isinstance(item, Mapping):
                found.extend(((*prefix, name, key), text) for key, text in item.items())
        elif isinstance(item, tuple):
            for index, element in enumerate(item):
                _add_free_texts(element, (*prefix, name, index), found)
        elif _fields(type(item)):  # a record that may hold some
            _add_free_texts(item, (*prefix, name), found)


def free_text_paths(value: Any, prefix: Path = ()) -> Iterator[Path]:
    """The paths, into the unstructured form of *value*, of every free-text string it holds.

    A mapping of free text (applicant details) yields one path per entry.
    ``None`` (optional text left out) yields nothing.
    """
    for path, _ in free_texts(value, prefix):
        yield path


_FIELDS: dict[type, tuple[tuple[str, bool], ...]] = {}
"""Each class met so far: the fields the walk looks at, each with whether it is free text."""


def _fields(cls: type) -> tuple[tuple[str, bool], ...]:
    """The fields of *cls* that may hold free text, each with whether it is free text itself."""
    found = _FIELDS.get(cls)
    if found is None:
        found = _FIELDS[cls] = _fields_worth_a_look(cls, frozenset())
    return found


def _fields_worth_a_look(cls: type, around: frozenset[type]) -> tuple[tuple[str, bool], ...]:
    """The fields of *cls* that are free text or may hold a record with free text (none if not attrs).

    A field whose declared type can hold no such record (an id, a code, a time, a set of codes,
    a record without free text…) is left out: the walk would find nothing there. *around* holds
    the classes whose fields are being worked out, so that a class that holds itself keeps that field.
    """
    if not attrs.has(cls):
        return ()
    try:
        hints = typing.get_type_hints(cls)
    except Exception:  # an annotation that cannot be resolved here: look at every field
        hints = {}
    inside = around | {cls}
    return tuple(
        (field.name, is_free_text(field))
        for field in attrs.fields(cls)
        if is_free_text(field) or field.name not in hints or _may_hold_free_text(hints[field.name], inside)
    )


_HOLD_NO_RECORDS = (
    str,
    int,
    float,
    bytes,
    enum.Enum,
    dt.date,
    dt.time,
    dt.timedelta,
    type(None),
    Mapping,
    Set,
    list,
)
"""Values the walk never finds a record in: scalars, and containers it does not look into."""


def _may_hold_free_text(hint: Any, around: frozenset[type]) -> bool:
    """Whether a value of the type *hint* may be a record with free text, or a tuple of them.

    When it cannot tell (``Any``, ``object``, a type variable…), it may.
    """
    if hint in around:
        return True
    if isinstance(hint, type):
        if attrs.has(hint):
            return bool(_fields_worth_a_look(hint, around))
        return not issubclass(hint, _HOLD_NO_RECORDS)
    origin = typing.get_origin(hint)
    if origin is typing.Union or origin is types.UnionType or origin is tuple:
        return any(_may_hold_free_text(arg, around) for arg in typing.get_args(hint) if arg is not Ellipsis)
    return origin is None  # other generics (mappings, sets, lists, literals) are not looked into


def path_key(path: Path) -> str:
    """*path* written as the audit chain's key of a text: ``/payload/concerns/0/statement``."""
    return "/" + "/".join(map(str, path))


def key_path(key: str) -> Path:
    """The path a key stands for (the inverse of :func:`path_key`): its parts, numbers as indexes.

    No field name or key of a mapping of texts is all digits, so a part that is must be a tuple's index.
    """
    return tuple(int(part) if part.isdigit() else part for part in key.split("/")[1:])


def locate(data: Any, path: Path) -> tuple[Any, str | int]:
    """Where *path* leads in *data* (a JSON form): the list or dict that holds its end, and the end.

    :raises LookupError: if *data* has nothing on the way.
    :raises TypeError: if a step of the way is neither a list nor a dict, or a list is given a word.
    :raises ValueError: if *path* is empty.
    """
    *parents, last = path
    for part in parents:
        data = data[part]
    return data, last


def erased(texts: Mapping[str, str | None]) -> dict[str, None]:
    """A record's *texts* after erasure: every key kept, so the chain still says where text was; no words."""
    return dict.fromkeys(texts)
