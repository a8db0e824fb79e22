"""The Kepala Dinas signs exactly what he saw (issue 13.1), on a phone too (headless Chromium).

Real parts: LibreOffice drafts, the test PKI's PKCS#12 key, the TSA, a SQLite registry, the
office under uvicorn. While one person's queue page is open, another session moves one more
draft into it; "Paraf semua (N)" / "Tandatangani semua (N)" must then refuse and show the new
list, and the next press act on exactly the N it shows. A wrong passphrase keeps the Kepala
Dinas on his page with his selection and one message. At 390 px nothing overflows sideways.

Screenshots go to ``$PTSP_SHOTS`` (or the test's tmp dir).
"""

from __future__ import annotations

import pytest

from generator.catalog import load_catalog
from ptsp.samples import sample_batch
from tests.office_support import PASSWORD, applications_csv, make_office
from tests.signer_support import TEST_PASSPHRASE, shared_services, shared_test_pki
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


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    from fastapi.testclient import TestClient

    from tests.office_support import csrf_of, login

    tmp = tmp_path_factory.mktemp("kantor-ttd")
    pki = shared_test_pki()
    shared_services()
    app, profile, _ = make_office(tmp, pki)
    office = app.state.office
    apps = sample_batch(load_catalog(), count=5, seed=23, start=900)
    with TestClient(app) as bo:  # the back office uploads and drafts (real LibreOffice)
        login(bo, "bo1")
        token = csrf_of(bo.get("/kantor/unggah").text)
        page = bo.post("/kantor/unggah", data={"csrf_token": token},
                       files={"berkas": ("a.csv", applications_csv(apps), "text/csv")})
        assert "5 permohonan valid" in page.text, page.text
        r = bo.post(str(page.url) + "/buat", data={"csrf_token": csrf_of(page.text)},
                    follow_redirects=False)
        job = int(r.headers["location"].rsplit("/", 1)[1])
    office.jobs.wait(job, timeout=300)
    assert office.store.job(job).message == "5 draf disusun, 0 gagal."
    ids = [a["application_id"] for a in apps]
    # three drafts already initialled by the Kasi; two still wait for him
    assert office.store.move(ids[:3], from_stages=("kasi",), to="kabid", role="kasi",
                             kasi_by="kasi1")
    shots = shots_dir(tmp / "shots")
    with LiveServer(app) as server:
        yield {"office": office, "ids": ids, "url": server.url, "shots": shots}


@pytest.fixture(scope="module")
def browser(setup):
    with chromium() as b:
        yield b


def session(browser, setup, username: str, viewport=DESKTOP):
    return office_login(browser, setup["url"], username, PASSWORD, viewport=viewport)


def stages(setup) -> dict[str, str]:
    return {i: setup["office"].store.application(i).stage for i in setup["ids"]}


def no_sideways_overflow(page) -> None:
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], width


def test_1_kabid_initials_exactly_the_listed_drafts(browser, setup):
    ids = setup["ids"]
    bctx, kabid = session(browser, setup, "kabid1")
    kabid.goto(setup["url"] + "/kantor/periksa")
    assert kabid.locator("#antrean .draft-card").count() == 3
    assert kabid.inner_text("#paraf-semua") == "Paraf semua (3)"
    # meanwhile the Kasi initials one more draft in his own session
    kctx, kasi = session(browser, setup, "kasi1")
    kasi.goto(f"{setup['url']}/kantor/draf/{ids[3]}")
    kasi.click("#paraf")
    kasi.wait_for_url("**/kantor/periksa*")
    assert stages(setup)[ids[3]] == "kabid"
    # the Kabid presses "Paraf semua (3)": refused, nothing initialled, the new list shown
    kabid.click("#paraf-semua")
    assert "/kantor/periksa" in kabid.url
    message = kabid.inner_text("#galat")
    assert "berubah" in message and "1 draf baru masuk" in message and "Tidak ada" in message
    assert [stages(setup)[i] for i in ids[:4]] == ["kabid"] * 4
    assert kabid.locator("#antrean .draft-card").count() == 4
    kabid.click("#paraf-semua")
    assert kabid.inner_text("#hasil-paraf") == "4 draf telah diparaf."
    assert [stages(setup)[i] for i in ids[:4]] == ["kadis"] * 4
    bctx.close()
    kctx.close()


def test_2_signing_page_on_a_phone_and_a_wrong_passphrase(browser, setup):
    ids, shots = setup["ids"], setup["shots"]
    dctx, kadis = session(browser, setup, "kadis1", PHONE)
    kadis.goto(setup["url"] + "/kantor/tanda-tangan")
    cards = kadis.locator("#antrean .draft-card")
    assert cards.count() == 4
    no_sideways_overflow(kadis)
    first = cards.first
    # each card: the permit's name (not its code), the holder, a view link, a checkbox
    app = setup["office"].store.application(ids[0])
    name = load_catalog().find(app.permit).name
    assert name in first.inner_text() and app.holder_name in first.inner_text()
    for selector in ("input[name=app]", "a.view"):
        box = first.locator(selector).bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], selector
    # the passphrase and the buttons are in reach without scrolling sideways or down
    for selector in ("#pin", "#tandatangani", "#tandatangani-semua"):
        box = kadis.locator(selector).bounding_box()
        assert box and box["x"] + box["width"] <= PHONE["width"], selector
        assert box["y"] + box["height"] <= PHONE["height"], selector
    kadis.screenshot(path=str(shots / "ttd-390.png"), full_page=False)
    # a wrong passphrase: still on the signing page, the choice kept, one message
    kadis.check(f"input[name=app][value='{ids[0]}']")
    kadis.check(f"input[name=app][value='{ids[2]}']")
    kadis.fill("#pin", "bukan-kata-sandinya")
    kadis.click("#tandatangani")
    assert kadis.url.endswith("/kantor/tanda-tangan")
    text = kadis.inner_text("main")
    assert text.count("Kunci tidak dapat dibuka") == 1
    checked = kadis.eval_on_selector_all("input[name=app]:checked", "els => els.map(e => e.value)")
    assert sorted(checked) == sorted([ids[0], ids[2]])
    assert [stages(setup)[i] for i in ids[:4]] == ["kadis"] * 4
    no_sideways_overflow(kadis)
    kadis.screenshot(path=str(shots / "ttd-390-salah.png"), full_page=True)
    # the draft page on the phone: the document first, then the decision
    kadis.goto(f"{setup['url']}/kantor/draf/{ids[0]}")
    kadis.wait_for_function("() => { const i = document.querySelector('.pages img');"
                            " return i && i.complete && i.naturalWidth > 300; }")
    assert kadis.inner_text("#izin") == name
    no_sideways_overflow(kadis)
    pages_box = kadis.locator(".pages").bounding_box()
    actions = kadis.locator("#tindakan").bounding_box()
    assert actions["y"] >= pages_box["y"] + pages_box["height"]
    kadis.screenshot(path=str(shots / "draf-390.png"), full_page=True)
    # the status board's filters fit too (the permit list's long names once overflowed)
    kadis.goto(f"{setup['url']}/kantor/status")
    no_sideways_overflow(kadis)
    dctx.close()
    # on a desktop the decision sits beside the document
    dctx, kadis = session(browser, setup, "kadis1", DESKTOP)
    kadis.goto(f"{setup['url']}/kantor/draf/{ids[0]}")
    kadis.wait_for_function("() => { const i = document.querySelector('.pages img');"
                            " return i && i.complete && i.naturalWidth > 300; }")
    pages_box = kadis.locator(".pages").bounding_box()
    actions = kadis.locator("#tindakan").bounding_box()
    assert actions["x"] >= pages_box["x"] + pages_box["width"]
    assert actions["y"] < pages_box["y"] + 200
    kadis.screenshot(path=str(shots / "draf-1280.png"), full_page=False)
    kadis.goto(setup["url"] + "/kantor/tanda-tangan")
    kadis.screenshot(path=str(shots / "ttd-1280.png"), full_page=True)
    dctx.close()


def test_3_kadis_signs_exactly_the_listed_decrees(browser, setup):
    ids = setup["ids"]
    store = setup["office"].store
    assert store.move([ids[4]], from_stages=("kasi",), to="kabid", role="kasi",
                             kasi_by="kasi1")
    dctx, kadis = session(browser, setup, "kadis1")
    kadis.goto(setup["url"] + "/kantor/tanda-tangan")
    assert kadis.inner_text("#tandatangani-semua") == "Tandatangani semua (4)"
    # the Kabid initials the fifth while the Kepala Dinas's page is open
    bctx, kabid = session(browser, setup, "kabid1")
    kabid.goto(f"{setup['url']}/kantor/draf/{ids[4]}")
    kabid.click("#paraf")
    kabid.wait_for_url("**/kantor/periksa*")
    assert stages(setup)[ids[4]] == "kadis"
    kadis.fill("#pin", TEST_PASSPHRASE)
    kadis.click("#tandatangani-semua")
    assert kadis.url.endswith("/kantor/tanda-tangan")
    message = kadis.inner_text("#galat")
    assert "berubah" in message and "1 keputusan baru masuk" in message
    assert all(s == "kadis" for s in stages(setup).values())
    assert kadis.inner_text("#tandatangani-semua") == "Tandatangani semua (5)"
    kadis.fill("#pin", TEST_PASSPHRASE)
    kadis.click("#tandatangani-semua")
    kadis.wait_for_selector("#selesai", timeout=240_000)
    assert "5 keputusan ditandatangani, 0 gagal" in kadis.inner_text("#keadaan")
    assert kadis.locator("#hasil tbody tr").count() == 5
    assert all(s == "signed" for s in stages(setup).values())
    bctx.close()
    dctx.close()
