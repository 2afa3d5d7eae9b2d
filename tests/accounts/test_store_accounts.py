"""``store.accounts`` on SQLite and PostgreSQL: users, the atomic failure count, sessions; the
agency of API keys."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest

from cityioc.accounts.records import SessionRecord, UserRecord
from cityioc.core.errors import AlreadyExists
from cityioc.store.port import ApiKeyRecord, Store

T0 = 1_764_000_000_000


def user(uid: str = "u1", username: str = "lan.nguyen", role: str = "operator") -> UserRecord:
    return UserRecord(
        id=uid,
        username=username,
        display_name="Nguyễn Thị Lan",
        role=role,
        agency=None,
        locale="vi",
        password_hash="$argon2id$v=19$m=1024,t=1,p=1$c2FsdA$aGFzaA",
        created_at=T0,
        created_by="test",
        password_changed_at=T0,
    )


def session(id_hash: str, user_id: str = "u1", last_seen: int = T0) -> SessionRecord:
    return SessionRecord(id_hash, user_id, T0, last_seen, T0 + 3_600_000, "csrf-" + id_hash)


async def test_users_are_unique_without_regard_to_case(store: Store) -> None:
    await store.accounts.add_user(user())
    with pytest.raises(AlreadyExists):
        await store.accounts.add_user(user("u2", "LAN.Nguyen"))
    assert await store.accounts.find_user("Lan.NGUYEN") == user()
    assert await store.accounts.get_user("u1") == user()
    assert await store.accounts.get_user("nobody") is None
    await store.accounts.add_user(user("u2", "an.tran", "agency"))
    assert [u.username for u in await store.accounts.list_users()] == ["an.tran", "lan.nguyen"]


async def test_update_sets_named_columns_only(store: Store) -> None:
    await store.accounts.add_user(user())
    changed = await store.accounts.update_user(
        "u1", {"role": "agency", "agency": "urn:ngsi-ld:Organization:stnmt", "disabled_at": T0}
    )
    assert changed == replace(
        user(), role="agency", agency="urn:ngsi-ld:Organization:stnmt", disabled_at=T0
    )
    assert await store.accounts.update_user("nobody", {"role": "viewer"}) is None
    with pytest.raises(ValueError, match="username"):
        await store.accounts.update_user("u1", {"username": "root"})


async def test_failures_lock_at_the_limit_even_when_concurrent(store: Store) -> None:
    await store.accounts.add_user(user())
    until = T0 + 600_000
    locked = await asyncio.gather(
        *(store.accounts.record_failure("u1", 5, until) for _ in range(12))
    )
    assert sum(locked) == 2  # the 5th and the 10th; the count restarts after each lock
    after = await store.accounts.get_user("u1")
    assert after is not None and after.failed_attempts == 2 and after.locked_until == until
    await store.accounts.record_login("u1", T0 + 1, "$argon2id$new")
    cleared = await store.accounts.get_user("u1")
    assert cleared is not None
    assert (cleared.failed_attempts, cleared.locked_until, cleared.last_login_at) == (
        0,
        None,
        T0 + 1,
    )
    assert cleared.password_hash == "$argon2id$new"
    await store.accounts.record_login("u1", T0 + 2, None)  # no rehash: the hash stays
    kept = await store.accounts.get_user("u1")
    assert kept is not None and kept.password_hash == "$argon2id$new"
    assert not await store.accounts.record_failure("nobody", 5, until)


async def test_sessions_with_their_user(store: Store) -> None:
    await store.accounts.add_user(user())
    await store.accounts.add_user(user("u2", "an.tran"))
    for name, owner in (("a", "u1"), ("b", "u1"), ("c", "u2")):
        await store.accounts.add_session(session(name, owner))
    found = await store.accounts.find_session("a")
    assert found == (session("a"), user())
    await store.accounts.touch_session("a", T0 + 5)
    touched = await store.accounts.find_session("a")
    assert touched is not None and touched[0].last_seen_at == T0 + 5
    assert await store.accounts.delete_sessions_of("u1", keep="a") == 1
    assert await store.accounts.find_session("b") is None
    assert await store.accounts.delete_session("a") and not await store.accounts.delete_session("a")
    assert await store.accounts.delete_sessions_of("u2") == 1
    assert await store.accounts.find_session("zzz") is None


async def test_expired_sessions_are_purged(store: Store) -> None:
    await store.accounts.add_user(user())
    await store.accounts.add_session(session("idle", last_seen=T0))
    await store.accounts.add_session(session("fresh", last_seen=T0 + 60_000))
    await store.accounts.add_session(replace(session("old", last_seen=T0 + 60_000), expires_at=T0))
    assert await store.accounts.delete_expired_sessions(T0 + 1, idle_since=T0 + 1) == 2
    assert await store.accounts.find_session("fresh") is not None


async def test_api_keys_carry_an_agency(store: Store) -> None:
    record = ApiKeyRecord("k1", "h1", "agency", "env dept", None, T0, "test", None, "urn:o:1")
    await store.put_api_key(record)
    assert await store.find_api_key("h1") == record
    await store.put_api_key(ApiKeyRecord("k2", "h2", "viewer", "wall", None, T0, "test"))
    assert [k.agency for k in await store.list_api_keys()] == ["urn:o:1", None]
