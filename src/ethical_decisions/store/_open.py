"""Choosing a store by URL: :func:`open_store`."""

from __future__ import annotations

import os
import re
import urllib.parse

from ethical_decisions.exceptions import StoreError

from .base import Store
from .memory import MemoryStore
from .sqlite import SQLiteStore

__all__ = ["DATABASE_URL_VARIABLE", "DEFAULT_DATABASE_URL", "open_store"]

DATABASE_URL_VARIABLE = "EDM_DATABASE_URL"
"""The environment variable :func:`open_store` reads when it is given no URL."""

DEFAULT_DATABASE_URL = "sqlite:///ethical-decisions.db"
"""The store used when there is no URL and no :data:`DATABASE_URL_VARIABLE`: a file in the current folder."""

_SUPPORTED = (
    "memory://, sqlite:///relative/path.db, sqlite:////absolute/path.db, "
    "postgresql://user@host:port/database (or postgres://)"
)
_SCHEME = re.compile(r"[a-z][a-z0-9+.-]{0,19}")
_DATABASE_FILE = re.compile(r"[A-Za-z0-9._/-]{1,240}\.(?:db|sqlite3?)", re.IGNORECASE)
"""A plain path to a database file, repeated in the suggestion to write it as a URL (nothing secret in it)."""


def open_store(url: str | None = None, *, create: bool = True) -> Store:
    """Open the store named by *url*, creating or upgrading its schema as needed.

    For reading only, pass ``create=False``: a store that does not exist is
    then refused (naming where it was looked for, and how to make one) rather
    than made, empty, where a mistyped path or the wrong folder led. Whatever
    *create* says, a file or schema that holds something other than an
    ethical-decisions store (an empty file, a folder, another application's
    SQLite database or tables) is refused, never made into a store.

    :param url: ``memory://``, ``sqlite:///relative/path.db``,
        ``sqlite:////absolute/path.db``, or ``postgresql://…`` (also
        ``postgres://``; needs ``pip install 'ethical-decisions[postgres]'``),
        where a ``schema`` query parameter names the PostgreSQL schema to use
        (default ``public``), e.g. ``postgresql://edm@db/casework?schema=edm``.
        By default the :data:`~ethical_decisions.store.DATABASE_URL_VARIABLE` environment
        variable (``EDM_DATABASE_URL``), else
        :data:`~ethical_decisions.store.DEFAULT_DATABASE_URL`.
    :param create: make the store if it does not exist (the default, for writing).
    :raises StoreError: if the URL is not one of these, or the store cannot be
        opened, or is not a store, or (without *create*) does not exist.
    :raises SchemaVersionError: if a newer version of ethical-decisions wrote the store.
    """
    if url is None:
        url = os.environ.get(DATABASE_URL_VARIABLE) or DEFAULT_DATABASE_URL
    scheme, separator, rest = url.partition("://")
    scheme = scheme.lower()
    if separator and scheme == "memory":
        if rest:
            raise StoreError("A memory:// URL takes nothing after the '//'; use memory://.")
        return MemoryStore()
    if separator and scheme == "sqlite":
        return SQLiteStore(_sqlite_path(rest), create=create)
    if separator and scheme in ("postgresql", "postgres"):
        # Imported only for a PostgreSQL URL: psycopg is an optional extra, slow to import.
        from .postgres import PostgresStore  # noqa: PLC0415 - lazy on purpose, see above

        url, schema = _take_schema(url)
        return PostgresStore(url, schema=schema, create=create)
    if not separator:
        # A plain path is never guessed to be SQLite: say how to write it. Repeat it only when it
        # looks like a database file's path (anything else might be a password pasted in the wrong place).
        suggestion = f"sqlite:///{url}" if _DATABASE_FILE.fullmatch(url) else "sqlite:///path/to/reviews.db"
        raise StoreError(
            f"The store is named by a URL, not a plain path: for an SQLite file write {suggestion} "
            f"(three slashes, then the path; four for an absolute path). Supported: {_SUPPORTED}."
        )
    # Name the scheme only when it looks like one: a mistyped URL may hold a password.
    named = f" {scheme!r}" if _SCHEME.fullmatch(scheme) else ""
    raise StoreError(f"The store URL's scheme{named} is not supported; use one of: {_SUPPORTED}.")


def _sqlite_path(rest: str) -> str:
    host, slash, path = rest.partition("/")
    if host or not slash or not path or "?" in path or "#" in path:
        raise StoreError(
            "An SQLite URL names a file after three slashes and no host: "
            "sqlite:///relative/path.db or sqlite:////absolute/path.db."
        )
    return urllib.parse.unquote(path)


def _take_schema(url: str) -> tuple[str, str]:
    """*url* without its ``schema`` query parameter (libpq would refuse it), and the schema."""
    parts = urllib.parse.urlsplit(url)
    query = urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
    schemas = [v for k, v in query if k == "schema"]
    if not schemas:
        return url, "public"
    rest = urllib.parse.urlencode([(k, v) for k, v in query if k != "schema"], quote_via=urllib.parse.quote)
    return urllib.parse.urlunsplit(parts._replace(query=rest)), schemas[-1]
