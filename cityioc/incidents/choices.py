"""What the incident forms offer: the city's categories, areas and agencies valid today, its SOPs.

Read from the same ``Directory`` incidents are routed with, so a form never offers a code the
server would refuse. Names in both languages; no contact details (e-mail, phone) go out.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from cityioc.core.text import fold
from cityioc.incidents.models import agency_urn
from cityioc.incidents.routing import Directory
from cityioc.packs.models import Text


def _text(value: Text | None) -> dict[str, str] | None:
    return {"vi": value.vi, "en": value.en} if value is not None else None


def choices(d: Directory, day: date) -> dict[str, Any]:
    """Categories and procedures in pack order; areas and agencies valid on ``day`` by name.

    A procedure with no ``categories`` serves any category (it is only ever chosen by hand).
    """
    areas = sorted(d.areas.valid_at(day), key=lambda a: (d.areas.depth(a.code), fold(a.name_vi)))
    agencies = [a for a in d.agencies if _valid(a.valid_from, a.valid_to, day)]
    return {
        "categories": [
            {
                "code": c.code,
                "name": _text(c.name),
                "group": _text(c.group),
                "capCategory": c.cap_category,
                "defaultAgency": agency_urn(c.default_agency) if c.default_agency else None,
            }
            for c in d.categories.values()
        ],
        "areas": [
            {
                "code": a.code,
                "name": {"vi": a.name_vi, "en": a.name_en},
                "level": a.level,
                "parent": a.parent,
            }
            for a in areas
        ],
        "agencies": [
            {
                "id": agency_urn(a.id),
                "name": _text(a.name),
                "kind": a.kind,
                "categories": list(a.categories),
            }
            for a in sorted(agencies, key=lambda a: fold(a.name.vi))
        ],
        "sops": [
            {
                "id": s.id,
                "name": {"vi": s.name.vi, "en": s.name.en},
                "categories": list(s.categories),
            }
            for s in d.sops
        ],
    }


def _valid(start: date | None, end: date | None, day: date) -> bool:
    return (start is None or start <= day) and (end is None or day < end)
