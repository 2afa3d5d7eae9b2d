"""``cityioc users …`` and ``cityioc keys create --agency`` on a real database per backend."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import pytest
from typer.testing import CliRunner

from cityioc.accounts.service import Accounts
from cityioc.cli import app
from cityioc.core.clock import FakeClock, SystemClock
from cityioc.store.factory import make_store
from cityioc.store.port import Store
from tests.accounts.conftest import AGENCY, PASSWORD, POLICY, add_organization

T = TypeVar("T")
CHEAP_ENV = {"CITYIOC_PASSWORD_HASH_MEMORY_KIB": "1024", "CITYIOC_PASSWORD_HASH_TIME_COST": "1"}


def on_store(url: str, work: Callable[[Store], Awaitable[T]]) -> T:
    async def run() -> T:
        store = make_store(url, SystemClock())
        await store.open()
        try:
            return await work(store)
        finally:
            await store.close()

    return asyncio.run(run())


async def _sign_in(store: Store, username: str, password: str) -> str:
    opened = await Accounts(store, SystemClock(), POLICY).sessions.sign_in(
        username, password, address="cli-test"
    )
    return opened.user.role


async def _organization(store: Store) -> None:
    await add_organization(store, FakeClock())


def test_create_list_disable_and_set_password(database_url: str) -> None:
    cli = CliRunner(env=CHEAP_ENV)
    db = ["--database-url", database_url]
    typed = f"{PASSWORD}\n{PASSWORD}\n"  # asked twice
    made = cli.invoke(
        app,
        ["users", "create", "Lan.Nguyen", "--role", "operator", "--name", "Nguyễn Thị Lan", *db],
        input=typed,
    )
    assert made.exit_code == 0, made.output
    assert "Mật khẩu / Password" in made.output and "created: lan.nguyen (operator)" in made.output
    mismatch = cli.invoke(
        app,
        ["users", "create", "an.tran", "--role", "viewer", *db],
        input=f"{PASSWORD}\nother-one-x\n" * 3,
    )
    assert mismatch.exit_code != 0
    weak = cli.invoke(
        app,
        ["users", "create", "an.tran", "--role", "viewer", "--password-stdin", *db],
        input="123456789a\n",
    )
    assert weak.exit_code == 2 and "too common" in weak.output
    agency_without = cli.invoke(
        app,
        ["users", "create", "env.staff", "--role", "agency", "--password-stdin", *db],
        input=f"{PASSWORD}\n",
    )
    assert agency_without.exit_code == 2 and "Organization" in agency_without.output
    on_store(database_url, _organization)
    env = cli.invoke(
        app,
        [
            "users",
            "create",
            "env.staff",
            "--role",
            "agency",
            "--agency",
            AGENCY,
            "--password-stdin",
            *db,
        ],
        input=f"{PASSWORD}\n",
    )
    assert env.exit_code == 0, env.output
    assert on_store(database_url, lambda s: _sign_in(s, "env.staff", PASSWORD)) == "agency"

    listed = cli.invoke(app, ["users", "list", *db])
    rows = [line.split("\t") for line in listed.output.strip().splitlines()]
    assert [(r[1], r[2], r[3], r[4], r[5]) for r in rows] == [
        ("env.staff", "agency", AGENCY, "active", "env.staff"),
        ("lan.nguyen", "operator", "-", "active", "Nguyễn Thị Lan"),
    ]

    assert cli.invoke(app, ["users", "disable", "LAN.NGUYEN", *db]).exit_code == 0
    assert "disabled" in cli.invoke(app, ["users", "list", *db]).output
    assert cli.invoke(app, ["users", "disable", "nobody", *db]).exit_code == 2

    reset = cli.invoke(
        app,
        ["users", "set-password", "env.staff", "--password-stdin", *db],
        input="mot-mat-khau-khac-9\n",
    )
    assert reset.exit_code == 0 and "password set: env.staff" in reset.output
    assert (
        on_store(database_url, lambda s: _sign_in(s, "env.staff", "mot-mat-khau-khac-9"))
        == "agency"
    )


def test_keys_for_an_agency(database_url: str) -> None:
    cli = CliRunner()
    db = ["--database-url", database_url]
    refused = cli.invoke(app, ["keys", "create", "--role", "agency", "--agency", AGENCY, *db])
    assert refused.exit_code == 2 and "no Organization entity" in refused.output
    on_store(database_url, _organization)
    made = cli.invoke(app, ["keys", "create", "--role", "agency", "--agency", AGENCY, *db])
    assert made.exit_code == 0, made.output
    keys = on_store(database_url, lambda s: s.list_api_keys())
    assert [(k.role, k.agency) for k in keys] == [("agency", AGENCY)]
    wrong = cli.invoke(app, ["keys", "create", "--role", "viewer", "--agency", AGENCY, *db])
    assert wrong.exit_code == 2 and "only role agency" in wrong.output


@pytest.mark.parametrize("command", ["create", "list", "disable", "set-password"])
def test_every_users_command_has_help(command: str) -> None:
    shown = CliRunner().invoke(app, ["users", command, "--help"])
    assert shown.exit_code == 0 and "--database-url" in shown.output
