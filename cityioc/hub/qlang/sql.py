"""``q`` → a boolean SQL expression over the attribute document, for SQLite and PostgreSQL.

Both translations follow the semantics documented in ``evaluate`` exactly (the property tests
compare them with it). Everything the user wrote travels as a bound parameter; the only text built
from user input is a SQLite JSON path, made of the resolved names in double quotes (names holding a
double quote are refused). The shape, per term::

    EXISTS (SELECT 1 FROM <instances of the attribute> AS i WHERE <i is an object>
            AND EXISTS (SELECT 1 FROM (SELECT <the compared value or its path> ...) AS t
                        WHERE <present> AND [NOT] EXISTS (SELECT 1 FROM <t's elements, or t
                        itself when not an array> AS c WHERE <c compares>)))
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
    Term,
    Value,
)

Resolve = Callable[[str], str]
_COLUMN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?")


class _Sql:
    """One translation: collects positional parameters and numbers the subquery aliases."""

    mark = "?"

    def __init__(self, resolve: Resolve, doc: str) -> None:
        if not _COLUMN.fullmatch(doc):
            raise ValueError(f"doc_column must be a column reference, not {doc!r}")
        self.resolve, self.doc = resolve, doc
        self.params: list[Any] = []
        self.count = 0

    def p(self, value: Any) -> str:
        self.params.append(value)
        return self.mark

    def expr(self, expr: QExpr) -> str:
        if isinstance(expr, And | Or):
            glue = " AND " if isinstance(expr, And) else " OR "
            return "(" + glue.join(self.expr(t) for t in expr.terms) + ")"
        self.count += 1
        return self.term(expr, str(self.count))

    def term(self, expr: Term, n: str) -> str:
        inst = self.instances(self.resolve(expr.path.name), n)
        if isinstance(expr, Exists):
            present = self.exists(expr.path, f"qi{n}")
            return f"EXISTS (SELECT 1 FROM {inst}" + (f" AND {present})" if present else ")")
        i, t, c = f"qi{n}", f"qt{n}", f"qc{n}"
        target = self.target(expr.path, i)
        elements, guard = self.elements(i, t, c)
        test = self.regex(c, expr.pattern) if isinstance(expr, Match) else self.operand(c, expr)
        neg = "NOT " if expr.negated else ""
        return (
            f"EXISTS (SELECT 1 FROM {inst} AND EXISTS (SELECT 1 FROM (SELECT {target} AS x) AS {t}"
            f" WHERE {self.present(i, t)} AND {neg}EXISTS (SELECT 1 FROM {elements}"
            f" WHERE {guard}{test})))"
        )

    def operand(self, c: str, expr: Compare) -> str:
        operand = expr.operand
        if isinstance(operand, Value):
            return self.compare(c, expr.positive_op, operand)
        if isinstance(operand, Range):
            low = self.compare(c, Op.GE, operand.low)
            return f"({low} AND {self.compare(c, Op.LE, operand.high)})"
        return "(" + " OR ".join(self.compare(c, Op.EQ, v) for v in operand.items) + ")"

    # Dialect hooks. ``i`` is the alias of one attribute instance, ``c`` of one compared element.
    def instances(self, name: str, n: str) -> str:
        raise NotImplementedError

    def exists(self, path: AttrPath, i: str) -> str:
        raise NotImplementedError

    def target(self, path: AttrPath, i: str) -> str:
        """The compared value, or what locates it in the instance (becomes ``t.x``)."""
        raise NotImplementedError

    def present(self, i: str, t: str) -> str:
        raise NotImplementedError

    def elements(self, i: str, t: str, c: str) -> tuple[str, str]:
        """(FROM item ``c``: the elements of ``t.x``, or ``t.x`` itself; a guard to AND with)"""
        raise NotImplementedError

    def compare(self, c: str, op: Op, value: Value) -> str:
        raise NotImplementedError

    def regex(self, c: str, pattern: str) -> str:
        raise NotImplementedError


def _label(name: str) -> str:
    if '"' in name:
        raise BadRequestData(f"q: attribute name {name!r} cannot be queried")
    return f'."{name}"'


class _Sqlite(_Sql):
    """``doc`` is JSON text. Values are reached through JSON paths passed as parameters."""

    def instances(self, name: str, n: str) -> str:
        at, d = "$" + _label(name), self.doc
        # One instance or a list of them: either way, iterate over an array of instances.
        return (
            f"json_each(CASE json_type({d}, {self.p(at)}) WHEN 'array' THEN json_extract({d},"
            f" {self.p(at)}) WHEN 'object' THEN '[' || json_extract({d}, {self.p(at)}) || ']'"
            f" END) AS qi{n} WHERE qi{n}.type = 'object'"
        )

    def _node(self, path: AttrPath) -> str:
        return "$" + "".join(_label(self.resolve(s)) for s in path.sub_attributes)

    def _path(self, path: AttrPath, i: str) -> str:
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
            return f"json_type({i}.value, {self._path(path, i)}) IS NOT NULL"
        if path.subpath:
            return f"json_type({i}.value, {self.p(self._node(path))}) = 'object'"
        return ""

    def target(self, path: AttrPath, i: str) -> str:
        return self._path(path, i)

    def present(self, i: str, t: str) -> str:
        return f"json_type({i}.value, {t}.x) IS NOT NULL"

    def elements(self, i: str, t: str, c: str) -> tuple[str, str]:
        # json_each walks an array's elements, yields a scalar itself (key NULL), and walks an
        # object's members (text keys): those are dropped, an object compares with nothing.
        return f"json_each({i}.value, {t}.x) AS {c}", f"typeof({c}.key) <> 'text' AND "

    def compare(self, c: str, op: Op, value: Value) -> str:
        family = value.kind.family
        if family is Family.BOOLEAN:
            return f"{c}.type = {self.p('true' if value.value else 'false')}"
        types = "'integer', 'real'" if family is Family.NUMBER else "'text'"
        sql_op = op.value.replace("==", "=")
        return f"({c}.type IN ({types}) AND {c}.value {sql_op} {self.p(value.value)})"

    def regex(self, c: str, pattern: str) -> str:
        return f"({c}.type = 'text' AND {c}.value REGEXP {self.p(pattern)})"


class _Postgres(_Sql):
    """``doc`` is jsonb. Names and keys are text parameters of ``->``."""

    mark = "%s"

    def instances(self, name: str, n: str) -> str:
        a = f"qa{n}"
        return (
            f"(SELECT {self.doc} -> {self.p(name)}::text AS a) AS {a}, jsonb_array_elements(CASE"
            f" jsonb_typeof({a}.a) WHEN 'array' THEN {a}.a WHEN 'object' THEN jsonb_build_array("
            f"{a}.a) ELSE '[]'::jsonb END) AS qi{n}(v) WHERE jsonb_typeof(qi{n}.v) = 'object'"
        )

    def _node(self, path: AttrPath, i: str) -> str:
        return f"{i}.v" + "".join(
            f" -> {self.p(self.resolve(s))}::text" for s in path.sub_attributes
        )

    def _value(self, path: AttrPath, i: str) -> str:
        if path.member is not None:
            found = f"({self._node(path, i)} -> {self.p(path.member)}::text)"
        else:
            found = f"COALESCE({self._node(path, i)} -> 'value', {self._node(path, i)} -> 'object')"
        return found + "".join(f" -> {self.p(k)}::text" for k in path.keys)

    def exists(self, path: AttrPath, i: str) -> str:
        if path.keys or path.member is not None:
            return f"({self._value(path, i)}) IS NOT NULL"
        if path.subpath:
            return f"jsonb_typeof({self._node(path, i)}) = 'object'"
        return ""

    def target(self, path: AttrPath, i: str) -> str:
        return self._value(path, i)

    def present(self, i: str, t: str) -> str:
        return f"{t}.x IS NOT NULL"

    def elements(self, i: str, t: str, c: str) -> tuple[str, str]:
        return (
            f"jsonb_array_elements(CASE jsonb_typeof({t}.x) WHEN 'array' THEN {t}.x ELSE"
            f" jsonb_build_array({t}.x) END) AS {c}(v)",
            "",
        )

    def compare(self, c: str, op: Op, value: Value) -> str:
        sql_op = op.value.replace("==", "=")
        family = value.kind.family
        if family is Family.TEXT:
            return (
                f"(jsonb_typeof({c}.v) = 'string' AND ({c}.v #>> '{{}}') COLLATE \"C\" {sql_op}"
                f" {self.p(value.value)}::text)"
            )
        # PostgreSQL may evaluate AND operands in any order: CASE keeps casts off other types.
        if family is Family.BOOLEAN:
            return (
                f"CASE WHEN jsonb_typeof({c}.v) = 'boolean' THEN ({c}.v)::boolean = "
                f"{self.p(value.value)}::boolean ELSE FALSE END"
            )
        # As text, so that numeric compares the literal exactly (a float8 would round it).
        return (
            f"CASE WHEN jsonb_typeof({c}.v) = 'number' THEN ({c}.v)::numeric {sql_op} "
            f"{self.p(repr(value.value))}::numeric ELSE FALSE END"
        )

    def regex(self, c: str, pattern: str) -> str:
        return f"(jsonb_typeof({c}.v) = 'string' AND ({c}.v #>> '{{}}') ~ {self.p(pattern)}::text)"


def to_sqlite(expr: QExpr, resolve: Resolve, doc_column: str = "e.doc") -> tuple[str, list[Any]]:
    """A WHERE-clause expression for SQLite (``doc_column`` is JSON text) and its ``?`` params.
    The connection needs ``register_sqlite_functions`` for ``~=``."""
    sql = _Sqlite(resolve, doc_column)
    return sql.expr(expr), sql.params


def to_postgres(expr: QExpr, resolve: Resolve, doc_column: str = "e.doc") -> tuple[str, list[Any]]:
    """A WHERE-clause expression for PostgreSQL (``doc_column`` is jsonb) and its ``%s`` params."""
    sql = _Postgres(resolve, doc_column)
    return sql.expr(expr), sql.params


@lru_cache(maxsize=256)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def regexp(pattern: str, value: Any) -> bool:
    """SQLite's ``value REGEXP pattern`` calls ``regexp(pattern, value)``: Python ``re.search``."""
    return isinstance(value, str) and _compiled(pattern).search(value) is not None


def register_sqlite_functions(conn: sqlite3.Connection) -> None:
    conn.create_function("regexp", 2, regexp, deterministic=True)
