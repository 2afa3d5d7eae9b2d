"""The user directory: create, change, disable and list the people who may sign in."""

from __future__ import annotations

import re
import secrets
import unicodedata
from dataclasses import dataclass
from enum import Enum
from typing import Any, Final

from cityioc.accounts.agency import check_agency
from cityioc.accounts.audit import audit
from cityioc.accounts.passwords import Passwords, check_password
from cityioc.accounts.policy import AccountPolicy
from cityioc.accounts.records import UserRecord
from cityioc.core.clock import Clock
from cityioc.core.errors import BadRequestData, Conflict, ResourceNotFound
from cityioc.store.port import Store
from cityioc.web.auth import Role

LOCALES: Final = ("vi", "en")
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._@-]{1,63}$")


class Keep(Enum):
    """Leave a field as it is (``None`` is a value: no agency)."""

    keep = "keep"


@dataclass(frozen=True, slots=True)
class UserUpdate:
    """What an admin changes on a user; fields left ``None`` (or ``Keep.keep``) stay."""

    display_name: str | None = None
    role: str | None = None
    agency: str | Keep | None = Keep.keep  # None: no agency; kept only while the role is agency
    locale: str | None = None
    disabled: bool | None = None
    unlock: bool = False


def normalize_username(raw: str) -> str:
    """Usernames compare without regard to case: stored and looked up folded to lower case."""
    name = unicodedata.normalize("NFKC", raw).strip().lower()
    if not _USERNAME.match(name):
        raise BadRequestData(
            "a username has 2–64 characters: letters a–z, digits, '.', '_', '-', '@',"
            " starting with a letter or digit"
        )
    return name


def parse_role(role: str) -> str:
    try:
        return Role(role).value
    except ValueError as err:
        roles = ", ".join(r.value for r in Role)
        raise BadRequestData(f"unknown role {role!r} (roles: {roles})") from err


def parse_locale(locale: str) -> str:
    if locale not in LOCALES:
        raise BadRequestData(f"locale must be one of {', '.join(LOCALES)}")
    return locale


def new_password() -> str:
    """A generated password for an admin to hand over: 16 URL-safe characters (96 bits)."""
    return secrets.token_urlsafe(12)


class UserDirectory:
    def __init__(
        self, store: Store, clock: Clock, policy: AccountPolicy, passwords: Passwords
    ) -> None:
        self.store = store
        self.clock = clock
        self.policy = policy
        self.passwords = passwords

    async def create(
        self,
        username: str,
        password: str,
        role: str,
        *,
        actor: str,
        display_name: str | None = None,
        agency: str | None = None,
        locale: str = "vi",
    ) -> UserRecord:
        name = normalize_username(username)
        parsed = parse_role(role)
        await check_agency(self.store, parsed, agency, required=True)
        check_password(password, name, self.policy.min_password_length)
        now = self.clock.now_ms()
        user = UserRecord(
            id=secrets.token_hex(8),
            username=name,
            display_name=_display_name(display_name, name),
            role=parsed,
            agency=agency,
            locale=parse_locale(locale),
            password_hash=await self.passwords.hash(password),
            created_at=now,
            created_by=actor,
            password_changed_at=now,
        )
        await self.store.accounts.add_user(user)
        detail = {"role": parsed, "agency": agency, "displayName": user.display_name}
        await audit(self.store, self.clock, actor, "create-user", name, detail)
        return user

    async def get(self, user_id: str) -> UserRecord:
        found = await self.store.accounts.get_user(user_id)
        if found is None:
            raise ResourceNotFound(f"no user {user_id}")
        return found

    async def find(self, username: str) -> UserRecord:
        found = await self.store.accounts.find_user(normalize_username(username))
        if found is None:
            raise ResourceNotFound(f"no user {username}")
        return found

    async def list(self) -> list[UserRecord]:
        return await self.store.accounts.list_users()

    async def update(self, user_id: str, update: UserUpdate, *, actor: str) -> UserRecord:
        user = await self.get(user_id)
        role = parse_role(update.role) if update.role is not None else user.role
        if isinstance(update.agency, Keep):
            agency = user.agency if role == Role.agency else None
        else:
            agency = update.agency
        changes: dict[str, Any] = {}
        if role != user.role or agency != user.agency:
            await check_agency(self.store, role, agency, required=True)
            changes.update(role=role, agency=agency)
        if update.display_name is not None:
            changes["display_name"] = _display_name(update.display_name, user.username)
        if update.locale is not None:
            changes["locale"] = parse_locale(update.locale)
        if update.disabled is not None and update.disabled != (user.disabled_at is not None):
            changes["disabled_at"] = self.clock.now_ms() if update.disabled else None
        if update.unlock:
            changes.update(failed_attempts=0, locked_until=None)
        self._refuse_self_lockout(user, actor, role, changes)
        updated = await self._apply(user, changes)
        if updated.disabled_at is not None and user.disabled_at is None:
            await self.store.accounts.delete_sessions_of(user.id)
        shown = {k: v for k, v in changes.items() if k not in ("failed_attempts",)}
        await audit(self.store, self.clock, actor, "update-user", user.username, shown)
        return updated

    async def set_password(
        self, user_id: str, password: str, *, actor: str, keep_session: str | None = None
    ) -> UserRecord:
        """Set a new password, lift any lock, and end the user's sessions (but ``keep_session``,
        the caller's own, when users change their own password)."""
        user = await self.get(user_id)
        check_password(password, user.username, self.policy.min_password_length)
        changes = {
            "password_hash": await self.passwords.hash(password),
            "password_changed_at": self.clock.now_ms(),
            "failed_attempts": 0,
            "locked_until": None,
        }
        updated = await self._apply(user, changes)
        await self.store.accounts.delete_sessions_of(user.id, keep=keep_session)
        await audit(self.store, self.clock, actor, "set-password", user.username)
        return updated

    async def change_own_password(
        self, user: UserRecord, current: str, new: str, *, session_hash: str
    ) -> UserRecord:
        if not await self.passwords.verify(user.password_hash, current):
            raise BadRequestData("the current password is wrong")
        actor = f"user:{user.username}"
        return await self.set_password(user.id, new, actor=actor, keep_session=session_hash)

    async def disable(self, user_id: str, *, actor: str) -> UserRecord:
        return await self.update(user_id, UserUpdate(disabled=True), actor=actor)

    async def _apply(self, user: UserRecord, changes: dict[str, Any]) -> UserRecord:
        updated = await self.store.accounts.update_user(user.id, changes)
        if updated is None:
            raise ResourceNotFound(f"no user {user.id}")
        return updated

    @staticmethod
    def _refuse_self_lockout(
        user: UserRecord, actor: str, role: str, changes: dict[str, Any]
    ) -> None:
        """Admins cannot disable or demote themselves: the last admin would lock everyone out."""
        if actor != f"user:{user.username}":
            return
        if changes.get("disabled_at") is not None:
            raise Conflict("you cannot disable your own account")
        if user.role == Role.admin and role != Role.admin:
            raise Conflict("you cannot take the admin role from yourself")


def _display_name(given: str | None, username: str) -> str:
    name = (given or "").strip()
    if len(name) > 200:
        raise BadRequestData("the display name has at most 200 characters")
    return name or username
