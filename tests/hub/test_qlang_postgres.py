"""``to_postgres`` selects exactly what ``evaluate`` accepts, on a real PostgreSQL.

The module works in a database of its own (``cityioc_qlang_<random>``), dropped at the end.
Without a server the tests are skipped with instructions, or fail when
``CITYIOC_REQUIRE_SERVICES=1``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import orjson
import psycopg
import pytest
from hypothesis import given, settings

from cityioc.hub.qlang import QExpr, parse_q, to_postgres
from tests.hub.test_qlang import DOCS, EXAMPLES
from tests.hub.test_qlang_properties import Doc, cases, python_matches, resolve
from tests.services import create_postgres_database, drop_postgres_database

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def pg() -> Iterator[psycopg.Connection[Any]]:
    url = create_postgres_database("cityioc_qlang")
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("CREATE TABLE entities (id integer PRIMARY KEY, doc jsonb NOT NULL)")
            yield conn
    finally:
        drop_postgres_database(url)


def postgres_matches(
    conn: psycopg.Connection[Any],
    rows: list[Doc],
    exprs: list[QExpr],
    names: Callable[[str], str] = resolve,
) -> list[set[int]]:
    # Each example's rows live in a transaction that is rolled back: no cleanup, no leftovers.
    with conn.transaction(force_rollback=True), conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO entities VALUES (%s, %s::jsonb)",
            [(i, orjson.dumps(d).decode()) for i, d in enumerate(rows)],
        )
        found = []
        for expr in exprs:
            sql, params = to_postgres(expr, names)
            cur.execute(f"SELECT e.id FROM entities e WHERE {sql}", params)
            found.append({r[0] for r in cur.fetchall()})
        return found


@pytest.mark.parametrize(("q", "matching"), EXAMPLES)
def test_examples(pg: psycopg.Connection[Any], q: str, matching: set[str]) -> None:
    names = sorted(DOCS)
    (found,) = postgres_matches(pg, [DOCS[n] for n in names], [parse_q(q)])
    assert {names[i] for i in found} == matching


def test_user_text_is_bound_not_spliced(pg: psycopg.Connection[Any]) -> None:
    tree = parse_q('a[x\'y%s]=="\'; DROP TABLE entities; --";b~="%\\""')
    sql, params = to_postgres(tree, resolve)
    # The SQL is fixed text; the query is a jsonpath parameter, the values a jsonb parameter.
    assert sql == "jsonb_path_exists(e.doc, %s::jsonpath, %s::jsonb, true)"
    assert "x'y%s" in params[0] and "DROP" not in params[0]
    assert "'; DROP TABLE entities; --" in params[1]
    doc: Doc = {
        resolve("a"): {"value": {"x'y%s": "'; DROP TABLE entities; --"}},
        resolve("b"): {"value": '100%"'},
    }
    assert postgres_matches(pg, [doc, {}], [tree]) == [{0}]


def test_names_are_escaped_in_the_path(pg: psycopg.Connection[Any]) -> None:
    def odd(term: str) -> str:
        return 'odd"name\\' + term

    doc = {odd("a"): {"value": 1}}
    for q, hit in (("a==1", {0}), ("a==2", set()), ("a", {0})):
        (found,) = postgres_matches(pg, [doc], [parse_q(q)], odd)
        assert found == hit, q


@settings(max_examples=100, deadline=None)
@given(case=cases(max_docs=6, max_queries=5))
def test_postgres_selects_what_evaluate_accepts(
    pg: psycopg.Connection[Any], case: tuple[list[Doc], list[QExpr]]
) -> None:
    rows, exprs = case
    assert postgres_matches(pg, rows, exprs) == python_matches(rows, exprs), [str(e) for e in exprs]
