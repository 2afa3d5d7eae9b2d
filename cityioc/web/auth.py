"""API keys with roles. Keys are random, shown once, and stored only as SHA-256 hashes.

A key has high entropy, so a fast hash is the right tool (as for GitHub or Stripe tokens); a slow
password KDF is for human passwords. Lookups are cached briefly: every ingest request pays one.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass
from enum import StrEnum

from cityioc.accounts.agency import check_agency
from cityioc.core.clock import Clock
from cityioc.core.errors import BadRequestData, Forbidden, Unauthorized
from cityioc.hub.models import Mutation
from cityioc.store.port import ApiKeyRecord, AuditRecord, Store

KEY_PREFIX = "cio"
CACHE_SECONDS = 10.0


class Role(StrEnum):
    admin = "admin"
    operator = "operator"
    agency = "agency"
    viewer = "viewer"
    ingest = "ingest"


@dataclass(frozen=True, slots=True)
class Principal:
    actor: str  # what the audit records: "key:<id>", "user:<name>" or "public"
    role: Role | None  # None: anonymous public access
    agency: str | None = None  # for role agency: the Organization entity id it acts for

    @property
    def is_public(self) -> bool:
        return self.role is None

    def require(self, *roles: Role) -> None:
        if self.role is None:
            raise Unauthorized(
                "this operation needs a signed-in user or an API key (Authorization: Bearer <key>)"
            )
        if self.role is not Role.admin and self.role not in roles:
            allowed = ", ".join(["admin", *roles])
            raise Forbidden(f"role {self.role} may not do this (allowed: {allowed})")


PUBLIC = Principal("public", None)
WRITERS = (Role.operator, Role.ingest)
READERS = (Role.operator, Role.agency, Role.viewer, Role.ingest)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def new_key() -> tuple[str, str]:
    key_id = secrets.token_hex(4)
    return key_id, f"{KEY_PREFIX}_{key_id}_{secrets.token_urlsafe(24)}"


class KeyRing:
    def __init__(self, store: Store, clock: Clock) -> None:
        self.store = store
        self.clock = clock
        self._cache: dict[str, tuple[float, ApiKeyRecord | None]] = {}

    async def create(
        self, role: str, name: str, actor: str, *, key: str | None = None, agency: str | None = None
    ) -> tuple[ApiKeyRecord, str]:
        try:
            parsed = Role(role)
        except ValueError as err:
            roles = ", ".join(r.value for r in Role)
            raise BadRequestData(f"unknown role {role!r} (roles: {roles})") from err
        await check_agency(self.store, parsed.value, agency, required=False)
        key_id, secret = new_key()
        if key is not None:
            key_id, secret = "env-" + hash_key(key)[:8], key
        record = ApiKeyRecord(
            key_id,
            hash_key(secret),
            parsed.value,
            name,
            None,
            self.clock.now_ms(),
            actor,
            agency=agency,
        )
        existing = await self.store.find_api_key(record.key_hash)
        if existing is not None:
            return existing, secret
        await self.store.put_api_key(record)
        detail = {"role": record.role, "name": name}
        if agency is not None:
            detail["agency"] = agency
        await self._audit(actor, "create-key", key_id, detail)
        return record, secret

    async def authenticate(self, key: str | None) -> Principal:
        if not key:
            return PUBLIC
        digest = hash_key(key)
        now = time.monotonic()
        cached = self._cache.get(digest)
        if cached is not None and now - cached[0] < CACHE_SECONDS:
            record = cached[1]
        else:
            record = await self.store.find_api_key(digest)
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[digest] = (now, record)
        if record is None or record.revoked_at is not None:
            raise Unauthorized("the API key is not valid")
        return Principal(f"key:{record.key_id}", Role(record.role), record.agency)

    async def revoke(self, key_id: str, actor: str) -> bool:
        self._cache.clear()
        revoked = await self.store.revoke_api_key(key_id, self.clock.now_ms())
        if revoked:
            await self._audit(actor, "revoke-key", key_id, None)
        return revoked

    async def _audit(
        self, actor: str, action: str, key_id: str, detail: dict[str, str] | None
    ) -> None:
        """Key changes go to the audit trail (subject ``key:<id>``), through an empty write."""
        record = AuditRecord(self.clock.now_ms(), actor, "default", action, f"key:{key_id}", detail)
        await self.store.mutate("default", [], lambda _: Mutation(), actor, [record])


def key_from_headers(authorization: str | None, x_api_key: str | None) -> str | None:
    if authorization:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("use 'Authorization: Bearer <key>'")
        return token.strip()
    return x_api_key or None
