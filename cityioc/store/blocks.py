"""Cutting a series' samples into compressed blocks: shared by the SQLite and PostgreSQL
compactors (each stores them in its own ``sample_blocks`` table)."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np

from cityioc.store.codec import encode_block

BLOCK_SIZE = 1024  # samples per full block
Block = tuple[int, int, int, int, bytes]  # sid, t0, t1, n, data


def blocks_of(sid: int, times: np.ndarray, values: np.ndarray | list[Any]) -> list[Block]:
    """The samples (sorted by time) as full blocks and a last, partial one."""
    out = []
    for lo in range(0, len(times), BLOCK_SIZE):
        t = times[lo : lo + BLOCK_SIZE]
        out.append(
            (sid, int(t[0]), int(t[-1]), len(t), encode_block(t, values[lo : lo + BLOCK_SIZE]))
        )
    return out


def as_list(values: np.ndarray | list[Any]) -> list[Any]:
    return values.tolist() if isinstance(values, np.ndarray) else values


def concat_values(a: np.ndarray | list[Any], b: np.ndarray | list[Any]) -> np.ndarray | list[Any]:
    """Float arrays stay arrays (the codec's fast path); anything else becomes a list."""
    if isinstance(a, np.ndarray) and isinstance(b, np.ndarray):
        return np.concatenate([a, b])
    return as_list(a) + as_list(b)


def series_runs(sids: np.ndarray) -> list[tuple[int, int, int]]:
    """(sid, start, end) of each series' run in rows sorted by series."""
    bounds = [0, *(np.flatnonzero(sids[1:] != sids[:-1]) + 1).tolist(), len(sids)]
    return [(int(sids[a]), a, b) for a, b in itertools.pairwise(bounds)]
