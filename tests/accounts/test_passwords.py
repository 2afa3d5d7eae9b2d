"""argon2id hashing, rehash when the parameters change, the rules for a new password, and the
per-address limit of sign-in attempts."""

from __future__ import annotations

import pytest

from cityioc.accounts import limiter
from cityioc.accounts.passwords import (
    HashParameters,
    Passwords,
    check_password,
    common_passwords,
)
from cityioc.core.clock import FakeClock
from cityioc.core.errors import BadRequestData
from tests.accounts.conftest import CHEAP


async def test_hash_is_argon2id_salted_and_verifies() -> None:
    passwords = Passwords(CHEAP)
    first, second = await passwords.hash("mưa-to-ở-Thủ-Dầu-Một"), await passwords.hash("x" * 12)
    again = await passwords.hash("mưa-to-ở-Thủ-Dầu-Một")
    assert first.startswith("$argon2id$v=19$m=1024,t=1,p=1$")
    assert first != again  # a fresh salt each time
    assert await passwords.verify(first, "mưa-to-ở-Thủ-Dầu-Một")
    assert await passwords.verify(again, "mưa-to-ở-Thủ-Dầu-Một")
    assert not await passwords.verify(first, "mua-to-o-Thu-Dau-Mot")
    assert not await passwords.verify(second, "x" * 11)
    assert not await passwords.verify("not a hash", "x" * 12)
    assert not passwords.needs_rehash(first)


async def test_a_hash_made_with_other_parameters_needs_a_rehash() -> None:
    old, new = Passwords(CHEAP), Passwords(HashParameters(time_cost=2, memory_kib=2048))
    stored = await old.hash("an old password")
    assert new.needs_rehash(stored) and not old.needs_rehash(stored)
    assert await new.verify(stored, "an old password")  # still verifies with the old ones
    assert new.needs_rehash("$2b$12$bcrypt-or-anything-else")


def test_default_parameters_follow_rfc_9106() -> None:
    assert HashParameters() == HashParameters(time_cost=3, memory_kib=65_536, parallelism=4)


@pytest.mark.parametrize(
    ("password", "why"),
    [
        ("short1", "at least 10"),
        ("x" * 257, "at most 256"),
        ("aaaaaaaaaaaa", "too simple"),
        ("abababababab", "too simple"),
        ("1234567890", "too common"),
        ("Password123", "too common"),
        ("qwertyuiop", "too common"),
        ("anhyeuem123", "too common"),
        ("basketball!!", "too common"),
        ("nguyenvana-2026", "must not contain the username"),
    ],
)
def test_weak_passwords_are_refused(password: str, why: str) -> None:
    with pytest.raises(BadRequestData, match=why):
        check_password(password, "nguyenvana", 10)


def test_good_passwords_pass_and_the_list_is_shipped() -> None:
    for good in ("ca-truc-dem-thu-3", "Mưa to ở Dĩ An lúc 18:30", "correct horse battery staple"):
        check_password(good, "nguyenvana", 10)
    listed = common_passwords()
    assert 5_000 < len(listed) < 20_000 and "password1" in listed and "matkhau123" in listed
    assert all(len(p) >= 8 for p in listed)


def test_the_address_limiter_slides_and_stays_small(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = FakeClock()
    limit = limiter.AttemptLimiter(clock, per_minute=2)
    assert [limit.allow("a"), limit.allow("a")] == [0, 0]
    clock.advance(seconds=45)
    assert limit.allow("a") == 15 and limit.allow("b") == 0  # 15 s until the first one leaves
    clock.advance(seconds=15)
    assert limit.allow("a") == 0
    monkeypatch.setattr(limiter, "MAX_ADDRESSES", 3)
    clock.advance(seconds=61)
    for address in ("c", "d", "e"):
        limit.allow(address)
    assert set(limit._seen) == {"c", "d", "e"}  # a and b, idle for a minute, were forgotten
