"""The account rules a deployment sets: timeouts, lock-out, password length, hashing cost."""

from __future__ import annotations

from dataclasses import dataclass, field

from cityioc.accounts.passwords import HashParameters
from cityioc.core.settings import Settings

MINUTE_MS = 60_000


@dataclass(frozen=True, slots=True)
class AccountPolicy:
    idle_ms: int = 60 * MINUTE_MS  # a session not used this long ends
    max_age_ms: int = 12 * 60 * MINUTE_MS  # and every session ends this long after sign-in
    max_failures: int = 5  # failed sign-ins in a row that lock the account …
    lockout_ms: int = 15 * MINUTE_MS  # … for this long
    attempts_per_minute: int = 20  # sign-in attempts per client address
    min_password_length: int = 10
    hashing: HashParameters = field(default_factory=HashParameters)

    @staticmethod
    def from_settings(settings: Settings) -> AccountPolicy:
        return AccountPolicy(
            idle_ms=settings.session_idle_minutes * MINUTE_MS,
            max_age_ms=settings.session_max_hours * 60 * MINUTE_MS,
            max_failures=settings.login_max_failures,
            lockout_ms=settings.login_lockout_minutes * MINUTE_MS,
            attempts_per_minute=settings.login_attempts_per_minute,
            min_password_length=settings.password_min_length,
            hashing=HashParameters(
                time_cost=settings.password_hash_time_cost,
                memory_kib=settings.password_hash_memory_kib,
            ),
        )
