"""Demo users, one per role, for ``cityioc demo``: never for a real deployment."""

from __future__ import annotations

from cityioc.accounts.policy import AccountPolicy
from cityioc.accounts.service import Accounts
from cityioc.accounts.users import new_password
from cityioc.core.clock import Clock
from cityioc.core.errors import AlreadyExists
from cityioc.hub.context import core_context
from cityioc.store.port import EntityQuery, Store
from cityioc.web.auth import Role

PREFERRED_AGENCY = "urn:ngsi-ld:Organization:stnmt"  # environment department, Bình Dương pack


async def create_demo_users(
    store: Store, clock: Clock, policy: AccountPolicy | None = None
) -> list[tuple[str, str, str]]:
    """Create ``demo-<role>`` for each role with a fresh random password; returns (username,
    password, role) to print. The agency user acts for the environment department when the pack
    is loaded (else for the first Organization found); with no Organization at all it is skipped.
    A user that already exists gets a new password, so a restarted demo prints working ones.
    ``policy``: the server's (``AccountPolicy.from_settings``), so that hashes need no rehash."""
    accounts = Accounts(store, clock, policy)
    agency = await _demo_agency(store)
    out = []
    for role in Role:
        if role is Role.agency and agency is None:
            continue
        username, password = f"demo-{role.value}", new_password()
        try:
            await accounts.users.create(
                username,
                password,
                role.value,
                actor="demo",
                display_name=f"Demo {role.value}",
                agency=agency if role is Role.agency else None,
            )
        except AlreadyExists:
            user = await accounts.users.find(username)
            await accounts.users.set_password(user.id, password, actor="demo")
        out.append((username, password, role.value))
    return out


async def _demo_agency(store: Store) -> str | None:
    organization = core_context().expand_type("Organization")
    found = await store.get_entities("default", [PREFERRED_AGENCY])
    if PREFERRED_AGENCY in found and organization in found[PREFERRED_AGENCY].types:
        return PREFERRED_AGENCY
    page, _ = await store.query_entities("default", EntityQuery(types=(organization,), limit=1))
    return page[0].id if page else None
