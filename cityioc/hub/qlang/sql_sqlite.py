"""``q`` → a WHERE-clause expression for SQLite, where the attribute document is JSON text.

Same semantics as ``evaluate`` (the property tests compare them). Every piece of user text is a
``?`` parameter, JSON paths included: a path is built from resolved names and keys, each between
double quotes, and a name holding a double quote is refused (SQLite paths cannot escape it).
The shape of one term::

    EXISTS (SELECT 1 FROM json_each(<the attribute as an array of instances>) AS qi
            WHERE qi.type = 'object'
            AND EXISTS (SELECT 1 FROM (SELECT <JSON path of the compared value> AS x) AS qt
                        WHERE <x is present> AND [NOT] EXISTS (
                            SELECT 1 FROM json_each(qi.value, qt.x) AS qc   -- elements, or x
                            WHERE <qc is not an object member> AND <qc compares>)))
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from cityioc.core.errors import BadRequestData
from cityioc.hub.qlang.ast import (
    And,
    AttrPath,
    Compare,
    Exists,
    Family,
    Match,
    Op,
    Or,
    QExpr,
    Range,
    Value,
)

Resolve = Callable[[str], str]


def _label(name: str) -> str:
    if '"' in name:
        raise BadRequestData(f"q: attribute name {name!r} cannot be queried")
    return f'."{name}"'


class _Translation:
    """One translation: collects the parameters and numbers the subquery aliases."""

    def __init__(self, resolve: Resolve, doc: str) -> None:
        self.resolve, self.doc = resolve, doc
        self.params: list[Any] = []
        self.count = 0

    def p(self, value: Any) -> str:
        self.params.append(value)
        return "?"

    def expr(self, expr: QExpr) -> str:
        if isinstance(expr, And | Or):
            glue = " AND " if isinstance(expr, And) else " OR "
            return "(" + glue.join(self.expr(t) for t in expr.terms) + ")"
        self.count += 1
        i, t, c = (f"q{x}{self.count}" for x in "itc")
        at, d = "$" + _label(self.resolve(expr.path.name)), self.doc
        # One instance or a list of them: either way, iterate over an array of instances.
        head = (
            f"EXISTS (SELECT 1 FROM json_each(CASE json_type({d}, {self.p(at)}) WHEN 'array'"
            f" THEN json_extract({d}, {self.p(at)}) WHEN 'object' THEN '[' || json_extract({d},"
            f" {self.p(at)}) || ']' END) AS {i} WHERE {i}.type = 'object'"
        )
        if isinstance(expr, Exists):
            present = self.exists(expr.path, i)
            return head + (f" AND {present})" if present else ")")
        target = self.target(expr.path, i)
        test = self.regex(c, expr.pattern) if isinstance(expr, Match) else self.operand(c, expr)
        neg = "NOT " if expr.negated else ""
        # json_each walks an array's elements, yields a scalar itself (key NULL), and walks an
        # object's members (text keys): those are dropped, an object compares with nothing.
        return (
            f"{head} AND EXISTS (SELECT 1 FROM (SELECT {target} AS x) AS {t}"
            f" WHERE json_type({i}.value, {t}.x) IS NOT NULL AND {neg}EXISTS (SELECT 1 FROM"
            f" json_each({i}.value, {t}.x) AS {c} WHERE typeof({c}.key) <> 'text' AND {test})))"
        )

    def _node(self, path: AttrPath) -> str:
        return "$" + "".join(_label(self.resolve(s)) for s in path.sub_attributes)

    def target(self, path: AttrPath, i: str) -> str:
        """The JSON path, inside instance ``i``, of the compared value."""
        keys = "".join(_label(k) for k in path.keys)
        node = self._node(path)
        if path.member is not None:
            return self.p(node + _label(path.member) + keys)
        # The node's value if it has one, else its object: chosen per instance.
        has_value = self.p(node + '."value"')
        on_value, on_object = self.p(node + '."value"' + keys), self.p(node + '."object"' + keys)
        return (
            f"CASE WHEN json_type({i}.value, {has_value}) IS NOT NULL THEN {on_value}"
            f" ELSE {on_object} END"
        )

    def exists(self, path: AttrPath, i: str) -> str:
        if path.keys or path.member is not None:
            return f"json_type({i}.value, {self.target(path, i)}) IS NOT NULL"
        if path.subpath:
            return f"json_type({i}.value, {self.p(self._node(path))}) = 'object'"
        return ""

    def operand(self, c: str, expr: Compare) -> str:
        operand = expr.operand
        if isinstance(operand, Value):
            return self.compare(c, expr.positive_op, operand)
        if isinstance(operand, Range):
            low = self.compare(c, Op.GE, operand.low)
            return f"({low} AND {self.compare(c, Op.LE, operand.high)})"
        return "(" + " OR ".join(self.compare(c, Op.EQ, v) for v in operand.items) + ")"

    def compare(self, c: str, op: Op, value: Value) -> str:
        family = value.kind.family
        if family is Family.BOOLEAN:
            return f"{c}.type = {self.p('true' if value.value else 'false')}"
        types = "'integer', 'real'" if family is Family.NUMBER else "'text'"
        sql_op = op.value.replace("==", "=")
        return f"({c}.type IN ({types}) AND {c}.value {sql_op} {self.p(value.value)})"

    def regex(self, c: str, pattern: str) -> str:
        # CASE, not AND: the regexp function must never see a number, whatever the plan.
        return f"(CASE WHEN {c}.type = 'text' THEN {c}.value REGEXP {self.p(pattern)} END)"


def to_sqlite(expr: QExpr, resolve: Resolve, doc_column: str) -> tuple[str, list[Any]]:
    translation = _Translation(resolve, doc_column)
    return translation.expr(expr), translation.params


@lru_cache(maxsize=256)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def regexp(pattern: str, value: Any) -> bool:
    """SQLite's ``value REGEXP pattern`` calls ``regexp(pattern, value)``: Python ``re.search``."""
    return isinstance(value, str) and _compiled(pattern).search(value) is not None


def register_sqlite_functions(conn: sqlite3.Connection) -> None:
    """Define ``regexp`` (what ``~=`` needs) on a connection."""
    conn.create_function("regexp", 2, regexp, deterministic=True)
