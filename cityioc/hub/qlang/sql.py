"""``q`` → a boolean SQL expression over the attribute document, to put in a WHERE clause.

SQLite (``sql_sqlite``: JSON text, ``?`` parameters) and PostgreSQL (``sql_postgres``: jsonb,
``%s`` parameters). Both select exactly the documents ``evaluate`` accepts.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from cityioc.hub.qlang import sql_postgres, sql_sqlite
from cityioc.hub.qlang.ast import QExpr
from cityioc.hub.qlang.sql_sqlite import register_sqlite_functions

Resolve = Callable[[str], str]
# The document column is spliced into the SQL, so it must be a plain (qualified) column name.
_COLUMN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?")


def _checked(doc_column: str) -> str:
    if not _COLUMN.fullmatch(doc_column):
        raise ValueError(f"doc_column must be a column reference, not {doc_column!r}")
    return doc_column


def to_sqlite(expr: QExpr, resolve: Resolve, doc_column: str = "e.doc") -> tuple[str, list[Any]]:
    """SQL and ``?`` parameters for SQLite; ``doc_column`` holds JSON text. ``~=`` needs
    ``register_sqlite_functions`` on the connection."""
    return sql_sqlite.to_sqlite(expr, resolve, _checked(doc_column))


def to_postgres(expr: QExpr, resolve: Resolve, doc_column: str = "e.doc") -> tuple[str, list[Any]]:
    """SQL and ``%s`` parameters (psycopg 3) for PostgreSQL; ``doc_column`` is jsonb."""
    return sql_postgres.to_postgres(expr, resolve, _checked(doc_column))


__all__ = ["register_sqlite_functions", "to_postgres", "to_sqlite"]
