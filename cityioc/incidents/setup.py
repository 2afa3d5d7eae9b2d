"""Build the incidents module from the settings (the web app and the CLI call this)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cityioc.core.settings import Settings
from cityioc.hub.service import Hub
from cityioc.incidents.escalation import SlaMonitor
from cityioc.incidents.from_alerts import AlertIncidents, AlertsPort
from cityioc.incidents.mail import Mailer, SmtpConfig
from cityioc.incidents.notify import Notifier
from cityioc.incidents.photos import PhotoStore
from cityioc.incidents.service import Incidents
from cityioc.packs.zone import city_timezone

log = logging.getLogger(__name__)


@dataclass(slots=True)
class IncidentsModule:
    service: Incidents
    alerts: AlertIncidents
    monitor: SlaMonitor
    notifier: Notifier
    photos: PhotoStore

    def connect_alerts(self, alerts: Any) -> None:
        """Use the alerts service (alerts-contract.md): its ``link_incident`` after each link,
        and its ``on_alert`` callback to open incidents for rules with ``incidentPolicy: auto``."""
        port: AlertsPort = alerts
        self.alerts.alerts = port
        alerts.on_alert(self.alerts.on_alert)


def smtp_config(settings: Settings) -> SmtpConfig | None:
    if not settings.smtp_host:
        return None
    if not settings.smtp_from:
        raise ValueError("CITYIOC_SMTP_FROM must be set with CITYIOC_SMTP_HOST")
    return SmtpConfig(
        host=settings.smtp_host,
        port=settings.smtp_port,
        sender=settings.smtp_from,
        user=settings.smtp_user,
        password=settings.smtp_password,
        starttls=settings.smtp_starttls,
    )


def build(hub: Hub, settings: Settings) -> IncidentsModule:
    timezone = city_timezone(settings)
    config = smtp_config(settings)
    notifier = Notifier(
        Mailer(config) if config is not None else None,
        hub.clock,
        escalation_to=[settings.escalation_email] if settings.escalation_email else [],
        timezone=timezone,
    )
    photos = PhotoStore(Path(settings.media_dir), settings.max_photo_bytes)
    service = Incidents(hub, timezone=timezone, notifier=notifier, photos=photos)
    return IncidentsModule(
        service,
        AlertIncidents(service),
        SlaMonitor(service, settings.sla_tick_s),
        notifier,
        photos,
    )
