"""``q`` → a WHERE-clause expression for PostgreSQL, where the attribute document is jsonb.

The whole query becomes ONE SQL/JSON path, evaluated by one ``jsonb_path_exists`` call per row;
the values the user compared with travel in a separate ``vars`` object (``$v1``, ``$v2``…).
(A first version used nested ``jsonb_array_elements`` subqueries: their cost estimates made
PostgreSQL JIT-compile every non-trivial query, taking seconds.)

Same semantics as ``evaluate``. The path runs in strict mode, so nothing is unwrapped behind our
back; where strict mode raises (a missing key, ``[*]`` on a non-array) the error stays inside the
enclosing filter and counts as "unknown", which no term ever negates: it acts as false. One term::

    exists(@."attr" ? (@.type() == "object" && P)) || exists(@."attr"[*] ? (... && P))

where ``P`` tests one instance. ``!=`` is ``exists(X) && !ANY(X)`` with ``ANY(X)`` "X, or one of
its elements when X is an array, passes the comparison".

Names, keys and regular expressions are written into the path as JSON-escaped string literals;
the path itself is a bound parameter. ``~=`` is ``like_regex``: PostgreSQL's ARE engine, like
``~`` (not Python's ``re``: ``\\b`` or ``(?P<n>…)`` differ or fail).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from cityioc.hub.qlang.ast import And, Compare, Exists, Match, Op, Or, QExpr, Range, Value

Resolve = Callable[[str], str]


def _quote(text: str) -> str:
    """A jsonpath string literal: JSON escaping is a subset of what jsonpath accepts."""
    return json.dumps(text, ensure_ascii=False)


def _exists(x: str) -> str:
    return f"exists({x})"


class _Path:
    """Builds the jsonpath text and its ``vars``."""

    def __init__(self, resolve: Resolve) -> None:
        self.resolve = resolve
        self.vars: dict[str, Any] = {}

    def var(self, value: Value) -> str:
        name = f"v{len(self.vars) + 1}"
        self.vars[name] = value.value
        return "$" + name

    def expr(self, expr: QExpr) -> str:
        if isinstance(expr, And | Or):
            glue = " && " if isinstance(expr, And) else " || "
            return "(" + glue.join(self.expr(t) for t in expr.terms) + ")"
        name = "@." + _quote(self.resolve(expr.path.name))
        inst = self.instance(expr)
        one = f'@.type() == "object" && {inst}' if inst else '@.type() == "object"'
        return f"(exists({name} ? ({one})) || exists({name}[*] ? ({one})))"

    def instance(self, expr: Exists | Compare | Match) -> str:
        """The test of one instance (``@``); empty when any instance will do."""
        path = expr.path
        node = "@" + "".join("." + _quote(self.resolve(s)) for s in path.sub_attributes)
        keys = "".join("." + _quote(k) for k in path.keys)
        if isinstance(expr, Exists) and not keys and path.member is None:
            return f'exists({node} ? (@.type() == "object"))' if path.subpath else ""
        test = _exists if isinstance(expr, Exists) else self.test(expr)
        if path.member is not None:
            return test(f"{node}.{_quote(path.member)}{keys}")
        # The node's value if it has one, else its object.
        has_value = f'exists({node} ? (exists(@."value")))'
        on_value, on_object = test(f'{node}."value"{keys}'), test(f'{node}."object"{keys}')
        return f"(({has_value} && {on_value}) || (!{has_value} && {on_object}))"

    def test(self, expr: Compare | Match) -> Callable[[str], str]:
        """value path → the test of a compared value, element-wise on arrays."""
        if isinstance(expr, Match):
            check = f"@ like_regex {_quote(expr.pattern)}"
        else:
            check = self.operand(expr)

        def any_element(x: str) -> str:
            anyof = (
                f'(exists({x} ? ({check})) || (exists({x} ? (@.type() == "array"))'
                f" && exists({x}[*] ? ({check}))))"
            )
            return f"(exists({x}) && !{anyof})" if expr.negated else anyof

        return any_element

    def operand(self, expr: Compare) -> str:
        # Values of different types are not comparable in jsonpath: "unknown", so not selected.
        operand = expr.operand
        if isinstance(operand, Value):
            return f"@ {expr.positive_op.value} {self.var(operand)}"
        if isinstance(operand, Range):
            return f"@ >= {self.var(operand.low)} && @ <= {self.var(operand.high)}"
        return " || ".join(f"@ {Op.EQ.value} {self.var(v)}" for v in operand.items)


def to_postgres(expr: QExpr, resolve: Resolve, doc_column: str) -> tuple[str, list[Any]]:
    path = _Path(resolve)
    text = f"strict $ ? ({path.expr(expr)})"
    sql = f"jsonb_path_exists({doc_column}, %s::jsonpath, %s::jsonb, true)"
    return sql, [text, json.dumps(path.vars, ensure_ascii=False)]
