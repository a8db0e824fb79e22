"""Issue 15: the Kepala Dinas signs through BSrE on the office page in headless Chromium.

Real parts: the office under uvicorn, LibreOffice drafts, the BSrE-shaped service as its own
process (scripts/bsre_stub.py, signing under the DEMO BSrE-like CA), the test PKI's services.
A wrong passphrase keeps him on his page with his selection and one message, nothing signed;
the right one signs all. Screenshots go to ``$PTSP_SHOTS`` (or the test's tmp dir).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.office_support import PASSWORD
from tests.remote_support import (
    BSRE_PASSPHRASE,
    bsre_section,
    remote_office,
    start_bsre,
    stop,
    stub_stats,
)
from tests.web_support import CHROMIUM, FLAGS, LiveServer, require_chromium

pytestmark = [pytest.mark.integration, pytest.mark.browser]
require_chromium()


def test_kadis_signs_through_bsre_in_the_browser(tmp_path):
    from playwright.sync_api import sync_playwright

    url, proc = start_bsre(tmp_path / "bsre.log", latency=0.5)
    shots = Path(os.environ.get("PTSP_SHOTS") or tmp_path / "shots")
    shots.mkdir(parents=True, exist_ok=True)
    try:
        o = remote_office(tmp_path / "o", bsre_section(url), count=3, seed=153)
        ids, store = o["ids"], o["office"].store
        with LiveServer(o["app"]) as server, sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
            try:
                page = browser.new_context(locale="id-ID").new_page()
                page.goto(server.url + "/kantor/masuk")
                page.fill("#username", "kadis1")
                page.fill("#password", PASSWORD)
                page.click("button[type=submit]")
                page.wait_for_load_state()
                page.goto(server.url + "/kantor/tanda-tangan")
                assert "passphrase sertifikat elektronik BSrE" in page.inner_text("label[for=pin]")
                # a wrong passphrase
                before = stub_stats(url)
                page.check(f"input[name=app][value='{ids[1]}']")
                page.fill("#pin", "passphrase-salah-CONTOH")
                page.click("#tandatangani")
                page.wait_for_selector("#galat")
                assert page.url.endswith("/kantor/tanda-tangan")
                text = page.inner_text("main")
                assert text.count("Layanan tanda tangan menolak") == 1
                assert "Passphrase sertifikat elektronik salah" in page.inner_text("#galat")
                checked = page.eval_on_selector_all("input[name=app]:checked",
                                                    "els => els.map(e => e.value)")
                assert checked == [ids[1]]
                assert page.input_value("#pin") == ""  # the secret is not sent back
                assert stub_stats(url)["sign_requests"] - before["sign_requests"] == 1
                assert [store.application(i).stage for i in ids] == ["kadis"] * 3
                page.screenshot(path=str(shots / "ttd-bsre-salah.png"), full_page=True)
                # the right one: all three
                page.fill("#pin", BSRE_PASSPHRASE)
                page.click("#tandatangani-semua")
                page.wait_for_selector("#selesai", timeout=240_000)
                assert "3 keputusan ditandatangani, 0 gagal" in page.inner_text("#keadaan")
                assert page.locator("#hasil tbody tr").count() == 3
                page.screenshot(path=str(shots / "ttd-bsre-selesai.png"), full_page=True)
            finally:
                browser.close()
        assert [store.application(i).stage for i in ids] == ["signed"] * 3
    finally:
        stop(proc)
