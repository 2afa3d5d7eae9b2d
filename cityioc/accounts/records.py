"""What the account store keeps: users and their sessions, and the store's part of the port.

Shared by the storage port, both adapters and the service (``cityioc.accounts.service``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, Protocol

from cityioc.core.errors import OperationNotSupported

USER_COLUMNS: Final = (
    "id, username, display_name, role, agency, locale, password_hash, created_at, created_by,"
    " disabled_at, failed_attempts, locked_until, last_login_at, password_changed_at"
)
SESSION_COLUMNS: Final = (
    "id_hash, user_id, created_at, last_seen_at, expires_at, csrf_token, address, user_agent"
)
# What ``update_user`` may change; the rest is written once or by the sign-in methods.
MUTABLE: Final = frozenset(
    {
        "display_name",
        "role",
        "agency",
        "locale",
        "password_hash",
        "password_changed_at",
        "disabled_at",
        "failed_attempts",
        "locked_until",
    }
)


@dataclass(frozen=True, slots=True)
class UserRecord:
    id: str
    username: str  # folded to lower case
    display_name: str
    role: str
    agency: str | None  # the Organization entity an agency user acts for
    locale: str  # "vi" or "en"
    password_hash: str  # argon2id, PHC string
    created_at: int
    created_by: str
    disabled_at: int | None = None
    failed_attempts: int = 0
    locked_until: int | None = None
    last_login_at: int | None = None
    password_changed_at: int = 0

    @staticmethod
    def from_row(row: tuple[Any, ...]) -> UserRecord:
        return UserRecord(*row)

    def values(self) -> tuple[Any, ...]:
        return (
            self.id,
            self.username,
            self.display_name,
            self.role,
            self.agency,
            self.locale,
            self.password_hash,
            self.created_at,
            self.created_by,
            self.disabled_at,
            self.failed_attempts,
            self.locked_until,
            self.last_login_at,
            self.password_changed_at,
        )

    def locked_at(self, now: int) -> bool:
        return self.locked_until is not None and now < self.locked_until


@dataclass(frozen=True, slots=True)
class SessionRecord:
    id_hash: str  # SHA-256 of the cookie's token
    user_id: str
    created_at: int
    last_seen_at: int
    expires_at: int  # absolute end
    csrf_token: str
    address: str | None = None
    user_agent: str | None = None

    @staticmethod
    def from_row(row: tuple[Any, ...]) -> SessionRecord:
        return SessionRecord(*row)

    def values(self) -> tuple[Any, ...]:
        return (
            self.id_hash,
            self.user_id,
            self.created_at,
            self.last_seen_at,
            self.expires_at,
            self.csrf_token,
            self.address,
            self.user_agent,
        )


class AccountStore(Protocol):
    """The account part of the storage port (``Store.accounts``). Each call is one transaction."""

    async def add_user(self, user: UserRecord) -> None:
        """Raises AlreadyExists when the username is taken (whatever its case)."""

    async def get_user(self, user_id: str) -> UserRecord | None: ...
    async def find_user(self, username: str) -> UserRecord | None:
        """By username, without regard to case."""

    async def list_users(self) -> list[UserRecord]:
        """Ordered by username."""

    async def update_user(self, user_id: str, changes: Mapping[str, Any]) -> UserRecord | None:
        """Set the columns named in ``changes`` (all in ``MUTABLE``); the user after, or None."""

    async def record_failure(self, user_id: str, max_failures: int, lock_until: int) -> bool:
        """Count one failed sign-in, atomically. At ``max_failures`` the account is locked until
        ``lock_until`` and the count starts again; returns whether this failure locked it."""

    async def record_login(self, user_id: str, at: int, password_hash: str | None) -> None:
        """A successful sign-in: clear the failures and the lock; store a rehashed password."""

    async def add_session(self, session: SessionRecord) -> None: ...
    async def find_session(self, id_hash: str) -> tuple[SessionRecord, UserRecord] | None:
        """The session and its user, in one read."""

    async def touch_session(self, id_hash: str, at: int) -> None: ...
    async def delete_session(self, id_hash: str) -> bool: ...
    async def delete_sessions_of(self, user_id: str, keep: str | None = None) -> int:
        """Sign the user out everywhere (but for the session ``keep``, when given)."""

    async def delete_expired_sessions(self, now: int, idle_since: int) -> int:
        """Drop sessions past their absolute end or not seen since ``idle_since``."""


class NoAccounts:
    """The benchmark reference store (``NullStore``) keeps no accounts: nobody can sign in."""

    _NO = "the benchmark reference store keeps no user accounts"

    async def add_user(self, user: UserRecord) -> None:
        raise OperationNotSupported(self._NO)

    async def get_user(self, user_id: str) -> UserRecord | None:
        return None

    async def find_user(self, username: str) -> UserRecord | None:
        return None

    async def list_users(self) -> list[UserRecord]:
        return []

    async def update_user(self, user_id: str, changes: Mapping[str, Any]) -> UserRecord | None:
        return None

    async def record_failure(self, user_id: str, max_failures: int, lock_until: int) -> bool:
        return False

    async def record_login(self, user_id: str, at: int, password_hash: str | None) -> None:
        return None

    async def add_session(self, session: SessionRecord) -> None:
        raise OperationNotSupported(self._NO)

    async def find_session(self, id_hash: str) -> tuple[SessionRecord, UserRecord] | None:
        return None

    async def touch_session(self, id_hash: str, at: int) -> None:
        return None

    async def delete_session(self, id_hash: str) -> bool:
        return False

    async def delete_sessions_of(self, user_id: str, keep: str | None = None) -> int:
        return 0

    async def delete_expired_sessions(self, now: int, idle_since: int) -> int:
        return 0


def assignments(changes: Mapping[str, Any], mark: str) -> tuple[str, list[Any]]:
    """``col = <mark>, …`` and its values for an update; refuses columns outside ``MUTABLE``."""
    unknown = set(changes) - MUTABLE
    if unknown:
        raise ValueError(f"not updatable: {sorted(unknown)}")
    return ", ".join(f"{c} = {mark}" for c in changes), list(changes.values())
