"""What the web UI benchmark measures inside headless Chromium (Playwright): time until a page says
it is ready, what it transferred, and its frame times.

"Ready" is the hook the browser tests use (``window.__cityioc.ready``: the first load of the
entities is in the store and the map has placed their markers, synchronously); the time recorded
is the first animation frame after it flips, i.e. once that state has been painted. It is watched
by a script installed before the page's own, polling once per frame, so the figure comes from the
page's clock (``performance.now()``, 0 = navigation start) and not from the benchmark's round trips.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cityioc.web.ui import STATIC

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

CHROMIUM = os.environ.get("CITYIOC_TEST_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]

WATCH_READY = """
(() => {
  window.__benchLong = [];
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) window.__benchLong.push([e.startTime, e.duration]);
    }).observe({ type: "longtask" });
  } catch (err) { /* no Long Tasks API */ }
  const check = () => {
    if (window.__cityioc && window.__cityioc.ready) {
      requestAnimationFrame(() => { window.__benchReadyAt = performance.now(); });
      return;
    }
    requestAnimationFrame(check);
  };
  requestAnimationFrame(check);
})();
"""

RESOURCES = """
() => [...performance.getEntriesByType("navigation"), ...performance.getEntriesByType("resource")]
  .map((e) => ({
    name: e.name,
    encoded: e.encodedBodySize,
    decoded: e.decodedBodySize,
    start: e.startTime,
    end: e.responseEnd,
  }))
"""

# rAF deltas over `seconds`, and the Long Tasks seen meanwhile.
FRAMES = """
(seconds) => new Promise((resolve) => {
  const deltas = [];
  const longTasks = [];
  let observer = null;
  try {
    observer = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) longTasks.push(e.duration);
    });
    observer.observe({ type: "longtask" });
  } catch (err) { observer = null; }
  let last = 0;
  let end = 0;
  const step = (t) => {
    deltas.push(t - last);
    last = t;
    if (t < end) requestAnimationFrame(step);
    else { if (observer) observer.disconnect(); resolve({ deltas, longTasks }); }
  };
  requestAnimationFrame((t) => {
    last = t;
    end = t + seconds * 1000;
    requestAnimationFrame(step);
  });
})
"""


def missing() -> str | None:
    """Why the benchmark cannot run here (None: it can): the browser or the built UI lacks."""
    if not Path(CHROMIUM).is_file():
        return f"not run: no {CHROMIUM} (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "not run: no Playwright for Python (pip install playwright)"
    if not (STATIC / "index.html").is_file():
        return "not run: no built web UI (make ui)"
    return None


@contextmanager
def chromium() -> Iterator[Browser]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield browser
        finally:
            browser.close()


@dataclass(frozen=True, slots=True)
class Load:
    ready_ms: float
    resources: list[dict[str, Any]]
    long_tasks: list[tuple[float, float]]  # (start, duration) ms, main-thread tasks over 50 ms

    def fetched(self, prefix: str) -> tuple[float, float] | None:
        """When the first request to ``prefix`` started and the last one ended (ms)."""
        hits = [r for r in self.resources if f"/{prefix}" in str(r["name"])]
        if not hits:
            return None
        return min(float(r["start"]) for r in hits), max(float(r["end"]) for r in hits)

    def busy_before(self, at_ms: float, since_ms: float = 0.0) -> float:
        """Milliseconds of long tasks between ``since_ms`` and ``at_ms``."""
        return sum(d for s, d in self.long_tasks if since_ms <= s < at_ms)


@contextmanager
def opened(
    browser: Browser, url: str, key: str | None, timeout_s: float = 120.0
) -> Iterator[tuple[Page, Load]]:
    """A cold load of ``url`` in a fresh context (no cache, no storage), signed in with ``key``;
    yields the page once it is ready and its fonts are in, with the time and what it loaded."""
    # bypass_csp: Playwright's evaluate needs eval, which the page's CSP forbids.
    context = browser.new_context(
        viewport={"width": 1440, "height": 900}, bypass_csp=True, locale="vi-VN"
    )
    try:
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda err: errors.append(str(err)))
        if key:
            page.add_init_script(f"sessionStorage.setItem('cityioc.apiKey', '{key}')")
        page.add_init_script(WATCH_READY)
        page.goto(url, wait_until="commit")
        page.wait_for_function(
            "() => window.__benchReadyAt !== undefined", timeout=timeout_s * 1000, polling=100
        )
        page.evaluate("() => document.fonts.ready.then(() => true)")
        page.wait_for_timeout(300)  # late requests (icons, fonts) after the first paint
        if errors:
            raise RuntimeError(f"errors in the page: {errors}")
        ready = float(page.evaluate("() => window.__benchReadyAt"))
        long_tasks = [(float(s), float(d)) for s, d in page.evaluate("() => window.__benchLong")]
        yield page, Load(ready, list(page.evaluate(RESOURCES)), long_tasks)
    finally:
        context.close()


@dataclass(frozen=True, slots=True)
class Frames:
    deltas: list[float]
    long_tasks: list[float]

    def percentile(self, p: float) -> float:
        return percentile(self.deltas, p)

    def share_over(self, ms: float) -> float:
        return sum(d > ms for d in self.deltas) / len(self.deltas) if self.deltas else 0.0


def frames(page: Page, seconds: float) -> Frames:
    raw = page.evaluate(FRAMES, seconds)
    return Frames([float(d) for d in raw["deltas"]], [float(t) for t in raw["longTasks"]])


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (``p`` in 0–100)."""
    ordered = sorted(values)
    if not ordered:
        return 0.0
    rank = max(1, min(len(ordered), round(p / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]
