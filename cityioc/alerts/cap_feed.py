"""Polling a CAP feed: a CAP ``alert`` document, or an Atom/RSS feed whose entries embed CAP
messages or link to them. Each message goes through ``CapIntake`` (which ignores repeats), so
polling the same feed again changes nothing. A failing feed is logged once, and once on recovery.
"""

from __future__ import annotations

import asyncio
import logging
from xml.etree.ElementTree import Element, ParseError

import httpx
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from cityioc.alerts.cap import MAX_BYTES, NS, parse_alert_element
from cityioc.alerts.cap_intake import CapIntake
from cityioc.core.errors import CityError

log = logging.getLogger(__name__)
ATOM = "http://www.w3.org/2005/Atom"
ACTOR = "cap:feed"


class FeedError(Exception):
    pass


class CapFeed:
    def __init__(
        self,
        url: str,
        intake: CapIntake,
        *,
        interval_s: float = 300.0,
        tenant: str = "default",
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self.url, self.intake, self.interval_s, self.tenant = url, intake, interval_s, tenant
        self._client = client or httpx.AsyncClient(timeout=10.0, follow_redirects=True)
        self._failing = False
        self._seen_links: set[str] = set()
        self.polls = 0
        self.rejected = 0

    async def aclose(self) -> None:
        await self._client.aclose()

    async def run(self) -> None:
        while True:
            await self.poll_once()
            await asyncio.sleep(self.interval_s)

    async def poll_once(self) -> int:
        """Fetch the feed and apply what it holds; returns the alerts raised or changed."""
        self.polls += 1
        try:
            changed = await self._poll()
        except (httpx.HTTPError, FeedError) as err:
            if not self._failing:
                log.warning("CAP feed %s cannot be read: %s", self.url, err)
            self._failing = True
            return 0
        if self._failing:
            log.info("CAP feed %s is readable again", self.url)
        self._failing = False
        await self.intake.expire(self.tenant)
        return changed

    async def _poll(self) -> int:
        root = await self._fetch(self.url)
        messages: list[Element] = []
        if root.tag == f"{{{NS}}}alert":
            messages.append(root)
        elif root.tag in (f"{{{ATOM}}}feed", "rss"):
            for embedded, link in _entries(root):
                if embedded is not None:
                    messages.append(embedded)
                elif link is not None and link not in self._seen_links:
                    messages.append(await self._fetch(link))
                    self._seen_links.add(link)
        else:
            raise FeedError(f"neither a CAP alert nor an Atom/RSS feed: <{root.tag}>")
        changed = 0
        for element in messages:
            try:
                message = parse_alert_element(element)
                result = await self.intake.apply(self.tenant, message, ACTOR)
            except CityError as err:
                self.rejected += 1
                log.warning("CAP feed %s: a message was refused: %s", self.url, err)
                continue
            changed += sum(1 for a in result.alerts if a["what"] != "unchanged")
        return changed

    async def _fetch(self, url: str) -> Element:
        response = await self._client.get(url)
        if response.status_code != 200:
            raise FeedError(f"HTTP {response.status_code} from {url}")
        if len(response.content) > 10 * MAX_BYTES:
            raise FeedError(f"{url} is too large")
        try:
            root: Element = fromstring(response.content, forbid_dtd=True)
        except (DefusedXmlException, ParseError, ValueError) as err:
            raise FeedError(f"{url} is not safe, well-formed XML ({err})") from err
        return root


def _entries(root: Element) -> list[tuple[Element | None, str | None]]:
    out: list[tuple[Element | None, str | None]] = []
    if root.tag == "rss":
        for item in root.iter("item"):
            link = item.findtext("link")
            embedded = item.find(f".//{{{NS}}}alert")
            out.append((embedded, link.strip() if link else None))
        return out
    for entry in root.findall(f"{{{ATOM}}}entry"):
        embedded = entry.find(f".//{{{NS}}}alert")
        href = None
        for node in entry.findall(f"{{{ATOM}}}link"):
            kind = node.get("type", "")
            if "cap" in kind or "xml" in kind or node.get("rel", "alternate") == "alternate":
                href = node.get("href")
                if href:
                    break
        out.append((embedded, href))
    return out
