"""Evaluate ``q`` against an entity's attribute document, in Python.

The tree is compiled once into nested closures (names resolved, operators chosen), so testing
many entities costs one call per entity and no re-walking of the tree.

Semantics, shared with the SQL translations in ``sql_sqlite`` and ``sql_postgres``:

* an attribute is one instance (an object) or a list of instances; a term holds if it holds for
  ANY instance;
* a path selects, in one instance: sub-attributes (objects), then optionally a member such as
  ``observedAt``, then keys inside the compound value. Without a member, the compared value is the
  node's ``value`` if it has one, else its ``object``;
* a compared value that is an array matches ``==``, ``>``, ``~=``… if any element does;
* ``!=`` and ``!~=`` hold when the value is present and ``==`` / ``~=`` do not hold;
* values only compare within a family (JSON numbers with numbers, strings with strings, dates and
  URIs, booleans with booleans): a mismatch is simply false.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from cityioc.hub.qlang.ast import (
    And,
    AttrPath,
    Compare,
    Exists,
    Family,
    Match,
    Op,
    Operand,
    Or,
    QExpr,
    Range,
    Value,
)

Predicate = Callable[[Mapping[str, Any]], bool]
Resolve = Callable[[str], str]
_Test = Callable[[Any], bool]
_Access = Callable[[Mapping[str, Any]], Any]

_ABSENT: Any = object()
_OPS: dict[Op, Callable[[Any, Any], bool]] = {
    Op.EQ: operator.eq,
    Op.GT: operator.gt,
    Op.GE: operator.ge,
    Op.LT: operator.lt,
    Op.LE: operator.le,
}


def evaluate(expr: QExpr, doc: Mapping[str, Any], resolve: Resolve) -> bool:
    """One-off evaluation; to test many entities, use ``compile_predicate`` once."""
    return compile_predicate(expr, resolve)(doc)


def compile_predicate(expr: QExpr, resolve: Resolve) -> Predicate:
    if isinstance(expr, And | Or):
        parts = [compile_predicate(t, resolve) for t in expr.terms]
        return _all_of(parts) if isinstance(expr, And) else _any_of(parts)
    name = resolve(expr.path.name)
    if isinstance(expr, Exists):
        present = _presence(expr.path, resolve)
        return lambda doc: any(present(i) for i in instances(doc, name))
    if isinstance(expr, Compare):
        return _term(name, _accessor(expr.path, resolve), _operand_test(expr), expr.negated)
    return _term(name, _accessor(expr.path, resolve), _regex_test(expr), expr.negated)


# Plain loops: measurably faster than all()/any() over a generator, per entity.
def _all_of(parts: list[Predicate]) -> Predicate:
    def holds(doc: Mapping[str, Any]) -> bool:
        for part in parts:  # noqa: SIM110 (see above)
            if not part(doc):
                return False
        return True

    return holds


def _any_of(parts: list[Predicate]) -> Predicate:
    def holds(doc: Mapping[str, Any]) -> bool:
        for part in parts:  # noqa: SIM110 (see above)
            if part(doc):
                return True
        return False

    return holds


def instances(doc: Mapping[str, Any], name: str) -> Sequence[Mapping[str, Any]]:
    found = doc.get(name)
    if isinstance(found, dict):
        return (found,)
    if isinstance(found, list):
        return [i for i in found if isinstance(i, dict)]
    return ()


def _term(name: str, access: _Access, test: _Test, negated: bool) -> Predicate:
    def holds(doc: Mapping[str, Any]) -> bool:
        for inst in instances(doc, name):
            value = access(inst)
            if value is _ABSENT:
                continue
            hit = any(test(v) for v in value) if isinstance(value, list) else test(value)
            if hit != negated:
                return True
        return False

    return holds


def _node_steps(path: AttrPath, resolve: Resolve) -> list[str]:
    return [resolve(s) for s in path.sub_attributes]


def _node(inst: Mapping[str, Any], steps: list[str]) -> Any:
    node: Any = inst
    for step in steps:
        node = node.get(step)
        if not isinstance(node, dict):
            return _ABSENT
    return node


def _accessor(path: AttrPath, resolve: Resolve) -> _Access:
    """instance → the value the path compares (``_ABSENT`` when there is none)."""
    steps, member, keys = _node_steps(path, resolve), path.member, path.keys

    def access(inst: Mapping[str, Any]) -> Any:
        node = _node(inst, steps)
        if node is _ABSENT:
            return _ABSENT
        if member is not None:
            found = node.get(member, _ABSENT)
        elif "value" in node:
            found = node["value"]
        else:
            found = node.get("object", _ABSENT)
        for key in keys:
            if not isinstance(found, dict) or key not in found:
                return _ABSENT
            found = found[key]
        return found

    return access


def _presence(path: AttrPath, resolve: Resolve) -> Callable[[Mapping[str, Any]], bool]:
    """instance → whether the bare path exists: the sub-attribute, the member, or the key."""
    if path.keys:
        access = _accessor(path, resolve)
        return lambda inst: access(inst) is not _ABSENT
    steps, member = _node_steps(path, resolve), path.member

    def present(inst: Mapping[str, Any]) -> bool:
        node = _node(inst, steps)
        return node is not _ABSENT and (member is None or member in node)

    return present


def _in_family(family: Family) -> _Test:
    if family is Family.NUMBER:
        return lambda v: isinstance(v, int | float) and not isinstance(v, bool)
    if family is Family.TEXT:
        return lambda v: isinstance(v, str)
    return lambda v: isinstance(v, bool)


def _value_test(op: Op, value: Value) -> _Test:
    in_family, compare, expected = _in_family(value.kind.family), _OPS[op], value.value
    return lambda v: in_family(v) and compare(v, expected)


def _operand_test(expr: Compare) -> _Test:
    """The test one element must pass for the positive form (``==`` for ``!=``)."""
    operand: Operand = expr.operand
    if isinstance(operand, Value):
        return _value_test(expr.positive_op, operand)
    if isinstance(operand, Range):
        in_family = _in_family(operand.low.kind.family)
        low, high = operand.low.value, operand.high.value
        return lambda v: in_family(v) and low <= v <= high
    tests = [_value_test(Op.EQ, item) for item in operand.items]
    return lambda v: any(t(v) for t in tests)


def _regex_test(expr: Match) -> _Test:
    search = re.compile(expr.pattern).search
    return lambda v: isinstance(v, str) and search(v) is not None
