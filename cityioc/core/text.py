"""Text folding for Vietnamese search: "Thuận An", "thuan an" and "THUẬN AN" all match."""

from __future__ import annotations

import unicodedata
from functools import lru_cache

# đ/Đ are letters of their own, not d with a combining mark, so NFD leaves them alone.
_LETTERS = str.maketrans({"đ": "d", "Đ": "D"})


@lru_cache(maxsize=4096)
def fold(text: str) -> str:
    """Lower-case text without diacritics, for comparison only (never for display)."""
    decomposed = unicodedata.normalize("NFD", text.translate(_LETTERS))
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(stripped.casefold().split())


def names_match(value: object, wanted: str) -> bool:
    """Whether a name — or one of a list of names (``areaServed`` may be either) — is ``wanted``
    (already folded), whole, without case or accents."""
    values = value if isinstance(value, list) else [value]
    return any(isinstance(v, str) and fold(v) == wanted for v in values)
