"""``cityioc ingest mqtt`` and ``cityioc dead-letters list|show|replay|purge``."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Annotated, TypeVar

import orjson
import typer

from cityioc.core.clock import SystemClock, iso_ms
from cityioc.core.errors import CityError
from cityioc.core.settings import Settings

if TYPE_CHECKING:
    from cityioc.store.port import Store

T = TypeVar("T")

ingest_app = typer.Typer(
    help="Ingest adapters that run without the HTTP server", no_args_is_help=True
)
dead_letters_app = typer.Typer(
    help="Dead letters: what could not be stored / Thư lỗi: dữ liệu không lưu được",
    no_args_is_help=True,
)

DatabaseOpt = Annotated[
    str | None,
    typer.Option(
        "--database-url", envvar="CITYIOC_DATABASE_URL", help="sqlite:///PATH or postgresql://…"
    ),
]
MqttOpt = Annotated[
    str | None,
    typer.Option("--mqtt-url", envvar="CITYIOC_MQTT_URL", help="mqtt://host:port of the broker"),
]


def _settings(database_url: str | None, mqtt_url: str | None = None) -> Settings:
    values: dict[str, object] = {}
    if database_url:
        values["database_url"] = database_url
    if mqtt_url:
        values["mqtt_url"] = mqtt_url
    return Settings(**values)  # type: ignore[arg-type]


def _with_store(database_url: str | None, work: Callable[[Store], Awaitable[T]]) -> T:
    from cityioc.store.factory import make_store

    async def run() -> T:
        store = make_store(_settings(database_url).database_url, SystemClock())
        await store.open()
        try:
            return await work(store)
        finally:
            await store.close()

    try:
        return asyncio.run(run())
    except CityError as err:
        typer.echo(f"error: {err.detail}", err=True)
        raise typer.Exit(2) from err


@ingest_app.command("mqtt")
def ingest_mqtt(
    workers: Annotated[int, typer.Option(min=1, max=64, help="consumer processes")] = 1,
    role: Annotated[str | None, typer.Option(hidden=True)] = None,
    mqtt_url: MqttOpt = None,
    database_url: DatabaseOpt = None,
) -> None:
    """Consume sensor messages from MQTT (no HTTP server); N processes share the subscription."""
    from cityioc.ingest.workers import run_worker, run_workers

    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    settings = _settings(database_url, mqtt_url)
    if not settings.mqtt_url:
        typer.echo(
            "error: no broker — set --mqtt-url or CITYIOC_MQTT_URL / chưa cấu hình MQTT broker",
            err=True,
        )
        raise typer.Exit(2)
    if role is not None:  # one child of `--workers N`
        asyncio.run(run_worker(settings, role))
        return
    raise typer.Exit(run_workers(settings, workers))


@dead_letters_app.command("list")
def dl_list(
    status: Annotated[str | None, typer.Option(help="new, replayed or purged")] = "new",
    reason: Annotated[str | None, typer.Option(help="e.g. malformed_json")] = None,
    tenant: Annotated[str | None, typer.Option(help="only this tenant")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 50,
    offset: Annotated[int, typer.Option(min=0)] = 0,
    database_url: DatabaseOpt = None,
) -> None:
    """List dead letters, newest first: id, time, tenant, source, reason, detail."""
    from cityioc.ingest.dead_letters import DeadLetterFilter, find

    wanted = DeadLetterFilter(tenant, status or None, reason, None, None, limit, offset)
    found, total = _with_store(database_url, lambda s: find(s, wanted))
    for d in found:
        where = d.source + (f":{d.position}" if d.position is not None else "")
        typer.echo(
            f"{d.id}\t{iso_ms(d.received_at)}\t{d.tenant}\t{d.source_kind}\t{where}\t{d.status}"
            f"\t{d.reason}\t{d.detail[:120]}"
        )
    typer.echo(f"{len(found)} of {total} shown / hiển thị {len(found)} trên {total}", err=True)


@dead_letters_app.command("show")
def dl_show(letter_id: int, database_url: DatabaseOpt = None) -> None:
    """Print one dead letter as JSON, with its raw payload."""
    from cityioc.ingest.dead_letters import show
    from cityioc.web.dead_letters_api import render

    letter = _with_store(database_url, lambda s: show(s, letter_id))
    typer.echo(orjson.dumps(render(letter, payload=True), option=orjson.OPT_INDENT_2).decode())


@dead_letters_app.command("replay")
def dl_replay(
    letter_id: int,
    payload_file: Annotated[
        typer.FileBinaryRead | None,
        typer.Option("--payload", help="file with the corrected payload ('-' for stdin)"),
    ] = None,
    force: Annotated[bool, typer.Option(help="replay even if already replayed")] = False,
    database_url: DatabaseOpt = None,
) -> None:
    """Send a dead letter (or its corrected payload) through its ingest path again."""
    from cityioc.hub.service import Hub
    from cityioc.ingest.dead_letters import default_replayers, replay

    corrected = payload_file.read() if payload_file is not None else None
    settings = _settings(database_url)
    clock = SystemClock()

    async def work(store: Store) -> tuple[bool, int, list[str]]:
        outcome = await replay(
            store,
            Hub(store, clock),
            letter_id,
            default_replayers(settings),
            clock,
            actor="cli",
            payload=corrected,
            force=force,
        )
        return outcome.replayed, outcome.stored, outcome.problems

    replayed, stored, problems = _with_store(database_url, work)
    if not replayed:
        for problem in problems:
            typer.echo(f"  {problem}", err=True)
        typer.echo(f"not replayed / chưa phát lại ({stored} readings stored)", err=True)
        raise typer.Exit(1)
    typer.echo(f"replayed {letter_id}: {stored} readings stored / đã phát lại")


@dead_letters_app.command("purge")
def dl_purge(
    ids: Annotated[list[int] | None, typer.Argument(help="dead letter ids")] = None,
    all_replayed: Annotated[
        bool, typer.Option("--replayed", help="purge every replayed dead letter")
    ] = False,
    database_url: DatabaseOpt = None,
) -> None:
    """Purge dead letters (their payloads are dropped; the record stays)."""
    from cityioc.ingest.dead_letters import DeadLetterFilter, find, purge

    clock = SystemClock()

    async def work(store: Store) -> int:
        purged = await purge(store, list(ids or []), clock)
        while all_replayed:
            page, _ = await find(store, DeadLetterFilter(status="replayed", limit=1000))
            if not page:
                break
            purged += await purge(store, [d.id for d in page], clock)
        return purged

    if not ids and not all_replayed:
        typer.echo("error: give ids or --replayed", err=True)
        raise typer.Exit(2)
    typer.echo(f"purged {_with_store(database_url, work)} / đã xoá")
