"""The bus the settings ask for."""

from __future__ import annotations

from cityioc.bus.memory import MemoryBus
from cityioc.bus.nats_bus import NatsBus
from cityioc.bus.port import Bus
from cityioc.core.settings import Settings


def make_bus(settings: Settings) -> Bus:
    if settings.nats_url:
        return NatsBus(settings.nats_url, prefix=settings.nats_subject_prefix)
    return MemoryBus()
