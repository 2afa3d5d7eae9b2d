"""``cityioc import FILE``: CSV, XLSX or GeoJSON into entities and time series, all or nothing.

Exit codes: 0 imported (or dry run clean), 1 the file was rejected (a table of problems is
printed and nothing was written), 2 the command itself is wrong (mapping, options, format).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, SpinnerColumn, TaskID, TextColumn
from rich.progress import Progress as RichProgress
from rich.table import Table

from cityioc.core.errors import CityError
from cityioc.ingest.import_mapping import Mapping, MappingError, parse_mapping, simple_mapping
from cityioc.ingest.import_report import ImportReport

PHASES = {
    "reading": "Đọc tệp / reading",
    "checking": "Kiểm tra / checking",
    "writing": "Ghi vào CSDL / writing",
}
err_console = Console(stderr=True)


class BarProgress:
    """The import's progress as rich progress bars on stderr, one per phase."""

    def __init__(self, bars: RichProgress) -> None:
        self.bars = bars
        self.task: TaskID | None = None

    def phase(self, name: str, total: int | None) -> None:
        if self.task is not None:
            self.bars.update(self.task, completed=self.bars.tasks[-1].total or 0)
        self.task = self.bars.add_task(PHASES.get(name, name), total=total)

    def advance(self, steps: int = 1) -> None:
        if self.task is not None:
            self.bars.advance(self.task, steps)


def import_command(
    file: Annotated[Path, typer.Argument(help="a .csv, .xlsx or .geojson file", exists=True)],
    mapping: Annotated[
        Path | None, typer.Option("--mapping", "-m", help="YAML mapping file (see docs/import.md)")
    ] = None,
    entity_type: Annotated[str | None, typer.Option("--type", help="entity type")] = None,
    id_column: Annotated[str | None, typer.Option(help="column with the entity id or code")] = None,
    lon_column: Annotated[str | None, typer.Option(help="column with the longitude")] = None,
    lat_column: Annotated[str | None, typer.Option(help="column with the latitude")] = None,
    name_column: Annotated[str | None, typer.Option(help="column with the name")] = None,
    time_column: Annotated[
        str | None, typer.Option(help="column with the time: other columns become time series")
    ] = None,
    sheet: Annotated[str | None, typer.Option(help="XLSX sheet name or 1-based number")] = None,
    decimal: Annotated[str | None, typer.Option(help="decimal separator: '.' or ','")] = None,
    timezone: Annotated[
        str | None, typer.Option(help="zone of times written without one (UTC, +07:00…)")
    ] = None,
    fmt: Annotated[str | None, typer.Option("--format", help="csv, xlsx or geojson")] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="report what would change, write nothing")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="print the report as JSON")] = False,
    tenant: Annotated[str, typer.Option(help="NGSI-LD tenant")] = "default",
    database_url: Annotated[
        str | None,
        typer.Option(
            "--database-url", envvar="CITYIOC_DATABASE_URL", help="sqlite:///PATH or postgresql://…"
        ),
    ] = None,
) -> None:
    """Import a CSV, XLSX or GeoJSON file into entities and time series (all or nothing)."""
    try:
        chosen = _mapping(
            mapping,
            entity_type=entity_type,
            id_column=id_column,
            lon_column=lon_column,
            lat_column=lat_column,
            name_column=name_column,
            time_column=time_column,
            sheet=sheet,
            decimal=decimal,
            timezone=timezone,
            geometry=file.suffix.lower() in (".geojson", ".json") or fmt == "geojson",
        )
        report = asyncio.run(_run(file, chosen, fmt, dry_run, tenant, database_url, as_json))
    except MappingError as err:
        err_console.print("[red]Ánh xạ không hợp lệ / the mapping is not valid:[/red]")
        for problem in err.problems:
            err_console.print(f"  • {problem}", highlight=False)
        raise typer.Exit(2) from err
    except CityError as err:
        err_console.print(f"[red]Lỗi / error:[/red] {err.detail}", highlight=False)
        raise typer.Exit(2) from err
    if as_json:
        typer.echo(orjson.dumps(report.as_json(), option=orjson.OPT_INDENT_2).decode())
    else:
        print_report(report, Console())
    if not report.accepted:
        raise typer.Exit(1)


def _mapping(path: Path | None, **options: Any) -> Mapping:
    given = {k: v for k, v in options.items() if v is not None and k != "geometry"}
    if path is not None:
        if given:
            names = ", ".join("--" + k.replace("_", "-") for k in given)
            raise MappingError([f"give either --mapping or the simple options ({names}), not both"])
        return parse_mapping(path.read_bytes())
    if not options.get("entity_type") or not options.get("id_column"):
        raise MappingError(["without --mapping, give at least --type and --id-column"])
    return simple_mapping(**options)


async def _run(
    file: Path,
    mapping: Mapping,
    fmt: str | None,
    dry_run: bool,
    tenant: str,
    database_url: str | None,
    quiet: bool,
) -> ImportReport:
    from cityioc.core.clock import SystemClock
    from cityioc.core.settings import Settings
    from cityioc.hub.service import Hub
    from cityioc.ingest.import_service import ImportJob, import_file
    from cityioc.ingest.tabular import FORMATS
    from cityioc.store.factory import make_store

    if fmt is not None and fmt not in FORMATS:
        raise MappingError([f"--format must be one of {', '.join(FORMATS)}, not {fmt!r}"])
    settings = Settings(database_url=database_url) if database_url else Settings()
    clock = SystemClock()
    store = make_store(settings.database_url, clock)
    await store.open()
    try:
        with file.open("rb") as stream, _bars(quiet) as bars:
            job = ImportJob(stream, file.name, mapping, fmt)
            return await import_file(
                Hub(store, clock),
                tenant,
                job,
                actor=f"import:{file.name}",
                dry_run=dry_run,
                progress=BarProgress(bars),
            )
    finally:
        await store.close()


def _bars(quiet: bool) -> RichProgress:
    return RichProgress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=err_console,
        transient=True,
        disable=quiet or not err_console.is_terminal,
    )


def print_report(report: ImportReport, console: Console) -> None:
    state = {
        "imported": "[green]đã nhập / imported[/green]",
        "dry-run": "[cyan]chạy thử, không ghi gì / dry run, nothing written[/cyan]",
        "rejected": "[red]bị từ chối, không ghi gì / rejected, nothing written[/red]",
    }[report.status]
    console.print(f"{report.file} ({report.format}): {state}", highlight=False)
    console.print(f"  dòng / rows: {report.rows}", highlight=False)
    if report.problems:
        table = Table("Dòng / Row", "Cột / Column", "Giá trị / Value", "Lý do / Reason")
        for p in report.problems:
            where = p.row if p.row is not None else p.feature
            label = "" if where is None else (f"#{where}" if p.feature is not None else str(where))
            table.add_row(label, p.column or "", p.value or "", p.reason)
        console.print(table)
        console.print(f"  {len(report.problems)} lỗi / problem(s)", highlight=False)
        return
    console.print("  thực thể / entities:", highlight=False)
    dry = report.dry_run
    for label, ids in (
        ("sẽ tạo mới / to create" if dry else "tạo mới / created", report.created),
        ("sẽ cập nhật / to update" if dry else "cập nhật / updated", report.updated),
        ("không đổi / unchanged", report.unchanged),
    ):
        console.print(f"    {label}: {len(ids)}", highlight=False)
    total = report.total_readings().as_json()
    console.print(
        f"  số đo / readings: {total['count']}"
        + (f" ({total['from']} → {total['to']})" if total["count"] else ""),
        highlight=False,
    )
    if report.readings:
        table = Table("Thuộc tính / Attribute", "Số đo / Readings", "Từ / From", "Đến / To")
        for name, summary in sorted(report.readings.items()):
            s = summary.as_json()
            table.add_row(name, str(s["count"]), s["from"] or "", s["to"] or "")
        console.print(table)
