"""Which agency an agency-role caller acts for: an ``Organization`` entity of the city pack."""

from __future__ import annotations

from cityioc.core.errors import BadRequestData
from cityioc.hub.context import core_context
from cityioc.store.port import Store

AGENCY_ROLE = "agency"
TENANT = "default"


async def check_agency(store: Store, role: str, agency: str | None, *, required: bool) -> None:
    """An agency is given only with role agency (and, when ``required``, always with it), and it
    names an existing Organization entity, so that a typo fails now rather than hiding data."""
    if agency is None:
        if required and role == AGENCY_ROLE:
            raise BadRequestData(
                "role agency needs the Organization entity id it acts for (agency)"
            )
        return
    if role != AGENCY_ROLE:
        raise BadRequestData(f"only role agency acts for an agency, not role {role}")
    found = (await store.get_entities(TENANT, [agency])).get(agency)
    organization = core_context().expand_type("Organization")
    if found is None or organization not in found.types:
        raise BadRequestData(
            f"no Organization entity {agency!r}: load the city pack (cityioc pack load) or"
            " use the id of an existing agency, e.g. urn:ngsi-ld:Organization:stnmt"
        )
