"""Accounts for people who sign in to the web UI: users, passwords, sessions, lock-out.

Machines use API keys (``cityioc.web.auth``); people use these. Both end as the same ``Principal``
with the same roles, so the server enforces one set of rules whichever way a caller signed in.
See ``docs/accounts.md``.
"""
