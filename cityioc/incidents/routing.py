"""Which agency answers for an incident: from its area (with the area hierarchy) and category.

Pure, over a ``Directory`` (the pack's areas, agencies and categories, read from the pack or from
the hub). The rule, in order:

1. **Responsible agencies**: those valid on the incident's date that answer for its category and
   for its area or one of the area's ancestors (an agency for the province answers for every
   ward in it). All of them are *involved*; the **lead** is the most local one (the agency whose
   area is deepest in the hierarchy: the ward's people's committee before a provincial
   department); among equally local ones, the category's default agency, then pack order.
2. Otherwise the category's **default agency** (``default_agency`` in ``categories.yaml``).
3. Otherwise the **operations centre** (the first agency of kind ``operationsCentre``).
4. Otherwise nobody: the incident stays with the operators unassigned.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from cityioc.incidents.models import agency_urn
from cityioc.incidents.sla import SlaTable
from cityioc.incidents.sop import SopTemplate
from cityioc.packs.areas import AreaIndex, When
from cityioc.packs.models import Agency, Category


@dataclass(frozen=True, slots=True)
class Directory:
    """What incidents need to know about the city (from its pack)."""

    areas: AreaIndex
    agencies: list[Agency] = field(default_factory=list)
    categories: dict[str, Category] = field(default_factory=dict)
    sops: list[SopTemplate] = field(default_factory=list)
    sla: SlaTable = field(default_factory=SlaTable)
    emails: dict[str, str] = field(default_factory=dict)  # agency URN → e-mail address

    def agency(self, urn: str) -> Agency | None:
        return next((a for a in self.agencies if agency_urn(a.id) == urn), None)


@dataclass(frozen=True, slots=True)
class Routing:
    lead: str | None  # Organization URN
    involved: list[str]  # lead first
    rule: str  # responsible | default | operationsCentre | none (for the audit trail)


def route(directory: Directory, area: str | None, category: str | None, when: When) -> Routing:
    day = directory.areas.day(when)
    valid = [a for a in directory.agencies if _valid(a, day)]
    known = directory.categories.get(category or "")
    default_id = known.default_agency if known is not None else None
    if area is not None and category is not None:
        # the unit valid that day: a ward code asked about 2024 answers its former district
        placed = directory.areas.area_at(area, day)
        chain = _chain(directory.areas, placed.code if placed is not None else area)
        candidates: list[tuple[int, int, int, Agency]] = []
        for order, agency in enumerate(valid):
            if category not in agency.categories:
                continue
            depth = max((chain[c] for c in agency.areas if c in chain), default=-1)
            if depth >= 0:
                candidates.append((-depth, agency.id != default_id, order, agency))
        if candidates:
            ranked = [a for *_, a in sorted(candidates, key=lambda c: c[:3])]
            return Routing(
                agency_urn(ranked[0].id), [agency_urn(a.id) for a in ranked], "responsible"
            )
    default = next((a for a in valid if a.id == default_id), None)
    if default is not None:
        return Routing(agency_urn(default.id), [agency_urn(default.id)], "default")
    centre = next((a for a in valid if a.kind == "operationsCentre"), None)
    if centre is not None:
        return Routing(agency_urn(centre.id), [agency_urn(centre.id)], "operationsCentre")
    return Routing(None, [], "none")


def _chain(areas: AreaIndex, code: str) -> dict[str, int]:
    """The area and its ancestors, each with its depth (the area itself is deepest)."""
    found = areas.get(code)
    if found is None:
        return {}
    lineage = [found, *areas.ancestors(code)]
    return {a.code: len(lineage) - i for i, a in enumerate(lineage)}


def _valid(agency: Agency, day: date) -> bool:
    return (agency.valid_from is None or agency.valid_from <= day) and (
        agency.valid_to is None or day < agency.valid_to
    )
