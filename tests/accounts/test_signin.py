"""Signing in on a fake clock, per backend: lock-out and unlock, rehash, session timeouts,
sign-out, disabled users, the per-address limit, and what the audit trail keeps."""

from __future__ import annotations

from dataclasses import replace

import pytest

from cityioc.accounts.errors import (
    AccountDisabled,
    AccountLocked,
    SessionEnded,
    WrongCredentials,
)
from cityioc.accounts.passwords import HashParameters, Passwords
from cityioc.accounts.service import Accounts
from cityioc.accounts.users import UserUpdate
from cityioc.core.clock import FakeClock
from cityioc.core.errors import TooManyRequests
from cityioc.store.port import Store
from tests.accounts.conftest import PASSWORD, POLICY

HERE = "10.0.0.7"


async def trail(store: Store, username: str) -> list[tuple[str, str, dict[str, object]]]:
    records = await store.audit_trail("default", f"user:{username}", 100)
    return [(r.action, r.actor, dict(r.detail or {})) for r in reversed(records)]


async def test_lock_out_after_failures_and_unlock_when_the_time_is_up(
    accounts: Accounts, store: Store, clock: FakeClock
) -> None:
    await accounts.users.create("Lan.Nguyen", PASSWORD, "operator", actor="test")
    for _ in range(2):
        with pytest.raises(WrongCredentials):
            await accounts.sessions.sign_in("lan.nguyen", "wrong password!", address=HERE)
    with pytest.raises(AccountLocked, match="locked until"):
        await accounts.sessions.sign_in("LAN.NGUYEN", "wrong again!!", address=HERE)
    # Locked: even the right password is refused, and not even checked.
    clock.advance(minutes=9)
    with pytest.raises(AccountLocked):
        await accounts.sessions.sign_in("lan.nguyen", PASSWORD, address=HERE)
    clock.advance(minutes=1)
    opened = await accounts.sessions.sign_in("lan.nguyen", PASSWORD, address=HERE)
    assert opened.user.username == "lan.nguyen"
    after = await accounts.users.find("lan.nguyen")
    assert (after.failed_attempts, after.locked_until) == (0, None)
    actions = [
        (action, detail.get("reason")) for action, _, detail in await trail(store, "lan.nguyen")
    ]
    assert actions == [
        ("create-user", None),
        ("login-failed", "wrong-password"),
        ("login-failed", "wrong-password"),
        ("login-failed", "wrong-password"),
        ("lock-user", None),
        ("login-failed", "locked"),
        ("login", None),
    ]


async def test_a_success_resets_the_count_and_an_admin_can_unlock(
    accounts: Accounts, clock: FakeClock
) -> None:
    user = await accounts.users.create("an.tran", PASSWORD, "viewer", actor="test")
    for _ in range(2):
        with pytest.raises(WrongCredentials):
            await accounts.sessions.sign_in("an.tran", "not the one!", address=HERE)
    await accounts.sessions.sign_in("an.tran", PASSWORD, address=HERE)
    for _ in range(2):  # two more in a row do not lock: the count started over
        with pytest.raises(WrongCredentials):
            await accounts.sessions.sign_in("an.tran", "not the one!", address=HERE)
    with pytest.raises(AccountLocked):
        await accounts.sessions.sign_in("an.tran", "not the one!", address=HERE)
    await accounts.users.update(user.id, UserUpdate(unlock=True), actor="key:admin")
    assert (await accounts.sessions.sign_in("an.tran", PASSWORD, address=HERE)).user.id == user.id


async def test_audit_keeps_every_attempt_and_never_the_password(
    accounts: Accounts, store: Store
) -> None:
    await accounts.users.create("binh.le", PASSWORD, "operator", actor="key:admin")
    with pytest.raises(WrongCredentials):
        await accounts.sessions.sign_in("binh.le", "secret-guess-42", address=HERE)
    with pytest.raises(WrongCredentials):
        await accounts.sessions.sign_in("nobody.here", "secret-guess-43", address=HERE)
    opened = await accounts.sessions.sign_in("binh.le", PASSWORD, address=HERE)
    await accounts.sessions.sign_out(opened.token)
    records = await trail(store, "binh.le")
    assert records == [
        (
            "create-user",
            "key:admin",
            {"role": "operator", "agency": None, "displayName": "binh.le"},
        ),
        ("login-failed", "public", {"address": HERE, "reason": "wrong-password"}),
        ("login", "user:binh.le", {"address": HERE, "rehashed": False}),
        ("logout", "user:binh.le", {}),
    ]
    assert await trail(store, "nobody.here") == [
        ("login-failed", "public", {"address": HERE, "reason": "unknown-user"})
    ]
    everything = repr(records) + repr(await trail(store, "nobody.here"))
    assert "secret-guess" not in everything and PASSWORD not in everything


async def test_rehash_on_sign_in_when_the_parameters_change(store: Store, clock: FakeClock) -> None:
    old = Accounts(store, clock, POLICY)
    user = await old.users.create("chi.pham", PASSWORD, "operator", actor="test")
    stronger = replace(POLICY, hashing=HashParameters(time_cost=2, memory_kib=2048, parallelism=1))
    new = Accounts(store, clock, stronger)
    opened = await new.sessions.sign_in("chi.pham", PASSWORD, address=HERE)
    rehashed = (await new.users.get(user.id)).password_hash
    assert rehashed != user.password_hash and rehashed.startswith("$argon2id$v=19$m=2048,t=2,p=1$")
    assert not Passwords(stronger.hashing).needs_rehash(rehashed)
    assert opened.user.id == user.id
    again = await new.sessions.sign_in("chi.pham", PASSWORD, address=HERE)
    assert (await new.users.get(user.id)).password_hash == rehashed and again.token != opened.token


async def test_sessions_end_when_idle_and_at_their_absolute_end(
    accounts: Accounts, clock: FakeClock
) -> None:
    await accounts.users.create("dung.vo", PASSWORD, "operator", actor="test")
    idle = await accounts.sessions.sign_in("dung.vo", PASSWORD, address=HERE)
    clock.advance(minutes=29)
    await accounts.sessions.resume(idle.token)
    clock.advance(minutes=29)  # used 29 minutes ago: still alive, the idle time starts over
    await accounts.sessions.resume(idle.token)
    clock.advance(minutes=30)
    with pytest.raises(SessionEnded):
        await accounts.sessions.resume(idle.token)
    with pytest.raises(SessionEnded):  # and it stays ended
        await accounts.sessions.resume(idle.token)

    busy = await accounts.sessions.sign_in("dung.vo", PASSWORD, address=HERE)
    for _ in range(23):  # used every 20 minutes for 7 h 40 min …
        clock.advance(minutes=20)
        await accounts.sessions.resume(busy.token)
    clock.advance(minutes=20)  # … and 8 hours after sign-in it ends anyway
    with pytest.raises(SessionEnded):
        await accounts.sessions.resume(busy.token)


async def test_sign_out_and_disabling_end_sessions(accounts: Accounts) -> None:
    user = await accounts.users.create("hoa.dang", PASSWORD, "viewer", actor="t")
    first = await accounts.sessions.sign_in("hoa.dang", PASSWORD, address=HERE)
    second = await accounts.sessions.sign_in("hoa.dang", PASSWORD, address=HERE)
    signed_out = await accounts.sessions.sign_out(first.token)
    assert signed_out is not None and signed_out.id == user.id
    with pytest.raises(SessionEnded):
        await accounts.sessions.resume(first.token)
    assert await accounts.sessions.sign_out(first.token) is None
    await accounts.sessions.resume(second.token)
    await accounts.users.disable(user.id, actor="key:admin")
    with pytest.raises(SessionEnded):
        await accounts.sessions.resume(second.token)
    with pytest.raises(AccountDisabled):
        await accounts.sessions.sign_in("hoa.dang", PASSWORD, address=HERE)
    with pytest.raises(WrongCredentials):  # a wrong password does not tell it is disabled
        await accounts.sessions.sign_in("hoa.dang", "a wrong password", address=HERE)


async def test_setting_a_password_ends_the_other_sessions(accounts: Accounts) -> None:
    user = await accounts.users.create("khanh.ho", PASSWORD, "operator", actor="test")
    mine = await accounts.sessions.sign_in("khanh.ho", PASSWORD, address=HERE)
    other = await accounts.sessions.sign_in("khanh.ho", PASSWORD, address=HERE)
    await accounts.users.change_own_password(
        user, PASSWORD, "mot-mat-khau-moi-dai", session_hash=mine.session.id_hash
    )
    await accounts.sessions.resume(mine.token)
    with pytest.raises(SessionEnded):
        await accounts.sessions.resume(other.token)
    with pytest.raises(WrongCredentials):
        await accounts.sessions.sign_in("khanh.ho", PASSWORD, address=HERE)
    await accounts.sessions.sign_in("khanh.ho", "mot-mat-khau-moi-dai", address=HERE)
    await accounts.users.set_password(user.id, "admin-dat-lai-mat-khau", actor="key:admin")
    with pytest.raises(SessionEnded):
        await accounts.sessions.resume(mine.token)


async def test_attempts_per_address_are_limited(store: Store, clock: FakeClock) -> None:
    accounts = Accounts(store, clock, replace(POLICY, attempts_per_minute=3))
    await accounts.users.create("lam.ngo", PASSWORD, "operator", actor="test")
    for _ in range(3):
        with pytest.raises(WrongCredentials):
            await accounts.sessions.sign_in("ghost", "whatever-123", address=HERE)
    with pytest.raises(TooManyRequests) as refused:
        await accounts.sessions.sign_in("lam.ngo", PASSWORD, address=HERE)
    assert refused.value.retry_after_s == 60
    await accounts.sessions.sign_in("lam.ngo", PASSWORD, address="10.0.0.8")  # another address
    clock.advance(seconds=61)
    await accounts.sessions.sign_in("lam.ngo", PASSWORD, address=HERE)
