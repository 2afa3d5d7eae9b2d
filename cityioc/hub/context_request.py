"""Where a request's @context comes from (NGSI-LD clause 6.3.5): body, Link header, or neither.

- ``application/ld+json``: the @context is in the body, and a JSON-LD Link header is an error;
- anything else (``application/json``, merge-patch, no body at all): the @context comes in a Link
  header, and a body @context is an error;
- neither: the core context applies (``None``).
"""

from __future__ import annotations

import re
from typing import Any

from cityioc.core.errors import BadRequestData

JSONLD_CONTEXT_REL = "http://www.w3.org/ns/json-ld#context"
JSONLD_MEDIA_TYPE = "application/ld+json"

ContextSpec = str | dict[str, Any] | list[Any] | None

# One link-value of RFC 8288: <uri-reference> followed by ;-separated parameters.
_LINK = re.compile(r"\s*<([^>]*)>\s*")
_PARAM = re.compile(
    r";\s*([!#$%&'*+.^_`|~0-9A-Za-z-]+)\s*(?:=\s*(\"(?:[^\"\\]|\\.)*\"|[!#$%&'*+.^_`|~0-9A-Za-z/:-]+)\s*)?"
)


def parse_link_header(value: str | None) -> str | None:
    """The JSON-LD context URL in a ``Link`` header, or None when it holds no such link.

    Links with other relations are ignored; a malformed header, a context link whose target is
    not an absolute http(s) URL, or two context links raise BadRequestData.
    """
    if value is None or not value.strip():
        return None
    found: list[str] = []
    pos = 0
    while pos < len(value):
        link = _LINK.match(value, pos)
        if link is None:
            raise BadRequestData(f"malformed Link header: {value!r}")
        target, pos = link.group(1).strip(), link.end()
        rels: list[str] = []
        while (param := _PARAM.match(value, pos)) is not None:
            if param.group(1).lower() == "rel" and param.group(2) is not None:
                rels.extend(_unquote(param.group(2)).split())
            pos = param.end()
        if pos < len(value):
            if value[pos] != ",":
                raise BadRequestData(f"malformed Link header: {value!r}")
            pos += 1
        if JSONLD_CONTEXT_REL in rels:
            found.append(target)
    if len(found) > 1:
        raise BadRequestData("a request may carry only one JSON-LD context Link header")
    if not found:
        return None
    if not re.match(r"https?://[^/\s]", found[0]):
        raise BadRequestData(
            f"the JSON-LD context link must be an absolute http(s) URL: {found[0]!r}"
        )
    return found[0]


def format_link_header(url: str) -> str:
    return f'<{url}>; rel="{JSONLD_CONTEXT_REL}"; type="{JSONLD_MEDIA_TYPE}"'


def context_from_request(
    content_type: str | None, link: str | None, body: Any | None
) -> ContextSpec:
    """The raw @context of a request (None, a URL, an object or an array) for the resolver."""
    link_url = parse_link_header(link)
    media = (content_type or "").split(";", 1)[0].strip().lower()
    if media == JSONLD_MEDIA_TYPE and body is not None:
        if link_url is not None:
            raise BadRequestData(
                "with Content-Type application/ld+json the @context belongs in the body;"
                " do not send a JSON-LD Link header as well"
            )
        return _body_context(body)
    if _has_body_context(body):
        raise BadRequestData(
            "a body with @context must be sent as application/ld+json;"
            " with application/json put the @context in a Link header"
        )
    return link_url


def _body_context(body: Any) -> ContextSpec:
    if isinstance(body, dict):
        if "@context" not in body:
            raise BadRequestData("an application/ld+json body must contain @context")
        return _spec(body["@context"])
    if isinstance(body, list):  # batch operations: one @context for the whole batch
        contexts = [_body_context(item) for item in body if isinstance(item, dict)]
        if any(c != contexts[0] for c in contexts[1:]):
            raise BadRequestData(
                "all entities of an application/ld+json batch must share one @context"
            )
        return contexts[0] if contexts else None
    raise BadRequestData("an application/ld+json body must be a JSON object or array")


def _has_body_context(body: Any) -> bool:
    if isinstance(body, dict):
        return "@context" in body
    if isinstance(body, list):
        return any(isinstance(item, dict) and "@context" in item for item in body)
    return False


def _spec(value: Any) -> ContextSpec:
    if value is None or isinstance(value, str | dict | list):
        return value
    raise BadRequestData("@context must be a URL, an object or an array")


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == '"' and value[-1] == '"':
        return re.sub(r"\\(.)", r"\1", value[1:-1])
    return value
