"""The file import use case: read → convert → check → one transaction (or a dry run).

All-or-nothing per file: every problem of the file is collected first; with any, nothing is
written. Otherwise the file's entities and readings are written by one ``Hub.apply`` call, one
``Store.mutate``, one transaction: a failure inside it leaves the database as it was.
"""

from __future__ import annotations

import asyncio
import io
from dataclasses import dataclass
from typing import IO, Any, Protocol

import orjson

from cityioc.core.errors import BadRequestData
from cityioc.hub.service import Hub
from cityioc.ingest.import_decide import ImportRejected, Outcome, decide_import
from cityioc.ingest.import_mapping import Mapping
from cityioc.ingest.import_problems import Problem
from cityioc.ingest.import_report import ImportReport
from cityioc.ingest.import_rows import ParsedRows, RowConverter
from cityioc.ingest.tabular import (
    FORMATS,
    Feature,
    Format,
    TabularError,
    detect_format,
    geojson_columns,
    read_csv,
    read_geojson,
    read_xlsx,
)
from cityioc.store.port import AuditRecord


class Progress(Protocol):
    """Where an import reports how far it is (a rich progress bar in the CLI)."""

    def phase(self, name: str, total: int | None) -> None: ...
    def advance(self, steps: int = 1) -> None: ...


class NoProgress:
    def phase(self, name: str, total: int | None) -> None:
        pass

    def advance(self, steps: int = 1) -> None:
        pass


@dataclass(slots=True)
class ImportJob:
    """One file to import: its bytes (or a seekable binary stream), name and how to read it."""

    source: IO[bytes] | bytes
    file: str
    mapping: Mapping
    format: Format | None = None
    media_type: str | None = None


def resolve_format(job: ImportJob) -> Format:
    found = job.format or job.mapping.source.format or detect_format(job.file, job.media_type)
    if found is None:
        raise BadRequestData(
            f"cannot tell the format of {job.file!r}: name it .csv, .xlsx or .geojson, or give"
            f" the format ({', '.join(FORMATS)})"
        )
    return found


def parse_file(job: ImportJob, fmt: Format, progress: Progress) -> ParsedRows:
    """Read and convert every row (or feature), collecting the problems of the whole file."""
    stream = io.BytesIO(job.source) if isinstance(job.source, bytes) else job.source
    try:
        if fmt == "geojson":
            return _parse_features(read_geojson(stream.read()), job, progress)
        reader = read_csv if fmt == "csv" else read_xlsx
        with reader(stream, job.mapping.source.table_options()) as table:
            converter = RowConverter(job.mapping.with_other_columns(table.columns), job.file)
            if converter.check_columns(table.columns):
                progress.phase("reading", table.total)
                for number, values in table.rows:
                    converter.add(number, values)
                    progress.advance()
            return converter.parsed
    except TabularError as err:
        return ParsedRows(problems=[Problem(job.file, err.detail, "unreadable_file")])


def _parse_features(items: list[Feature], job: ImportJob, progress: Progress) -> ParsedRows:
    columns = geojson_columns(items)
    converter = RowConverter(job.mapping.with_other_columns(columns), job.file, features=True)
    if items and not converter.check_columns(columns):
        return converter.parsed
    progress.phase("reading", len(items))
    for index, props, geometry in items:
        if props is None:
            converter.add_invalid_feature(index)
        else:
            converter.add(index, props, geometry)
        progress.advance()
    return converter.parsed


async def import_file(
    hub: Hub,
    tenant: str,
    job: ImportJob,
    *,
    actor: str,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    """Import one file, or (``dry_run``) report what importing it would change.

    Raises ``BadRequestData`` for a request that cannot be tried (unknown format); problems of the
    file itself are in the report, whose ``accepted`` is then False and nothing is written but
    the dead letters of a real run's bad rows.
    """
    progress = progress or NoProgress()
    fmt = resolve_format(job)
    # Parsing is CPU work on a possibly large file: keep it off the event loop.
    parsed = await asyncio.to_thread(parse_file, job, fmt, progress)
    report = ImportReport(job.file, fmt, dry_run, parsed.rows, empty_cells=parsed.empty_cells)
    report.count_readings(parsed.readings)
    if parsed.problems:
        return await _rejected(hub, tenant, actor, report, parsed.problems, parsed)
    now = hub.clock.now_ms()
    outcome = Outcome()
    decide = decide_import(
        parsed,
        job.file,
        now,
        actor,
        outcome,
        create_missing=job.mapping.entity.create_missing,
        features=fmt == "geojson",
    )
    ids = list(dict.fromkeys([*parsed.entities, *(r.entity_id for r in parsed.readings)]))
    progress.phase("checking" if dry_run else "writing", 1)
    try:
        if dry_run:
            decide(await hub.store.get_entities(tenant, ids))
        else:
            detail = {"rows": parsed.rows, "entities": len(parsed.entities)}
            detail["readings"] = len(parsed.readings)
            audit = [AuditRecord(now, actor, tenant, "import", f"file:{job.file}", detail)]
            await hub.apply(tenant, ids, decide, actor, audit)
    except ImportRejected as err:
        return await _rejected(hub, tenant, actor, report, err.problems, parsed)
    progress.advance()
    report.created, report.updated, report.unchanged = (
        outcome.created,
        outcome.updated,
        outcome.unchanged,
    )
    return report


async def _rejected(
    hub: Hub,
    tenant: str,
    actor: str,
    report: ImportReport,
    problems: list[Problem],
    parsed: ParsedRows,
) -> ImportReport:
    report.problems = problems
    if not report.dry_run:
        await keep_rejected_rows(hub, tenant, actor, report.file, problems, parsed.bad_rows)
    return report


async def keep_rejected_rows(
    hub: Hub,
    tenant: str,
    actor: str,
    file: str,
    problems: list[Problem],
    cells: dict[int, dict[str, Any]],
) -> None:
    """One dead letter per bad row (its cells as JSON) and one for the file's own problems."""
    from cityioc.ingest.dead_letters import DeadLetter, record_many

    by_row: dict[tuple[str, int | None], list[Problem]] = {}
    for p in problems:
        key = ("feature", p.feature) if p.feature is not None else ("row", p.row)
        by_row.setdefault(key, []).append(p)
    now = hub.clock.now_ms()
    letters = []
    for (kind, number), found in by_row.items():
        detail = "; ".join(f"{p.column}: {p.reason}" if p.column else p.reason for p in found)
        payload = b""
        if number is not None:
            payload = orjson.dumps({kind: number, "cells": cells.get(number, {})}, default=str)
        letters.append(
            DeadLetter(
                tenant=tenant,
                received_at=now,
                source_kind="file",
                source=file,
                reason=found[0].code,
                detail=detail if number is None else f"{kind} {number}: {detail}",
                payload=payload,
                # Rows are 1-based already; a feature's 0-based index is made 1-based.
                position=None if number is None else number + (kind == "feature"),
                client_id=actor,
            )
        )
    await record_many(hub.store, letters)
