"""The NGSI-LD ``Subscription`` JSON document ⇄ ``Subscription``: validation and rendering."""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from typing import Any

from cityioc.core.clock import iso_ms, parse_datetime_ms
from cityioc.core.errors import BadRequestData, CityError
from cityioc.hub.context_active import ActiveContext
from cityioc.hub.geoquery import geoquery_from_geoq
from cityioc.hub.qlang import parse_q
from cityioc.subscriptions.models import (
    FORMATS,
    TRIGGERS,
    EntitySelector,
    Subscription,
)

ACCEPTS = ("application/json", "application/ld+json")
_READ_ONLY = {
    "status",
    "timesSent",
    "timesFailed",
    "lastNotification",
    "lastFailure",
    "lastSuccess",
}
_KNOWN = {
    "id",
    "type",
    "@context",
    "jsonldContext",
    "subscriptionName",
    "description",
    "entities",
    "watchedAttributes",
    "notificationTrigger",
    "timeInterval",
    "q",
    "geoQ",
    "isActive",
    "notification",
    "expiresAt",
    "throttling",
    "lang",
    "createdAt",
    "modifiedAt",
} | _READ_ONLY


def new_subscription(
    body: Any,
    ctx: ActiveContext,
    context: Any,
    now: int,
    actor: str,
    owner: tuple[str | None, str | None] = (None, None),
) -> Subscription:
    """A validated subscription from a create request's body."""
    if not isinstance(body, dict):
        raise BadRequestData("a subscription is a JSON object")
    sid = body.get("id") or f"urn:ngsi-ld:Subscription:{uuid.uuid4()}"
    if not isinstance(sid, str) or ":" not in sid:
        raise BadRequestData("a subscription id must be a URI")
    if body.get("type", "Subscription") != "Subscription":
        raise BadRequestData("the type of a subscription must be 'Subscription'")
    sub = Subscription(
        id=sid,
        context=context,
        created_at=now,
        modified_at=now,
        created_by=actor,
        owner_role=owner[0],
        owner_agency=owner[1],
    )
    apply_fields(sub, body, ctx, now)
    if not sub.endpoint:
        raise BadRequestData("notification.endpoint.uri is required")
    return sub


def apply_fields(sub: Subscription, body: Mapping[str, Any], ctx: ActiveContext, now: int) -> None:
    """Set the fields present in ``body`` (creation, or a PATCH that changes only those)."""
    unknown = set(body) - _KNOWN
    if unknown:
        raise BadRequestData(f"unknown subscription members: {', '.join(sorted(unknown))}")
    try:
        _apply(sub, body, ctx, now)
    except (TypeError, ValueError) as err:
        raise BadRequestData(f"invalid subscription: {err}") from err
    if not sub.entities and not sub.watched and sub.time_interval_s is None:
        raise BadRequestData("a subscription needs 'entities' or 'watchedAttributes'")
    if sub.time_interval_s is not None and sub.watched:
        raise BadRequestData("'timeInterval' and 'watchedAttributes' cannot be used together")
    if sub.time_interval_s is not None and sub.throttling_s is not None:
        raise BadRequestData("'timeInterval' and 'throttling' cannot be used together")
    sub.modified_at = now


def _apply(sub: Subscription, body: Mapping[str, Any], ctx: ActiveContext, now: int) -> None:
    if "subscriptionName" in body:
        sub.name = _text(body["subscriptionName"], "subscriptionName")
    if "description" in body:
        sub.description = _text(body["description"], "description")
    if "entities" in body:
        sub.entities = tuple(_selector(e, ctx) for e in _list(body["entities"], "entities"))
    if "watchedAttributes" in body:
        watched = _list(body["watchedAttributes"], "watchedAttributes")
        sub.watched = tuple(ctx.expand_term(_text(a, "watchedAttributes")) for a in watched)
    if "notificationTrigger" in body:
        triggers = [_text(t, "notificationTrigger") for t in _list(body["notificationTrigger"], "")]
        bad = [t for t in triggers if t not in TRIGGERS]
        if bad or not triggers:
            raise BadRequestData(f"notificationTrigger takes {', '.join(TRIGGERS)}")
        sub.triggers = tuple(triggers)
    if "timeInterval" in body:
        sub.time_interval_s = _seconds(body["timeInterval"], "timeInterval")
    if "throttling" in body:
        sub.throttling_s = _seconds(body["throttling"], "throttling")
    if "q" in body:
        sub.q = _query(body["q"])
    if "geoQ" in body:
        sub.geoq = _geoq(body["geoQ"], ctx)
    if "isActive" in body:
        if not isinstance(body["isActive"], bool):
            raise BadRequestData("isActive must be true or false")
        sub.active = body["isActive"]
    if "expiresAt" in body:
        sub.expires_at = _expiry(body["expiresAt"], now)
    if "notification" in body:
        _notification(sub, body["notification"], ctx)


def _notification(sub: Subscription, value: Any, ctx: ActiveContext) -> None:
    if not isinstance(value, dict):
        raise BadRequestData("'notification' must be an object")
    if "attributes" in value:
        names = _list(value["attributes"], "notification.attributes")
        sub.attributes = tuple(ctx.expand_term(_text(a, "notification.attributes")) for a in names)
    if "format" in value:
        if value["format"] not in FORMATS:
            raise BadRequestData(f"notification.format takes {', '.join(FORMATS)}")
        sub.form = value["format"]
    if "sysAttrs" in value:
        if not isinstance(value["sysAttrs"], bool):
            raise BadRequestData("notification.sysAttrs must be true or false")
        sub.sys_attrs = value["sysAttrs"]
    endpoint = value.get("endpoint")
    if endpoint is None:
        return
    if not isinstance(endpoint, dict) or not isinstance(endpoint.get("uri"), str):
        raise BadRequestData("notification.endpoint must be an object with a 'uri'")
    uri = endpoint["uri"]
    if not re.match(r"^https?://[^\s/]+", uri):
        raise BadRequestData("notification.endpoint.uri must be an http:// or https:// URL")
    sub.endpoint = uri
    accept = endpoint.get("accept", "application/json")
    if accept not in ACCEPTS:
        raise BadRequestData(f"notification.endpoint.accept takes {', '.join(ACCEPTS)}")
    sub.accept = accept
    pairs = []
    for item in (
        _list(endpoint["receiverInfo"], "receiverInfo") if "receiverInfo" in endpoint else []
    ):
        if not isinstance(item, dict) or not all(
            isinstance(item.get(k), str) for k in ("key", "value")
        ):
            raise BadRequestData("receiverInfo items are {key, value} strings")
        pairs.append((item["key"], item["value"]))
    sub.receiver_info = tuple(pairs)


def _selector(value: Any, ctx: ActiveContext) -> EntitySelector:
    if not isinstance(value, dict) or not isinstance(value.get("type"), str):
        raise BadRequestData("each of 'entities' needs a 'type'")
    eid, pattern = value.get("id"), value.get("idPattern")
    if eid is not None and not isinstance(eid, str):
        raise BadRequestData("an entity selector's 'id' must be a string")
    if pattern is not None:
        try:
            re.compile(_text(pattern, "idPattern"))
        except re.error as err:
            raise BadRequestData(f"idPattern is not a valid regular expression: {err}") from err
    return EntitySelector(ctx.expand_type(value["type"]), eid, pattern)


def _query(value: Any) -> str:
    text = _text(value, "q")
    try:
        parse_q(text)
    except CityError as err:
        raise BadRequestData(f"q: {err.detail}") from err
    return text


def _geoq(value: Any, ctx: ActiveContext) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise BadRequestData("'geoQ' must be an object")
    geo = dict(value)
    if isinstance(geo.get("geoproperty"), str):
        geo["geoproperty"] = ctx.expand_term(geo["geoproperty"])
    return geoquery_from_geoq(geo).as_geoq()


def _expiry(value: Any, now: int) -> int:
    at = parse_datetime_ms(_text(value, "expiresAt"))
    if at <= now:
        raise BadRequestData("expiresAt must be in the future")
    return at


def _seconds(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise BadRequestData(f"{name} must be a positive number of seconds")
    return float(value)


def _text(value: Any, name: str) -> str:
    if not isinstance(value, str) or not value:
        raise BadRequestData(f"{name} must be a non-empty string")
    return value


def _list(value: Any, name: str) -> list[Any]:
    if not isinstance(value, list) or not value:
        raise BadRequestData(f"{name} must be a non-empty list")
    return value


def render_subscription(sub: Subscription, ctx: ActiveContext, now: int) -> dict[str, Any]:
    """The subscription as NGSI-LD shows it, names compacted against ``ctx``."""
    out: dict[str, Any] = {"id": sub.id, "type": "Subscription"}
    if sub.name:
        out["subscriptionName"] = sub.name
    if sub.description:
        out["description"] = sub.description
    if sub.entities:
        out["entities"] = [_render_selector(e, ctx) for e in sub.entities]
    if sub.watched:
        out["watchedAttributes"] = [ctx.compact_iri(a) for a in sub.watched]
    out["notificationTrigger"] = list(sub.triggers)
    if sub.time_interval_s is not None:
        out["timeInterval"] = _number(sub.time_interval_s)
    if sub.throttling_s is not None:
        out["throttling"] = _number(sub.throttling_s)
    if sub.q:
        out["q"] = sub.q
    if sub.geoq:
        geo = dict(sub.geoq)
        geo["geoproperty"] = ctx.compact_iri(geo["geoproperty"])
        out["geoQ"] = geo
    out["isActive"] = sub.active
    if sub.expires_at is not None:
        out["expiresAt"] = iso_ms(sub.expires_at)
    out["status"] = sub.state(now)
    out["notification"] = _render_notification(sub, ctx)
    out["createdAt"] = iso_ms(sub.created_at)
    out["modifiedAt"] = iso_ms(sub.modified_at)
    return out


def _render_selector(sel: EntitySelector, ctx: ActiveContext) -> dict[str, str]:
    out = {"type": ctx.compact_iri(sel.type)}
    if sel.id:
        out["id"] = sel.id
    if sel.id_pattern:
        out["idPattern"] = sel.id_pattern
    return out


def _render_notification(sub: Subscription, ctx: ActiveContext) -> dict[str, Any]:
    endpoint: dict[str, Any] = {"uri": sub.endpoint, "accept": sub.accept}
    if sub.receiver_info:
        endpoint["receiverInfo"] = [{"key": k, "value": v} for k, v in sub.receiver_info]
    out: dict[str, Any] = {"format": sub.form, "endpoint": endpoint, "sysAttrs": sub.sys_attrs}
    if sub.attributes:
        out["attributes"] = [ctx.compact_iri(a) for a in sub.attributes]
    st = sub.status
    out["status"] = "failed" if st.consecutive_failures else "ok"
    out["timesSent"] = st.times_sent
    out["timesFailed"] = st.times_failed
    for key, at in (
        ("lastNotification", st.last_notification),
        ("lastSuccess", st.last_success),
        ("lastFailure", st.last_failure),
    ):
        if at is not None:
            out[key] = iso_ms(at)
    return out


def _number(value: float) -> int | float:
    return int(value) if value.is_integer() else value
