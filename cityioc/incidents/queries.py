"""List filters as an NGSI-LD ``q`` over Incident entities, and newest-first paging."""

from __future__ import annotations

from cityioc.core.clock import iso_ms
from cityioc.incidents.access import Actor
from cityioc.incidents.drafts import Filters
from cityioc.incidents.lifecycle import AGENCY
from cityioc.incidents.models import AREA_PREFIX, OPEN_STATUSES, Incident, agency_urn
from cityioc.incidents.repository import IncidentRepository


def _any(values: list[str]) -> str:
    # values are checked (enums, or letters, digits and ._:-) before they get here
    return ",".join(f'"{v}"' for v in values)


def to_q(filters: Filters, now: int, actor: Actor, areas: list[str] | None) -> str | None:
    terms: list[str] = []
    if filters.statuses:
        terms.append(f"status=={_any([s.value for s in filters.statuses])}")
    if filters.severities:
        terms.append(f"capSeverity=={_any(list(filters.severities))}")
    if filters.category:
        terms.append(f"category=={_any([filters.category])}")
    if filters.agency:
        terms.append(f"refAgency=={_any([agency_urn(filters.agency)])}")
    if areas:
        terms.append(f"refArea=={_any([AREA_PREFIX + a for a in areas])}")
    if filters.overdue:
        t = iso_ms(now)
        open_ = _any([s.value for s in OPEN_STATUSES])
        terms.append(
            f"status=={open_};(slaBreached==true|slaDueAt<{t}"
            f'|(status=="new";slaAcknowledgeDueAt<{t}))'
        )
    if actor.role == AGENCY and actor.agency is not None:
        terms.append(f"refAgencies=={_any([actor.agency])}")  # enforced, whatever was asked
    return ";".join(terms) or None


async def newest_first(
    repo: IncidentRepository, tenant: str, q: str | None, limit: int, offset: int
) -> tuple[list[Incident], int]:
    """A page of the matches, newest first (the store keeps them oldest first)."""
    _, total = await repo.query(tenant, q, limit=0, count=True)
    count = total or 0
    end = max(count - offset, 0)
    start = max(end - limit, 0)
    if end == start:
        return [], count
    items, _ = await repo.query(tenant, q, limit=end - start, offset=start)
    return list(reversed(items)), count
