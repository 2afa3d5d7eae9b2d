"""``validate_pack(path)``: read a pack folder (or a built-in pack by name) and check all of it.

Every problem in every file is collected before failing, each as ``file:line: message``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cityioc.packs.models import Manifest
from cityioc.packs.pack import Pack
from cityioc.packs.problems import PackError, Problem, Problems
from cityioc.packs.registry import ParseContext, sections
from cityioc.packs.sources import read_yaml
from cityioc.packs.validation import validate_yaml_item

MANIFEST = "pack.yaml"
BUILTIN_ROOT = Path(__file__).parent
# Files a pack folder may hold besides its sections: documentation and Python packaging.
IGNORED = ("README", "LICENSE", "NOTICE", "__init__.py", "__pycache__")


def builtin_packs() -> dict[str, Path]:
    """The packs shipped inside cityioc, by name (``binh-duong`` → ``cityioc/packs/binh_duong``)."""
    return {
        p.parent.name.replace("_", "-"): p.parent
        for p in sorted(BUILTIN_ROOT.glob(f"*/{MANIFEST}"))
    }


def resolve(path: str | Path) -> Path:
    """A pack folder from a path or a built-in pack's name."""
    candidate = Path(path)
    if candidate.is_dir() or isinstance(path, Path):
        return candidate
    return builtin_packs().get(str(path), candidate)


def validate_pack(path: str | Path) -> Pack:
    """The pack at ``path`` (a folder, or a built-in name such as ``binh-duong``).

    Raises PackError listing every problem as ``file:line: message``.
    """
    root = resolve(path)
    if not (root / MANIFEST).is_file():
        known = ", ".join(builtin_packs()) or "none"
        raise PackError(
            [Problem(str(path), 0, f"not a pack: no {MANIFEST} (built-in packs: {known})")]
        )
    problems = Problems()
    manifest = _manifest(root, problems)
    if manifest is None:
        raise PackError(problems.items, pack=str(root))
    parsed: dict[str, Any] = {}
    ctx = ParseContext(root, manifest, problems, parsed)
    claimed = {MANIFEST}
    chosen = sections()
    for section in chosen:
        claimed.update(section.files)
        if not any(ctx.exists(f) for f in section.files):
            if section.required:
                problems.add(section.files[0], 0, f"missing: a pack needs its {section.name}")
            continue
        parsed[section.name] = section.parse(ctx)
    for section in chosen:
        if section.check is not None and section.name in parsed:
            section.check(ctx, parsed[section.name])
    _unknown_files(root, claimed, problems)
    if problems:
        raise PackError(problems.items, pack=manifest.name)
    return Pack(root, manifest, dict(parsed))


def _manifest(root: Path, problems: Problems) -> Manifest | None:
    marked = read_yaml(root, MANIFEST, problems)
    if marked is None:
        return None
    if not isinstance(marked.data, dict):
        problems.add(MANIFEST, marked.line(), "pack.yaml must be a mapping")
        return None
    return validate_yaml_item(Manifest, marked, (), marked.data, problems)


def _unknown_files(root: Path, claimed: set[str], problems: Problems) -> None:
    """A misspelt file name would otherwise be silently ignored."""
    for entry in sorted(root.iterdir()):
        name = entry.name
        if name in claimed or name.startswith((".", *IGNORED)) or name.endswith(".md"):
            continue
        problems.add(
            name, 0, f"not part of the pack format (known files: {', '.join(sorted(claimed))})"
        )
