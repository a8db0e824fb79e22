"""The portal in a real browser (headless Chromium through Playwright), with screenshots."""

from __future__ import annotations

from pathlib import Path

import pytest

from ptsp.registry import Status
from ptsp.web import create_app
from tests.web_support import (
    LiveServer,
    add_annotation,
    chromium,
    require_chromium,
    shared_decrees,
)

pytestmark = [pytest.mark.integration, pytest.mark.browser]
require_chromium()


@pytest.fixture(scope="module")
def decrees():
    return shared_decrees()


@pytest.fixture(scope="module")
def server(decrees):
    with LiveServer(create_app(decrees.profile(), decrees.registry)) as s:
        yield s


@pytest.fixture(scope="module")
def browser(server):
    # after the decrees are issued: Playwright's sync API keeps an event loop running in this
    # thread, and signing runs its own
    with chromium() as b:
        yield b


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 412, "height": 915}, locale="id-ID")
    pg = context.new_page()
    yield pg
    context.close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("screenshots")


def upload(page, server, path: Path) -> None:
    page.goto(server.url + "/")
    page.set_input_files("input[name=file]", str(path))
    page.click("button[type=submit]")
    page.wait_for_selector("#vonis")


def test_home_page(page, server, shots):
    page.goto(server.url + "/")
    assert "Periksa keaslian surat keputusan" in page.content()
    page.screenshot(path=str(shots / "beranda.png"), full_page=True)


def test_genuine_decree_is_sah(page, server, decrees, shots):
    upload(page, server, decrees.pdfs[1])
    assert page.inner_text("#vonis").strip() == "SAH"
    assert page.inner_text("#status").strip() == "BERLAKU"
    assert "Kepala Dinas" in page.content()
    colour = page.eval_on_selector(".putusan", "e => getComputedStyle(e).backgroundColor")
    assert colour == "rgb(27, 122, 61)"  # green
    page.screenshot(path=str(shots / "hasil-sah.png"), full_page=True)


def test_altered_decree_is_tidak_sah_with_reason(page, server, decrees, shots, tmp_path):
    altered = tmp_path / "diubah.pdf"
    altered.write_bytes(add_annotation(decrees.pdfs[1].read_bytes()))
    upload(page, server, altered)
    assert page.inner_text("#vonis").strip() == "TIDAK SAH"
    reasons = page.inner_text("#alasan")
    assert "Anotasi" in reasons and "annotation_added" in reasons
    colour = page.eval_on_selector(".putusan", "e => getComputedStyle(e).backgroundColor")
    assert colour == "rgb(179, 38, 30)"  # red
    page.screenshot(path=str(shots / "hasil-tidak-sah.png"), full_page=True)


def test_qr_link_shows_status(page, server, decrees, shots):
    rec = decrees.record_for(decrees.pdfs[1])
    response = page.goto(f"{server.url}/v/{rec.token}")
    assert response is not None and response.status == 200
    assert response.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert page.inner_text("#status").strip() == "BERLAKU"
    assert page.inner_text("#nomor").strip() == rec.number
    assert rec.holder_nik_masked and rec.holder_nik_masked in page.content()
    page.screenshot(path=str(shots / "qr-berlaku.png"), full_page=True)
    # the holder's copy compared against this decree
    page.set_input_files("input[name=file]", str(decrees.pdfs[1]))
    page.click("button[type=submit]")
    page.wait_for_selector("#vonis")
    assert page.inner_text("#vonis").strip() == "SAH"
    # another decree uploaded on this decree's page is not this decree
    page.goto(f"{server.url}/v/{rec.token}")
    page.set_input_files("input[name=file]", str(decrees.pdfs[0]))
    page.click("button[type=submit]")
    page.wait_for_selector("#vonis")
    assert page.inner_text("#vonis").strip() == "TIDAK SAH"
    assert "not_this_decree" in page.inner_text("#alasan")


def test_revoked_decree_shows_dicabut(page, server, decrees, shots):
    pdf = decrees.pdfs[2]
    rec = decrees.record_for(pdf)
    if rec.status is Status.ISSUED:
        reg = decrees.registry()
        try:
            reg.revoke(rec.number, kind=Status.REVOKED, reason="Pemegang izin melanggar "
                       "ketentuan", decree="Keputusan Kepala Dinas Nomor 503/77/2026",
                       actor="uji")
        finally:
            reg.close()
    page.goto(f"{server.url}/v/{rec.token}")
    assert page.inner_text("#status").strip() == "DICABUT"
    assert "melanggar ketentuan" in page.content()
    page.screenshot(path=str(shots / "qr-dicabut.png"), full_page=True)
    upload(page, server, pdf)
    assert page.inner_text("#vonis").strip() == "TIDAK SAH"
    assert "dicabut" in page.inner_text("#alasan")


def test_unknown_token_is_404(page, server):
    response = page.goto(f"{server.url}/v/{'A' * 32}")
    assert response is not None and response.status == 404
    assert "Keputusan tidak ditemukan" in page.content()


GREEN = ("rgb(27, 122, 61)", "rgb(230, 244, 234)")  # --hijau, --hijau-muda


def _green_elements(page) -> list[str]:
    """Visible elements painted in the portal's greens (text, background, ::before marks)."""
    return page.evaluate("""greens => {
        const out = [];
        for (const e of document.querySelectorAll('main *')) {
            if (!e.offsetParent && e.tagName !== 'BODY') continue;
            for (const st of [getComputedStyle(e), getComputedStyle(e, '::before')]) {
                if (greens.includes(st.backgroundColor) || greens.includes(st.color)) {
                    out.push(e.tagName + '.' + e.className + ': '
                             + e.textContent.trim().slice(0, 40));
                }
            }
        }
        return out;
    }""", list(GREEN))


def test_other_decree_on_qr_page_says_so_and_nothing_green(page, server, decrees, shots):
    """Issue 13.3: decree A uploaded on decree B's QR page: the page says plainly that the
    file is another decree (A's own number), with nothing green beside the red verdict."""
    a, b = decrees.pdfs[0], decrees.pdfs[1]
    rec_a, rec_b = decrees.record_for(a), decrees.record_for(b)
    page.goto(f"{server.url}/v/{rec_b.token}")
    page.set_input_files("input[name=file]", str(a))
    page.click("button[type=submit]")
    page.wait_for_selector("#vonis")
    assert page.inner_text("#vonis").strip() == "TIDAK SAH"
    other = page.inner_text("#keputusan-lain")
    assert "keputusan lain" in other and rec_a.number in other and rec_b.number in other
    assert page.inner_text("#nomor-berkas").strip() == rec_a.number
    assert "not_this_decree" in page.inner_text("#alasan")
    assert _green_elements(page) == []
    assert page.locator("#status").count() == 0  # no BERLAKU badge
    page.screenshot(path=str(shots / "qr-keputusan-lain.png"), full_page=True)


def test_technical_details_collapsed_and_report_pdf(page, server, decrees, tmp_path, shots):
    """Issue 17: the technical part is collapsed under the verdict; the report PDF opens and
    says what the page says (verdict, each check, reasons, SHA-256, signer, roots)."""
    import subprocess

    upload(page, server, decrees.pdfs[1])
    details = page.locator("details#rincian-teknis")
    assert details.get_attribute("open") is None
    assert not page.locator("details#rincian-teknis dl").first.is_visible()
    page.click("details#rincian-teknis summary")
    text = page.inner_text("details#rincian-teknis")
    assert "Penerbit sertifikat" in text and "Rantai sertifikat" in text
    assert "OCSP" in text or "CRL" in text
    page.screenshot(path=str(shots / "rincian-teknis.png"), full_page=True)
    verdict = page.inner_text("#vonis").strip()
    sha = page.inner_text(".sidik code").strip()
    checks = page.locator(".periksa li").all_inner_texts()
    with page.expect_download() as dl:
        page.click("#unduh-laporan")
    out = tmp_path / "laporan.pdf"
    dl.value.save_as(str(out))
    assert out.read_bytes().startswith(b"%PDF-")
    pdf_text = subprocess.run(["pdftotext", "-layout", str(out), "-"], capture_output=True,
                              text=True, check=True).stdout
    flat = " ".join(pdf_text.split())
    assert f"Hasil verifikasi: {verdict}" in flat
    assert sha in flat.replace(" ", "") or sha in pdf_text
    for line in checks:
        label, state = line.split("\n")[-2:] if "\n" in line else (line, "")
        assert " ".join(label.split()) in flat, label
        assert f"{' '.join(label.split())}: {state.strip()}" in flat, line
    assert "DEMO Budi Santoso Contoh" in flat and "Akar tepercaya" in flat


def test_other_decree_report_says_the_same(page, server, decrees, tmp_path):
    import subprocess

    a, b = decrees.pdfs[0], decrees.pdfs[1]
    rec_a, rec_b = decrees.record_for(a), decrees.record_for(b)
    page.goto(f"{server.url}/v/{rec_b.token}")
    page.set_input_files("input[name=file]", str(a))
    page.click("button[type=submit]")
    page.wait_for_selector("#vonis")
    with page.expect_download() as dl:
        page.click("#unduh-laporan")
    out = tmp_path / "laporan.pdf"
    dl.value.save_as(str(out))
    flat = " ".join(subprocess.run(["pdftotext", str(out), "-"], capture_output=True,
                                   text=True, check=True).stdout.split())
    assert "Hasil verifikasi: TIDAK SAH" in flat
    assert rec_a.number in flat and rec_b.number in flat and "keputusan lain" in flat
