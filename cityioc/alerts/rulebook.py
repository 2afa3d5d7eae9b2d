"""The rules in force, compiled, per tenant, indexed by the entity types they watch (and, within a
type, by area and threshold: rule_index.py)."""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field

from cityioc.alerts.rule_index import TypeIndex
from cityioc.alerts.rule_store import RuleRecord
from cityioc.alerts.rules.compile import compile_rule
from cityioc.alerts.rules.compiled import CompiledRule
from cityioc.alerts.rules.model import CombinationRule
from cityioc.hub.models import StoredEntity

log = logging.getLogger(__name__)


@dataclass(slots=True)
class TenantRules:
    rules: dict[str, CompiledRule] = field(default_factory=dict)  # by rule id
    by_type: dict[str, list[CompiledRule]] = field(default_factory=dict)
    combinations: list[CompiledRule] = field(default_factory=list)
    index: dict[str, TypeIndex] = field(default_factory=dict)  # by type
    screened: set[str] = field(default_factory=set)  # rule ids the index screens
    rate_attrs: dict[str, tuple[str, ...]] = field(default_factory=dict)  # type → attributes


class RuleBook:
    def __init__(self) -> None:
        self._tenants: dict[str, TenantRules] = {}

    def set_tenant(self, tenant: str, records: list[RuleRecord]) -> list[CompiledRule]:
        """Replace a tenant's rules (enabled and valid ones); returns them."""
        out = TenantRules()
        by_type: dict[str, list[CompiledRule]] = defaultdict(list)
        for record in records:
            if record.rule is None:
                log.warning(
                    "alert rule %s of %s is invalid: %s", record.id, tenant, record.problems
                )
                continue
            if not record.rule.enabled:
                continue
            compiled = compile_rule(tenant, record.rule)
            out.rules[compiled.id] = compiled
            if isinstance(record.rule, CombinationRule):
                out.combinations.append(compiled)
            for etype in compiled.types:
                by_type[etype].append(compiled)
        out.by_type = dict(by_type)
        out.index = {etype: TypeIndex.of(rules) for etype, rules in out.by_type.items()}
        out.screened = {rid for index in out.index.values() for rid in index.screened}
        out.rate_attrs = {t: tuple(i.rates) for t, i in out.index.items() if i.rates}
        self._tenants[tenant] = out
        return list(out.rules.values())

    def tenants(self) -> list[str]:
        return list(self._tenants)

    def rules(self, tenant: str) -> list[CompiledRule]:
        found = self._tenants.get(tenant)
        return list(found.rules.values()) if found else []

    def rule(self, tenant: str, rule_id: str) -> CompiledRule | None:
        found = self._tenants.get(tenant)
        return found.rules.get(rule_id) if found else None

    def watching(self, tenant: str, types: list[str]) -> list[CompiledRule]:
        """The rules whose scope names one of these (expanded) types."""
        found = self._tenants.get(tenant)
        if found is None:
            return []
        if len(types) == 1:
            return found.by_type.get(types[0], [])
        seen: dict[str, CompiledRule] = {}
        for etype in types:
            for rule in found.by_type.get(etype, []):
                seen[rule.id] = rule
        return list(seen.values())

    def candidates(
        self,
        tenant: str,
        entity: StoredEntity,
        active: set[str] | None,
        rates: dict[str, float] | None = None,
    ) -> list[CompiledRule]:
        """The rules a change of ``entity`` must meet: ``watching`` less the screened rules
        whose condition (or rate, from ``rates``) does not hold, unless ``active`` (pending or
        firing for it) names them."""
        found = self._tenants.get(tenant)
        if found is None:
            return []
        out: list[CompiledRule] = []
        for etype in entity.types:
            index = found.index.get(etype)
            if index is not None:
                index.candidates(entity, active, out, rates)
        if len(entity.types) > 1:
            out = list({rule.id: rule for rule in out}.values())
        return out

    def rate_attrs(self, tenant: str, types: list[str]) -> tuple[str, ...]:
        """The attributes with rate rules among these (expanded) types."""
        found = self._tenants.get(tenant)
        if found is None or not found.rate_attrs:
            return ()
        if len(types) == 1:
            return found.rate_attrs.get(types[0], ())
        return tuple(dict.fromkeys(a for t in types for a in found.rate_attrs.get(t, ())))

    def screened(self, tenant: str) -> set[str]:
        found = self._tenants.get(tenant)
        return found.screened if found else set()

    def watches(self, tenant: str, types: list[str]) -> bool:
        found = self._tenants.get(tenant)
        if found is None:
            return False
        if len(types) == 1:  # the common case, on every change: no generator
            return types[0] in found.by_type
        return any(t in found.by_type for t in types)

    def combinations(self, tenant: str) -> list[CompiledRule]:
        found = self._tenants.get(tenant)
        return found.combinations if found else []
