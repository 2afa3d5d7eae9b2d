"""Placeholders for the sections other modules own: validated for shape, not loaded yet.

``rules.yaml`` and ``sops.yaml`` (alerts and incidents), ``indicators.yaml`` (indicators),
``projects.yaml`` and ``partners.yaml`` (programme): each a list of mappings with a unique ``id``.
When a module registers its own section under the same name, the placeholder gives way.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cityioc.packs.registry import ParseContext, Section, register_section
from cityioc.packs.validation import yaml_items

RESERVED = {
    "rules": "alerts",
    "sops": "incidents",
    "indicators": "indicators",
    "projects": "programme",
    "partners": "programme",
}


def _summary(module: str) -> Callable[[list[dict[str, Any]]], str]:
    return lambda data: f"{len(data)} items (not loaded yet: module {module} not installed)"


def _shape_parser(name: str) -> Any:
    file = f"{name}.yaml"

    def parse(ctx: ParseContext) -> list[dict[str, Any]]:
        marked = ctx.yaml(file)
        out: list[dict[str, Any]] = []
        seen: dict[str, int] = {}
        for i, item in yaml_items(marked, ctx.problems):
            assert marked is not None
            line = marked.line((i,))
            ident = item.get("id")
            if not isinstance(ident, str | int) or isinstance(ident, bool) or str(ident) == "":
                ctx.problems.add(file, line, "each item needs an id (a string)")
                continue
            key = str(ident)
            if key in seen:
                ctx.problems.add(file, line, f"id {key} is already used on line {seen[key]}")
                continue
            seen[key] = line
            out.append(item)
        return out

    return parse


for _order, (_name, _module) in enumerate(RESERVED.items()):
    register_section(
        Section(
            _name,
            (f"{_name}.yaml",),
            _shape_parser(_name),
            None,
            reserved=True,
            summary=_summary(_module),
            order=100 + 10 * _order,
            owner=f"cityioc.{_module}",
        )
    )
