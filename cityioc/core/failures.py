"""A background loop's failures, logged once until it recovers.

A loop that retries (compaction, retention, the SLA tick, storing an MQTT batch) would otherwise
write one traceback per round for as long as the database is down.
"""

from __future__ import annotations

import logging


class FailureNotice:
    def __init__(self, log: logging.Logger, what: str) -> None:
        self.log = log
        self.what = what
        self.failing = False

    def failed(self) -> None:
        """Call from the ``except`` block: the first failure in a row is logged with its trace."""
        if not self.failing:
            self.log.exception("%s failed; will retry", self.what)
        self.failing = True

    def succeeded(self) -> None:
        if self.failing:
            self.log.info("%s works again", self.what)
        self.failing = False
