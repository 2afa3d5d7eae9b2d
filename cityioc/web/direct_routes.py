"""The hottest NGSI-LD write routes, served straight from the application's route list.

The FastAPI router of this FastAPI version walks every included router (several regex matches
each, three passes per request) and solves the endpoint's signature before calling it: for
``PATCH …/entities/{id}/attrs`` that was about two thirds of the route's own cost with storage off.
The endpoints served here take only the request and path parameters, so they are called directly:
same function, same auth, tenant, @context, errors (the app's exception handlers still answer) and
metrics label. The FastAPI routes stay registered behind them, for the OpenAPI document.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request
from starlette.responses import Response
from starlette.routing import Match, Route
from starlette.types import Scope

from cityioc.web import ngsi_entities

Endpoint = Callable[..., Awaitable[Response]]


class DirectRoute(Route):
    """A route for one method only: any other method falls through to the routes behind it, so
    their answers (405 and its ``Allow`` header included) stay as they were."""

    def __init__(self, path: str, method: str, endpoint: Endpoint) -> None:
        async def call(request: Request) -> Response:
            return await endpoint(request, **request.path_params)

        super().__init__(
            path, call, methods=[method], name=endpoint.__name__, include_in_schema=False
        )
        self.method = method

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] != "http" or scope["method"] != self.method:
            return Match.NONE, {}
        match, child = super().matches(scope)
        if match is Match.FULL:
            child["route"] = self  # what MetricsMiddleware labels the request with
        return match, child


# (method, path, endpoint): each endpoint's parameters must be the request and its path
# parameters, nothing FastAPI would have to parse or validate.
ROUTES: tuple[tuple[str, str, Endpoint], ...] = (
    ("PATCH", "/ngsi-ld/v1/entities/{entity_id}/attrs", ngsi_entities.update_attrs),
)


def install(app: FastAPI) -> None:
    """Put the direct routes first; call after the routers are included."""
    for method, path, endpoint in reversed(ROUTES):
        app.router.routes.insert(0, DirectRoute(path, method, endpoint))
