"""The incidents module's pack sections: ``sops.yaml`` (procedures) and ``sla.yaml`` (deadlines).

Found by file name by the pack registry (docs/packs.md). Both are lists of mappings with an
``id``; problems are reported as ``file:line: message``. A load writes one
``StandardOperatingProcedure`` entity per procedure and one ``SlaPolicy`` per policy, idempotently.
"""

from __future__ import annotations

from typing import Any

from cityioc.incidents.catalogue import sla_body, sop_body
from cityioc.incidents.sla import SlaPolicy
from cityioc.incidents.sop import SopTemplate
from cityioc.packs.entities import Desired
from cityioc.packs.registry import LoadContext, ParseContext, Section, register_section
from cityioc.packs.validation import validate_yaml_item, yaml_items
from cityioc.packs.writer import SyncCounts

SOPS = "sops.yaml"
SLA = "sla.yaml"
OWNER = "cityioc.incidents"


def parse_sops(ctx: ParseContext) -> list[SopTemplate]:
    return _parse(ctx, SOPS, SopTemplate)


def check_sops(ctx: ParseContext, templates: list[SopTemplate]) -> None:
    known = _category_codes(ctx)
    for template in templates:
        for code in [*template.categories, *([template.category] if template.category else [])]:
            if code not in known:
                ctx.problems.add(
                    SOPS, template.line, f"sop {template.id}: unknown category {code!r}"
                )


def parse_sla(ctx: ParseContext) -> list[SlaPolicy]:
    policies = _parse(ctx, SLA, SlaPolicy)
    defaults = [p for p in policies if p.category is None]
    if policies and len(defaults) != 1:
        line = defaults[1].line if len(defaults) > 1 else policies[0].line
        ctx.problems.add(SLA, line, "sla.yaml needs exactly one default policy (without category)")
    seen: dict[str, int] = {}
    for policy in policies:
        if policy.category is None:
            continue
        if policy.category in seen:
            ctx.problems.add(
                SLA,
                policy.line,
                f"category {policy.category} already has a policy on line {seen[policy.category]}",
            )
        seen.setdefault(policy.category, policy.line)
    return policies


def check_sla(ctx: ParseContext, policies: list[SlaPolicy]) -> None:
    known = _category_codes(ctx)
    for policy in policies:
        if policy.category is not None and policy.category not in known:
            ctx.problems.add(
                SLA, policy.line, f"sla {policy.id}: unknown category {policy.category!r}"
            )


async def load_sops(ctx: LoadContext, templates: list[SopTemplate]) -> SyncCounts:
    desired = [Desired(sop_body(t), f"{SOPS}:{t.line}") for t in templates]
    return await ctx.writer.sync(desired, keep_edited=True)  # the admin API edits procedures


async def load_sla(ctx: LoadContext, policies: list[SlaPolicy]) -> SyncCounts:
    return await ctx.writer.sync([Desired(sla_body(p), f"{SLA}:{p.line}") for p in policies])


def _parse(ctx: ParseContext, file: str, model: Any) -> list[Any]:
    marked = ctx.yaml(file)
    out: list[Any] = []
    seen: dict[str, int] = {}
    for i, item in yaml_items(marked, ctx.problems):
        assert marked is not None
        parsed = validate_yaml_item(model, marked, (i,), item, ctx.problems)
        if parsed is None:
            continue
        if parsed.id in seen:
            ctx.problems.add(
                file, parsed.line, f"id {parsed.id} is already used on line {seen[parsed.id]}"
            )
            continue
        seen[parsed.id] = parsed.line
        out.append(parsed)
    return out


def _category_codes(ctx: ParseContext) -> set[str]:
    return {c.code for c in ctx.parsed.get("categories") or []}


register_section(
    Section(
        "sops",
        (SOPS,),
        parse_sops,
        load_sops,
        check=check_sops,
        summary=lambda data: f"{len(data)} standard operating procedures",
        order=110,
        owner=OWNER,
    )
)
register_section(
    Section(
        "sla",
        (SLA,),
        parse_sla,
        load_sla,
        check=check_sla,
        summary=lambda data: f"{len(data)} SLA policies",
        order=115,
        owner=OWNER,
    )
)
