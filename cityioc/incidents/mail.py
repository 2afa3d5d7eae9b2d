"""E-mail through SMTP (``aiosmtplib``), only when ``smtp_host`` and ``smtp_from`` are set.

Messages are bilingual (Vietnamese first, then English) and built from the small templates
below. Sending is best effort: a failure is logged and reported to the caller, never raised into
the write that caused it (the audit trail and the entity already hold what happened).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from zoneinfo import ZoneInfo

import aiosmtplib

from cityioc.core.clock import from_ms
from cityioc.incidents.models import STATUS_LABELS, Breach, Incident

log = logging.getLogger(__name__)

BREACH_TEXT = {
    "acknowledge": ("chưa được xác nhận đúng hạn", "was not acknowledged in time"),
    "resolve": ("chưa được xử lý đúng hạn", "was not resolved in time"),
}


@dataclass(frozen=True, slots=True)
class SmtpConfig:
    host: str
    port: int
    sender: str
    user: str | None = None
    password: str | None = None
    starttls: bool = True
    timeout_s: float = 10.0


class Mailer:
    def __init__(self, config: SmtpConfig) -> None:
        self.config = config

    async def send(self, message: EmailMessage) -> bool:
        """Send one message; False (and a log line) when the server refuses or is unreachable."""
        c = self.config
        if message["From"] is None:
            message["From"] = c.sender
        try:
            await aiosmtplib.send(
                message,
                hostname=c.host,
                port=c.port,
                username=c.user,
                password=c.password,
                start_tls=c.starttls,
                timeout=c.timeout_s,
            )
        except (aiosmtplib.SMTPException, OSError) as err:
            log.warning("e-mail to %s not sent: %s", message["To"], err)
            return False
        return True


def _local(ms: int, timezone: str) -> str:
    return from_ms(ms).astimezone(ZoneInfo(timezone)).strftime("%H:%M %d/%m/%Y")


def _message(to: Sequence[str], subject: str, body: str, now_ms: int) -> EmailMessage:
    message = EmailMessage()
    message["To"] = ", ".join(to)
    message["Subject"] = subject
    message["Date"] = format_datetime(from_ms(now_ms))
    message["Message-ID"] = make_msgid(domain="cityioc")
    message.set_content(body)
    return message


def _title(incident: Incident, lang: str) -> str:
    return incident.title.get(lang) or next(iter(incident.title.values()), incident.id)


def escalation_message(
    incident: Incident,
    breach: Breach,
    to: Sequence[str],
    *,
    agency_name: str | None,
    timezone: str,
    now_ms: int,
    link: str | None = None,
) -> EmailMessage:
    vi, en = BREACH_TEXT.get(breach.kind, (breach.kind, breach.kind))
    due = _local(breach.due_at, timezone)
    status = STATUS_LABELS[incident.status]
    subject = f"[Quá hạn / Overdue] {_title(incident, 'vi')}"
    lines = [
        f'Sự cố "{_title(incident, "vi")}" {vi} (hạn {due}).',
        f"Trạng thái: {status['vi']}. Mức độ: {incident.cap_severity}."
        f" Khu vực: {incident.area_name or '—'}. Đơn vị xử lý: {agency_name or '—'}.",
        "",
        f'Incident "{_title(incident, "en")}" {en} (due {due}).',
        f"Status: {status['en']}. Severity: {incident.cap_severity}."
        f" Area: {incident.area_name or '—'}. Responsible agency: {agency_name or '—'}.",
        "",
        f"Mã sự cố / Incident id: {incident.id}",
    ]
    if link:
        lines.append(link)
    lines += ["", "— cityioc, Trung tâm điều hành / operations centre"]
    return _message(to, subject, "\n".join(lines), now_ms)


def dispatch_message(
    incident: Incident,
    to: Sequence[str],
    *,
    agency_name: str | None,
    timezone: str,
    now_ms: int,
) -> EmailMessage:
    subject = f"[Sự cố / Incident] {_title(incident, 'vi')}"
    opened = _local(incident.opened_at, timezone)
    due = _local(incident.sla_resolve_due, timezone) if incident.sla_resolve_due else "—"
    lines = [
        f"Trung tâm điều hành đã giao sự cố cho {agency_name or 'đơn vị'}:",
        f'"{_title(incident, "vi")}" — mức độ {incident.cap_severity},'
        f" khu vực {incident.area_name or '—'}, mở lúc {opened}, hạn xử lý {due}.",
        "",
        f"The operations centre dispatched an incident to {agency_name or 'your agency'}:",
        f'"{_title(incident, "en")}" — severity {incident.cap_severity},'
        f" area {incident.area_name or '—'}, opened {opened}, due {due}.",
        "",
        f"Mã sự cố / Incident id: {incident.id}",
        "",
        "— cityioc, Trung tâm điều hành / operations centre",
    ]
    return _message(to, subject, "\n".join(lines), now_ms)


def when_text(ms: int, timezone: str) -> str:
    """For tests and logs: the local time as the messages print it."""
    return _local(ms, timezone)
