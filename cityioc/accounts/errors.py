"""Errors of signing in, with their own codes so that the UI can say what happened."""

from __future__ import annotations

from cityioc.core.errors import Forbidden, Unauthorized


class WrongCredentials(Unauthorized):
    code = "WrongCredentials"
    title = "Wrong username or password"


class AccountLocked(Unauthorized):
    code = "AccountLocked"
    title = "Account locked"


class AccountDisabled(Unauthorized):
    code = "AccountDisabled"
    title = "Account disabled"


class SessionEnded(Unauthorized):
    code = "SessionEnded"
    title = "Session ended"


class CsrfRejected(Forbidden):
    code = "CsrfRejected"
    title = "CSRF token missing or wrong"
