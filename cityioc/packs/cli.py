"""``cityioc pack validate PATH`` and ``cityioc pack load PATH`` (a folder or a built-in name)."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from cityioc.packs.load import ABSENT, NOT_LOADED, LoadReport, load_pack
from cityioc.packs.pack import Pack
from cityioc.packs.problems import PackError
from cityioc.packs.registry import sections
from cityioc.packs.validate import validate_pack

pack_app = typer.Typer(
    help="City packs: validate and load (gói dữ liệu thành phố: kiểm tra và nạp)",
    no_args_is_help=True,
)

PathArg = Annotated[
    str, typer.Argument(help="a pack folder, or a built-in pack's name such as binh-duong")
]
STATUS = {
    ABSENT: "không có / absent",
    NOT_LOADED: "chưa nạp, chưa cài mô-đun / not loaded yet (module not installed)",
}


def _validated(path: str) -> Pack:
    try:
        return validate_pack(path)
    except PackError as err:
        typer.echo(
            f"Gói dữ liệu không hợp lệ / invalid pack: {len(err.problems)} lỗi / problem(s)",
            err=True,
        )
        for problem in err.problems:
            typer.echo(f"  {problem}", err=True)
        raise typer.Exit(1) from err


@pack_app.command("validate")
def validate(path: PathArg) -> None:
    """Check a pack and list every problem as file:line: message (exit status 1 if any)."""
    pack = _validated(path)
    typer.echo(f"Gói dữ liệu hợp lệ / valid pack: {pack.name} {pack.version}")
    typer.echo(f"  {pack.manifest.title.vi} / {pack.manifest.title.en}")
    for section in sections():
        data = pack.section(section.name)
        if data is not None and section.summary is not None:
            typer.echo(f"  {section.name:<11} {section.summary(data)}")


@pack_app.command("load")
def load(
    path: PathArg,
    database_url: Annotated[
        str | None,
        typer.Option(
            "--database-url", envvar="CITYIOC_DATABASE_URL", help="sqlite:///PATH or postgresql://…"
        ),
    ] = None,
    tenant: Annotated[str, typer.Option(help="NGSI-LD tenant")] = "default",
    actor: Annotated[
        str | None, typer.Option(help="who the writes are attributed to (default pack:NAME)")
    ] = None,
) -> None:
    """Validate a pack and write it into the hub; loading it again changes nothing."""
    from cityioc.core.errors import CityError

    pack = _validated(path)
    try:
        report = asyncio.run(_load(pack, database_url, tenant, actor))
    except PackError as err:
        typer.echo(f"Không nạp được / load failed: {err.detail}", err=True)
        raise typer.Exit(1) from err
    except CityError as err:
        typer.echo(f"Lỗi / error: {err.detail}", err=True)
        raise typer.Exit(2) from err
    _print_report(report, tenant)


async def _load(pack: Pack, database_url: str | None, tenant: str, actor: str | None) -> LoadReport:
    from cityioc.core.clock import SystemClock
    from cityioc.core.settings import Settings
    from cityioc.hub.service import Hub
    from cityioc.store.factory import make_store

    settings = Settings(database_url=database_url) if database_url else Settings()
    clock = SystemClock()
    store = make_store(settings.database_url, clock)
    await store.open()
    try:
        return await load_pack(Hub(store, clock), pack, actor, tenant)
    finally:
        await store.close()


def _print_report(report: LoadReport, tenant: str) -> None:
    typer.echo(
        f"Đã nạp / loaded {report.pack} {report.version} (tenant {tenant}, actor {report.actor})"
    )
    # kept: edited since by an admin (someone other than this load's actor), left as they are
    typer.echo(f"  {'':<11} {'tạo mới':>8} {'cập nhật':>9} {'giữ nguyên':>11} {'giữ bản sửa':>12}")
    typer.echo(f"  {'section':<11} {'created':>8} {'updated':>9} {'unchanged':>11} {'kept':>12}")
    for name, section in report.sections.items():
        if section.status in STATUS:
            typer.echo(f"  {name:<11} {STATUS[section.status]}")
            continue
        c = section.counts
        typer.echo(f"  {name:<11} {c.created:>8} {c.updated:>9} {c.unchanged:>11} {c.kept:>12}")
    t = report.totals
    typer.echo(f"  {'tổng / all':<11} {t.created:>8} {t.updated:>9} {t.unchanged:>11} {t.kept:>12}")
