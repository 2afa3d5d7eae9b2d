"""The accounts service: the user directory and the sessions, built once from the settings."""

from __future__ import annotations

from cityioc.accounts.passwords import Passwords
from cityioc.accounts.policy import AccountPolicy
from cityioc.accounts.sessions import Sessions
from cityioc.accounts.users import UserDirectory
from cityioc.core.clock import Clock
from cityioc.core.settings import Settings
from cityioc.store.port import Store


class Accounts:
    def __init__(
        self,
        store: Store,
        clock: Clock,
        policy: AccountPolicy | None = None,
        passwords: Passwords | None = None,
    ) -> None:
        self.policy = policy or AccountPolicy()
        self.passwords = passwords or Passwords(self.policy.hashing)
        self.users = UserDirectory(store, clock, self.policy, self.passwords)
        self.sessions = Sessions(store, clock, self.policy, self.passwords)

    @staticmethod
    def from_settings(store: Store, clock: Clock, settings: Settings) -> Accounts:
        return Accounts(store, clock, AccountPolicy.from_settings(settings))
