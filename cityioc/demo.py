"""``cityioc demo``: a living operations centre in one command — a fresh SQLite database, the
Bình Dương city pack, some history, the server, and the simulator making the sensors report."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer

from cityioc.core.clock import SystemClock
from cityioc.core.settings import Settings

DEMO_DIR = Path("demo-data")


def demo(
    port: Annotated[int, typer.Option(help="TCP port")] = 8040,
    database_url: Annotated[
        str | None,
        typer.Option(
            "--database-url",
            envvar="CITYIOC_DATABASE_URL",
            help="default: a fresh SQLite file in ./demo-data",
        ),
    ] = None,
    backfill: Annotated[
        str, typer.Option(help="history to write first: 0, 3d, 30d, 365d …")
    ] = "3d",
    pack: Annotated[
        str, typer.Option(help="city pack: a built-in name or a folder")
    ] = "binh-duong",
    seed: Annotated[int, typer.Option(help="the simulator's seed (same seed, same city)")] = 7,
) -> None:
    """A living operations centre: city pack, history, live sensors; users and keys printed."""
    import uvicorn

    from cityioc.cli import configure_logging
    from cityioc.core.errors import CityError
    from cityioc.sim.runtime import DemoOptions, SimulationRuntime
    from cityioc.sim.specs import parse_duration
    from cityioc.web.app import create_app

    configure_logging()
    try:
        history_ms = 0 if backfill.strip() in ("0", "") else parse_duration(backfill)
    except CityError as err:
        raise typer.BadParameter(err.detail, param_hint="--backfill") from err
    if database_url is None:
        DEMO_DIR.mkdir(exist_ok=True)
        for leftover in DEMO_DIR.glob("cityioc-demo.db*"):
            leftover.unlink()
        database_url = f"sqlite:///{DEMO_DIR / 'cityioc-demo.db'}"
    settings = Settings(database_url=database_url, port=port, city_pack=pack)
    keys, users = asyncio.run(prepare(settings, pack))
    base = f"http://{settings.host}:{settings.port}"
    typer.echo(
        f"\ncityioc demo — {pack}\n"
        f"  Bản đồ công khai / public map      {base}/\n"
        f"  Điều hành trực tuyến / operations  {base}/ops\n"
        f"  API (OpenAPI)                      {base}/docs\n"
        f"  Kịch bản mô phỏng / scenarios      {base}/api/v1/sim\n"
    )
    typer.echo("Tài khoản / sign-in (username, password):")
    for username, password, role in users:
        typer.echo(f"  {role:9} {username:16} {password}")
    typer.echo("\nKhóa API theo vai trò / API keys per role (Authorization: Bearer <key>):")
    for role, key in keys:
        typer.echo(f"  {role:9} {key}")
    typer.echo(
        "\nThử / try:  curl -X POST -H 'Authorization: Bearer <operator key>'"
        f" {base}/api/v1/sim/scenarios/heavy_rain\nCtrl-C để dừng / to stop.\n"
    )
    runtime = SimulationRuntime(DemoOptions(pack=pack, seed=seed, backfill_ms=history_ms))
    uvicorn.run(
        create_app(settings, simulation=runtime),
        host=settings.host,
        port=settings.port,
        log_level="warning",
    )


async def prepare(
    settings: Settings, pack_name: str
) -> tuple[list[tuple[str, str]], list[tuple[str, str, str]]]:
    """The city pack, a fresh API key per role and a demo user per role (printed once: the demo
    database is new each time). The server loads the pack again at start — a no-op."""
    from cityioc.accounts.demo import create_demo_users
    from cityioc.accounts.policy import AccountPolicy
    from cityioc.hub.service import Hub
    from cityioc.packs import load_pack, validate_pack
    from cityioc.store.factory import make_store
    from cityioc.web.auth import KeyRing, Role

    clock = SystemClock()
    store = make_store(settings.database_url, clock)
    await store.open()
    try:
        await load_pack(Hub(store, clock), validate_pack(pack_name))
        ring = KeyRing(store, clock)
        keys = []
        for role in Role:
            _, secret = await ring.create(role.value, f"demo {role.value}", "demo")
            keys.append((role.value, secret))
        users = await create_demo_users(store, clock, AccountPolicy.from_settings(settings))
        return keys, users
    finally:
        await store.close()
