"""Pydantic validation of pack items with problems that point at the file and line."""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from cityioc.packs.problems import Problems
from cityioc.packs.sources import CsvRow, CsvTable, Marked

M = TypeVar("M", bound=BaseModel)


def yaml_items(marked: Marked | None, problems: Problems) -> list[tuple[int, dict[str, Any]]]:
    """The items of a YAML section file (a list of mappings), each with its index."""
    if marked is None or marked.data is None:
        return []
    if not isinstance(marked.data, list):
        problems.add(marked.file, marked.line(), "the file must hold a list of items")
        return []
    out = []
    for i, item in enumerate(marked.data):
        if isinstance(item, dict):
            out.append((i, item))
        else:
            problems.add(marked.file, marked.line((i,)), "each item must be a mapping")
    return out


def validate_yaml_item(
    model: type[M], marked: Marked, path: tuple[Hashable, ...], data: Any, problems: Problems
) -> M | None:
    """``data`` (found at ``path`` in ``marked``) as ``model``; None after reporting problems."""
    line = marked.line(path)
    if isinstance(data, dict) and "line" in model.model_fields:
        data = {**data, "line": line}
    try:
        return model.model_validate(data)
    except ValidationError as err:
        for error in err.errors():
            loc = tuple(error["loc"])
            problems.add(marked.file, marked.line(path + loc), f"{where(loc)}: {message(error)}")
        return None


def validate_row(
    model: type[M], table: CsvTable, row: CsvRow, problems: Problems, **extra: Any
) -> M | None:
    """A CSV record as ``model``: empty cells are missing values (the model's defaults apply)."""
    data: dict[str, Any] = {k: v for k, v in row.values.items() if v != ""}
    data.update(extra)
    if "line" in model.model_fields:
        data["line"] = row.line
    try:
        return model.model_validate(data)
    except ValidationError as err:
        for error in err.errors():
            loc = tuple(error["loc"])
            column = f"column {loc[0]}" if loc and isinstance(loc[0], str) else "row"
            problems.add(table.file, row.line, f"{column}: {message(error)}")
        return None


def check_columns(table: CsvTable, known: set[str], required: set[str], problems: Problems) -> bool:
    """Report unknown and missing columns; False when a required one is missing."""
    for column in table.header:
        if column not in known:
            problems.add(
                table.file,
                table.header_line,
                f"unknown column {column!r} (known: {', '.join(sorted(known))})",
            )
    missing = sorted(required - set(table.header))
    if missing:
        problems.add(table.file, table.header_line, f"missing column(s): {', '.join(missing)}")
    return not missing


def where(loc: tuple[Hashable, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "item"


def message(error: Any) -> str:
    text = str(error["msg"])
    return text.removeprefix("Value error, ").removeprefix("Assertion failed, ")
