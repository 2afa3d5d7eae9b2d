"""The rule format: the same document in a city pack (``rules.yaml``) and in the API.

A rule names the entities it watches (``scope``), what makes it fire (per ``kind``) and the alert it
raises (``alert``: Smart Data Models category, CAP fields, a title in Vietnamese and English).
docs/alerts.md describes every field with examples.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    TypeAdapter,
    ValidationError,
    model_validator,
)

from cityioc.alerts.aqi.categories import VN_BY_CODE
from cityioc.alerts.rules.durations import format_duration, parse_duration_ms
from cityioc.core.errors import BadRequestData
from cityioc.core.geo import validate_geometry

Duration = Annotated[
    int,
    BeforeValidator(parse_duration_ms),
    PlainSerializer(format_duration, return_type=str),
    Field(ge=0),
]
Scalar = StrictBool | StrictInt | StrictFloat | StrictStr
Op = Literal[">", ">=", "<", "<=", "==", "!=", "in", "exists"]
SdmCategory = Literal[
    "traffic", "naturalDisaster", "weather", "environment", "health", "security", "agriculture"
]
SdmSeverity = Literal["informational", "low", "medium", "high", "critical"]
CapCategory = Literal[
    "Geo",
    "Met",
    "Safety",
    "Security",
    "Rescue",
    "Fire",
    "Health",
    "Env",
    "Transport",
    "Infra",
    "CBRNE",
    "Other",
]
CapSeverity = Literal["Extreme", "Severe", "Moderate", "Minor", "Unknown"]
CapUrgency = Literal["Immediate", "Expected", "Future", "Past", "Unknown"]
CapCertainty = Literal["Observed", "Likely", "Possible", "Unlikely", "Unknown"]
AqiCode = Literal["tot", "trung-binh", "kem", "xau", "rat-xau", "nguy-hai"]
RULE_ID = r"^[a-z0-9][a-z0-9._-]{0,79}$"
NAME = r"^[A-Za-z_][A-Za-z0-9_]{0,99}$"  # an attribute or type name (core-context term)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Text(Strict):
    vi: str = Field(min_length=1)
    en: str = Field(min_length=1)


class AttrRef(Strict):
    """A threshold taken from the entity itself: ``{attribute: alertLevel, offset: -0.05}``."""

    attribute: str = Field(pattern=NAME)
    offset: float = 0.0
    scale: float = 1.0


class Condition(Strict):
    """A leaf ``{attribute, op, value}`` or ``{all: […]}``, ``{any: […]}``, ``{not: …}``."""

    attribute: str | None = Field(default=None, pattern=NAME)
    op: Op | None = None
    value: Scalar | list[Scalar] | AttrRef | None = None
    all: list[Condition] | None = Field(default=None, min_length=1)
    any: list[Condition] | None = Field(default=None, min_length=1)
    not_: Condition | None = Field(default=None, alias="not")

    @model_validator(mode="after")
    def _one_form(self) -> Condition:
        forms = [f for f in ("attribute", "all", "any", "not_") if getattr(self, f) is not None]
        if len(forms) != 1:
            raise ValueError("a condition is one of {attribute, op, value}, {all}, {any}, {not}")
        if self.attribute is not None:
            if self.op is None:
                raise ValueError("a condition on an attribute needs an op")
            if self.op == "exists":
                if self.value is not None:
                    raise ValueError("op exists takes no value")
            elif self.value is None:
                raise ValueError(f"op {self.op} needs a value")
            elif self.op == "in" and not isinstance(self.value, list):
                raise ValueError("op in needs a list of values")
            elif self.op != "in" and isinstance(self.value, list):
                raise ValueError(f"op {self.op} takes one value, not a list")
        elif self.op is not None or self.value is not None:
            raise ValueError("op and value belong to a condition on an attribute")
        return self

    def attributes(self) -> set[str]:
        """Every attribute the condition reads (its thresholds' too)."""
        found: set[str] = set()
        if self.attribute is not None:
            found.add(self.attribute)
            if isinstance(self.value, AttrRef):
                found.add(self.value.attribute)
        for child in [*(self.all or []), *(self.any or []), *([self.not_] if self.not_ else [])]:
            found |= child.attributes()
        return found


class Scope(Strict):
    types: list[str] = Field(default_factory=list)
    areas: list[str] = Field(default_factory=list)  # areaServed, matched without case or accents
    ids: list[str] = Field(default_factory=list)


class CapFields(Strict):
    category: CapCategory
    severity: CapSeverity
    urgency: CapUrgency = "Expected"
    certainty: CapCertainty = "Observed"


class AlertTemplate(Strict):
    category: SdmCategory
    sub_category: str = Field(min_length=1, pattern=r"^[A-Za-z][A-Za-z0-9]*$")
    severity: SdmSeverity | Literal["auto"] = "medium"  # auto: from the AQI category
    cap: CapFields
    title: Text
    description: Text | None = None
    incident_policy: Literal["none", "suggest", "auto"] = "none"


class GroupBy(Strict):
    """One alert per related entity (e.g. the lighting segment) when enough members match."""

    by: str = Field(pattern=NAME)  # a Relationship (or Property holding an id) of the members
    at_least: int = Field(ge=1)
    clear_below: int | None = Field(default=None, ge=1)  # default: at_least

    @model_validator(mode="after")
    def _hysteresis(self) -> GroupBy:
        if self.clear_below is not None and self.clear_below > self.at_least:
            raise ValueError("clear_below cannot be above at_least")
        return self


class FleetSpec(Strict):
    """Missing data across the scope: one alert when enough entities are silent."""

    at_least: int | None = Field(default=None, ge=1)
    fraction: float | None = Field(default=None, gt=0, le=1)

    @model_validator(mode="after")
    def _one(self) -> FleetSpec:
        if (self.at_least is None) == (self.fraction is None):
            raise ValueError("give at_least or fraction")
        return self


class Circle(Strict):
    center: tuple[float, float]  # [lon, lat]
    radius_m: float = Field(gt=0)


class RuleBase(Strict):
    id: str = Field(pattern=RULE_ID)
    name: Text
    description: Text | None = None
    enabled: bool = True
    scope: Scope = Field(default_factory=Scope)
    alert: AlertTemplate

    def needs_types(self) -> bool:
        return True

    @model_validator(mode="after")
    def _scoped(self) -> RuleBase:
        if self.needs_types() and not self.scope.types:
            raise ValueError("scope.types: name the entity types the rule watches")
        if self.alert.severity == "auto" and getattr(self, "kind", "") != "aqi":
            raise ValueError("alert.severity auto is for aqi rules only")
        return self


class ThresholdRule(RuleBase):
    kind: Literal["threshold"]
    when: Condition
    for_: Duration = Field(default=0, alias="for")
    clear: Condition | None = None  # default: when the condition no longer holds
    clear_for: Duration = 0
    group: GroupBy | None = None


class RateRule(RuleBase):
    kind: Literal["rate"]
    attribute: str = Field(pattern=NAME)
    op: Literal[">", ">=", "<", "<="]
    value: float  # change per `per` (negative for a fall)
    per: Duration = 3_600_000
    for_: Duration = Field(default=0, alias="for")
    clear_value: float | None = None  # hysteresis: clears when the rate passes back over this
    clear_for: Duration = 0


class MissingRule(RuleBase):
    kind: Literal["missing"]
    after: Duration
    attributes: list[str] = Field(default_factory=list)  # default: any attribute
    fleet: FleetSpec | None = None

    @model_validator(mode="after")
    def _positive(self) -> MissingRule:
        if self.after <= 0:
            raise ValueError("after must be a positive duration")
        return self


class AqiRule(RuleBase):
    """Hysteresis as for thresholds: the category held ``for`` before firing; cleared once below
    ``clear_below`` for ``clear_for`` (a station hovering at 100/101 raises once, never flaps)."""

    kind: Literal["aqi"]
    at_least: AqiCode
    clear_below: AqiCode | None = None  # default: at_least
    for_: Duration = Field(default=0, alias="for")
    clear_for: Duration = 0

    def needs_types(self) -> bool:
        return False  # AirQualityObserved by default

    @model_validator(mode="after")
    def _order(self) -> AqiRule:
        if not self.scope.types:
            self.scope.types = ["AirQualityObserved"]
        if self.clear_below and VN_BY_CODE[self.clear_below].low > VN_BY_CODE[self.at_least].low:
            raise ValueError("clear_below cannot be a worse category than at_least")
        return self


class GeofenceRule(RuleBase):
    kind: Literal["geofence"]
    trigger: Literal["enter", "leave"]
    # A circle, or a GeoJSON Polygon / MultiPolygon (tried in that order).
    area: Annotated[Circle | dict[str, Any], Field(union_mode="left_to_right")]

    @model_validator(mode="after")
    def _area(self) -> GeofenceRule:
        if isinstance(self.area, dict):
            try:
                validate_geometry(self.area, name="area")
            except BadRequestData as err:
                raise ValueError(err.detail) from err
            if self.area.get("type") not in ("Polygon", "MultiPolygon"):
                raise ValueError("area must be a Polygon, a MultiPolygon or a circle")
        return self


class CountRule(RuleBase):
    kind: Literal["count"]
    when: Condition | None = None
    at_least: int = Field(ge=2)
    within_m: float = Field(gt=0)
    window: Duration


class CombinationRule(RuleBase):
    kind: Literal["combination"]
    rules: list[str] = Field(min_length=2)
    window: Duration
    match: Literal["source", "area", "any"] = "area"

    def needs_types(self) -> bool:
        return False


Rule = Annotated[
    ThresholdRule | RateRule | MissingRule | AqiRule | GeofenceRule | CountRule | CombinationRule,
    Field(discriminator="kind"),
]
RULE = TypeAdapter[Rule](Rule)
KINDS = ("threshold", "rate", "missing", "aqi", "geofence", "count", "combination")


def parse_rule(data: Any) -> Rule:
    """Validate a rule document; raises ValidationError (see ``problems``)."""
    return RULE.validate_python(data)


def rule_document(rule: RuleBase) -> dict[str, Any]:
    """The rule as its document (aliases, short durations, defaults left out)."""
    return rule.model_dump(mode="json", by_alias=True, exclude_defaults=True) | {
        "id": rule.id,
        "kind": getattr(rule, "kind", ""),
        "enabled": rule.enabled,
    }


def problems(err: ValidationError) -> list[tuple[tuple[Any, ...], str]]:
    """Each problem as (location inside the document, message); the kind tag is left out."""
    out = []
    for error in err.errors():
        loc = tuple(error["loc"])
        if loc and loc[0] in KINDS:
            loc = loc[1:]
        text = str(error["msg"]).removeprefix("Value error, ")
        if error["type"] == "union_tag_invalid" or error["type"] == "union_tag_not_found":
            text = f"kind must be one of {', '.join(KINDS)}"
            loc = ("kind",)
        out.append((loc, text))
    return out


def describe(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "rule"
