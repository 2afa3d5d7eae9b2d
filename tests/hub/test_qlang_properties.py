"""Property tests of ``q``: random documents and queries.

* ``evaluate`` agrees with ``reference`` below, a deliberately naive reading of the semantics;
* ``to_sqlite`` selects exactly the documents ``evaluate`` accepts;
* printing a tree and parsing it back gives the same tree;
* the parser only ever raises ``BadRequestData`` or ``TooComplexQuery``.

The strategies are shared with ``test_qlang_postgres``.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable
from typing import Any

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from cityioc.core.errors import BadRequestData, TooComplexQuery
from cityioc.hub.qlang import (
    And,
    AttrPath,
    Compare,
    Exists,
    Kind,
    Match,
    Op,
    Or,
    QExpr,
    Range,
    Value,
    ValueList,
    compile_predicate,
    evaluate,
    parse_q,
    register_sqlite_functions,
    to_sqlite,
)
from cityioc.hub.qlang.ast import MEMBERS

V = "https://uri.etsi.org/ngsi-ld/default-context/"
Doc = dict[str, Any]


def resolve(term: str) -> str:
    return V + term


# --- small pools, so that random queries often hit random documents ------------------------

NAMES = ["a", "b", "c"]
SUBS = ["s", "t"]
KEYS = ["k", "m"]
NUMBERS: list[int | float] = [-1, 0, 1, 2, 0.5, 2.0, 1e16, 0.30000000000000004]
DATETIMES = ["2025-12-31T23:59:59.999Z", "2026-01-01T00:00:00.000Z", "2026-06-15T12:30:00.500Z"]
DATES = ["2025-12-31", "2026-01-01", "2026-06-15"]
TIMES = ["08:00:00", "12:30:00Z"]
URIS = ["urn:x:1", "urn:x:2", "urn:ngsi-ld:Device:1"]
WORDS = ["", "abc", "B", "Đại lộ", "😀", 'q"uote', "back\\slash"]
# Regular expressions that mean the same to Python's re and PostgreSQL's ARE on these strings.
PATTERNS = ["^a", "c$", "b", "[0-9]", "^urn:", "a|B", "(?i)a", ".", "^$", "é", "x.*1", "^[a-c]+$"]

# No controls (so no NUL, which jsonb refuses, and no newline, where the regex dialects differ).
_CHARS = st.characters(blacklist_categories=("Cs", "Cc"))
texts = st.one_of(
    st.sampled_from(WORDS),
    st.sampled_from(DATETIMES + DATES + TIMES + URIS),
    st.text(_CHARS, max_size=2),
)
numbers = st.one_of(st.sampled_from(NUMBERS), st.integers(-2, 2))
scalars = st.one_of(numbers, numbers, texts, texts, st.booleans())
compounds = st.recursive(
    scalars | st.none(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(KEYS), inner),
    max_leaves=6,
)
# Compound values, with members that are mostly plain values.
records = st.dictionaries(st.sampled_from(KEYS), st.one_of(scalars, scalars, compounds), min_size=1)
values = st.one_of(scalars, scalars, st.lists(scalars, max_size=3), records, compounds)


# Strategies are built once, at import: building them per example is what makes hypothesis slow.
_uris = st.sampled_from(URIS)
_heads = st.one_of(
    st.builds(lambda v: {"type": "Property", "value": v}, values),
    st.builds(lambda v: {"type": "Property", "value": v}, values),
    st.builds(lambda o: {"type": "Relationship", "object": o}, _uris | st.lists(_uris, max_size=2)),
    st.just({}),  # neither value nor object: nothing to compare
    st.just({"type": "Property", "value": None}),  # null: present, equal to nothing
)
_members = st.fixed_dictionaries(
    {},
    optional={
        "observedAt": st.sampled_from(DATETIMES),
        "unitCode": st.sampled_from(["GQ", "CEL"]),
        "datasetId": _uris,
    },
)
_sub_attributes = st.one_of(
    st.builds(lambda v: {"type": "Property", "value": v}, scalars),
    st.builds(lambda v: {"type": "Property", "value": v, "observedAt": v}, texts),
    st.builds(lambda o: {"type": "Relationship", "object": o}, _uris),
    st.just([{"type": "Property", "value": 1}]),  # not an object: never matches
)
_subs = st.fixed_dictionaries({}, optional={V + s: _sub_attributes for s in SUBS})
instances = st.builds(lambda head, m, s: {**head, **m, **s}, _heads, _members, _subs)
attributes = st.one_of(
    instances,
    instances,
    instances,
    st.lists(instances, max_size=3),  # several instances (datasetId), possibly none
    st.sampled_from(["junk", 3, None]),  # not an attribute at all: never matches
)
docs = st.fixed_dictionaries(
    {V + n: attributes for n in NAMES[:2]}, optional={V + NAMES[2]: attributes}
)

# --- random queries --------------------------------------------------------------------------

_POOLS: dict[Kind, st.SearchStrategy[Any]] = {
    Kind.NUMBER: numbers,
    Kind.STRING: texts,
    Kind.DATETIME: st.sampled_from(DATETIMES),
    Kind.DATE: st.sampled_from(DATES),
    Kind.TIME: st.sampled_from(TIMES),
    Kind.URI: st.sampled_from(URIS),
    Kind.BOOLEAN: st.booleans(),
}
_SAME_KIND: dict[Kind, list[Any]] = {
    Kind.NUMBER: [*NUMBERS, -2, 1, 3],
    Kind.STRING: WORDS,
    Kind.DATETIME: DATETIMES,
    Kind.DATE: DATES,
    Kind.TIME: TIMES,
}
# Numbers and strings, the common cases, more often.
_KINDS = [*Kind, Kind.NUMBER, Kind.NUMBER, Kind.STRING]
_ORDERED = [k for k in _KINDS if k.ordered]

_names = st.sampled_from([*NAMES, *NAMES, "z"])  # z: never stored
_steps = st.one_of(
    st.tuples(st.sampled_from(SUBS)),
    st.tuples(st.sampled_from(sorted(MEMBERS))),
    st.tuples(st.sampled_from(SUBS), st.sampled_from(sorted(MEMBERS))),
)
_keys = st.one_of(st.tuples(st.sampled_from(KEYS)), st.tuples(*[st.sampled_from(KEYS)] * 2))
_plain = st.builds(AttrPath, _names)
paths = st.one_of(
    _plain,
    _plain,
    _plain,
    _plain,
    _plain,
    st.builds(AttrPath, _names, _steps),
    st.builds(AttrPath, _names, st.just(()), _keys),
    st.builds(AttrPath, _names, _steps, _keys),
)


def _join(cls: type[And] | type[Or], items: list[QExpr]) -> QExpr:
    flat: list[QExpr] = []
    for item in items:
        flat.extend(item.terms if isinstance(item, cls) else (item,))
    return cls(tuple(flat))


def _literal(kind: Kind) -> st.SearchStrategy[Value]:
    return _POOLS[kind].map(lambda v: Value(kind, v))


_literals = {kind: _literal(kind) for kind in Kind}
_any_literal = st.one_of([_literals[k] for k in _KINDS])
_ordered_literal = st.one_of([_literals[k] for k in _ORDERED])
_ranges = st.one_of([st.builds(Range, _literals[k], _literals[k]) for k in _ORDERED])
_lists = st.lists(_any_literal, min_size=2, max_size=3).map(lambda xs: ValueList(tuple(xs)))
_eq_ops = st.sampled_from([Op.EQ, Op.NE])
_ordering_ops = st.sampled_from([Op.GT, Op.GE, Op.LT, Op.LE])
random_terms = st.one_of(
    st.builds(Exists, paths),
    st.builds(Compare, paths, _eq_ops, _any_literal | _ranges | _lists),
    st.builds(Compare, paths, _ordering_ops, _ordered_literal),
    st.builds(Match, paths, st.sampled_from(PATTERNS), st.booleans()),
)


def _targets(name: str, inst: Doc) -> list[tuple[AttrPath, Any]]:
    """Paths that lead somewhere in this instance, with the value found there."""
    found: list[tuple[AttrPath, Any]] = []

    def walk(subpath: tuple[str, ...], node: Doc) -> None:
        comparable = node.get("value", node.get("object"))
        found.append((AttrPath(name, subpath), comparable))
        if isinstance(comparable, dict):
            for key, inner in comparable.items():
                found.append((AttrPath(name, subpath, (key,)), inner))
                if isinstance(inner, dict):
                    found.extend((AttrPath(name, subpath, (key, k2)), v) for k2, v in inner.items())
        found.extend((AttrPath(name, (*subpath, m)), node[m]) for m in sorted(MEMBERS & set(node)))

    walk((), inst)
    for sub in SUBS:
        if isinstance(inst.get(V + sub), dict):
            walk((sub,), inst[V + sub])
        elif V + sub in inst:
            found.append((AttrPath(name, (sub,)), None))  # there, but not a sub-attribute
    return found


def _literal_for(x: Any) -> Value | None:
    if isinstance(x, bool):
        return Value(Kind.BOOLEAN, x)
    if isinstance(x, int | float):
        return Value(Kind.NUMBER, x)
    if not isinstance(x, str):
        return None
    for kind, pool in ((Kind.DATETIME, DATETIMES), (Kind.DATE, DATES), (Kind.TIME, TIMES)):
        if x in pool:
            return Value(kind, x)
    return Value(Kind.URI if x in URIS else Kind.STRING, x)


def _confusable(value: Value) -> Value:
    if value.kind is Kind.BOOLEAN:
        return Value(Kind.NUMBER, int(bool(value.value)))
    if value.kind is Kind.NUMBER:
        return Value(Kind.STRING, repr(value.value))
    return Value(Kind.NUMBER, 1)


def _pick(draw: st.DrawFn, items: list[Any]) -> Any:
    return items[draw(st.integers(0, len(items) - 1))]


def _guided_term(draw: st.DrawFn, rows: list[Doc]) -> QExpr:
    """A term aimed at a value that one of the documents holds, so that matches are common."""
    name = _pick(draw, NAMES)
    attr = _pick(draw, rows).get(V + name)
    insts = [i for i in (attr if isinstance(attr, list) else [attr]) if isinstance(i, dict)]
    targets = _targets(name, _pick(draw, insts)) if insts else []
    if not targets:
        return draw(random_terms)
    path, found = _pick(draw, targets)
    elements = found if isinstance(found, list) else [found]
    element = _pick(draw, elements) if elements else None
    if isinstance(element, dict) and element:
        # A member of a compound value: it must not pass for an element of the value.
        element = _pick(draw, list(element.values()))
    value = _literal_for(element)
    if value is None:
        if found is None and draw(st.booleans()):  # null, or no value: present or not?
            return Compare(path, Op.NE, draw(_any_literal))
        return Exists(path)
    if isinstance(value.value, str) and value.value[:1].isalnum() and draw(st.booleans()):
        pattern = "^" + value.value[0] if value.value[0].isascii() else value.value[0]
        return Match(path, pattern, draw(st.booleans()))
    # Another value of the same kind, never the same one, so that < and > can hold.
    pool = [v for v in _SAME_KIND.get(value.kind, []) if v != value.value] or [value.value]
    same = Value(value.kind, _pick(draw, pool))
    choice = draw(st.integers(0, 4))
    if choice == 4:
        # The same value in another type: true is not 1, 1 is not "1".
        confusable = _confusable(value)
        return Compare(path, draw(_eq_ops | _ordering_ops), confusable)
    if choice == 0 or not value.kind.ordered:
        other = draw(_any_literal)
        return Compare(path, draw(_eq_ops), value if choice != 1 else ValueList((other, value)))
    if choice == 1:
        low, high = sorted([value, same], key=lambda v: v.value)
        return Compare(path, draw(_eq_ops), Range(low, high))
    return Compare(path, draw(_ordering_ops), value if choice == 2 else same)


def _query(draw: st.DrawFn, rows: list[Doc], depth: int = 0) -> QExpr:
    shape = draw(st.integers(0, 4 if depth < 2 else 1))
    if shape <= 1:
        return _guided_term(draw, rows) if shape == 0 and rows else draw(random_terms)
    items = [_query(draw, rows, depth + 1) for _ in range(draw(st.integers(2, 3)))]
    return _join(And if shape % 2 else Or, items)


@st.composite
def queries(draw: st.DrawFn) -> QExpr:
    return _query(draw, [])


@st.composite
def cases(draw: st.DrawFn, max_docs: int, max_queries: int) -> tuple[list[Doc], list[QExpr]]:
    """Some documents, and queries about them: half of the terms aim at the documents' values."""
    rows = draw(st.lists(docs, min_size=1, max_size=max_docs))
    return rows, [_query(draw, rows) for _ in range(draw(st.integers(1, max_queries)))]


# --- the reference: the semantics, read naively ------------------------------------------------

MISSING = object()


def _family(x: Any) -> str | None:
    if isinstance(x, bool):
        return "boolean"
    if isinstance(x, int | float):
        return "number"
    if isinstance(x, str):
        return "text"
    return None


def _literal_family(v: Value) -> str:
    return {Kind.NUMBER: "number", Kind.BOOLEAN: "boolean"}.get(v.kind, "text")


def _same(x: Any, v: Value) -> bool:
    return _family(x) == _literal_family(v)


def _holds(x: Any, op: Op, operand: Value | Range | ValueList) -> bool:
    """Does one element ``x`` satisfy ``op`` (never NE here)?"""
    if isinstance(operand, ValueList):
        return any(_same(x, v) and x == v.value for v in operand.items)
    if isinstance(operand, Range):
        return _same(x, operand.low) and operand.low.value <= x <= operand.high.value
    if not _same(x, operand):
        return False
    results = {
        Op.EQ: x == operand.value,
        Op.GT: x > operand.value,
        Op.GE: x >= operand.value,
        Op.LT: x < operand.value,
        Op.LE: x <= operand.value,
    }
    return bool(results[op])


def _lookup(inst: Doc, path: AttrPath) -> tuple[bool, Any]:
    """(does the bare path exist in this instance, the compared value or MISSING)"""
    node: Any = inst
    for sub in path.subpath:
        if sub in MEMBERS:
            if sub not in node:
                return False, MISSING
            node = ("member", node[sub])
            break
        node = node.get(resolve(sub))
        if not isinstance(node, dict):
            return False, MISSING
    if isinstance(node, tuple):
        found = node[1]
    elif "value" in node:
        found = node["value"]
    elif "object" in node:
        found = node["object"]
    else:
        found = MISSING
    exists = True
    for key in path.keys:
        if isinstance(found, dict) and key in found:
            found = found[key]
        else:
            found, exists = MISSING, False
    return exists, found


def reference(expr: QExpr, doc: Doc) -> bool:
    if isinstance(expr, And):
        return all(reference(t, doc) for t in expr.terms)
    if isinstance(expr, Or):
        return any(reference(t, doc) for t in expr.terms)
    attr = doc.get(resolve(expr.path.name))
    insts = [attr] if isinstance(attr, dict) else attr if isinstance(attr, list) else []
    for inst in (i for i in insts if isinstance(i, dict)):
        exists, found = _lookup(inst, expr.path)
        if isinstance(expr, Exists):
            if exists:
                return True
            continue
        if found is MISSING:
            continue
        elements = found if isinstance(found, list) else [found]
        if isinstance(expr, Match):
            hit = any(isinstance(x, str) and re.search(expr.pattern, x) for x in elements)
        else:
            hit = any(_holds(x, expr.positive_op, expr.operand) for x in elements)
        if bool(hit) != expr.negated:
            return True
    return False


# --- the properties ----------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(case=cases(max_docs=2, max_queries=4))
def test_evaluate_agrees_with_the_reference(case: tuple[list[Doc], list[QExpr]]) -> None:
    rows, exprs = case
    for expr in exprs:
        for doc in rows:
            assert evaluate(expr, doc, resolve) == reference(expr, doc), str(expr)
            assert compile_predicate(expr, resolve)(doc) == reference(expr, doc), str(expr)


@settings(max_examples=200, deadline=None)
@given(expr=queries())
def test_printed_queries_parse_back(expr: QExpr) -> None:
    assert parse_q(str(expr)) == expr


def sqlite_matches(rows: list[Doc], exprs: list[QExpr]) -> list[set[int]]:
    conn = sqlite3.connect(":memory:")
    try:
        register_sqlite_functions(conn)
        conn.execute("CREATE TABLE entities (id INTEGER PRIMARY KEY, doc TEXT NOT NULL)")
        conn.executemany(
            "INSERT INTO entities VALUES (?, ?)",
            [(i, orjson.dumps(d).decode()) for i, d in enumerate(rows)],
        )
        found = []
        for expr in exprs:
            sql, params = to_sqlite(expr, resolve)
            found.append(
                {r[0] for r in conn.execute(f"SELECT e.id FROM entities e WHERE {sql}", params)}
            )
        return found
    finally:
        conn.close()


def python_matches(rows: list[Doc], exprs: list[QExpr]) -> list[set[int]]:
    predicates: list[Callable[[Doc], bool]] = [compile_predicate(e, resolve) for e in exprs]
    return [{i for i, d in enumerate(rows) if p(d)} for p in predicates]


@settings(max_examples=150, deadline=None)
@given(case=cases(max_docs=6, max_queries=5))
def test_sqlite_selects_what_evaluate_accepts(case: tuple[list[Doc], list[QExpr]]) -> None:
    rows, exprs = case
    assert sqlite_matches(rows, exprs) == python_matches(rows, exprs), [str(e) for e in exprs]


_QISH = st.text(alphabet='ab.[]()|;=!<>~"\\,:-+09eTZ tu', max_size=30)


@settings(max_examples=300, deadline=None)
@given(text=st.one_of(st.text(max_size=40), _QISH, queries().map(str).map(lambda s: s[:-1])))
def test_parser_fails_only_with_domain_errors(text: str) -> None:
    try:
        parse_q(text)
    except (BadRequestData, TooComplexQuery) as err:
        assert err.detail.startswith("q: ")
