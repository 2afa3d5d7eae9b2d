"""Pick the storage adapter from a database URL."""

from __future__ import annotations

from cityioc.core.clock import Clock
from cityioc.core.errors import InvalidRequest
from cityioc.store.port import Store


def make_store(url: str, clock: Clock) -> Store:
    if url.startswith("sqlite:"):
        from cityioc.store.sqlite.store import SqliteStore

        path = (
            url.removeprefix("sqlite:///")
            if url.startswith("sqlite:///")
            else url.removeprefix("sqlite:")
        )
        return SqliteStore(path or "cityioc.db", clock=clock)
    if url.startswith(("postgresql://", "postgres://")):
        from cityioc.store.postgres.store import PostgresStore

        return PostgresStore(url, clock=clock)
    if url == "null://":  # a benchmark reference that stores nothing: never a storage option
        from cityioc.bench.nullstore import NullStore

        return NullStore(clock)
    raise InvalidRequest(f"unsupported database URL {url!r}: use sqlite:///PATH or postgresql://…")
