"""Versioned SQL migrations, one folder per backend: ``NNNN_name.sql`` applied in order, once.

A dozen lines of runner instead of a migration framework: the schema is plain SQL per backend,
there are no models to autogenerate from, and both backends must stay readable side by side.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str


def migrations_for(backend: str) -> list[Migration]:
    folder = resources.files(__package__).joinpath(backend)
    found = []
    for entry in folder.iterdir():
        if entry.name.endswith(".sql"):
            number, _, rest = entry.name.partition("_")
            found.append(
                Migration(int(number), rest.removesuffix(".sql"), entry.read_text("utf-8"))
            )
    return sorted(found, key=lambda m: m.version)
