"""City packs: a city as configuration plus data (docs/packs.md).

``validate_pack(path)`` reads and checks a pack folder (or a built-in pack by name, such as
``binh-duong``); ``await load_pack(hub, pack, actor)`` writes it into the hub idempotently.
"""

from cityioc.packs.areas import AreaIndex, area_at
from cityioc.packs.load import LoadReport, SectionReport, load_pack
from cityioc.packs.pack import Pack
from cityioc.packs.problems import PackError, Problem
from cityioc.packs.registry import LoadContext, ParseContext, Section, register_section
from cityioc.packs.validate import builtin_packs, validate_pack

__all__ = [
    "AreaIndex",
    "LoadContext",
    "LoadReport",
    "Pack",
    "PackError",
    "ParseContext",
    "Problem",
    "Section",
    "SectionReport",
    "area_at",
    "builtin_packs",
    "load_pack",
    "register_section",
    "validate_pack",
]
