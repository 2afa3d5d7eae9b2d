"""Whole entities: names expanded on the way in and compacted on the way out, values untouched."""

from __future__ import annotations

import asyncio
import copy
import string
import time
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cityioc.core.errors import BadRequestData
from cityioc.hub.context import ActiveContext, ContextResolver, core_context

NGSI = "https://uri.etsi.org/ngsi-ld/"
DEFAULT = NGSI + "default-context/"
ENV = "https://smartdatamodels.org/dataModel.Environment/"
SDM_ENV = "https://raw.githubusercontent.com/smart-data-models/dataModel.Environment/master/context.jsonld"


def resolve(spec: Any) -> ActiveContext:
    async def go() -> ActiveContext:
        resolver = ContextResolver()
        try:
            return await resolver.resolve(spec)
        finally:
            await resolver.aclose()

    return asyncio.run(go())


SDM = resolve(SDM_ENV)

NORMALIZED: dict[str, Any] = {
    "id": "urn:ngsi-ld:AirQualityObserved:hcm-01",
    "type": "AirQualityObserved",
    "@context": SDM_ENV,
    "createdAt": "2025-01-01T00:00:00Z",
    "pm25": {
        "type": "Property",
        "value": 38.5,
        "unitCode": "GQ",
        "observedAt": "2025-01-01T00:00:00Z",
        "accuracy": {"type": "Property", "value": {"pm25": "not a name: inside a value"}},
    },
    "location": {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [106.7, 10.8]}},
    "refDevice": {"type": "Relationship", "object": "urn:ngsi-ld:Device:1", "objectType": "Device"},
    "airQualityLevel": {"type": "VocabProperty", "vocab": ["moderate", "ngsi-ld:x"]},
    "temperature": [
        {"type": "Property", "value": 30, "datasetId": "urn:ngsi-ld:Dataset:a"},
        {"type": "Property", "value": 31, "datasetId": "urn:ngsi-ld:Dataset:b", "sensor": "x"},
    ],
    "name": {"type": "LanguageProperty", "languageMap": {"vi": "Trạm 1", "en": "Station 1"}},
}


def test_normalized_entity_expands_names_only() -> None:
    original = copy.deepcopy(NORMALIZED)
    out = SDM.expand_entity_keys(NORMALIZED)
    assert original == NORMALIZED  # the input is not modified
    assert out["id"] == NORMALIZED["id"]
    assert out["type"] == DEFAULT + "AirQualityObserved"
    assert out["@context"] == SDM_ENV and out["createdAt"] == NORMALIZED["createdAt"]
    pm25 = out[ENV + "pm25"]
    assert pm25["unitCode"] == "GQ" and pm25["observedAt"] == "2025-01-01T00:00:00Z"
    assert pm25[DEFAULT + "accuracy"]["value"] == {"pm25": "not a name: inside a value"}
    assert out[NGSI + "location"]["value"] == {"type": "Point", "coordinates": [106.7, 10.8]}
    ref = out[ENV + "refDevice"]
    assert ref["object"] == "urn:ngsi-ld:Device:1" and ref["objectType"] == DEFAULT + "Device"
    assert out[ENV + "airQualityLevel"]["vocab"] == [DEFAULT + "moderate", NGSI + "x"]
    first, second = out[ENV + "temperature"]
    assert first["datasetId"] == "urn:ngsi-ld:Dataset:a" and second[DEFAULT + "sensor"] == "x"
    assert out["https://smartdatamodels.org/name"]["languageMap"]["vi"] == "Trạm 1"


def test_normalized_entity_round_trips() -> None:
    assert SDM.compact_entity_keys(SDM.expand_entity_keys(NORMALIZED)) == NORMALIZED


def test_values_are_shared_not_copied() -> None:
    out = SDM.expand_entity_keys(NORMALIZED)
    assert out[NGSI + "location"]["value"] is NORMALIZED["location"]["value"]


def test_concise_entity() -> None:
    concise = {
        "id": "urn:ngsi-ld:WeatherObserved:1",
        "type": ["WeatherObserved", "Sensor"],
        "temperature": {
            "value": 31.5,
            "observedAt": "2025-01-01T00:00:00Z",
            "quality": {"value": "ok"},
        },
        "location": {"type": "Point", "coordinates": [106.7, 10.8]},  # a bare geometry
        "refDevice": {"object": "urn:ngsi-ld:Device:1"},
        "address": {"streetAddress": "1 Lê Lợi"},  # a bare JSON object: opaque
        "precipitation": 2.5,
    }
    ctx = core_context()
    out = ctx.expand_entity_keys(concise)
    assert out["type"] == [DEFAULT + "WeatherObserved", DEFAULT + "Sensor"]
    assert out[DEFAULT + "temperature"][DEFAULT + "quality"] == {"value": "ok"}
    assert out[NGSI + "location"] == {"type": "Point", "coordinates": [106.7, 10.8]}
    assert out[DEFAULT + "address"] == {"streetAddress": "1 Lê Lợi"}
    assert out[DEFAULT + "precipitation"] == 2.5
    assert ctx.compact_entity_keys(out) == concise


def test_key_values_leave_every_value_opaque() -> None:
    kv = {"id": "urn:x", "type": "T", "reading": {"value": 3, "unit": "x"}, "pm25": 12}
    out = core_context().expand_entity_keys(kv, key_values=True)
    assert out[DEFAULT + "reading"] == {"value": 3, "unit": "x"}
    assert core_context().compact_entity_keys(out, key_values=True) == kv


def test_temporal_representations() -> None:
    temporal = {
        "id": "urn:x",
        "type": "T",
        "pm25": [
            {"type": "Property", "value": 1, "observedAt": "2025-01-01T00:00:00Z"},
            {"type": "Property", "value": 2, "observedAt": "2025-01-01T01:00:00Z"},
        ],
        "pm10": {"type": "Property", "values": [[1, "2025-01-01T00:00:00Z"]]},
        "no2": {"type": "Property", "avg": [[1.5, "2025-01-01T00:00:00Z", "2025-01-01T01:00:00Z"]]},
    }
    ctx = core_context()
    out = ctx.expand_entity_keys(temporal)
    assert set(out[DEFAULT + "no2"]) == {"type", "avg"}
    assert ctx.compact_entity_keys(out) == temporal


def test_two_names_for_one_attribute_are_rejected() -> None:
    with pytest.raises(BadRequestData, match="twice"):
        core_context().expand_entity_keys({"id": "urn:x", "location": 1, "ngsi-ld:location": 2})
    with pytest.raises(BadRequestData, match="twice"):
        core_context().expand_entity_keys(
            {"id": "urn:x", "a": {"value": 1, "b": 1, DEFAULT + "b": 2}}
        )


def test_different_contexts_meet_on_expanded_names() -> None:
    sdm_client = SDM.expand_entity_keys({"id": "urn:x", "type": "T", "pm25": {"value": 1}})
    plain_client = resolve({"particles": ENV + "pm25"})
    assert plain_client.compact_entity_keys(sdm_client) == {
        "id": "urn:x",
        "type": "T",
        "particles": {"value": 1},
    }
    assert core_context().compact_entity_keys(sdm_client)[
        "https://smartdatamodels.org/dataModel.Environment/pm25"
    ]


WORD_CHARS = string.ascii_letters + string.digits + "_"
NAMES = st.builds(
    str.__add__, st.sampled_from(string.ascii_letters), st.text(WORD_CHARS, max_size=16)
).filter(lambda n: n not in {"id", "type", "createdAt", "modifiedAt", "deletedAt", "scope"})
PROPERTIES = st.builds(
    lambda value, subs: {**subs, "type": "Property", "value": value},
    st.text(max_size=5),
    st.dictionaries(NAMES, st.integers() | st.builds(dict, value=st.booleans()), max_size=3),
)
ATTRIBUTES = st.dictionaries(NAMES, st.integers() | PROPERTIES, max_size=8)


@settings(max_examples=100, deadline=None)
@given(attributes=ATTRIBUTES, kind=NAMES)
def test_random_entities_round_trip(attributes: dict[str, Any], kind: str) -> None:
    entity = {"id": "urn:ngsi-ld:T:1", "type": kind, **attributes}
    for ctx in (core_context(), SDM):
        assert ctx.compact_entity_keys(ctx.expand_entity_keys(entity)) == entity


def test_walkers_are_fast_enough_for_thousands_of_entities() -> None:
    entity = SDM.expand_entity_keys(NORMALIZED)
    entities = [dict(entity, id=f"urn:ngsi-ld:AirQualityObserved:{i}") for i in range(10_000)]
    start = time.perf_counter()
    for e in entities:
        SDM.compact_entity_keys(e)
    elapsed = time.perf_counter() - start
    assert elapsed < 2.0, f"compacting 10,000 entities took {elapsed:.2f} s"
