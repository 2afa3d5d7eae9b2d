"""A small in-memory limiter of sign-in attempts per client address (a sliding minute).

In memory, per process: with N server processes an address gets N times the allowance, which
still bounds guessing; the per-account lock-out (in the database) is shared by all processes.
"""

from __future__ import annotations

from collections import deque
from typing import Final

from cityioc.core.clock import Clock

WINDOW_MS: Final = 60_000
MAX_ADDRESSES: Final = 50_000  # beyond this, forget addresses with no recent attempt


class AttemptLimiter:
    def __init__(self, clock: Clock, per_minute: int) -> None:
        self.clock = clock
        self.per_minute = per_minute
        self._seen: dict[str, deque[int]] = {}

    def allow(self, address: str) -> int:
        """Count an attempt from ``address``: 0 when allowed, else seconds until it would be."""
        now = self.clock.now_ms()
        times = self._seen.get(address)
        if times is None:
            if len(self._seen) >= MAX_ADDRESSES:
                self._prune(now)
            times = self._seen[address] = deque()
        while times and times[0] <= now - WINDOW_MS:
            times.popleft()
        if len(times) >= self.per_minute:
            return max(1, -(-(times[0] + WINDOW_MS - now) // 1000))
        times.append(now)
        return 0

    def _prune(self, now: int) -> None:
        for address in [a for a, t in self._seen.items() if not t or t[-1] <= now - WINDOW_MS]:
            del self._seen[address]
        if len(self._seen) >= MAX_ADDRESSES:  # a flood of distinct addresses: start over
            self._seen.clear()
