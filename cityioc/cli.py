"""The one command-line interface: ``cityioc serve | demo | migrate | keys | export | bench``."""

from __future__ import annotations

import asyncio
import logging
import sys
from pathlib import Path
from typing import Annotated

import orjson
import typer

from cityioc.accounts.cli import users_app
from cityioc.core.clock import SystemClock
from cityioc.core.settings import Settings
from cityioc.demo import demo
from cityioc.ingest.cli import dead_letters_app, ingest_app
from cityioc.ingest.import_cli import import_command
from cityioc.packs.cli import pack_app
from cityioc.sim.cli import simulate

app = typer.Typer(
    help="cityioc — Intelligent Operations Centre for smart cities", no_args_is_help=True
)
keys_app = typer.Typer(help="API keys: create, list, revoke", no_args_is_help=True)
app.add_typer(keys_app, name="keys")
app.add_typer(ingest_app, name="ingest")
app.add_typer(dead_letters_app, name="dead-letters")
app.add_typer(pack_app, name="pack")
app.add_typer(users_app, name="users")
app.command("import")(import_command)
app.command("simulate")(simulate)
app.command("demo")(demo)

DatabaseOpt = Annotated[
    str | None,
    typer.Option(
        "--database-url", envvar="CITYIOC_DATABASE_URL", help="sqlite:///PATH or postgresql://…"
    ),
]


def _settings(database_url: str | None = None, **overrides: object) -> Settings:
    values = {k: v for k, v in overrides.items() if v is not None}
    if database_url:
        values["database_url"] = database_url
    return Settings(**values)  # type: ignore[arg-type]


def configure_logging() -> None:
    logging.getLogger("httpx").setLevel(logging.WARNING)  # not a line per notification sent
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )


@app.command()
def serve(
    port: Annotated[int | None, typer.Option(help="TCP port", envvar="CITYIOC_PORT")] = None,
    host: Annotated[
        str | None, typer.Option(help="address to listen on", envvar="CITYIOC_HOST")
    ] = None,
    database_url: DatabaseOpt = None,
    mqtt_url: Annotated[
        str | None,
        typer.Option(help="mqtt://host:port: also consume MQTT", envvar="CITYIOC_MQTT_URL"),
    ] = None,
) -> None:
    """Run the HTTP server (and the MQTT consumer when a broker is set)."""
    import uvicorn

    from cityioc.web.app import create_app

    configure_logging()
    settings = _settings(database_url, port=port, host=host, mqtt_url=mqtt_url)
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_level="warning",
        access_log=False,
    )


@app.command()
def migrate(database_url: DatabaseOpt = None) -> None:
    """Apply pending schema migrations."""

    async def run() -> list[int]:
        from cityioc.store.factory import make_store

        store = make_store(_settings(database_url).database_url, SystemClock())
        await store.open()  # opening applies migrations
        await store.close()
        return []

    asyncio.run(run())
    typer.echo("database is up to date")


@keys_app.command("create")
def keys_create(
    role: Annotated[str, typer.Option(help="admin, operator, agency, viewer or ingest")],
    name: Annotated[str, typer.Option(help="who or what the key is for")] = "",
    agency: Annotated[
        str | None, typer.Option(help="role agency: the Organization entity id it acts for")
    ] = None,
    database_url: DatabaseOpt = None,
) -> None:
    """Create an API key; the key is printed once and stored only as a hash."""
    from cityioc.core.errors import CityError

    async def run() -> tuple[str, str]:
        from cityioc.store.factory import make_store
        from cityioc.web.auth import KeyRing

        store = make_store(_settings(database_url).database_url, SystemClock())
        await store.open()
        try:
            record, secret = await KeyRing(store, SystemClock()).create(
                role, name or role, "cli", agency=agency
            )
            return record.key_id, secret
        finally:
            await store.close()

    try:
        key_id, secret = asyncio.run(run())
    except CityError as err:
        typer.echo(f"error: {err.detail}", err=True)
        raise typer.Exit(2) from err
    typer.echo(f"key id: {key_id}\nkey:    {secret}")


@keys_app.command("list")
def keys_list(database_url: DatabaseOpt = None) -> None:
    """List API keys (never the keys themselves)."""

    async def run() -> list[tuple[str, str, str, str]]:
        from cityioc.store.factory import make_store

        store = make_store(_settings(database_url).database_url, SystemClock())
        await store.open()
        try:
            return [
                (r.key_id, r.role, r.name, "revoked" if r.revoked_at else "active")
                for r in await store.list_api_keys()
            ]
        finally:
            await store.close()

    for row in asyncio.run(run()):
        typer.echo("\t".join(row))


@keys_app.command("revoke")
def keys_revoke(key_id: str, database_url: DatabaseOpt = None) -> None:
    """Revoke an API key by its id."""

    async def run() -> bool:
        from cityioc.store.factory import make_store

        store = make_store(_settings(database_url).database_url, SystemClock())
        await store.open()
        try:
            from cityioc.web.auth import KeyRing

            return await KeyRing(store, SystemClock()).revoke(key_id, "cli")
        finally:
            await store.close()

    if not asyncio.run(run()):
        typer.echo(f"no active key {key_id}", err=True)
        raise typer.Exit(1)
    typer.echo(f"revoked {key_id}")


@app.command()
def export(
    type: Annotated[list[str], typer.Option("--type", help="entity type(s) to export")],
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="file (default: stdout)")
    ] = None,
    tenant: Annotated[str, typer.Option(help="NGSI-LD tenant")] = "default",
    database_url: DatabaseOpt = None,
) -> None:
    """Export entities as NDJSON in NGSI-LD normalized form (core @context)."""
    from cityioc.hub.context import core_context
    from cityioc.hub.render import View, render
    from cityioc.store.factory import make_store
    from cityioc.store.port import EntityQuery

    async def run() -> int:
        store = make_store(_settings(database_url).database_url, SystemClock())
        await store.open()
        core = core_context()
        sink = output.open("wb") if output else sys.stdout.buffer
        written = 0
        try:
            offset = 0
            types = tuple(core.expand_type(t) for t in type)
            while True:
                page, _ = await store.query_entities(
                    tenant, EntityQuery(types=types, limit=1000, offset=offset)
                )
                for entity in page:
                    sink.write(
                        orjson.dumps(core.compact_entity_keys(render(entity, View()))) + b"\n"
                    )
                written += len(page)
                if len(page) < 1000:
                    return written
                offset += 1000
        finally:
            if output:
                sink.close()
            await store.close()

    count = asyncio.run(run())
    typer.echo(f"exported {count} entities", err=True)


@app.command()
def bench(
    write: Annotated[
        Path | None, typer.Option(help="update this Markdown file with the figures")
    ] = None,
    only: Annotated[
        str | None, typer.Option(help="run only benchmarks whose name contains this")
    ] = None,
    quick: Annotated[bool, typer.Option(help="small sizes, for a smoke test")] = False,
) -> None:
    """Run the benchmarks and print (and optionally record) the figures."""
    from cityioc.bench.runner import run_benchmarks

    run_benchmarks(write, only=only, quick=quick)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
