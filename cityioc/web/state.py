"""Everything a request handler needs, built once at start-up and hung on ``app.state.city``."""

from __future__ import annotations

from dataclasses import dataclass, field

from fastapi import Request

from cityioc.accounts.service import Accounts
from cityioc.core.clock import Clock
from cityioc.core.settings import Settings
from cityioc.hub.context import ContextResolver
from cityioc.hub.service import Hub
from cityioc.hub.visibility import Visibility
from cityioc.store.port import Store
from cityioc.subscriptions.service import Subscriptions
from cityioc.web.auth import KeyRing
from cityioc.web.live import ChangeFeed
from cityioc.web.metrics import Metrics


@dataclass(slots=True)
class City:
    settings: Settings
    clock: Clock
    store: Store
    hub: Hub
    keys: KeyRing
    contexts: ContextResolver
    feed: ChangeFeed
    metrics: Metrics
    subscriptions: Subscriptions
    accounts: Accounts
    visibility: Visibility = field(default_factory=Visibility)


def city(request: Request) -> City:
    found: City = request.app.state.city
    return found
