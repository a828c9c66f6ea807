"""Real headless Chromium for the console's browser tests, driven by Playwright.

Debian's `chromium` (scripts/ensure-chromium.sh installs it; `make e2e` calls it), never
Playwright's own browser download. One browser for the whole session, a fresh context
(cookies, storage) for every test, so no test inherits another's login.

Chromium's own background connections (updates, safe browsing, metrics, sync, account
lists, autofill, spelling dictionaries) are switched off by its flags, or pointed at a
loopback port where nothing listens; and every other address that is not loopback goes
through `Outside`, a proxy that refuses every request and records it, so a test can
show that a page loaded nothing from the internet and that the browser called nowhere
on its own (tests/e2e/test_browser.py).
"""

from __future__ import annotations

import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import List

import pytest

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
# The contract's flags, and the rest of Chromium's calls home switched off. No
# --disable-features here: Chromium keeps only the last, and Playwright's own turns off
# the network-time queries.
FLAGS = [
    "--no-sandbox",  # the tests may run as root in a container
    "--disable-background-networking",
    "--disable-gpu",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-domain-reliability",
    "--disable-client-side-phishing-detection",
    "--disable-breakpad",
    "--metrics-recording-only",
    "--no-pings",
    # Four services ignore the switches above: the component updater still asks
    # update.googleapis.com about one component, the sign-in service lists accounts at
    # accounts.google.com (Debian's build carries Google API keys), autofill asks
    # content-autofill.googleapis.com about every form, and the spelling checker fetches
    # its dictionary from redirector.gvt1.com once someone types. All four are pointed
    # at the discard port on loopback, where nothing listens (the dictionary's host by
    # name, past the proxy, as its address has no switch).
    "--component-updater=url-source=http://127.0.0.1:9/",
    "--gaia-url=http://127.0.0.1:9/",
    "--autofill-server-url=http://127.0.0.1:9/",
    "--host-resolver-rules=MAP redirector.gvt1.com 127.0.0.1:9",
]
DIRECT = "redirector.gvt1.com"  # reached directly, so that the rule above applies
# Room for a page that waits on the assistant (a model's answer takes a few seconds).
TIMEOUT_MS = 20_000
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 375, "height": 740}


class Outside:
    """A proxy for every address that is not loopback: it refuses each request (403)
    and records where it was going ("CONNECT host:443", "GET http://host/path")."""

    def __init__(self) -> None:
        self.calls: List[str] = []
        outside = self

        class Handler(BaseHTTPRequestHandler):
            def _refuse(self) -> None:
                outside.calls.append(f"{self.command} {self.path}")
                self.send_response(403)
                self.send_header("Content-Length", "0")
                self.send_header("Connection", "close")
                self.end_headers()

            do_CONNECT = do_GET = do_POST = do_HEAD = do_PUT = do_OPTIONS = _refuse

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def address(self) -> str:
        """The proxy's address, for Chromium's --proxy-server."""
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        """Stop listening."""
        self.server.shutdown()
        self.server.server_close()


# WCAG 2.1 contrast of every piece of text as the browser renders it, against the
# background it is painted on (ancestors' colours composed; text over a picture or
# inside a chart is left out). Normal text needs 4.5:1, large text (24 px, or 18.66 px
# bold) 3:1.
CONTRAST = r"""
() => {
  function rgba(s) {
    const m = s.match(/rgba?\(([^)]+)\)/);
    if (!m) return null;
    const p = m[1].split(/[ ,\/]+/).filter(Boolean).map(Number);
    return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
  }
  function lum([r, g, b]) {
    const f = (c) => { c /= 255; return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  }
  function over(top, bottom) {
    const a = top[3];
    return [0, 1, 2].map((i) => top[i] * a + bottom[i] * (1 - a)).concat([1]);
  }
  function background(el) {
    const layers = [];
    for (let e = el; e; e = e.parentElement) {
      const s = getComputedStyle(e);
      if (s.backgroundImage && s.backgroundImage !== "none") return null;
      const c = rgba(s.backgroundColor);
      if (c && c[3] > 0) { layers.push(c); if (c[3] >= 1) break; }
    }
    let bg = [255, 255, 255, 1];
    for (let i = layers.length - 1; i >= 0; i--) bg = over(layers[i], bg);
    return bg;
  }
  const found = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const seen = new Set();
  while (walker.nextNode()) {
    const node = walker.currentNode;
    if (!node.textContent.trim()) continue;
    const el = node.parentElement;
    if (!el || seen.has(el)) continue;
    seen.add(el);
    const s = getComputedStyle(el);
    const r = el.getBoundingClientRect();
    if (s.visibility === "hidden" || s.display === "none" || r.width === 0 || r.height === 0) continue;
    if (el.closest("svg")) continue;
    const bg = background(el);
    if (!bg) continue;
    const fg = over(rgba(s.color), bg);
    const [l1, l2] = [lum(fg), lum(bg)].sort((a, b) => b - a);
    const ratio = (l1 + 0.05) / (l2 + 0.05);
    const size = parseFloat(s.fontSize), bold = parseInt(s.fontWeight, 10) >= 700;
    const large = size >= 24 || (bold && size >= 18.66);
    if (ratio < (large ? 3 : 4.5)) {
      found.push(`${ratio.toFixed(2)} ${el.tagName.toLowerCase()}.${el.className} "${node.textContent.trim().slice(0, 40)}" ${s.color} on rgb(${bg.slice(0,3).map(Math.round)})`);
    }
  }
  return found;
}
"""


def low_contrast(page) -> List[str]:
    """The visible texts on `page` whose contrast is below WCAG AA, each described as
    "ratio element "text" colour on background"."""
    return page.evaluate(CONTRAST)


def launch(browser_type, outside: Outside):
    """Debian's Chromium, headless, with the flags above and `outside` as its proxy.

    Chromium never sends loopback addresses through a proxy, so the servers under test
    are reached directly and only the rest of the world meets `outside`.
    """
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing: run scripts/ensure-chromium.sh (make e2e does)")
    return browser_type.launch(
        executable_path=CHROMIUM,
        headless=True,
        args=[*FLAGS, f"--proxy-server={outside.address}", f"--proxy-bypass-list={DIRECT}"],
    )


@pytest.fixture(scope="session")
def outside():
    """Where the browser's requests for anything but loopback end up, refused."""
    proxy = Outside()
    yield proxy
    proxy.close()


@pytest.fixture(scope="session")
def browser(outside):
    """One headless Chromium for the whole session."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = launch(playwright.chromium, outside)
        yield chromium
        chromium.close()


@pytest.fixture
def context(browser):
    """A fresh browser context (no cookies, no storage) at desktop width."""
    fresh = browser.new_context(viewport=DESKTOP, locale="en-GB", timezone_id="Europe/London")
    fresh.set_default_timeout(TIMEOUT_MS)
    yield fresh
    fresh.close()


@pytest.fixture
def page(context):
    """A page in this test's own fresh context."""
    return context.new_page()
