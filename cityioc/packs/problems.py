"""Pack problems: every one names the file and line, and a PackError lists them all at once."""

from __future__ import annotations

from dataclasses import dataclass, field

from cityioc.core.errors import BadRequestData


@dataclass(frozen=True, slots=True, order=True)
class Problem:
    file: str  # relative to the pack's folder, e.g. "sensors.csv"
    line: int  # 1-based; 0 when the problem concerns the file as a whole
    message: str

    def __str__(self) -> str:
        return (
            f"{self.file}:{self.line}: {self.message}"
            if self.line
            else (f"{self.file}: {self.message}")
        )


class PackError(BadRequestData):
    """A pack that cannot be used; ``problems`` holds each precise reason."""

    code = "InvalidPack"
    title = "Invalid city pack"

    def __init__(self, problems: list[Problem], *, pack: str = "") -> None:
        self.problems = sorted(problems)
        where = f" {pack}" if pack else ""
        lines = "\n".join(f"  {p}" for p in self.problems)
        super().__init__(f"the pack{where} has {len(self.problems)} problem(s):\n{lines}")


@dataclass(slots=True)
class Problems:
    """A collector: validation goes on after a problem so that one run reports them all."""

    items: list[Problem] = field(default_factory=list)

    def add(self, file: str, line: int, message: str) -> None:
        self.items.append(Problem(file, line, message))

    def __bool__(self) -> bool:
        return bool(self.items)

    def __len__(self) -> int:
        return len(self.items)
