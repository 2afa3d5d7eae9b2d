"""Shipped @context documents and the published URLs that must resolve to them offline."""

from __future__ import annotations

import pytest

from cityioc.hub.context_docs import (
    CORE_CONTEXT_URL,
    CORE_VERSIONS,
    DEFAULT_VOCAB,
    SDM_SUBJECTS,
    core_document,
    is_core_context_url,
    load_file,
    shipped_file,
)

CORE_URLS = [
    "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context.jsonld",
    "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.3.jsonld",
    "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.6.jsonld",
    "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld",
    "http://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.9.jsonld",
]


@pytest.mark.parametrize("url", CORE_URLS)
def test_every_published_core_url_is_the_core(url: str) -> None:
    assert is_core_context_url(url)
    name = shipped_file(url)
    assert name is not None and name.startswith("ngsi-ld-core-context-v")


def test_core_versions_we_ship_are_served_as_themselves_and_others_as_ours() -> None:
    assert shipped_file(CORE_URLS[2]) == "ngsi-ld-core-context-v1.6.jsonld"
    assert shipped_file(CORE_URLS[1]) == "ngsi-ld-core-context-v1.8.jsonld"  # v1.3 is not shipped
    assert not is_core_context_url("https://example.org/ngsi-ld-core-context-v1.8.jsonld")


@pytest.mark.parametrize(
    ("url", "name"),
    [
        ("https://smartdatamodels.org/context.jsonld", "sdm-context.jsonld"),
        (
            "https://raw.githubusercontent.com/smart-data-models/data-models/master/context.jsonld",
            "sdm-context.jsonld",
        ),
        (
            "https://raw.githubusercontent.com/smart-data-models/dataModel.Environment/master/context.jsonld",
            "sdm-dataModel.Environment.jsonld",
        ),
        (
            "https://smart-data-models.github.io/dataModel.Transportation/context.jsonld",
            "sdm-dataModel.Transportation.jsonld",
        ),
        (
            "https://smart-data-models.github.io/dataModel.Energy/context.jsonld",
            None,
        ),  # not shipped
        ("https://example.org/context.jsonld", None),
    ],
)
def test_smart_data_models_urls(url: str, name: str | None) -> None:
    assert shipped_file(url) == name


@pytest.mark.parametrize("version", CORE_VERSIONS)
def test_every_shipped_core_version_loads_and_sets_the_default_vocab(version: str) -> None:
    ctx = load_file(f"ngsi-ld-core-context-v{version}.jsonld")["@context"]
    assert ctx["@vocab"] == DEFAULT_VOCAB
    assert ctx["ngsi-ld"] == "https://uri.etsi.org/ngsi-ld/"
    assert ctx["location"] == "ngsi-ld:location"


def test_core_v18_is_the_advertised_core() -> None:
    assert CORE_CONTEXT_URL.endswith("-v1.8.jsonld")
    ctx = core_document()["@context"]
    assert ctx["@protected"] is True
    assert ctx["value"] == "ngsi-ld:hasValue"
    assert ctx["VocabProperty"] == "ngsi-ld:VocabProperty"
    assert len(ctx) == 184


@pytest.mark.parametrize("subject", SDM_SUBJECTS)
def test_every_smart_data_models_subject_loads(subject: str) -> None:
    ctx = load_file(f"sdm-dataModel.{subject}.jsonld")["@context"]
    assert ctx["id"] == "@id"
    assert all(isinstance(k, str) for k in ctx)


def test_the_overall_smart_data_models_context_is_the_published_one() -> None:
    ctx = load_file("sdm-context.jsonld")["@context"]
    assert len(ctx) == 1526
    assert (
        ctx["pm25"]
        == "https://smart-data-models.github.io/data-models/terms.jsonld#/definitions/pm25"
    )
    assert ctx["façade"] == "https://uri.fiware.org/ns/data-models#façade"
