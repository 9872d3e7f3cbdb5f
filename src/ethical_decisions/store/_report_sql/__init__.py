"""The report figures counted in the database, for the SQLite and PostgreSQL stores.

The functions take a cursor of the store (statements use ``?`` placeholders;
the PostgreSQL store's cursor turns them into ``%s``) and the store's
:class:`~ethical_decisions.store._dialect.Dialect`, and return the same figures as
:mod:`ethical_decisions.store._counting` computes in Python, without loading
the records: every figure is an aggregate in SQL, so a department report over
a million records brings back a few hundred rows. The SQL stores answer the
:class:`~ethical_decisions.store.Store` report methods with them.
"""

from __future__ import annotations

from .department import department_figures
from .pdr import pdr_figures, pdr_sample

__all__ = ["department_figures", "pdr_figures", "pdr_sample"]
