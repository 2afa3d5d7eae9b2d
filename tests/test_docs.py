"""The README keeps up with the code: every setting and every CLI command is documented."""

from __future__ import annotations

from pathlib import Path

from typer.main import get_command

from cityioc.cli import app
from cityioc.core.settings import Settings

README = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")


def test_every_setting_is_documented() -> None:
    missing = [name for name in Settings.model_fields if f"`{name}`" not in README]
    assert not missing, f"settings missing from the README's configuration table: {missing}"


def test_every_command_is_documented() -> None:
    group = get_command(app)
    names = list(getattr(group, "commands", {}))
    assert names, "the CLI has no commands"
    missing = [name for name in names if f"cityioc {name}" not in README]
    assert not missing, f"commands missing from the README: {missing}"
