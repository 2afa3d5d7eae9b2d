"""The @context documents we ship, and the published URLs they answer for.

The NGSI-LD core context and the Smart Data Models contexts must work offline, so every published
URL of theirs is served from ``cityioc/hub/contexts/`` and never fetched. Documents are parsed once
and shared: callers must treat them as read-only.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources
from typing import Any

import orjson

NGSI_LD_NS = "https://uri.etsi.org/ngsi-ld/"
DEFAULT_VOCAB = NGSI_LD_NS + "default-context/"
CORE_VERSION = "1.8"
CORE_CONTEXT_URL = f"https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v{CORE_VERSION}.jsonld"
CORE_VERSIONS = ("1.5", "1.6", "1.7", "1.8", "1.9")
SDM_SUBJECTS = (
    "Alert",
    "Device",
    "Environment",
    "Parking",
    "Streetlighting",
    "Transportation",
    "WaterQuality",
    "Weather",
)

# Any published core URL: unversioned, -v1.3, -v1.6.1, http or https.
_CORE_URL = re.compile(
    r"https?://uri\.etsi\.org/ngsi-ld/v1/ngsi-ld-core-context(?:-v(\d+\.\d+)(?:\.\d+)?)?\.jsonld"
)
# The overall Smart Data Models context, under its three published addresses.
_SDM_ALL_URL = re.compile(
    r"https?://(?:smartdatamodels\.org"
    r"|raw\.githubusercontent\.com/smart-data-models/data-models/(?:master|main)"
    r"|smart-data-models\.github\.io/data-models)/context\.jsonld"
)
# One subject's context: raw GitHub (any branch name we know) or GitHub Pages.
_SDM_SUBJECT_URL = re.compile(
    r"https?://(?:raw\.githubusercontent\.com/smart-data-models/dataModel\.([A-Za-z]+)/(?:master|main)"
    r"|smart-data-models\.github\.io/dataModel\.([A-Za-z]+))/context\.jsonld"
)


def is_core_context_url(url: str) -> bool:
    """True for every published URL of the NGSI-LD core context, whatever its version."""
    return _CORE_URL.fullmatch(url) is not None


def shipped_file(url: str) -> str | None:
    """Name of the shipped file that answers for ``url``, or None if we must fetch it.

    A core URL of a version we do not ship gets our core (v1.8): the core always applies anyway.
    """
    core = _CORE_URL.fullmatch(url)
    if core is not None:
        version = core.group(1) if core.group(1) in CORE_VERSIONS else CORE_VERSION
        return f"ngsi-ld-core-context-v{version}.jsonld"
    if _SDM_ALL_URL.fullmatch(url):
        return "sdm-context.jsonld"
    subject = _SDM_SUBJECT_URL.fullmatch(url)
    if subject is not None:
        name = subject.group(1) or subject.group(2)
        if name in SDM_SUBJECTS:
            return f"sdm-dataModel.{name}.jsonld"
    return None


def shipped_document(url: str) -> dict[str, Any] | None:
    """The shipped JSON-LD document (``{"@context": ...}``) for ``url``, or None."""
    name = shipped_file(url)
    return None if name is None else load_file(name)


def core_document() -> dict[str, Any]:
    return load_file(f"ngsi-ld-core-context-v{CORE_VERSION}.jsonld")


@cache
def load_file(name: str) -> dict[str, Any]:
    data = resources.files("cityioc.hub.contexts").joinpath(name).read_bytes()
    doc = orjson.loads(data)
    if not isinstance(doc, dict) or "@context" not in doc:
        raise ValueError(f"shipped context {name} has no @context member")
    return doc
