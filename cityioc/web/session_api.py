"""Signing in to the web UI: ``/api/v1/session`` (login, who am I, logout) and the cookie session
behind ``principal_of``.

The cookie ``cityioc_session`` is HttpOnly, SameSite=Lax, Path=/ and Secure outside development
and test. Requests authenticated by it that change something (POST, PUT, PATCH, DELETE) must carry
the session's CSRF token in ``X-CSRF-Token``; API keys need none (a browser never adds them by
itself). See docs/accounts.md.
"""

from __future__ import annotations

import hmac
from typing import Any, Final

import orjson
from fastapi import APIRouter, FastAPI, Request
from pydantic import BaseModel, Field
from starlette.responses import Response

from cityioc.accounts.errors import CsrfRejected, SessionEnded
from cityioc.accounts.records import SessionRecord, UserRecord
from cityioc.core.clock import iso_ms
from cityioc.core.errors import UnsupportedMediaType
from cityioc.web.auth import Principal, Role
from cityioc.web.errors import problem_response
from cityioc.web.state import City, city

COOKIE: Final = "cityioc_session"
CSRF_HEADER: Final = "x-csrf-token"
UNSAFE: Final = frozenset({"POST", "PUT", "PATCH", "DELETE"})

router = APIRouter(prefix="/api/v1", tags=["session"])


class Login(BaseModel):
    username: str = Field(min_length=1, max_length=200)
    password: str = Field(min_length=1, max_length=1000)


class PasswordChange(BaseModel):
    current: str = Field(min_length=1, max_length=1000, description="the password in use now")
    new: str = Field(min_length=1, max_length=1000, description="the password to use from now")


def install(app: FastAPI) -> None:
    """An ended session's answer also clears its cookie, so the browser's next request is a
    plain public one instead of failing on the same stale cookie again."""

    @app.exception_handler(SessionEnded)
    async def _ended(request: Request, err: SessionEnded) -> Response:
        response = problem_response(err)
        if COOKIE in request.cookies:
            _clear_cookie(response, city(request))
        return response


def _clear_cookie(response: Response, c: City) -> None:
    response.delete_cookie(COOKIE, path="/", secure=_secure(c), httponly=True, samesite="lax")


def user_principal(user: UserRecord) -> Principal:
    return Principal(f"user:{user.username}", Role(user.role), user.agency)


async def session_principal(request: Request, c: City, token: str) -> Principal:
    """The principal of a session cookie; unsafe methods must also show the CSRF token."""
    _, user = await _resume(request, c, token)
    return user_principal(user)


async def _resume(request: Request, c: City, token: str) -> tuple[SessionRecord, UserRecord]:
    session, user = await c.accounts.sessions.resume(token)
    if request.method in UNSAFE:
        sent = request.headers.get(CSRF_HEADER, "")
        if not hmac.compare_digest(sent.encode(), session.csrf_token.encode()):
            raise CsrfRejected(
                "a signed-in request that changes something needs the session's CSRF token"
                " in the X-CSRF-Token header (from GET /api/v1/session)"
            )
    return session, user


def _me(user: UserRecord, session: SessionRecord) -> dict[str, Any]:
    return {
        "user": {
            "id": user.id,
            "username": user.username,
            "displayName": user.display_name,
            "role": user.role,
            "agency": user.agency,
            "locale": user.locale,
        },
        "csrfToken": session.csrf_token,
        "expiresAt": iso_ms(session.expires_at),
    }


def _json(payload: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(payload), status_code=status, media_type="application/json")


def _secure(c: City) -> bool:
    return c.settings.environment not in ("development", "test")


def _client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@router.post(
    "/session", summary="Sign in: sets the session cookie, returns the user and CSRF token"
)
async def login(request: Request, body: Login) -> Response:
    # JSON only: a cross-site HTML form cannot send it without a CORS preflight (login CSRF).
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != "application/json":
        raise UnsupportedMediaType("sign in with a JSON body (Content-Type: application/json)")
    c = city(request)
    old = request.cookies.get(COOKIE)
    if old:  # a new sign-in replaces the browser's old session (no session fixation)
        await c.accounts.sessions.sign_out(old)
    opened = await c.accounts.sessions.sign_in(
        body.username,
        body.password,
        address=_client_address(request),
        user_agent=request.headers.get("user-agent"),
    )
    response = _json(_me(opened.user, opened.session), 201)
    response.set_cookie(
        COOKIE,
        opened.token,
        max_age=c.accounts.policy.max_age_ms // 1000,
        path="/",
        secure=_secure(c),
        httponly=True,
        samesite="lax",
    )
    return response


@router.get("/session", summary="Who is signed in, and the CSRF token for changes")
async def whoami(request: Request) -> Response:
    c = city(request)
    session, user = await c.accounts.sessions.resume(request.cookies.get(COOKIE, ""))
    return _json(_me(user, session))


@router.delete("/session", status_code=204, summary="Sign out: ends the session, clears the cookie")
async def logout(request: Request) -> Response:
    c = city(request)
    token = request.cookies.get(COOKIE, "")
    if token:
        try:  # only the session's own page may sign it out: a cross-site request cannot
            await _resume(request, c, token)
            await c.accounts.sessions.sign_out(token)
        except SessionEnded:
            pass  # ended already: clear the cookie all the same
    response = Response(status_code=204)
    _clear_cookie(response, c)
    return response


@router.put("/session/password", status_code=204, summary="Change your own password")
async def change_password(request: Request, body: PasswordChange) -> Response:
    """Other sessions of the user end; this one goes on."""
    c = city(request)
    session, user = await _resume(request, c, request.cookies.get(COOKIE, ""))
    await c.accounts.users.change_own_password(
        user, body.current, body.new, session_hash=session.id_hash
    )
    return Response(status_code=204)
