"""The user directory per backend: usernames, roles and agencies, admin changes, demo users."""

from __future__ import annotations

from dataclasses import replace

import pytest

from cityioc.accounts.demo import create_demo_users
from cityioc.accounts.service import Accounts
from cityioc.accounts.users import UserUpdate
from cityioc.core.clock import FakeClock
from cityioc.core.errors import AlreadyExists, BadRequestData, Conflict, ResourceNotFound
from cityioc.hub.models import Mutation
from cityioc.store.port import Store
from cityioc.web.auth import KeyRing
from tests.accounts.conftest import AGENCY, PASSWORD, POLICY, add_organization


async def test_usernames_are_folded_and_checked(accounts: Accounts) -> None:
    user = await accounts.users.create(
        "  Lan.Nguyen@SoTNMT ", PASSWORD, "operator", actor="t", display_name=" Nguyễn Thị Lan "
    )
    assert (user.username, user.display_name, user.locale) == (
        "lan.nguyen@sotnmt",
        "Nguyễn Thị Lan",
        "vi",
    )
    with pytest.raises(AlreadyExists):
        await accounts.users.create("LAN.NGUYEN@sotnmt", PASSWORD, "viewer", actor="t")
    for bad in ("a", "-lan", "lan nguyen", "lân", "x" * 65):
        with pytest.raises(BadRequestData, match="username"):
            await accounts.users.create(bad, PASSWORD, "viewer", actor="t")
    with pytest.raises(BadRequestData, match="mayor"):
        await accounts.users.create("mai.ly", PASSWORD, "mayor", actor="t")
    with pytest.raises(BadRequestData, match="locale"):
        await accounts.users.create("mai.ly", PASSWORD, "viewer", actor="t", locale="fr")
    with pytest.raises(BadRequestData, match="too common"):
        await accounts.users.create("mai.ly", "password123", "viewer", actor="t")
    assert [u.username for u in await accounts.users.list()] == ["lan.nguyen@sotnmt"]
    assert (await accounts.users.find("Lan.Nguyen@sotnmt")).id == user.id
    with pytest.raises(ResourceNotFound):
        await accounts.users.get("nope")


async def test_an_agency_user_acts_for_an_existing_organization(
    accounts: Accounts, store: Store, clock: FakeClock
) -> None:
    with pytest.raises(BadRequestData, match="needs the Organization"):
        await accounts.users.create("env.staff", PASSWORD, "agency", actor="t")
    with pytest.raises(BadRequestData, match="no Organization entity"):
        await accounts.users.create("env.staff", PASSWORD, "agency", actor="t", agency=AGENCY)
    await add_organization(store, clock)
    user = await accounts.users.create("env.staff", PASSWORD, "agency", actor="t", agency=AGENCY)
    assert (user.role, user.agency) == ("agency", AGENCY)
    with pytest.raises(BadRequestData, match="only role agency"):
        await accounts.users.create("op.staff", PASSWORD, "operator", actor="t", agency=AGENCY)
    sensor = "urn:ngsi-ld:AirQualityObserved:tdm-01"
    await add_organization(store, clock, sensor)
    await store.mutate(
        "default",
        [sensor],
        lambda now: Mutation(upserts=[replace(now[sensor], types=["AirQualityObserved"])]),
        "t",
    )
    with pytest.raises(BadRequestData, match="no Organization entity"):  # a sensor is no agency
        await accounts.users.create("env.two", PASSWORD, "agency", actor="t", agency=sensor)
    with pytest.raises(BadRequestData, match="only role agency"):
        await KeyRing(store, clock).create("viewer", "wall", "t", agency=AGENCY)
    record, _ = await KeyRing(store, clock).create("agency", "env gateway", "t", agency=AGENCY)
    assert record.agency == AGENCY


async def test_admin_changes_role_agency_and_state(
    accounts: Accounts, store: Store, clock: FakeClock
) -> None:
    await add_organization(store, clock)
    user = await accounts.users.create("env.staff", PASSWORD, "agency", actor="t", agency=AGENCY)
    promoted = await accounts.users.update(user.id, UserUpdate(role="operator"), actor="key:a")
    assert (promoted.role, promoted.agency) == ("operator", None)  # the agency goes with the role
    with pytest.raises(BadRequestData, match="needs the Organization"):
        await accounts.users.update(user.id, UserUpdate(role="agency"), actor="key:a")
    back = await accounts.users.update(
        user.id,
        UserUpdate(role="agency", agency=AGENCY, locale="en", display_name="Env"),
        actor="k",
    )
    assert (back.role, back.agency, back.locale, back.display_name) == (
        "agency",
        AGENCY,
        "en",
        "Env",
    )
    kept = await accounts.users.update(user.id, UserUpdate(display_name="Sở TN&MT"), actor="k")
    assert kept.agency == AGENCY
    disabled = await accounts.users.update(user.id, UserUpdate(disabled=True), actor="k")
    enabled = await accounts.users.update(user.id, UserUpdate(disabled=False), actor="k")
    assert disabled.disabled_at == clock.now_ms() and enabled.disabled_at is None
    trail = await store.audit_trail("default", "user:env.staff")
    assert [r.action for r in reversed(trail)] == ["create-user"] + ["update-user"] * 5


async def test_admins_cannot_lock_themselves_out(accounts: Accounts) -> None:
    me = await accounts.users.create("root.admin", PASSWORD, "admin", actor="t")
    with pytest.raises(Conflict):
        await accounts.users.update(me.id, UserUpdate(disabled=True), actor="user:root.admin")
    with pytest.raises(Conflict):
        await accounts.users.update(me.id, UserUpdate(role="viewer"), actor="user:root.admin")
    demoted = await accounts.users.update(me.id, UserUpdate(role="viewer"), actor="user:other")
    assert demoted.role == "viewer"


async def test_demo_users_one_per_role_that_can_sign_in(store: Store, clock: FakeClock) -> None:
    without_pack = await create_demo_users(store, clock, POLICY)
    assert [r for _, _, r in without_pack] == ["admin", "operator", "viewer", "ingest"]
    await add_organization(store, clock)
    made = await create_demo_users(store, clock, POLICY)  # again: existing users get new passwords
    assert [(u, r) for u, _, r in made] == [
        ("demo-admin", "admin"),
        ("demo-operator", "operator"),
        ("demo-agency", "agency"),
        ("demo-viewer", "viewer"),
        ("demo-ingest", "ingest"),
    ]
    accounts = Accounts(store, clock, POLICY)
    for username, password, role in made[1:3]:
        opened = await accounts.sessions.sign_in(username, password, address="127.0.0.1")
        assert opened.user.role == role
    assert (await accounts.users.find("demo-agency")).agency == AGENCY
