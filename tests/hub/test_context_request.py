"""Where the @context of a request comes from: Link header, body, or the core."""

from __future__ import annotations

from typing import Any

import pytest

from cityioc.core.errors import BadRequestData
from cityioc.hub.context import context_from_request, parse_link_header

URL = "https://example.org/ctx.jsonld"
REL = 'rel="http://www.w3.org/ns/json-ld#context"'
LINK = f'<{URL}>; {REL}; type="application/ld+json"'


@pytest.mark.parametrize(
    "header",
    [
        LINK,
        f'<{URL}>;{REL};type="application/ld+json"',
        f"  <{URL}> ; {REL}",
        f'<https://example.org/other>; rel="next", {LINK}',
        f"<{URL}>; rel=http://www.w3.org/ns/json-ld#context; type=application/ld+json",
        f'<{URL}>; rel="alternate http://www.w3.org/ns/json-ld#context"',
    ],
)
def test_link_header_with_a_context_link(header: str) -> None:
    assert parse_link_header(header) == URL


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "   ",
        f"<{URL}>",
        f'<{URL}>; rel="describedby"',
        f'<{URL}>; type="application/ld+json"',
    ],
)
def test_link_header_without_a_context_link(header: str | None) -> None:
    assert parse_link_header(header) is None


@pytest.mark.parametrize(
    "header",
    [
        f"{URL}; {REL}",  # no angle brackets
        f"<{URL}; {REL}",  # unclosed
        f"<{URL}> {REL}",  # no semicolon
        f"<{URL}>; {REL} garbage",
        f"<relative/ctx.jsonld>; {REL}",
        f"<ftp://example.org/ctx.jsonld>; {REL}",
        f"{LINK}, <https://example.org/second.jsonld>; {REL}",  # two contexts
    ],
)
def test_malformed_link_header(header: str) -> None:
    with pytest.raises(BadRequestData):
        parse_link_header(header)


def test_no_context_anywhere_means_the_core() -> None:
    assert context_from_request(None, None, None) is None
    assert context_from_request("application/json", None, {"id": "urn:x", "type": "T"}) is None


def test_get_and_delete_take_the_link_header() -> None:
    assert context_from_request(None, LINK, None) == URL
    # a stray ld+json Content-Type without a body does not change that
    assert context_from_request("application/ld+json", LINK, None) == URL


def test_json_takes_the_link_header() -> None:
    assert context_from_request("application/json; charset=utf-8", LINK, {"id": "urn:x"}) == URL
    assert context_from_request("application/merge-patch+json", LINK, {"a": 1}) == URL


@pytest.mark.parametrize(
    "context", [URL, {"pm25": "https://example.org/pm25"}, [URL, {"a": "https://example.org/a"}]]
)
def test_ld_json_takes_the_body_context(context: Any) -> None:
    body = {"id": "urn:x", "type": "T", "@context": context}
    assert context_from_request("Application/LD+JSON", None, body) == context


def test_ld_json_with_a_link_header_too_is_rejected() -> None:
    with pytest.raises(BadRequestData, match="Link"):
        context_from_request("application/ld+json", LINK, {"id": "urn:x", "@context": URL})


def test_ld_json_without_body_context_is_rejected() -> None:
    with pytest.raises(BadRequestData, match="@context"):
        context_from_request("application/ld+json", None, {"id": "urn:x"})


def test_json_with_a_body_context_is_rejected() -> None:
    with pytest.raises(BadRequestData, match="ld\\+json"):
        context_from_request("application/json", None, {"id": "urn:x", "@context": URL})
    with pytest.raises(BadRequestData):
        context_from_request("application/json", LINK, [{"id": "urn:x", "@context": URL}])


def test_batches_share_one_context() -> None:
    batch = [{"id": "urn:a", "@context": URL}, {"id": "urn:b", "@context": URL}]
    assert context_from_request("application/ld+json", None, batch) == URL
    assert context_from_request("application/ld+json", None, []) is None
    batch[1]["@context"] = "https://example.org/other.jsonld"
    with pytest.raises(BadRequestData, match="share"):
        context_from_request("application/ld+json", None, batch)


def test_ld_json_context_must_be_a_url_object_or_array() -> None:
    with pytest.raises(BadRequestData):
        context_from_request("application/ld+json", None, {"@context": 42})
    with pytest.raises(BadRequestData):
        context_from_request("application/ld+json", None, "not an entity")
