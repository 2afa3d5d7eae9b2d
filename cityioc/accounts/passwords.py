"""Password hashing (argon2id) and the rules a new password must meet.

Hashing runs in a thread: a hash takes ~0.15 s of CPU with the default parameters and must not
stall the event loop. A semaphore bounds how many run at once, because each holds its memory cost
(64 MiB by default): a burst of sign-ins must not exhaust the machine's memory.
"""

from __future__ import annotations

import asyncio
import gzip
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Final

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from cityioc.core.errors import BadRequestData

MAX_LENGTH: Final = 256  # longer is no safer, and only costs hashing time
CONCURRENT_HASHES: Final = 4


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """~8,400 common passwords of 8 characters or more, lower case: the 20,000-password list
    Django ships (Royce Williams' list, BSD licence) plus a few common in Vietnam."""
    raw = resources.files(__package__).joinpath("common-passwords.txt.gz").read_bytes()
    return frozenset(gzip.decompress(raw).decode("utf-8").split())


def check_password(password: str, username: str, min_length: int) -> None:
    """Raise BadRequestData unless the password is acceptable (NIST SP 800-63B: length and a
    blocklist, no composition rules)."""
    if len(password) < min_length:
        raise BadRequestData(f"the password must have at least {min_length} characters")
    if len(password) > MAX_LENGTH:
        raise BadRequestData(f"the password must have at most {MAX_LENGTH} characters")
    folded = password.casefold()
    if len(set(folded)) < 4:
        raise BadRequestData("this password is too simple: use more different characters")
    core = folded.strip("0123456789!@#$%&*.,_-")  # "password123!" is "password" with decoration
    if folded in common_passwords() or core in common_passwords():
        raise BadRequestData("this password is too common: choose another one")
    if len(username) >= 4 and username.casefold() in folded:
        raise BadRequestData("the password must not contain the username")


@dataclass(frozen=True, slots=True)
class HashParameters:
    time_cost: int = 3  # RFC 9106's second recommended option: t=3, m=64 MiB, p=4
    memory_kib: int = 65_536
    parallelism: int = 4


class Passwords:
    """Hash and verify passwords with argon2id; say when a stored hash is due for a rehash."""

    def __init__(self, parameters: HashParameters | None = None) -> None:
        p = parameters or HashParameters()
        self.parameters = p
        self._hasher = PasswordHasher(
            time_cost=p.time_cost, memory_cost=p.memory_kib, parallelism=p.parallelism
        )
        self._gate = asyncio.Semaphore(CONCURRENT_HASHES)
        self._dummy: str | None = None

    async def hash(self, password: str) -> str:
        async with self._gate:
            return await asyncio.to_thread(self._hasher.hash, password)

    async def verify(self, stored: str, password: str) -> bool:
        async with self._gate:
            return await asyncio.to_thread(self._verify, stored, password)

    async def burn(self, password: str) -> None:
        """Spend a verification's time for a user that does not exist, so that the answer's
        timing does not tell which usernames exist."""
        if self._dummy is None:
            self._dummy = await self.hash("not a password of anyone")
        await self.verify(self._dummy, password)

    def needs_rehash(self, stored: str) -> bool:
        try:
            return self._hasher.check_needs_rehash(stored)
        except InvalidHashError:
            return True

    def _verify(self, stored: str, password: str) -> bool:
        try:
            return self._hasher.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return False
