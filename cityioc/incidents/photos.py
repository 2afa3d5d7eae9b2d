"""Resolution photos: files under the configured media directory, never in the public API.

Only JPEG, PNG and WebP are taken, recognised by their first bytes (the declared content type is
not trusted), up to ``max_bytes``. A file is named by its content hash under
``<media_dir>/<tenant>/<incident local id>/``, so storing the same photo twice keeps one file, and
names are checked on the way back so that no path leaves that folder.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from pathlib import Path

from cityioc.core.errors import BadRequestData, PayloadTooLarge, ResourceNotFound
from cityioc.incidents.models import local_part

MEDIA_TYPES = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}
_NAME = re.compile(r"^[0-9a-f]{32}\.(jpg|png|webp)$")
_SAFE = re.compile(r"^[A-Za-z0-9._-]{1,120}$")


def sniff(data: bytes) -> str | None:
    """The file extension for the image format ``data`` starts with, or None."""
    if data.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return None


class PhotoStore:
    def __init__(self, root: Path, max_bytes: int) -> None:
        self.root = root
        self.max_bytes = max_bytes

    def check(self, data: bytes) -> str:
        """The extension for an acceptable photo; raises for a too large or unknown file."""
        if len(data) > self.max_bytes:
            raise PayloadTooLarge(f"a photo may have at most {self.max_bytes} bytes")
        if not data:
            raise BadRequestData("the photo is empty")
        ext = sniff(data)
        if ext is None:
            raise BadRequestData("a photo must be a JPEG, PNG or WebP image")
        return ext

    async def save(self, tenant: str, incident: str, data: bytes) -> str:
        ext = self.check(data)
        name = f"{hashlib.sha256(data).hexdigest()[:32]}.{ext}"
        folder = self._folder(tenant, incident)

        def write() -> None:
            folder.mkdir(parents=True, exist_ok=True)
            target = folder / name
            if not target.exists():
                partial = folder / f".{name}.part"
                partial.write_bytes(data)
                partial.replace(target)  # never a half-written photo under its final name

        await asyncio.to_thread(write)
        return name

    def path(self, tenant: str, incident: str, name: str) -> tuple[Path, str]:
        """The file and its media type; ResourceNotFound for a bad or missing name."""
        match = _NAME.match(name)
        target = self._folder(tenant, incident) / name
        if match is None or not target.is_file():
            raise ResourceNotFound(f"photo {name} does not exist")
        return target, MEDIA_TYPES[match.group(1)]

    def _folder(self, tenant: str, incident: str) -> Path:
        local = local_part(incident)
        if not _SAFE.match(tenant) or not _SAFE.match(local) or local.startswith("."):
            raise BadRequestData("bad tenant or incident id for a photo")
        return self.root / tenant / local
