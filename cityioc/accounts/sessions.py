"""Signing in and out: lock-out after repeated failures, server-side sessions, CSRF tokens.

A session is a random token in an HttpOnly cookie; the database keeps only its SHA-256, the user,
when it was made and last used, its absolute end and its CSRF token. Every request reads it with
its user (one indexed join), so signing out, disabling a user or changing a role takes effect on
the next request, in every process.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from typing import Final, NoReturn

from cityioc.accounts.audit import audit
from cityioc.accounts.errors import AccountDisabled, AccountLocked, SessionEnded, WrongCredentials
from cityioc.accounts.limiter import AttemptLimiter
from cityioc.accounts.passwords import MAX_LENGTH, Passwords
from cityioc.accounts.policy import AccountPolicy
from cityioc.accounts.records import SessionRecord, UserRecord
from cityioc.accounts.users import normalize_username
from cityioc.core.clock import Clock, iso_ms
from cityioc.core.errors import BadRequestData, TooManyRequests
from cityioc.store.port import Store

log = logging.getLogger(__name__)

TOUCH_EVERY_MS: Final = 60_000  # last_seen_at is written at most this often per session
_WRONG: Final = "wrong username or password"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class NewSession:
    token: str  # goes into the cookie, and nowhere else
    session: SessionRecord
    user: UserRecord


class Sessions:
    def __init__(
        self, store: Store, clock: Clock, policy: AccountPolicy, passwords: Passwords
    ) -> None:
        self.store = store
        self.clock = clock
        self.policy = policy
        self.passwords = passwords
        self.limiter = AttemptLimiter(clock, policy.attempts_per_minute)

    async def sign_in(
        self, username: str, password: str, *, address: str, user_agent: str | None = None
    ) -> NewSession:
        """Check the password (in constant time whether or not the user exists) and open a
        session. Every attempt is audited, with the address and never the password."""
        wait = self.limiter.allow(address)
        if wait:
            log.warning("sign-in attempts from %s over the limit", address)
            raise TooManyRequests(
                f"too many sign-in attempts from your address: wait {wait} s", retry_after_s=wait
            )
        if len(password) > MAX_LENGTH:
            raise BadRequestData(f"the password has at most {MAX_LENGTH} characters")
        try:
            name = normalize_username(username)
        except BadRequestData:
            name = ""
        user = await self.store.accounts.find_user(name) if name else None
        seen = {"address": address}
        if user is None:
            await self.passwords.burn(password)
            await self._failed(name or username[:64], seen, "unknown-user")
            raise WrongCredentials(_WRONG)
        now = self.clock.now_ms()
        if user.locked_at(now):
            await self._failed(user.username, seen, "locked")
            raise AccountLocked(_locked_detail(user.locked_until))
        if not await self.passwords.verify(user.password_hash, password):
            await self._wrong_password(user, seen)
        if user.disabled_at is not None:
            await self._failed(user.username, seen, "disabled")
            raise AccountDisabled("this account is disabled: ask an administrator")
        rehash = None
        if self.passwords.needs_rehash(user.password_hash):
            rehash = await self.passwords.hash(password)
        await self.store.accounts.record_login(user.id, now, rehash)
        await self.store.accounts.delete_expired_sessions(now, now - self.policy.idle_ms)
        token = secrets.token_urlsafe(32)
        session = SessionRecord(
            id_hash=hash_token(token),
            user_id=user.id,
            created_at=now,
            last_seen_at=now,
            expires_at=now + self.policy.max_age_ms,
            csrf_token=secrets.token_urlsafe(32),
            address=address,
            user_agent=(user_agent or "")[:300] or None,
        )
        await self.store.accounts.add_session(session)
        detail = {**seen, "rehashed": rehash is not None}
        await audit(self.store, self.clock, f"user:{user.username}", "login", user.username, detail)
        return NewSession(token, session, user)

    async def resume(self, token: str) -> tuple[SessionRecord, UserRecord]:
        """The session of a cookie's token and its user; SessionEnded when there is none now."""
        if not token or len(token) > 200:
            raise SessionEnded("not signed in")
        id_hash = hash_token(token)
        found = await self.store.accounts.find_session(id_hash)
        if found is None:
            raise SessionEnded("the session has ended: sign in again")
        session, user = found
        now = self.clock.now_ms()
        ended = now >= session.expires_at or now - session.last_seen_at >= self.policy.idle_ms
        if ended or user.disabled_at is not None:
            await self.store.accounts.delete_session(id_hash)
            raise SessionEnded("the session has ended: sign in again")
        if now - session.last_seen_at >= min(TOUCH_EVERY_MS, self.policy.idle_ms // 10):
            await self.store.accounts.touch_session(id_hash, now)
        return session, user

    async def sign_out(self, token: str) -> UserRecord | None:
        """End the session of this token, if it is one; returns whose it was."""
        if not token or len(token) > 200:
            return None
        found = await self.store.accounts.find_session(hash_token(token))
        if found is None:
            return None
        session, user = found
        await self.store.accounts.delete_session(session.id_hash)
        await audit(self.store, self.clock, f"user:{user.username}", "logout", user.username)
        return user

    async def sign_out_everywhere(self, user: UserRecord, *, actor: str) -> int:
        ended = await self.store.accounts.delete_sessions_of(user.id)
        await audit(self.store, self.clock, actor, "revoke-sessions", user.username, {"n": ended})
        return ended

    async def _wrong_password(self, user: UserRecord, seen: dict[str, str]) -> NoReturn:
        until = self.clock.now_ms() + self.policy.lockout_ms
        locked = await self.store.accounts.record_failure(user.id, self.policy.max_failures, until)
        await self._failed(user.username, seen, "wrong-password")
        if locked:
            detail = {"until": iso_ms(until), "failures": self.policy.max_failures}
            await audit(self.store, self.clock, "system", "lock-user", user.username, detail)
            raise AccountLocked(_locked_detail(until))
        raise WrongCredentials(_WRONG)

    async def _failed(self, username: str, seen: dict[str, str], reason: str) -> None:
        detail = {**seen, "reason": reason}
        await audit(self.store, self.clock, "public", "login-failed", username, detail)


def _locked_detail(until: int | None) -> str:
    when = iso_ms(until) if until is not None else "later"
    return f"too many failed sign-ins: the account is locked until {when}"
