"""Expanding names to IRIs and compacting them back, under the core and user contexts."""

from __future__ import annotations

import asyncio
import string
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyld import jsonld

from cityioc.core.errors import BadRequestData
from cityioc.hub.context import CORE_CONTEXT_URL, ActiveContext, ContextResolver, core_context
from cityioc.hub.context_docs import core_document, shipped_document
from cityioc.hub.context_terms import build_table

NGSI = "https://uri.etsi.org/ngsi-ld/"
DEFAULT = NGSI + "default-context/"
SDM_ENV = "https://raw.githubusercontent.com/smart-data-models/dataModel.Environment/master/context.jsonld"
SDM_PM25 = "https://smartdatamodels.org/dataModel.Environment/pm25"


def resolve(spec: Any) -> ActiveContext:
    async def go() -> ActiveContext:
        resolver = ContextResolver()
        try:
            return await resolver.resolve(spec)
        finally:
            await resolver.aclose()

    return asyncio.run(go())


@pytest.mark.parametrize(
    ("term", "iri"),
    [
        ("pm25", DEFAULT + "pm25"),  # no context defines it: @vocab
        ("location", NGSI + "location"),
        ("observationSpace", NGSI + "observationSpace"),
        ("value", NGSI + "hasValue"),
        ("description", "http://purl.org/dc/terms/description"),
        ("Property", NGSI + "Property"),
        ("Point", "https://purl.org/geojson/vocab#Point"),
        ("attributeCount", DEFAULT + "attributeCount"),  # the core maps it to itself
        ("ngsi-ld:foo", NGSI + "foo"),  # compact IRI
        ("geojson:bbox", "https://purl.org/geojson/vocab#bbox"),
        ("urn:ngsi-ld:Thing:1", "urn:ngsi-ld:Thing:1"),  # absolute IRIs stay
        ("https://example.org/a#b", "https://example.org/a#b"),
        ("1a:b", DEFAULT + "1a:b"),  # not a scheme: a relative name
    ],
)
def test_core_expansion_and_round_trip(term: str, iri: str) -> None:
    ctx = core_context()
    assert ctx.expand_term(term) == iri
    assert ctx.expand_type(term) == iri
    assert ctx.expand_term(ctx.compact_iri(iri)) == iri


@pytest.mark.parametrize(
    ("iri", "name"),
    [
        (DEFAULT + "pm25", "pm25"),
        (NGSI + "location", "location"),
        (NGSI + "foo", "ngsi-ld:foo"),
        ("https://purl.org/geojson/vocab#Point", "Point"),
        ("https://example.org/x", "https://example.org/x"),
        # the bare suffix would expand elsewhere, so a compact IRI keeps it apart
        (DEFAULT + "location", "ngsi-ld:default-context/location"),
        (DEFAULT + "a:b", "ngsi-ld:default-context/a:b"),
    ],
)
def test_core_compaction(iri: str, name: str) -> None:
    assert core_context().compact_iri(iri) == name


def test_a_user_context_overrides_the_vocab_default() -> None:
    ctx = resolve({"pm25": SDM_PM25})
    assert ctx.expand_term("pm25") == SDM_PM25
    assert ctx.compact_iri(SDM_PM25) == "pm25"
    assert ctx.compact_iri(DEFAULT + "pm25") == "ngsi-ld:default-context/pm25"
    assert ctx.expand_term("pm10") == DEFAULT + "pm10"


def test_user_contexts_cannot_redefine_core_terms() -> None:
    ctx = resolve({"location": "https://example.org/loc", "@vocab": "https://example.org/"})
    assert ctx.expand_term("location") == NGSI + "location"
    assert ctx.expand_term("other") == DEFAULT + "other"


def test_arrays_of_contexts_later_entries_win() -> None:
    ctx = resolve(
        [
            {"ex": "https://example.org/", "a": "ex:a1", "b": "ex:b"},
            SDM_ENV,
            {"a": "ex:a2", "temp": {"@id": "ex:temperature", "@type": "@vocab"}},
            CORE_CONTEXT_URL,
        ]
    )
    assert ctx.expand_term("a") == "https://example.org/a2"
    assert ctx.expand_term("b") == "https://example.org/b"
    assert ctx.expand_term("temp") == "https://example.org/temperature"
    assert ctx.expand_term("pm25") == SDM_PM25
    assert ctx.expand_term("ex:zzz") == "https://example.org/zzz"
    assert ctx.compact_iri("https://example.org/zzz") == "ex:zzz"


def test_null_resets_the_user_contexts_before_it() -> None:
    ctx = resolve([{"pm25": SDM_PM25}, None, {"pm10": "https://example.org/pm10"}])
    assert ctx.expand_term("pm25") == DEFAULT + "pm25"
    assert ctx.expand_term("pm10") == "https://example.org/pm10"


def test_term_selection_prefers_the_shortest_term() -> None:
    ctx = resolve({"temperature": "https://example.org/t", "t": "https://example.org/t"})
    assert ctx.compact_iri("https://example.org/t") == "t"
    assert ctx.expand_term("temperature") == "https://example.org/t"


def test_only_prefix_capable_terms_make_compact_iris() -> None:
    ctx = resolve(
        {
            "ex": "https://example.org/ns",  # no gen-delim at the end: not a prefix
            "exp": {"@id": "https://example.org/p/", "@prefix": True},
            "sub": "ex:sub",  # "ex" is not a prefix, so this is an absolute IRI with scheme "ex"
        }
    )
    assert ctx.expand_term("ex:x") == "ex:x"
    assert ctx.expand_term("exp:x") == "https://example.org/p/x"
    assert ctx.expand_term("sub") == "ex:sub"
    assert ctx.compact_iri("https://example.org/p/x") == "exp:x"


def test_term_references_and_nulls() -> None:
    ctx = resolve({"a": "b", "b": "https://example.org/b", "gone": None, "rev": {"@reverse": "x"}})
    assert ctx.expand_term("a") == "https://example.org/b"
    assert ctx.expand_term("gone") == DEFAULT + "gone"
    assert ctx.expand_term("rev") == DEFAULT + "rev"


@pytest.mark.parametrize(
    "local",
    [
        {"a": 42},
        {"a": {"@id": 42}},
        {"a": {"@id": "x", "@prefix": "yes"}},
        {"@vocab": "relative"},
        {"a": "b", "b": "a"},  # cyclic
    ],
)
def test_invalid_contexts_are_bad_request_data(local: dict[str, Any]) -> None:
    with pytest.raises(BadRequestData):
        build_table([local])


WORD_CHARS = string.ascii_letters + string.digits + "_"
NAMES = st.builds(
    str.__add__, st.sampled_from(string.ascii_letters), st.text(WORD_CHARS, max_size=24)
)


@settings(max_examples=300, deadline=None)
@given(name=NAMES)
def test_identifier_names_round_trip_under_the_core(name: str) -> None:
    ctx = core_context()
    assert ctx.compact_iri(ctx.expand_term(name)) == name


_SDM = resolve([SDM_ENV, {"pm25": SDM_PM25, "ex": "https://example.org/"}])


@settings(max_examples=300, deadline=None)
@given(name=NAMES)
def test_identifier_names_round_trip_under_user_contexts(name: str) -> None:
    assert _SDM.compact_iri(_SDM.expand_term(name)) == name


@settings(max_examples=300, deadline=None)
@given(name=st.text(max_size=30))
def test_any_name_compacts_to_something_that_expands_back(name: str) -> None:
    for ctx in (core_context(), _SDM):
        iri = ctx.expand_term(name)
        assert ctx.expand_term(ctx.compact_iri(iri)) == iri


def _pyld_loader(url: str, options: Any = None) -> dict[str, Any]:
    document = shipped_document(url)
    assert document is not None, f"the oracle asked for {url}"
    return {"contextUrl": None, "documentUrl": url, "document": document}


def _plain(definition: Any) -> bool:
    """Definitions whose values PyLD expands as plain literals (no containers, no @json)."""
    if isinstance(definition, str):
        return not definition.startswith("@")
    return "@container" not in definition and definition.get("@type") != "@json"


@pytest.mark.parametrize(
    "url", [SDM_ENV, "https://smart-data-models.github.io/dataModel.Device/context.jsonld"]
)
def test_expansion_agrees_with_pyld(url: str) -> None:
    user = shipped_document(url)
    assert user is not None
    merged = {**user["@context"], **core_document()["@context"]}
    terms = sorted(t for t, d in merged.items() if not t.startswith("@") and _plain(d))
    terms += ["pm25x", "foo:bar", "ngsi-ld:zzz", "geojson:abc", "AirQualityObserved"]
    doc: dict[str, Any] = {"@context": [url, CORE_CONTEXT_URL]}
    doc.update({term: {"@value": i} for i, term in enumerate(terms)})
    expanded = jsonld.expand(doc, {"documentLoader": _pyld_loader})[0]
    oracle = {values[0]["@value"]: iri for iri, values in expanded.items()}
    ctx = resolve(url)
    assert [ctx.expand_term(t) for t in terms] == [oracle[i] for i in range(len(terms))]
    # PyLD picks the same names when compacting back (for terms without a coercion, which makes
    # JSON-LD select terms by value type too)
    compacted = jsonld.compact(expanded, doc["@context"], {"documentLoader": _pyld_loader})
    untyped = [i for i, t in enumerate(terms) if isinstance(merged.get(t, ""), str)]
    assert len(untyped) > 100
    for i in untyped:
        assert compacted[ctx.compact_iri(oracle[i])] == i
