"""Account events go to the audit trail (subject ``user:<username>``), never with a password."""

from __future__ import annotations

from typing import Any

from cityioc.core.clock import Clock
from cityioc.hub.models import Mutation
from cityioc.store.port import AuditRecord, Store

TENANT = "default"  # accounts are not per tenant; their trail lives with the default tenant's


def subject(username: str) -> str:
    return f"user:{username}"


async def audit(
    store: Store,
    clock: Clock,
    actor: str,
    action: str,
    username: str,
    detail: dict[str, Any] | None = None,
) -> None:
    """One audit record, through an empty write (as for API keys)."""
    record = AuditRecord(clock.now_ms(), actor, TENANT, action, subject(username), detail)
    await store.mutate(TENANT, [], lambda _: Mutation(), actor, [record])
