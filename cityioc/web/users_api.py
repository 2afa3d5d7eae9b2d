"""Administration of user accounts over HTTP (admin only): list, create, change, disable."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field
from starlette.responses import Response

from cityioc.accounts.records import UserRecord
from cityioc.accounts.users import Keep, UserUpdate, new_password
from cityioc.core.clock import iso_ms
from cityioc.web.auth import Role
from cityioc.web.ngsi_http import principal_of
from cityioc.web.state import city

router = APIRouter(prefix="/api/v1/admin", tags=["administration"])


class NewUser(BaseModel):
    username: str = Field(min_length=2, max_length=64, description="letters, digits, . _ - @")
    role: str = Field(description="admin, operator, agency, viewer or ingest")
    agency: str | None = Field(
        default=None, description="for role agency: the Organization entity id it acts for"
    )
    displayName: str | None = Field(default=None, max_length=200)  # noqa: N815
    locale: Literal["vi", "en"] = "vi"
    password: str | None = Field(
        default=None,
        max_length=1000,
        description="the first password; omitted: one is generated and returned once",
    )


class UserChange(BaseModel):
    role: str | None = None
    agency: str | None = Field(
        default=None, description="set with role agency; omitted: kept while the role is agency"
    )
    displayName: str | None = Field(default=None, max_length=200)  # noqa: N815
    locale: Literal["vi", "en"] | None = None
    disabled: bool | None = Field(default=None, description="true ends the user's sessions")
    unlock: bool = Field(default=False, description="lift a lock-out after failed sign-ins")
    password: str | None = Field(default=None, max_length=1000, description="a new password")
    resetPassword: bool = Field(  # noqa: N815
        default=False, description="generate a new password, returned once"
    )


def public_user(user: UserRecord) -> dict[str, Any]:
    return {
        "id": user.id,
        "username": user.username,
        "displayName": user.display_name,
        "role": user.role,
        "agency": user.agency,
        "locale": user.locale,
        "createdAt": iso_ms(user.created_at),
        "createdBy": user.created_by,
        "disabledAt": iso_ms(user.disabled_at) if user.disabled_at else None,
        "failedAttempts": user.failed_attempts,
        "lockedUntil": iso_ms(user.locked_until) if user.locked_until else None,
        "lastLoginAt": iso_ms(user.last_login_at) if user.last_login_at else None,
        "passwordChangedAt": iso_ms(user.password_changed_at),
    }


@router.get("/users", summary="List user accounts (never their passwords)")
async def list_users(request: Request) -> list[dict[str, Any]]:
    (await principal_of(request)).require(Role.admin)
    return [public_user(u) for u in await city(request).accounts.users.list()]


@router.post("/users", status_code=201, summary="Create a user account")
async def create_user(request: Request, body: NewUser) -> dict[str, Any]:
    principal = await principal_of(request)
    principal.require(Role.admin)
    password = body.password or new_password()
    user = await city(request).accounts.users.create(
        body.username,
        password,
        body.role,
        actor=principal.actor,
        display_name=body.displayName,
        agency=body.agency,
        locale=body.locale,
    )
    out = public_user(user)
    if body.password is None:
        out["password"] = password
    return out


@router.get("/users/{user_id}", summary="One user account")
async def get_user(request: Request, user_id: str) -> dict[str, Any]:
    (await principal_of(request)).require(Role.admin)
    return public_user(await city(request).accounts.users.get(user_id))


@router.patch("/users/{user_id}", summary="Change a user: role, agency, disable, unlock, password")
async def change_user(request: Request, user_id: str, body: UserChange) -> dict[str, Any]:
    principal = await principal_of(request)
    principal.require(Role.admin)
    users = city(request).accounts.users
    given = body.model_fields_set
    update = UserUpdate(
        display_name=body.displayName,
        role=body.role,
        agency=body.agency if "agency" in given else Keep.keep,
        locale=body.locale,
        disabled=body.disabled,
        unlock=body.unlock,
    )
    user = await users.update(user_id, update, actor=principal.actor)
    generated = new_password() if body.resetPassword else None
    password = generated or body.password
    if password is not None:
        user = await users.set_password(user_id, password, actor=principal.actor)
    out = public_user(user)
    if generated is not None:
        out["password"] = generated
    return out


@router.delete("/users/{user_id}/sessions", status_code=204, summary="Sign a user out everywhere")
async def end_sessions(request: Request, user_id: str) -> Response:
    principal = await principal_of(request)
    principal.require(Role.admin)
    c = city(request)
    user = await c.accounts.users.get(user_id)
    await c.accounts.sessions.sign_out_everywhere(user, actor=principal.actor)
    return Response(status_code=204)
