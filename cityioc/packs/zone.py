"""The configured city's time zone, read from its pack's manifest (modules show local times)."""

from __future__ import annotations

import logging

import yaml

from cityioc.core.settings import Settings
from cityioc.packs.models import Manifest
from cityioc.packs.validate import MANIFEST, resolve

log = logging.getLogger(__name__)


def city_timezone(settings: Settings) -> str:
    """The time zone of the configured city pack (area validity, times in e-mails and alert
    texts); else UTC."""
    pack = getattr(settings, "city_pack", None)
    if not pack:
        return "UTC"
    try:
        raw = yaml.safe_load((resolve(pack) / MANIFEST).read_text(encoding="utf-8-sig"))
        return Manifest.model_validate(raw).timezone
    except (OSError, ValueError, yaml.YAMLError) as err:  # pydantic errors are ValueErrors
        log.warning("cannot read the time zone of pack %r: %s", pack, err)
        return "UTC"
