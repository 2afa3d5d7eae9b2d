"""Reading pack files so that every value keeps the line it came from.

YAML (and GeoJSON, read by the same parser) is composed into PyYAML nodes, whose marks give each
value's line; ``Marked.line(path)`` answers for a path such as ``(3, "areas", 0)``. CSV rows keep
the line their record starts on; ``#`` lines between records are comments.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Hashable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from cityioc.packs.problems import Problems

PathKey = tuple[Hashable, ...]
_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: ~10× faster


@dataclass(slots=True)
class Marked:
    """Parsed data with the line of every mapping key's value and every list item."""

    file: str
    data: Any
    lines: dict[PathKey, int] = field(default_factory=dict)

    def line(self, path: tuple[Hashable, ...] = ()) -> int:
        """The line of ``path``, or of its closest ancestor that has one."""
        for end in range(len(path), -1, -1):
            found = self.lines.get(tuple(path[:end]))
            if found is not None:
                return found
        return 1


def read_yaml(root: Path, name: str, problems: Problems) -> Marked | None:
    """The YAML file ``name`` under ``root``; None (with a problem) when it cannot be parsed."""
    return _read_marked(root, name, problems, json_numbers=False)


def read_json(root: Path, name: str, problems: Problems) -> Marked | None:
    """A JSON file (GeoJSON): YAML's parser gives the lines, JSON's rules give the numbers."""
    return _read_marked(root, name, problems, json_numbers=True)


def _read_marked(root: Path, name: str, problems: Problems, *, json_numbers: bool) -> Marked | None:
    text = _read_text(root / name, name, problems)
    if text is None:
        return None
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line = mark.line + 1 if mark is not None else 0
        problems.add(name, line, f"not valid {'JSON' if json_numbers else 'YAML'}: {err.problem}")
        return None
    except yaml.YAMLError as err:
        problems.add(name, 0, f"not valid YAML: {err}")
        return None
    marked = Marked(name, None)
    if node is not None:
        builder = _Builder(marked, problems, json_numbers=json_numbers)
        marked.data = builder.build(node, ())
    return marked


class _Builder:
    def __init__(self, marked: Marked, problems: Problems, *, json_numbers: bool) -> None:
        self.marked = marked
        self.problems = problems
        self.json_numbers = json_numbers
        self.constructor = SafeConstructor()

    def build(self, node: Node, path: PathKey) -> Any:
        self.marked.lines[path] = node.start_mark.line + 1
        if isinstance(node, MappingNode):
            out: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                key = self.build(key_node, (*path, "<key>"))
                line = key_node.start_mark.line + 1
                if not isinstance(key, Hashable) or isinstance(key, list | dict):
                    self.problems.add(self.marked.file, line, "a mapping key must be a plain value")
                    continue
                if key in out:
                    self.problems.add(self.marked.file, line, f"duplicate key {key!r}")
                out[key] = self.build(value_node, (*path, key))
            self.marked.lines.pop((*path, "<key>"), None)
            return out
        if isinstance(node, SequenceNode):
            return [self.build(child, (*path, i)) for i, child in enumerate(node.value)]
        assert isinstance(node, ScalarNode)
        return self._scalar(node)

    def _scalar(self, node: ScalarNode) -> Any:
        if self.json_numbers:
            if node.style:  # quoted: a string
                return node.value
            try:
                return json.loads(node.value)
            except ValueError:
                return node.value
        try:
            return self.constructor.construct_object(node, deep=True)
        except ConstructorError as err:
            self.problems.add(self.marked.file, node.start_mark.line + 1, str(err.problem))
            return None


@dataclass(frozen=True, slots=True)
class CsvRow:
    line: int  # where the record starts
    values: dict[str, str]  # header → cell, stripped; empty cells are ""


@dataclass(slots=True)
class CsvTable:
    file: str
    header: list[str]
    header_line: int
    rows: list[CsvRow]


def read_csv(root: Path, name: str, problems: Problems) -> CsvTable | None:
    """A CSV file with a header row; None (with a problem) when it has no usable header."""
    text = _read_text(root / name, name, problems)
    if text is None:
        return None
    lines = _Lines(text.splitlines(keepends=True))
    reader = csv.reader(lines, strict=True)
    records: list[tuple[int, list[str]]] = []
    try:
        for fields in reader:
            start = lines.row_started()
            if fields and any(f.strip() for f in fields):
                records.append((start, fields))
    except csv.Error as err:
        problems.add(name, lines.number, f"not valid CSV: {err}")
        return None
    if not records:
        problems.add(name, 0, "the file has no header row")
        return None
    header_line, raw_header = records[0]
    header = [h.strip() for h in raw_header]
    seen: set[str] = set()
    for column in header:
        if not column:
            problems.add(name, header_line, "a column has no name")
        elif column in seen:
            problems.add(name, header_line, f"column {column!r} appears twice")
        seen.add(column)
    rows = []
    for line, fields in records[1:]:
        if len(fields) != len(header):
            problems.add(name, line, f"expected {len(header)} fields, found {len(fields)}")
            continue
        rows.append(CsvRow(line, {h: f.strip() for h, f in zip(header, fields, strict=True)}))
    return CsvTable(name, header, header_line, rows)


class _Lines(Iterator[str]):
    """Feeds csv.reader physical lines, skipping comment lines between records."""

    def __init__(self, lines: list[str]) -> None:
        self._lines = lines
        self.number = 0  # of the last line handed out
        self._start = 0
        self._fresh = True

    def __next__(self) -> str:
        while self.number < len(self._lines):
            line = self._lines[self.number]
            self.number += 1
            if self._fresh and line.lstrip().startswith("#"):
                continue  # a comment, only where a record could start (not inside quotes)
            if self._fresh:
                self._start, self._fresh = self.number, False
            return line
        raise StopIteration

    def row_started(self) -> int:
        """The line the record just read started on; the next line starts a new record."""
        self._fresh = True
        return self._start


def _read_text(path: Path, name: str, problems: Problems) -> str | None:
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as err:
        problems.add(name, 0, f"not UTF-8 text ({err.reason} at byte {err.start})")
    except OSError as err:
        problems.add(name, 0, f"cannot be read ({err.strerror})")
    return None
