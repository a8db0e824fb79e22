"""The portal's contact footer, unknown-token warning and favicon in headless Chromium at a
phone's and a desktop's width (screenshots in the test's tmp dir, or PTSP_SHOTS if set)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from ptsp.web import create_app
from tests.web_support import LiveServer, chromium, require_chromium, shared_decrees, shots_dir

pytestmark = [pytest.mark.integration, pytest.mark.browser]
require_chromium()


@pytest.fixture(scope="module")
def server():
    decrees = shared_decrees()
    profile = decrees.profile()
    profile = replace(profile, office=replace(profile.office, phone="(0526) 2028060",
                                              email="dpmptsp@balangankab.go.id"))
    with LiveServer(create_app(profile, decrees.registry)) as s:
        yield s, decrees


@pytest.fixture(scope="module")
def browser(server):
    with chromium() as b:
        yield b


@pytest.mark.parametrize("width", [390, 1280])
def test_contact_warning_and_favicon(server, browser, width, tmp_path):
    s, decrees = server
    shots = shots_dir(tmp_path)
    context = browser.new_context(viewport={"width": width, "height": 844}, locale="id-ID")
    page = context.new_page()
    try:
        rec = decrees.record_for(decrees.pdfs[0])
        for name, path in (("home", "/"), ("decree", f"/v/{rec.token}"),
                           ("unknown", "/v/" + "Q" * 32)):
            page.goto(s.url + path)
            contact = page.locator("#kontak")
            assert contact.is_visible()
            assert "dpmptsp@balangankab.go.id" in contact.inner_text()
            assert page.evaluate("document.documentElement.scrollWidth") <= width
            if name == "unknown":
                warning = page.locator("#peringatan")
                assert warning.is_visible()
                assert "mungkin tidak asli" in warning.inner_text()
                assert "(0526) 2028060" in warning.inner_text()
            page.screenshot(path=str(shots / f"portal-{name}-{width}.png"), full_page=True)
        icon = page.request.get(s.url + "/favicon.ico")
        assert icon.ok and icon.headers["content-type"] == "image/x-icon"
    finally:
        context.close()
