"""Problems of an import: each names the file, the row (or feature), the column and the reason.

Shared by the file import and the indicators upload, so a person reads the same kind of report
whatever they uploaded. ``code`` is stable for clients to match on; ``reason`` is for people.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

from cityioc.core.text import fold


@dataclass(frozen=True, slots=True)
class Problem:
    """One reason a file cannot be imported. ``row`` is a CSV line or a spreadsheet row;
    ``feature`` a GeoJSON feature index; neither for a problem of the whole file."""

    file: str
    reason: str
    code: str = "invalid_value"  # stable: unknown_column, bad_date, missing_id, …
    row: int | None = None
    feature: int | None = None
    column: str | None = None
    value: str | None = None

    @classmethod
    def at(
        cls,
        file: str,
        number: int,
        reason: str,
        *,
        features: bool,
        code: str,
        column: str | None = None,
        value: str | None = None,
    ) -> Problem:
        """A problem of row ``number`` (or of feature ``number`` when ``features``)."""
        if features:
            return cls(file, reason, code, feature=number, column=column, value=value)
        return cls(file, reason, code, row=number, column=column, value=value)

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"file": self.file}
        if self.row is not None:
            out["row"] = self.row
        if self.feature is not None:
            out["feature"] = self.feature
        if self.column is not None:
            out["column"] = self.column
        if self.value is not None:
            out["value"] = self.value
        out["code"] = self.code
        out["reason"] = self.reason
        return out


class RowProblem(Exception):
    """Raised (or collected) while converting one row; ``Problem.at`` places it in the file."""

    def __init__(self, code: str, column: str | None, reason: str, value: Any = None) -> None:
        super().__init__(reason)
        self.code, self.column, self.reason, self.value = code, column, reason, value


def unknown_column(column: str, key: str, columns: list[str]) -> str:
    """The reason for a mapped column the file lacks, with the likely one it meant."""
    folded = {fold(c): c for c in columns if c}
    guess = folded.get(fold(column)) or next(
        iter(difflib.get_close_matches(column, [c for c in columns if c], n=1)), None
    )
    hint = (
        f"; did you mean {guess!r}?"
        if guess
        else f"; columns: {', '.join(c for c in columns if c)}"
    )
    return f"unknown column {column!r} (mapping {key}){hint}"
