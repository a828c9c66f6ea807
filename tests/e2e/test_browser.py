"""The browser the console's tests drive: Debian's Chromium, headless, on loopback only.

It loads a page a test serves on loopback; it loads nothing from elsewhere (such a
request meets the refusing proxy instead, and is recorded); and left alone it calls
nowhere of its own accord.
"""

import threading
import time
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.e2e.browser import Outside, launch, low_contrast

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Loopback</title></head>
<body><main><h1>Served on loopback</h1>
<form method="post" action="/login">
<label for="name">Name</label> <input id="name" name="name" autocomplete="username">
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password">
<label for="note">Note</label> <textarea id="note" name="note"></textarea>
<button type="submit">Sign in</button></form>
</main></body></html>
"""


class Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def loopback_site(tmp_path):
    """A folder served over HTTP on 127.0.0.1: (base address, folder)."""
    (tmp_path / "index.html").write_text(PAGE)
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(Quiet, directory=str(tmp_path)))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", tmp_path
    server.shutdown()
    server.server_close()


def test_a_page_served_on_loopback_loads_and_can_be_filled_in(page, loopback_site):
    base, _ = loopback_site
    response = page.goto(f"{base}/index.html")
    assert response.status == 200
    assert page.get_by_role("heading", level=1).inner_text() == "Served on loopback"
    page.get_by_label("Name").fill("Sam")
    assert page.get_by_label("Name").input_value() == "Sam"


def test_text_too_faint_for_wcag_aa_is_found(page, loopback_site):
    base, folder = loopback_site
    (folder / "contrast.html").write_text(
        '<!doctype html><title>c</title><body style="background:#fff">'
        '<p id="ok" style="color:#595959">Grey that passes (7:1)</p>'
        '<p style="color:#949494">Grey that fails (3:1)</p>'
        '<div style="background:#1a1a2e"><p style="color:#333">Dark on dark</p></div>'
        '<h1 style="font-size:32px;color:#8a8a8a">Large text at 3.4:1 passes</h1>'
    )
    page.goto(f"{base}/contrast.html")
    found = low_contrast(page)
    assert len(found) == 2, found
    assert '"Grey that fails (3:1)"' in found[0] and '"Dark on dark"' in found[1]


def test_each_test_starts_with_no_cookies(page, loopback_site):
    base, _ = loopback_site
    page.goto(f"{base}/index.html")
    assert page.context.cookies() == []


def test_anything_not_on_loopback_is_refused_and_recorded(page, loopback_site, outside):
    base, folder = loopback_site
    (folder / "remote.html").write_text(
        '<!doctype html><title>r</title><img alt="" src="http://images.example.org/logo.png">'
    )
    page.goto(f"{base}/remote.html")
    deadline = time.monotonic() + 10
    while not any("images.example.org" in call for call in outside.calls):
        assert time.monotonic() < deadline, outside.calls
        time.sleep(0.1)
    assert page.evaluate("document.images[0].naturalWidth") == 0


def test_the_browser_left_alone_calls_nowhere(browser, loopback_site):
    # A browser of its own, watched from its start, on a page with a sign-in form and
    # words typed, then a quiet spell in which Chromium would fetch updates, account
    # lists, autofill predictions or a spelling dictionary if it could.
    base, _ = loopback_site
    watcher = Outside()
    chromium = launch(browser.browser_type, watcher)
    try:
        page = chromium.new_context().new_page()
        page.goto(f"{base}/index.html")
        page.get_by_label("Name").fill("Sam")
        page.get_by_label("Note").click()
        page.keyboard.type("a mispelt wrod or two")
        time.sleep(10)
    finally:
        chromium.close()
        watcher.close()
    assert watcher.calls == []
