"""The ``rules`` section of city packs (``rules.yaml``): alert rules, loaded as ``AlertRule``
entities. Found by the pack registry by file name; replaces the reserved placeholder."""

from __future__ import annotations

from pydantic import ValidationError

from cityioc.alerts.rule_store import RuleStore
from cityioc.alerts.rules.model import CombinationRule, RuleBase, describe, parse_rule, problems
from cityioc.packs.registry import LoadContext, ParseContext, Section, register_section
from cityioc.packs.validation import yaml_items
from cityioc.packs.writer import SyncCounts

RULES = "rules.yaml"


def parse_rules(ctx: ParseContext) -> list[RuleBase]:
    marked = ctx.yaml(RULES)
    if marked is None:
        return []
    out: list[RuleBase] = []
    seen: dict[str, int] = {}
    for i, item in yaml_items(marked, ctx.problems):
        try:
            rule = parse_rule(item)
        except ValidationError as err:
            for loc, text in problems(err):
                ctx.problems.add(RULES, marked.line((i, *loc)), f"{describe(loc)}: {text}")
            continue
        line = marked.line((i,))
        if rule.id in seen:
            ctx.problems.add(
                RULES, line, f"rule {rule.id} is already defined on line {seen[rule.id]}"
            )
            continue
        seen[rule.id] = line
        out.append(rule)
    return out


def check_rules(ctx: ParseContext, rules: list[RuleBase]) -> None:
    known = {r.id for r in rules}
    for rule in rules:
        if isinstance(rule, CombinationRule):
            for member in rule.rules:
                if member not in known or member == rule.id:
                    ctx.problems.add(RULES, 1, f"rule {rule.id}: unknown rule {member!r} in rules")


async def load_rules(ctx: LoadContext, rules: list[RuleBase]) -> SyncCounts:
    sync = await RuleStore(ctx.hub, ctx.hub.clock).sync(ctx.tenant, rules, ctx.actor)
    return SyncCounts(sync.created, sync.updated, sync.unchanged, sync.kept)


register_section(
    Section(
        "rules",
        (RULES,),
        parse_rules,
        load_rules,
        check=check_rules,
        summary=lambda rules: f"{len(rules)} alert rules",
        order=100,
        owner="cityioc.alerts",
    )
)
