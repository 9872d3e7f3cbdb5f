"""The report figures counted in the database, for the SQLite and PostgreSQL stores.

The functions take a cursor of the store (statements use ``?`` placeholders;
the PostgreSQL store's cursor turns them into ``%s``) and the store's
:class:`~ethical_decisions.store._dialect.Dialect`, and return the same figures as
:mod:`ethical_decisions.reports.reference` computes in Python, without loading
the records: every figure is an aggregate in SQL, so a department report over
a million records brings back a few hundred rows. :class:`ReportQueries` adds
them to a store as the :class:`~ethical_decisions.store.Store` methods.
"""

from __future__ import annotations

import datetime as dt
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Protocol

from ethical_decisions.compliance import ComplianceRecord
from ethical_decisions.figures import DepartmentFigures, PdrFigures, Period

from .department import department_figures
from .pdr import pdr_figures, pdr_sample

if TYPE_CHECKING:
    from ethical_decisions.store._dialect import Cursor, Dialect

__all__ = ["ReportQueries", "department_figures", "pdr_figures", "pdr_sample"]


class _SQLStore(Protocol):
    """What :class:`ReportQueries` needs of the store it is mixed into."""

    _dialect: Dialect

    def _read(self) -> AbstractContextManager[Cursor]: ...


class ReportQueries:
    """The :class:`~ethical_decisions.store.Store` report methods for a store kept in SQL.

    Mixed into the SQL stores ahead of their base class; it uses their
    ``_read()`` cursor and ``_dialect``.
    """

    def pdr_figures(self: _SQLStore, staff_id: str, period: Period) -> PdrFigures:
        """See :meth:`ethical_decisions.store.Store.pdr_figures`."""
        with self._read() as cursor:
            return pdr_figures(cursor, self._dialect, staff_id, period)

    def pdr_sample(
        self: _SQLStore, staff_id: str, period: Period, *, size: int = 3, seed: int | None = None
    ) -> list[ComplianceRecord]:
        """See :meth:`ethical_decisions.store.Store.pdr_sample`."""
        with self._read() as cursor:
            return pdr_sample(cursor, self._dialect, staff_id, period, size=size, seed=seed)

    def department_figures(self: _SQLStore, period: Period, *, as_of: dt.datetime) -> DepartmentFigures:
        """See :meth:`ethical_decisions.store.Store.department_figures`."""
        with self._read() as cursor:
            return department_figures(cursor, self._dialect, period, as_of=as_of)
