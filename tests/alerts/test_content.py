"""Alert texts: placeholders filled from the facts, numbers written as each language writes them."""

from __future__ import annotations

from cityioc.alerts.content import fill


def test_numbers_follow_the_language() -> None:
    facts = {"name": "Bạch Đằng", "currentLevel": 1.55, "alertLevel": 1.4, "count": 1234}
    template = "{name}: {currentLevel} m / {alertLevel} m ({count})"
    assert fill(template, facts, "vi") == "Bạch Đằng: 1,55 m / 1,4 m (1.234)"
    assert fill(template, facts, "en") == "Bạch Đằng: 1.55 m / 1.4 m (1,234)"


def test_unknown_or_malformed_placeholders_stay_visible() -> None:
    assert fill("{name} {missing}", {"name": "A"}, "vi") == "A {missing}"
    assert fill("{name", {"name": "A"}, "en") == "{name"
    assert fill("{flag}", {"flag": True}, "vi") == "True"
