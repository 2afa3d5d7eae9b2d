"""The NGSI-LD ``q`` language: parser, errors, evaluation and SQL on hand-written examples.

Random queries and documents are in ``test_qlang_properties`` (Python and SQLite) and
``test_qlang_postgres``.
"""

from __future__ import annotations

import sqlite3
from typing import Any

import orjson
import pytest

from cityioc.core.errors import BadRequestData, TooComplexQuery
from cityioc.hub.qlang import (
    MAX_DEPTH,
    MAX_LENGTH,
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
    q_attribute_terms,
    register_sqlite_functions,
    to_sqlite,
)

V = "https://uri.etsi.org/ngsi-ld/default-context/"


def resolve(term: str) -> str:
    return V + term


def ex(name: str) -> Exists:
    return Exists(AttrPath(name))


def num(n: float) -> Value:
    return Value(Kind.NUMBER, n)


# --- parser: structure -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("q", "tree"),
    [
        ("a", ex("a")),
        ("a;b", And((ex("a"), ex("b")))),
        ("a|b", Or((ex("a"), ex("b")))),
        ("a|b;c", Or((ex("a"), And((ex("b"), ex("c")))))),
        ("a;b|c", Or((And((ex("a"), ex("b"))), ex("c")))),
        ("(a|b);c", And((Or((ex("a"), ex("b"))), ex("c")))),
        ("a;(b|c);d", And((ex("a"), Or((ex("b"), ex("c"))), ex("d")))),
        ("a;b;c", And((ex("a"), ex("b"), ex("c")))),
        ("a;(b;c)", And((ex("a"), ex("b"), ex("c")))),
        ("(a|b)|c", Or((ex("a"), ex("b"), ex("c")))),
        ("((a))", ex("a")),
        ("( a | b ) ; c", And((Or((ex("a"), ex("b"))), ex("c")))),
    ],
)
def test_precedence_and_grouping(q: str, tree: QExpr) -> None:
    assert parse_q(q) == tree


@pytest.mark.parametrize("op", list(Op))
def test_every_comparison_operator(op: Op) -> None:
    assert parse_q(f"pm25{op.value}50") == Compare(AttrPath("pm25"), op, num(50))


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("42", num(42)),
        ("-7", num(-7)),
        ("0.25", num(0.25)),
        ("-1.5e3", num(-1500.0)),
        ("2E-2", num(0.02)),
        ("99999999999999999999", num(1e20)),  # beyond 64 bits: a float, bindable in SQL
        ('"open"', Value(Kind.STRING, "open")),
        ('""', Value(Kind.STRING, "")),
        (r'"say \"hi\" \\ \u00e9"', Value(Kind.STRING, 'say "hi" \\ é')),
        ('"a;b|c)"', Value(Kind.STRING, "a;b|c)")),
        ('"Đại lộ"', Value(Kind.STRING, "Đại lộ")),
        ("2026-01-01T00:00:00Z", Value(Kind.DATETIME, "2026-01-01T00:00:00.000Z")),
        ("2026-01-01T07:00:00+07:00", Value(Kind.DATETIME, "2026-01-01T00:00:00.000Z")),
        ("2026-01-01T00:00:00.123456Z", Value(Kind.DATETIME, "2026-01-01T00:00:00.123Z")),
        ("2026-01-01T10:30", Value(Kind.DATETIME, "2026-01-01T10:30:00.000Z")),
        ("2026-01-01", Value(Kind.DATE, "2026-01-01")),
        ("12:30:00", Value(Kind.TIME, "12:30:00")),
        ("12:30:00.5Z", Value(Kind.TIME, "12:30:00.5Z")),
        ("true", Value(Kind.BOOLEAN, True)),
        ("false", Value(Kind.BOOLEAN, False)),
        ("urn:ngsi-ld:Building:1", Value(Kind.URI, "urn:ngsi-ld:Building:1")),
        ("https://example.org/a?b=1", Value(Kind.URI, "https://example.org/a?b=1")),
    ],
)
def test_every_value_kind(text: str, value: Value) -> None:
    tree = parse_q(f"a=={text}")
    assert tree == Compare(AttrPath("a"), Op.EQ, value)
    assert isinstance(tree, Compare)
    assert type(tree.operand.value) is type(value.value)  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("q", "operand"),
    [
        ("a==10..30", Range(num(10), num(30))),
        ("a!=-1.5..2", Range(num(-1.5), num(2))),
        ('a=="a".."m"', Range(Value(Kind.STRING, "a"), Value(Kind.STRING, "m"))),
        (
            "a==2026-01-01..2026-02-01",
            Range(Value(Kind.DATE, "2026-01-01"), Value(Kind.DATE, "2026-02-01")),
        ),
        (
            "a==2026-01-01T00:00:00Z..2026-01-02T00:00:00Z",
            Range(
                Value(Kind.DATETIME, "2026-01-01T00:00:00.000Z"),
                Value(Kind.DATETIME, "2026-01-02T00:00:00.000Z"),
            ),
        ),
        ("a==1,2,3", ValueList((num(1), num(2), num(3)))),
        (
            'a!="x",true,urn:a:b,2.5',
            ValueList(
                (
                    Value(Kind.STRING, "x"),
                    Value(Kind.BOOLEAN, True),
                    Value(Kind.URI, "urn:a:b"),
                    num(2.5),
                )
            ),
        ),
    ],
)
def test_ranges_and_lists(q: str, operand: Range | ValueList) -> None:
    tree = parse_q(q)
    assert isinstance(tree, Compare)
    assert tree.operand == operand


@pytest.mark.parametrize(
    ("q", "tree"),
    [
        ('name~="(?i)tower"', Match(AttrPath("name"), "(?i)tower")),
        ("name~=(?i)tower", Match(AttrPath("name"), "(?i)tower")),
        ("name!~=^urn:x(a|b)$", Match(AttrPath("name"), "^urn:x(a|b)$", negated=True)),
        (r'name~="\d+ \"q\""', Match(AttrPath("name"), r'\d+ "q"')),
        ('name~="a;b|c"', Match(AttrPath("name"), "a;b|c")),
        ("name~=ab;x", And((Match(AttrPath("name"), "ab"), ex("x")))),
        ("(name~=ab)", Match(AttrPath("name"), "ab")),
    ],
)
def test_regular_expressions(q: str, tree: QExpr) -> None:
    assert parse_q(q) == tree


@pytest.mark.parametrize(
    ("q", "path"),
    [
        ("temperature", AttrPath("temperature")),
        ("pm2_5", AttrPath("pm2_5")),
        ("temperature.observedAt", AttrPath("temperature", ("observedAt",))),
        ("pm25.reliability", AttrPath("pm25", ("reliability",))),
        ("pm25.reliability.unitCode", AttrPath("pm25", ("reliability", "unitCode"))),
        ("address[streetAddress]", AttrPath("address", (), ("streetAddress",))),
        ("a[k1][k-2]", AttrPath("a", (), ("k1", "k-2"))),
        ("a.sub[k]", AttrPath("a", ("sub",), ("k",))),
        ("a.value[k]", AttrPath("a", ("value",), ("k",))),
    ],
)
def test_attribute_paths(q: str, path: AttrPath) -> None:
    assert parse_q(q) == Exists(path)
    assert parse_q(q + "==1") == Compare(path, Op.EQ, num(1))


def test_path_members_and_sub_attributes() -> None:
    path = AttrPath("a", ("s", "observedAt"), ("k",))
    assert path.member == "observedAt"
    assert path.sub_attributes == ("s",)
    assert AttrPath("a", ("s",)).member is None


def test_attribute_terms() -> None:
    tree = parse_q('pm25>50;(status=="open"|address[x]);pm25.observedAt;refDevice.s')
    assert q_attribute_terms(tree) == {"pm25", "status", "address", "refDevice"}


@pytest.mark.parametrize(
    "q",
    [
        "a",
        'a==1;b>2.5|c<="x"',
        "(a|b);c.observedAt>=2026-01-01T00:00:00.000Z",
        "a!=1..5;b==urn:x:1,true,-3",
        'a[k][m]~="^x$";b!~="(?i)Y"',
        "a.s.unitCode==2026-01-01..2026-02-01",
    ],
)
def test_text_round_trip(q: str) -> None:
    tree = parse_q(q)
    assert parse_q(str(tree)) == tree


# --- parser: errors --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("q", "message"),
    [
        ("a;", "q: unexpected end of query at position 3; expected"),
        ("a==1;;b", "q: unexpected ';' at position 6"),
        (";a", "q: unexpected ';' at position 1"),
        ("a=1", "q: unexpected '=' at position 2"),
        ("a==", "q: unexpected end of query at position 4; expected a value"),
        ("a==>1", "q: unexpected '>' at position 4; expected a value"),
        ("a==1 b", "q: unexpected 'b' at position 6"),
        ("a==open", "q: unquoted string 'open' at position 4"),
        ("a>true", "q: '>' needs a number, string, date or time, not true at position 3"),
        ("a<urn:x:1", "q: '<' needs a number"),
        ("a>1,2", "q: '>' cannot compare with a list at position 3"),
        ("a>=1..2", "q: '>=' cannot compare with a range at position 4"),
        ('a==1.."x"', 'q: range ends 1 and "x" are of different types at position 4'),
        ("a==true..false", "q: a range needs numbers, strings or times"),
        ("a.observedAt.b", "q: 'observedAt' must end the attribute path at position 3"),
        ("a.", "q: unexpected end of query at position 3; expected an attribute name"),
        ("a[]", "q: unexpected ']' at position 3; expected a key"),
        ("a[k", "q: unexpected end of query at position 4; expected ']'"),
        ("(a", "q: unexpected end of query at position 3; expected ')'"),
        ("a)", "q: unexpected ')' at position 2"),
        ("a==1)", "q: unexpected ')' at position 5"),
        ("()", "q: unexpected ')' at position 2"),
        ("", "q: empty query"),
        ("   ", "q: empty query"),
        ('a=="open', "q: unexpected '\"' at position 4"),
        ("a==2026-13-01", "q: invalid date '2026-13-01'"),
        ("a==2026-01-01T25:00:00Z", "q: invalid dateTime"),
        ("a==25:00:00", "q: invalid time"),
        ('a~="("', "q: invalid regular expression '('"),
        ('a~="[[:alpha:]]"', "q: ambiguous regular expression '[[:alpha:]]' (Possible nested set"),
        ("a==1e999", "q: number '1e999' is out of range at position 4"),
        (r'a=="x\q"', "q: invalid escape in string"),
        ("a==€", "q: unexpected '€' at position 4"),
        ("a\nb", "q: unexpected '\\n' at position 2"),
        ('a=="x\x00"', "q: NUL character at position 6"),
    ],
)
def test_syntax_errors_say_what_and_where(q: str, message: str) -> None:
    with pytest.raises(BadRequestData) as caught:
        parse_q(q)
    assert caught.type is BadRequestData
    assert message in caught.value.detail
    assert caught.value.code == "BadRequestData"


def test_too_long() -> None:
    parse_q("a" * MAX_LENGTH)
    with pytest.raises(TooComplexQuery, match="longer than 4096"):
        parse_q("a" * (MAX_LENGTH + 1))


def test_too_deep() -> None:
    ok = "(" * MAX_DEPTH + "a" + ")" * MAX_DEPTH
    assert parse_q(ok) == ex("a")
    deep = "(" * (MAX_DEPTH + 1) + "a" + ")" * (MAX_DEPTH + 1)
    with pytest.raises(TooComplexQuery, match="nested deeper than 32 at position 33"):
        parse_q(deep)
    # Deep but not nested is fine.
    assert parse_q(";".join(["(a)"] * 500)) == And(tuple([ex("a")] * 500))


# --- evaluation and SQLite on examples -------------------------------------------------------

DOCS: dict[str, dict[str, Any]] = {
    "sensor": {
        V + "pm25": {
            "type": "Property",
            "value": 42.5,
            "observedAt": "2026-11-25T10:00:00.000Z",
            "unitCode": "GQ",
            V + "reliability": {"type": "Property", "value": 0.9},
            V + "providedBy": {"type": "Relationship", "object": "urn:ngsi-ld:Device:9"},
            V + "odd": [{"type": "Property", "value": 1}],  # not an object: not a sub-attribute
        },
        V + "refDevice": {"type": "Relationship", "object": "urn:ngsi-ld:Device:1"},
        V + "status": {"type": "Property", "value": "open"},
        V + "address": {
            "type": "Property",
            "value": {
                "streetAddress": "Đại lộ Bình Dương",
                "addressLocality": "Thuận An",
                "geo": {"floor": 3},
            },
        },
        V + "tags": {"type": "Property", "value": ["red", "green", 7]},
        V + "active": {"type": "Property", "value": True},
        V + "opened": {"type": "Property", "value": "2026-03-01"},
    },
    "multi": {
        V + "pm25": [
            {"type": "Property", "value": 10, "datasetId": "urn:ngsi-ld:Dataset:a"},
            {"type": "Property", "value": 80, "datasetId": "urn:ngsi-ld:Dataset:b"},
        ],
        V + "status": {"type": "Property", "value": "closed"},
        V + "active": {"type": "Property", "value": 1},
    },
    "empty": {V + "status": {"type": "Property", "value": None}, V + "active": []},
}


EXAMPLES: list[tuple[str, set[str]]] = [
    ("pm25", {"sensor", "multi"}),
    ("status", {"sensor", "multi", "empty"}),
    ("nothing", set()),
    ("pm25>50", {"multi"}),
    ("pm25>=42.5;pm25<=42.5", {"sensor", "multi"}),  # each term picks its own instance
    ("pm25==42.5", {"sensor"}),
    ("pm25!=10", {"sensor", "multi"}),  # any instance: the 80 one differs
    ("pm25==10..42.5", {"sensor", "multi"}),
    ("pm25!=0..50", {"multi"}),
    ("pm25==1,2,80", {"multi"}),
    ("pm25!=42.5,80", {"multi"}),
    ('pm25>"abc"', set()),  # a type mismatch is false, not an error
    ('pm25!="abc"', {"sensor", "multi"}),  # values of different types are unequal
    ("nothing!=1", set()),  # != needs the attribute
    ('status=="open"|status=="closed"', {"sensor", "multi"}),
    ('status!="open"', {"multi", "empty"}),
    ('status=="open","assigned"', {"sensor"}),
    ('status>"closed"', {"sensor"}),
    ('status~="^o"', {"sensor"}),
    ('status!~="^o"', {"multi", "empty"}),
    ("status~=(?i)OPEN", {"sensor"}),
    ("pm25~=4", set()),  # a regular expression only matches strings
    ("refDevice==urn:ngsi-ld:Device:1", {"sensor"}),
    ("refDevice!=urn:ngsi-ld:Device:1", set()),
    ('refDevice=="urn:ngsi-ld:Device:1"', {"sensor"}),
    ("refDevice~=Device", {"sensor"}),
    ("pm25.observedAt>2026-11-25T09:59:59Z", {"sensor"}),
    ("pm25.observedAt==2026-11-25T17:00:00+07:00", {"sensor"}),
    ("pm25.observedAt<2026-11-25T10:00:00Z", set()),
    ("pm25.observedAt", {"sensor"}),
    ('pm25.unitCode=="GQ"', {"sensor"}),
    ("pm25.datasetId==urn:ngsi-ld:Dataset:b", {"multi"}),
    ("pm25.datasetId", {"multi"}),
    ("pm25.reliability>0.5", {"sensor"}),
    ("pm25.reliability", {"sensor"}),
    ("pm25.providedBy==urn:ngsi-ld:Device:9", {"sensor"}),
    ("pm25.reliability.observedAt", set()),
    ("pm25.odd", set()),
    ("pm25.odd==1", set()),
    ("status!=1", {"sensor", "multi", "empty"}),  # null is present, and unequal to 1
    ("status==1", set()),
    ("active", {"sensor", "multi"}),  # no instances, no attribute
    ("status.reliability", set()),
    ('address[addressLocality]=="Thuận An"', {"sensor"}),
    ("address[streetAddress]~=Bình", {"sensor"}),
    ("address[geo][floor]==3", {"sensor"}),
    ("address[geo][floor]", {"sensor"}),
    ("address[geo][roof]", set()),
    ("address[nothing]!=1", set()),
    ("address==3", set()),  # an object compares with nothing...
    ('address=="Thuận An"', set()),  # ...its members are not elements
    ("address!=3", {"sensor"}),  # ...so it differs from everything
    ('tags=="green"', {"sensor"}),  # an array matches if an element does
    ("tags==7", {"sensor"}),
    ('tags!="green"', set()),
    ('tags!="blue"', {"sensor"}),
    ("tags>6", {"sensor"}),
    ("tags~=^r", {"sensor"}),
    ("active==true", {"sensor"}),  # a boolean is not the number 1
    ("active==1", {"multi"}),
    ("active!=true", {"multi"}),
    ("opened>=2026-01-01", {"sensor"}),
    ("opened==2026-01-01..2026-12-31", {"sensor"}),
    ('(pm25>50|status=="open");active', {"sensor", "multi"}),
    ("pm25>50;active==true", set()),
]


@pytest.mark.parametrize(("q", "matching"), EXAMPLES)
def test_examples(q: str, matching: set[str]) -> None:
    tree = parse_q(q)
    assert {k for k, doc in DOCS.items() if evaluate(tree, doc, resolve)} == matching
    predicate = compile_predicate(tree, resolve)
    assert {k for k, doc in DOCS.items() if predicate(doc)} == matching
    assert _sqlite_matches(tree, DOCS) == matching


def _sqlite_matches(tree: QExpr, docs: dict[str, dict[str, Any]]) -> set[str]:
    conn = sqlite3.connect(":memory:")
    register_sqlite_functions(conn)
    conn.execute("CREATE TABLE entities (id TEXT, doc TEXT)")
    conn.executemany(
        "INSERT INTO entities VALUES (?, ?)",
        [(k, orjson.dumps(doc).decode()) for k, doc in docs.items()],
    )
    sql, params = to_sqlite(tree, resolve)
    found = {row[0] for row in conn.execute(f"SELECT e.id FROM entities e WHERE {sql}", params)}
    conn.close()
    return found


def test_names_are_resolved_but_members_and_keys_are_not() -> None:
    seen: list[str] = []

    def recording(term: str) -> str:
        seen.append(term)
        return V + term

    tree = parse_q("a.s.observedAt;b[k];c.value")
    evaluate(tree, {}, recording)
    assert sorted(seen) == ["a", "b", "c", "s"]
    seen.clear()
    to_sqlite(tree, recording)
    assert sorted(seen) == ["a", "b", "c", "s"]


def test_user_text_never_reaches_the_sql() -> None:
    tree = parse_q('a[x\'y--]=="\'; DROP TABLE entities; --";b~="\'"')
    sql, params = to_sqlite(tree, resolve)
    assert "DROP" not in sql and "x'y" not in sql and "'''" not in sql
    assert "'; DROP TABLE entities; --" in params
    assert (
        _sqlite_matches(tree, {"x": {V + "a": {"value": {"x'y--": "'; DROP TABLE entities; --"}}}})
        == set()
    )


def test_names_with_quotes_cannot_be_queried_in_sqlite() -> None:
    with pytest.raises(BadRequestData, match="cannot be queried"):
        to_sqlite(parse_q("a"), lambda term: 'bad"name')


def test_doc_column_must_be_a_column() -> None:
    assert "x.attrs" in to_sqlite(parse_q("a"), resolve, doc_column="x.attrs")[0]
    with pytest.raises(ValueError, match="doc_column"):
        to_sqlite(parse_q("a"), resolve, doc_column="e.doc) OR (1=1")


def test_sqlite_regexp_function() -> None:
    conn = sqlite3.connect(":memory:")
    register_sqlite_functions(conn)
    assert conn.execute("SELECT 'Tower' REGEXP '(?i)^tow', 5 REGEXP '5'").fetchone() == (1, 0)
