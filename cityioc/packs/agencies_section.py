"""The ``agencies`` and ``categories`` sections (``agencies.yaml``, ``categories.yaml``).

An agency item with ``for_each_area`` is a template: it is expanded once per area of that level,
with ``{code}``, ``{name_vi}`` and ``{name_en}`` replaced and the area's validity dates inherited
(one people's committee per ward or commune, per district before 2025).
"""

from __future__ import annotations

from typing import Any

from cityioc.packs.areas import AreaIndex
from cityioc.packs.models import Agency, Area, Category
from cityioc.packs.registry import ParseContext
from cityioc.packs.validation import validate_yaml_item, yaml_items

AGENCIES = "agencies.yaml"
CATEGORIES = "categories.yaml"
PLACEHOLDERS = ("{code}", "{name_vi}", "{name_en}")


def parse_agencies(ctx: ParseContext) -> list[Agency]:
    marked = ctx.yaml(AGENCIES)
    if marked is None:
        return []
    index: AreaIndex | None = ctx.parsed.get("areas")
    out: list[Agency] = []
    seen: dict[str, int] = {}
    for i, item in yaml_items(marked, ctx.problems):
        agency = validate_yaml_item(Agency, marked, (i,), item, ctx.problems)
        if agency is None:
            continue
        if agency.for_each_area is None:
            if any(p in agency.model_dump_json() for p in PLACEHOLDERS):
                ctx.problems.add(AGENCIES, agency.line, "placeholders need for_each_area")
                continue
            expanded = [agency]
        else:
            expanded = _expand(agency, index)
        for one in expanded:
            if one.id in seen:
                ctx.problems.add(
                    AGENCIES, one.line, f"agency {one.id} is already defined on line {seen[one.id]}"
                )
                continue
            seen[one.id] = one.line
            if index is not None:
                for code in one.areas:
                    if index.get(code) is None:
                        ctx.problems.add(
                            AGENCIES, one.line, f"agency {one.id}: unknown area {code!r}"
                        )
            out.append(one)
    return out


def _expand(template: Agency, index: AreaIndex | None) -> list[Agency]:
    rule = template.for_each_area
    if index is None or rule is None:
        return []
    chosen = [
        a
        for a in index.areas
        if a.level == rule.level and (rule.valid_on is None or a.valid_on(rule.valid_on))
    ]
    return [_fill(template, area) for area in chosen]


def _fill(template: Agency, area: Area) -> Agency:
    def sub(text: str) -> str:
        return (
            text.replace("{code}", area.code)
            .replace("{name_vi}", area.name_vi)
            .replace("{name_en}", area.name_en)
        )

    data = template.model_dump(exclude={"for_each_area"})
    filled: dict[str, Any] = _substitute(data, sub)
    filled["line"] = template.line
    filled.setdefault("valid_from", None)
    if filled["valid_from"] is None:
        filled["valid_from"] = area.valid_from
    if filled.get("valid_to") is None:
        filled["valid_to"] = area.valid_to
    return Agency.model_validate(filled)


def _substitute(value: Any, sub: Any) -> Any:
    if isinstance(value, str):
        return sub(value)
    if isinstance(value, list):
        return [_substitute(v, sub) for v in value]
    if isinstance(value, dict):
        return {k: _substitute(v, sub) for k, v in value.items()}
    return value


def check_agencies(ctx: ParseContext, agencies: list[Agency]) -> None:
    categories: list[Category] | None = ctx.parsed.get("categories")
    known = {c.code for c in categories or []}
    for agency in agencies:
        for code in agency.categories:
            if code not in known:
                ctx.problems.add(
                    AGENCIES, agency.line, f"agency {agency.id}: unknown category {code!r}"
                )


def parse_categories(ctx: ParseContext) -> list[Category]:
    marked = ctx.yaml(CATEGORIES)
    if marked is None:
        return []
    out: list[Category] = []
    seen: dict[str, int] = {}
    for i, item in yaml_items(marked, ctx.problems):
        category = validate_yaml_item(Category, marked, (i,), item, ctx.problems)
        if category is None:
            continue
        if category.code in seen:
            ctx.problems.add(
                CATEGORIES,
                category.line,
                f"category {category.code} is already defined on line {seen[category.code]}",
            )
            continue
        seen[category.code] = category.line
        out.append(category)
    return out


def check_categories(ctx: ParseContext, categories: list[Category]) -> None:
    agencies: list[Agency] | None = ctx.parsed.get("agencies")
    known = {a.id for a in agencies or []}
    for category in categories:
        if category.default_agency not in known:
            ctx.problems.add(
                CATEGORIES,
                category.line,
                f"category {category.code}: unknown default agency {category.default_agency!r}",
            )
