"""Counter-based randomness: every random number is a hash of (seed, key, counter, stream).

A shared sequential generator would make a reading depend on everything generated before it, so
the same hour would come out differently in a live run, a backfill or a test with another batch
size. Hashing instead makes each value a pure function of who (the sensor's key), when (the tick
or a knot of a slower process) and what (the stream). SplitMix64's finaliser mixes the bits; numpy
does the uint64 arithmetic on whole arrays, wrapping on overflow as the algorithm wants.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache

import numpy as np

MASK64 = (1 << 64) - 1
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_S30, _S27, _S31, _S11 = np.uint64(30), np.uint64(27), np.uint64(31), np.uint64(11)
_TO_UNIT = 2.0**-53


def key_of(text: str) -> int:
    """A stable 64-bit key for a text (a sensor id, a stream name, an area)."""
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little")


def keys_of(texts: list[str]) -> np.ndarray:
    return np.array([key_of(t) for t in texts], dtype=np.uint64)


def _mix(x: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        x = (x ^ (x >> _S30)) * _M1
        x = (x ^ (x >> _S27)) * _M2
        return np.asarray(x ^ (x >> _S31))


@lru_cache(maxsize=1024)
def _salt(seed: int, stream: str) -> np.uint64:
    return np.uint64(_mix(np.array([(seed * 0x9E3779B1 + key_of(stream)) & MASK64], np.uint64))[0])


def hashed(seed: int, stream: str, keys: np.ndarray, counter: np.ndarray) -> np.ndarray:
    """uint64 hashes of (seed, stream, key, counter), broadcast over ``keys`` and ``counter``."""
    salt = _salt(seed, stream)
    counters = np.asarray(counter, dtype=np.int64).view(np.uint64)
    with np.errstate(over="ignore"):
        first = _mix(np.asarray(keys, dtype=np.uint64) ^ salt)
        return _mix(first + counters * _GOLDEN)


def uniform(seed: int, stream: str, keys: np.ndarray, counter: np.ndarray) -> np.ndarray:
    """Floats in [0, 1)."""
    return (hashed(seed, stream, keys, counter) >> _S11).astype(np.float64) * _TO_UNIT


def normal(seed: int, stream: str, keys: np.ndarray, counter: np.ndarray) -> np.ndarray:
    """Standard normal deviates (Box–Muller on two independent streams)."""
    u1 = 1.0 - uniform(seed, stream + "/1", keys, counter)  # (0, 1]: log is finite
    u2 = uniform(seed, stream + "/2", keys, counter)
    return np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2)


def smooth(
    seed: int, stream: str, keys: np.ndarray, t_ms: np.ndarray, period_ms: int
) -> np.ndarray:
    """Value noise in [-1, 1] that wanders over ``period_ms``: random knots, smoothly joined.

    Sensors drift rather than jump; the value at a time depends only on the two knots around it.
    """
    t = np.asarray(t_ms, dtype=np.int64)
    knot = t // period_ms
    frac = (t - knot * period_ms).astype(np.float64) / period_ms
    a = 2.0 * uniform(seed, stream, keys, knot) - 1.0
    b = 2.0 * uniform(seed, stream, keys, knot + 1) - 1.0
    s = frac * frac * (3.0 - 2.0 * frac)
    return a + (b - a) * s
