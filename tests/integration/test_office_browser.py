"""The whole SOP path in a real browser (headless Chromium through Playwright), real parts:
LibreOffice drafts, the test PKI's PKCS#12 key, the TSA, a SQLite registry.

Back office uploads 3 approved applications plus a broken one and sees the broken row and
field, generates the drafts; the Kasi opens a draft (page image) and initials all; the Kabid
initials; the Kepala Dinas selects all and signs with one passphrase entry; the back office
downloads the applicant's copy; the copy verifies SAH, its QR link is the registry's, and the
audit trail names each user. Screenshots of every step go to the test's tmp dir.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.catalog import load_catalog
from ptsp.samples import sample_batch
from tests.office_support import PASSWORD, applications_csv, make_office
from tests.signer_support import TEST_PASSPHRASE, shared_services, shared_test_pki
from tests.web_support import LiveServer, chromium, office_login, require_chromium

pytestmark = [pytest.mark.integration, pytest.mark.browser]
require_chromium()


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("kantor-browser")
    pki = shared_test_pki()
    shared_services()
    app, profile, url = make_office(tmp, pki)
    apps = sample_batch(load_catalog(), count=3, seed=17, start=300)
    broken = {**apps[0], "application_id": "APP-RUSAK-001",
              "applicant": {**apps[0]["applicant"], "nik": "12345"}}
    src = tmp / "disetujui.csv"
    src.write_text(applications_csv(apps[:2] + [broken] + apps[2:]), encoding="utf-8")
    with LiveServer(app) as server:
        yield {"tmp": tmp, "app": app, "office": app.state.office, "profile": profile,
               "db": tmp / "registry.sqlite", "src": src, "apps": apps, "server": server}


@pytest.fixture(scope="module")
def browser(setup):
    with chromium() as b:
        yield b


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("screenshots")
    print(f"\nscreenshots: {path}")
    return path


def session(browser, setup, username: str):
    # /kantor/ sends a visitor without a session to the login form
    return office_login(browser, setup["server"].url, username, PASSWORD,
                        accept_downloads=True, start="/kantor/")


def wait_job(page, timeout_ms: int = 180_000) -> str:
    page.wait_for_selector("#selesai", timeout=timeout_ms)
    return page.inner_text("#keadaan")


def test_upload_review_sign_handover(browser, setup, shots):
    url = setup["server"].url
    # -- back office: upload, see the broken row, generate --------------------------------
    ctx, bo = session(browser, setup, "bo1")
    bo.screenshot(path=str(shots / "01-unggah.png"), full_page=True)
    bo.set_input_files("#berkas", str(setup["src"]))
    bo.click("text=Unggah dan periksa")
    bo.wait_for_selector("#ringkasan")
    assert "3 permohonan valid" in bo.inner_text("#ringkasan")
    rejected = bo.inner_text("#ditolak")
    assert "4" in rejected and "APP-RUSAK-001" in rejected and "applicant.nik" in rejected
    assert "NIK 12345 tidak sah" in rejected and "invalid" not in rejected  # Bahasa Indonesia
    bo.screenshot(path=str(shots / "02-hasil-unggah.png"), full_page=True)
    bo.click("#susun")
    assert "3 draf disusun, 0 gagal" in wait_job(bo)
    bo.screenshot(path=str(shots / "03-draf-selesai.png"), full_page=True)

    # -- Kasi: open a draft (page image), initial all -------------------------------------
    kctx, kasi = session(browser, setup, "kasi1")
    assert kasi.locator("#antrean .draft-card").count() == 3
    kasi.click("#antrean .draft-card:first-child >> text=Lihat")
    img = kasi.locator(".pages img").first
    img.wait_for()
    kasi.wait_for_function("() => { const i = document.querySelector('.pages img');"
                           " return i && i.complete && i.naturalWidth > 300; }")
    assert kasi.locator(".pages img").count() >= 1
    kasi.screenshot(path=str(shots / "04-kasi-draf.png"), full_page=False)
    kasi.goto(url + "/kantor/periksa")
    kasi.click("#paraf-semua")
    kasi.wait_for_selector("#kosong")

    # -- Kabid: select all (script) and initial -------------------------------------------
    bctx, kabid = session(browser, setup, "kabid1")
    assert kabid.locator("#antrean .draft-card").count() == 3
    kabid.check("input[data-select-all]")
    assert kabid.locator("input[name=app]:checked").count() == 3
    kabid.click("text=Paraf yang dipilih")
    kabid.wait_for_selector("#kosong")

    # -- Kepala Dinas: select all, one passphrase entry, progress, result ------------------
    dctx, kadis = session(browser, setup, "kadis1")
    assert kadis.locator("#antrean .draft-card").count() == 3
    kadis.check("input[data-select-all]")
    kadis.fill("#pin", TEST_PASSPHRASE)
    kadis.screenshot(path=str(shots / "05-kadis-antrean.png"), full_page=True)
    kadis.click("#tandatangani")
    assert "3 keputusan ditandatangani, 0 gagal" in wait_job(kadis)
    assert kadis.locator("#hasil tbody tr").count() == 3
    kadis.screenshot(path=str(shots / "06-kadis-selesai.png"), full_page=True)

    # -- back office: hand-over, download the applicant's copy ----------------------------
    bo.goto(url + "/kantor/serah")
    assert bo.locator("#serah tbody tr").count() == 3
    bo.click("#serah tbody tr:first-child >> text=Serahkan")
    link = bo.get_attribute("#tautan-qr", "href")
    bo.screenshot(path=str(shots / "07-serah.png"), full_page=True)
    with bo.expect_download() as info:
        bo.click("#unduh")
    pdf = Path(info.value.path()).read_bytes()
    assert pdf.startswith(b"%PDF")
    bo.click("text=Tandai sudah diserahkan")
    bo.goto(url + "/kantor/status")
    assert bo.locator("#papan tbody tr").count() == 3
    assert "Telah diserahkan" in bo.inner_text("#papan")
    bo.screenshot(path=str(shots / "08-papan-status.png"), full_page=True)

    # -- Kepala Dinas revokes another decree (Pasal 10) ------------------------------------
    last = setup["office"].store.applications(stages=("signed",))[-1]
    kadis.goto(f"{url}/kantor/draf/{last.application_id}")
    kadis.click("summary")
    kadis.select_option("#jenis", "revoked")
    kadis.fill("#alasan", "Pemegang izin melanggar ketentuan")
    kadis.fill("#dasar", "503/9/DPMPTSP-BLG/2026")
    kadis.click("text=Simpan perubahan status")
    assert "Dicabut" in kadis.inner_text("#tahap")
    for c in (ctx, kctx, bctx, dctx):
        c.close()

    # -- the applicant's check: the copy is SAH and its QR link is the registry's ----------
    from concurrent.futures import ThreadPoolExecutor

    from ptsp.verify import verify_bytes

    registry = setup["office"].registry
    # on another thread: Playwright's sync API keeps an event loop running in this one
    with ThreadPoolExecutor(1) as pool:
        result = pool.submit(verify_bytes, setup["profile"], registry, pdf).result()
    assert result.verdict == "SAH", result.reasons
    rec = registry.get(result.registry.number)
    assert rec is not None and rec.status.value == "issued"
    assert link == setup["profile"].verify_url(rec.token)
    _check_portal(browser, setup, rec.token, shots)

    # -- the audit trail names each user -------------------------------------------------
    actions = [(e.actor, e.action) for e in registry.audit_entries()]
    for expected, count in ((("bo1", "upload"), 1), (("bo1", "generate"), 1),
                            (("bo1", "reserved"), 3), (("kasi1", "initial"), 3),
                            (("kabid1", "initial"), 3), (("kadis1", "issued"), 3),
                            (("kadis1", "sign"), 1), (("bo1", "handover"), 1),
                            (("kadis1", "revoked"), 1), (("bo1", "download"), 1),
                            (("kadis1", "login"), 1)):
        assert actions.count(expected) == count, (expected, actions)
    assert registry.audit_check().ok
    # the passphrase was never stored
    for f in setup["tmp"].glob("registry.sqlite*"):
        assert TEST_PASSPHRASE.encode() not in f.read_bytes(), f


def _check_portal(browser, setup, token: str, shots: Path) -> None:
    """Open the QR page on the public portal (the other half of the app), when present."""
    try:
        from ptsp.web import create_app
    except ImportError:
        return
    with LiveServer(create_app(setup["profile"], setup["office"].registry_factory)) as portal:
        page = browser.new_page()
        page.goto(f"{portal.url}/v/{token}")
        assert page.locator("#status").inner_text().strip() == "BERLAKU"
        page.screenshot(path=str(shots / "09-portal-qr.png"), full_page=True)
        page.close()
