"""Who may see and act on an incident (enforced by the service, whatever the client shows).

Operators and admins see and act on every incident; viewers read them all; agency staff see the
incidents their agency is involved in and act only on those it leads (``refAgency``); nobody
else sees incidents. An agency caller without an agency sees nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from cityioc.core.errors import Forbidden, ResourceNotFound, Unauthorized
from cityioc.hub.context import core_context
from cityioc.hub.models import StoredEntity
from cityioc.incidents.lifecycle import ADMIN, AGENCY, OPERATOR
from cityioc.incidents.models import Incident, agency_urn

READ_ALL = (ADMIN, OPERATOR, "viewer")


@dataclass(frozen=True, slots=True)
class Actor:
    """The caller as the incidents module sees it (the web layer builds it from its Principal)."""

    id: str  # what the audit trail records: key:<id>, user:<name>, system:<what>
    role: str | None  # admin, operator, agency, viewer, ingest; None for the public
    agency: str | None = None  # the Organization URN an agency caller acts for

    @classmethod
    def of(cls, actor: str, role: str | None, agency: str | None = None) -> Actor:
        return cls(actor, role, agency_urn(agency) if agency else None)

    @property
    def is_staff(self) -> bool:
        return self.role in (ADMIN, OPERATOR)


SYSTEM = Actor("system:incidents", ADMIN)


def require_reader(actor: Actor) -> None:
    if actor.role is None:
        raise Unauthorized("incidents need an API key (Authorization: Bearer <key>)")
    if actor.role not in (*READ_ALL, AGENCY):
        raise Forbidden(f"role {actor.role} may not read incidents")
    if actor.role == AGENCY and actor.agency is None:
        raise Forbidden("this agency key is not bound to an agency")


def require_staff(actor: Actor) -> None:
    """Operators and admins only (creating incidents, routing them elsewhere)."""
    require_reader(actor)
    if not actor.is_staff:
        raise Forbidden(f"role {actor.role} may not do this (allowed: admin, operator)")


def can_see(actor: Actor, incident: Incident) -> bool:
    if actor.role in READ_ALL:
        return True
    return actor.role == AGENCY and actor.agency is not None and actor.agency in incident.agencies


def require_visible(actor: Actor, incident: Incident) -> None:
    """Raises ResourceNotFound for an incident the caller may not see (its existence is hidden)."""
    require_reader(actor)
    if not can_see(actor, incident):
        raise ResourceNotFound(f"incident {incident.id} does not exist")


def may_change(actor: Actor, incident: Incident) -> bool:
    """Staff, or staff of the incident's lead agency (``require_actor`` without raising)."""
    if actor.is_staff:
        return True
    return actor.role == AGENCY and actor.agency is not None and actor.agency == incident.agency


def require_actor(actor: Actor, incident: Incident) -> None:
    """The caller may change ``incident``: staff, or staff of its lead agency."""
    require_visible(actor, incident)
    if may_change(actor, incident):
        return
    raise Forbidden(
        f"only the responsible agency ({incident.agency or 'none'}) or the operations centre"
        " may change this incident"
    )


def may_do_step(actor: Actor, incident: Incident, step_role: str) -> None:
    """Operator steps are the operations centre's; agency steps its lead agency's (or staff's)."""
    require_actor(actor, incident)
    if step_role == OPERATOR and not actor.is_staff:
        raise Forbidden("this step belongs to the operations centre")


_INVOLVED = core_context().expand_term("refAgencies")


def entity_readable(role: str | None, agency: str | None, entity: StoredEntity) -> bool:
    """``can_see`` for the generic read paths (NGSI-LD queries, the live stream, subscription
    notifications), which see the stored entity rather than an ``Incident``."""
    if role in READ_ALL:
        return True
    if role != AGENCY or not agency:
        return False
    involved = entity.doc.get(_INVOLVED)
    urns = involved.get("object") if isinstance(involved, dict) else None
    found = urns if isinstance(urns, list) else [urns]
    return agency_urn(agency) in found
