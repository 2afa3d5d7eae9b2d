"""Which entities a caller may read, beyond what its role allows: rules per entity type that the
domain modules register (e.g. agency staff read only the incidents their agency is involved in).

Applied wherever entities leave the server — NGSI-LD retrieval, queries and history, the live
stream, subscription notifications — so that no generic path shows what a module's own API hides.
"""

from __future__ import annotations

from collections.abc import Callable

from cityioc.hub.models import StoredEntity

# (role or None for the public, the agency it acts for, the entity) → may it read it?
EntityRule = Callable[[str | None, str | None, StoredEntity], bool]


class Visibility:
    def __init__(self) -> None:
        self._rules: dict[str, EntityRule] = {}

    def restrict(self, type_iri: str, rule: EntityRule) -> None:
        self._rules[type_iri] = rule

    def allows(self, role: str | None, agency: str | None, entity: StoredEntity) -> bool:
        for t in entity.types:
            rule = self._rules.get(t)
            if rule is not None and not rule(role, agency, entity):
                return False
        return True
