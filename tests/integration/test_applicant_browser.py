"""The applicant's side in a real browser (headless Chromium), with real parts: LibreOffice
drafts, the test PKI's key and TSA, a SQLite registry, an SMTP server process (aiosmtpd).

Intake gives a receipt -> the applicant tracks it on /lacak (390 px phone) -> the decree is
signed in the office -> the hand-over mail with the signed PDF arrives at the SMTP server ->
the applicant tracks again (verification link), fills the survey from the mail's link -> the
survey report counts it. A complaint is filed with an attachment, taken up, answered and
closed by the office, and seen from both sides. Screenshots at 390 and 1280 px go to
$PTSP_SHOTS (default: the test's tmp dir).
"""

from __future__ import annotations

import json
import re
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from generator.catalog import load_catalog
from ptsp.profile import load_profile
from ptsp.samples import sample_batch
from tests.office_support import PASSWORD, applications_csv, registry_factory
from tests.ptsp_support import run_cli, write_profile
from tests.signer_support import TEST_PASSPHRASE, free_port, shared_services, shared_test_pki
from tests.smtp_support import SmtpServer
from tests.web_support import (
    DESKTOP,
    PHONE,
    LiveServer,
    chromium,
    office_login,
    require_chromium,
    shots_dir,
)

pytestmark = [pytest.mark.integration, pytest.mark.browser]
require_chromium()
pytest.importorskip("aiosmtpd")


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    from ptsp.office import create_user, mount_office
    from ptsp.web import create_app

    tmp = tmp_path_factory.mktemp("pemohon")
    pki = shared_test_pki()
    shared_services()
    port, smtp_port = free_port(), free_port()
    profile = load_profile(write_profile(
        tmp, pki, base_url=f"http://127.0.0.1:{port}",
        extra=f'\n[mail]\nhost = "127.0.0.1"\nport = {smtp_port}\nstarttls = false\n'
              'sender = "layanan@dpmptsp.test"\ntimeout = 5\n'))
    url = f"sqlite:///{tmp / 'registry.sqlite'}"
    factory = registry_factory(profile, url)
    app = create_app(profile, factory)
    office = mount_office(app, profile=profile, registry_factory=factory,
                          catalog=load_catalog(), data_dir=tmp / "kantor")
    for role, name in (("backoffice", "bo1"), ("kasi", "kasi1"), ("kabid", "kabid1"),
                       ("kadis", "kadis1")):
        create_user(office.store, name, role, PASSWORD, f"{role.upper()} Uji")
    [record] = sample_batch(load_catalog(), count=1, seed=23, start=700)
    record["applicant"]["email"] = "pemohon@contoh.test"
    src = tmp / "disetujui.csv"
    src.write_text(applications_csv([record]), encoding="utf-8")
    shots = shots_dir(tmp / "shots")
    with LiveServer(app, port) as server, SmtpServer(tmp / "maildir", smtp_port) as smtp:
        yield {"tmp": tmp, "profile": profile, "office": office, "url": server.url,
               "db": url, "record": record, "src": src, "smtp": smtp, "shots": shots,
               "factory": factory}


@pytest.fixture(scope="module")
def browser(setup):
    with chromium() as b:
        yield b


def staff(browser, setup, username):
    return office_login(browser, setup["url"], username, PASSWORD, accept_downloads=True)


def shoot(page, setup, name):
    """The page at 390 and 1280 px."""
    for label, size in (("390", PHONE), ("1280", DESKTOP)):
        page.set_viewport_size(size)
        page.screenshot(path=str(setup["shots"] / f"{name}-{label}.png"), full_page=True)
    # nothing wider than the phone's screen
    page.set_viewport_size(PHONE)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], name


def off_loop(fn, *args):
    """Run blocking work on another thread (Playwright's sync API owns this one's loop)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(fn, *args).result()


def test_receipt_track_sign_mail_survey_report(browser, setup):
    url, record = setup["url"], setup["record"]
    nik4 = record["applicant"]["nik"][-4:]
    # -- intake: the back office uploads; the result page shows the receipt -------------
    bctx, bo = staff(browser, setup, "bo1")
    bo.set_input_files("#berkas", str(setup["src"]))
    bo.click("text=Unggah dan periksa")
    bo.wait_for_selector("#ringkasan")
    receipt = bo.inner_text("#valid tbody tr .tanda-terima").strip()
    assert re.fullmatch(r"TT-[0-9A-Z]{5}-[0-9A-Z]{5}", receipt)
    upload_page = bo.url
    bo.click(f"text={receipt}")  # the printable receipt for the applicant
    assert bo.inner_text("#nomor-tanda-terima") == receipt
    shoot(bo, setup, "00-kantor-tanda-terima")
    bo.set_viewport_size(DESKTOP)
    bo.goto(upload_page)

    # -- the applicant tracks it on a phone ----------------------------------------------
    actx = browser.new_context(viewport=PHONE, locale="id-ID")
    me = actx.new_page()
    me.goto(url + "/lacak")
    shoot(me, setup, "01-lacak")
    me.fill("#tanda_terima", receipt.lower().replace("-", " "))
    me.fill("#nik4", nik4)
    me.click("#lacak")
    assert me.inner_text("#keadaan") == "Menunggu penyusunan draf"
    assert record["applicant"]["name"] in me.inner_text("#pemohon")
    assert record["applicant"]["nik"] not in me.content()
    assert me.locator("#tahapan li.berjalan").inner_text().startswith("Penyusunan draf")
    assert me.locator("#tautan-verifikasi").count() == 0
    shoot(me, setup, "02-lacak-hasil")

    # -- the office drafts, initials and signs -------------------------------------------
    bo.click("#susun")
    bo.wait_for_selector("#selesai", timeout=180_000)
    assert "1 draf disusun, 0 gagal" in bo.inner_text("#keadaan")
    for user in ("kasi1", "kabid1"):
        c, p = staff(browser, setup, user)
        p.click("#paraf-semua")
        p.wait_for_selector("#kosong")
        c.close()
    dctx, kadis = staff(browser, setup, "kadis1")
    kadis.check("input[data-select-all]")
    kadis.fill("#pin", TEST_PASSPHRASE)
    kadis.click("#tandatangani")
    kadis.wait_for_selector("#selesai", timeout=180_000)
    assert "1 keputusan ditandatangani, 0 gagal" in kadis.inner_text("#keadaan")
    dctx.close()

    # -- the mail worker hands the decree over by e-mail ----------------------------------
    from ptsp.applicant.outbox import MailWorker

    office = setup["office"]
    worker = MailWorker(engine=office.store.engine, profile=setup["profile"],
                        registry_factory=setup["factory"], catalog=office.catalog,
                        interval=0.5)
    off_loop(worker.start)
    deadline = time.monotonic() + 30
    while not setup["smtp"].messages() and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(1.5)  # a few more passes: none may send it again
    off_loop(worker.stop)
    msgs = setup["smtp"].messages()
    assert len(msgs) == 1
    mail = msgs[0]
    assert mail["To"] == "pemohon@contoh.test"
    app_row = office.store.application(record["application_id"])
    rec = office.registry.get(app_row.number)
    assert app_row.number in mail["Subject"]
    text = mail.get_body(("plain",)).get_content()
    link = setup["profile"].verify_url(rec.token)
    assert link in text
    [att] = list(mail.iter_attachments())
    assert att.get_content_type() == "application/pdf"
    assert att.get_content() == Path(app_row.signed_path).read_bytes()
    survey_link = re.search(r"http://\S+/survei/\S+", text).group(0)
    bo.goto(url + "/kantor/status")
    assert bo.locator("#surel-tertunda").count() == 0  # nothing left unsent

    # -- the applicant tracks again: issued, with the verification link --------------------
    me.goto(url + "/lacak")
    me.fill("#tanda_terima", receipt)
    me.fill("#nik4", nik4)
    me.click("#lacak")
    assert me.inner_text("#nomor") == app_row.number
    assert me.get_attribute("#tautan-verifikasi", "href") == link
    shoot(me, setup, "03-lacak-terbit")
    me.click("#tautan-verifikasi")
    assert app_row.number in me.content()

    # -- the survey from the mail's link, once ------------------------------------------
    me.goto(survey_link)
    shoot(me, setup, "04-survei")
    for i in range(1, 10):
        me.check(f"input[name=u{i}][value='{4 if i % 2 else 3}']")
    me.click("#kirim-survei")
    assert "Terima kasih" in me.inner_text("#terima-kasih")
    me.goto(survey_link)
    assert me.locator("#sudah").count() == 1
    code, out, err = off_loop(lambda: run_cli("--db", setup["db"], "--profile",
                                              str(setup["profile"].path), "survey", "report",
                                              "--json"))
    assert code == 0, err
    doc = json.loads(out)
    # five 4s and four 3s: (5 x 4 + 4 x 3) / 9 = 3.5556 -> IKM 88.89, A
    assert doc["respondents"] == 1 and doc["ikm"] == 88.89 and doc["grade"] == "A"
    actx.close()
    bctx.close()


def test_complaint_filed_answered_closed_seen_from_both_sides(browser, setup):
    url = setup["url"]
    actx = browser.new_context(viewport=PHONE, locale="id-ID")
    me = actx.new_page()
    dialogs: list[str] = []
    me.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    me.goto(url + "/pengaduan")
    shoot(me, setup, "05-pengaduan")
    me.fill("#name", "Rina <b>Pemohon</b>")
    me.fill("#contact", "0812 0000 1111")
    me.fill("#about", "TT-ABCDE-FGHJK")
    me.fill("#text", 'Berkas belum selesai.\n<script>alert("x")</script>')
    from tests.signer_support import make_pdf

    attachment = setup["tmp"] / "bukti.pdf"
    attachment.write_bytes(make_pdf("BUKTI"))
    me.set_input_files("#lampiran", str(attachment))
    me.click("#kirim-pengaduan")
    number = me.inner_text("#nomor-pengaduan")
    assert number.startswith("ADU-") and me.inner_text("#status-pengaduan") == "Diterima"
    assert '<script>alert("x")</script>' in me.inner_text("#isi-pengaduan")  # shown as text
    assert dialogs == []
    status_url = me.url.split("?")[0]
    shoot(me, setup, "06-pengaduan-diterima")

    bctx, bo = staff(browser, setup, "bo1")
    bo.goto(url + "/kantor/pengaduan")
    assert number in bo.inner_text("#pengaduan")
    shoot(bo, setup, "07-kantor-antrean-pengaduan")
    bo.set_viewport_size(DESKTOP)
    bo.click(f"text={number}")
    with bo.expect_download() as info:
        bo.click("#lampiran")
    assert Path(info.value.path()).read_bytes() == attachment.read_bytes()
    bo.click("#proses")
    assert bo.inner_text("#status-pengaduan").startswith("Diproses")
    me.goto(status_url)
    assert me.inner_text("#status-pengaduan") == "Diproses"
    bo.fill("#jawaban-isi", "Berkas Anda telah selesai diproses dan dapat diambil.")
    bo.click("#selesaikan")
    assert bo.inner_text("#status-pengaduan").startswith("Selesai")
    shoot(bo, setup, "08-kantor-pengaduan-selesai")
    me.goto(status_url)
    assert me.inner_text("#status-pengaduan") == "Selesai"
    assert "dapat diambil" in me.inner_text("#jawaban")
    shoot(me, setup, "09-pengaduan-selesai")
    assert dialogs == []
    actions = {(e.actor, e.action) for e in off_loop(setup["office"].registry.audit_entries)}
    assert {("portal", "complaint_filed"), ("bo1", "complaint_attachment"),
            ("bo1", "complaint_diproses"), ("bo1", "complaint_selesai")} <= actions
    actx.close()
    bctx.close()
