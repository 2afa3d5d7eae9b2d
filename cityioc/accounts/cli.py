"""``cityioc users create | list | disable | set-password``: user accounts from the shell."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from cityioc.core.clock import SystemClock, iso_ms
from cityioc.core.errors import CityError
from cityioc.core.settings import Settings

if TYPE_CHECKING:
    from cityioc.accounts.service import Accounts

T = TypeVar("T")
ACTOR = "cli"

users_app = typer.Typer(
    help="User accounts for the web UI / Tài khoản người dùng giao diện web", no_args_is_help=True
)

DatabaseOpt = Annotated[
    str | None,
    typer.Option(
        "--database-url", envvar="CITYIOC_DATABASE_URL", help="sqlite:///PATH or postgresql://…"
    ),
]
PasswordStdinOpt = Annotated[
    bool,
    typer.Option(
        "--password-stdin", help="read the password from the first line of standard input"
    ),
]


def _with_accounts(database_url: str | None, work: Callable[[Accounts], Awaitable[T]]) -> T:
    from cityioc.accounts.service import Accounts
    from cityioc.store.factory import make_store

    settings = Settings(**({"database_url": database_url} if database_url else {}))  # type: ignore[arg-type]

    async def run() -> T:
        clock = SystemClock()
        store = make_store(settings.database_url, clock)
        await store.open()
        try:
            return await work(Accounts.from_settings(store, clock, settings))
        finally:
            await store.close()

    try:
        return asyncio.run(run())
    except CityError as err:
        typer.echo(f"Lỗi / error: {err.detail}", err=True)
        raise typer.Exit(2) from err


def _password(from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline().rstrip("\r\n")
        if not line:
            typer.echo("Lỗi / error: no password on standard input", err=True)
            raise typer.Exit(2)
        return line
    entered: str = typer.prompt(
        "Mật khẩu / Password", hide_input=True, confirmation_prompt="Nhập lại / Repeat"
    )
    return entered


@users_app.command("create")
def users_create(
    username: Annotated[str, typer.Argument(help="letters a–z, digits, . _ - @")],
    role: Annotated[str, typer.Option(help="admin, operator, agency, viewer or ingest")],
    agency: Annotated[
        str | None,
        typer.Option(
            help="role agency: the Organization entity id, e.g. urn:ngsi-ld:Organization:stnmt"
        ),
    ] = None,
    name: Annotated[str | None, typer.Option(help="display name, e.g. Nguyễn Văn An")] = None,
    locale: Annotated[str, typer.Option(help="vi or en")] = "vi",
    password_stdin: PasswordStdinOpt = False,
    database_url: DatabaseOpt = None,
) -> None:
    """Create a user; the password is asked twice (or read with --password-stdin)."""
    password = _password(password_stdin)
    user = _with_accounts(
        database_url,
        lambda a: a.users.create(
            username,
            password,
            role,
            actor=ACTOR,
            display_name=name,
            agency=agency,
            locale=locale,
        ),
    )
    typer.echo(f"Đã tạo / created: {user.username} ({user.role}) id {user.id}")


@users_app.command("list")
def users_list(database_url: DatabaseOpt = None) -> None:
    """List users: id, username, role, agency, state, display name."""
    now = SystemClock().now_ms()
    for user in _with_accounts(database_url, lambda a: a.users.list()):
        state = "active"
        if user.disabled_at is not None:
            state = "disabled"
        elif user.locked_at(now):
            state = f"locked until {iso_ms(user.locked_until or 0)}"
        row = (user.id, user.username, user.role, user.agency or "-", state, user.display_name)
        typer.echo("\t".join(row))


@users_app.command("disable")
def users_disable(username: str, database_url: DatabaseOpt = None) -> None:
    """Disable a user: signing in is refused and the user's sessions end."""

    async def work(accounts: Accounts) -> None:
        user = await accounts.users.find(username)
        await accounts.users.disable(user.id, actor=ACTOR)

    _with_accounts(database_url, work)
    typer.echo(f"Đã khoá / disabled: {username}")


@users_app.command("set-password")
def users_set_password(
    username: str, password_stdin: PasswordStdinOpt = False, database_url: DatabaseOpt = None
) -> None:
    """Set a user's password (asked twice); lifts a lock-out and ends the user's sessions."""
    password = _password(password_stdin)

    async def work(accounts: Accounts) -> None:
        user = await accounts.users.find(username)
        await accounts.users.set_password(user.id, password, actor=ACTOR)

    _with_accounts(database_url, work)
    typer.echo(f"Đã đặt mật khẩu / password set: {username}")
