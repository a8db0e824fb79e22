"""Receipt numbers at intake, /lacak (receipt + last 4 NIK digits) and `ptsp track --json`."""

from __future__ import annotations

import json
import re

import pytest
from fastapi.testclient import TestClient

from ptsp.applicant.errors import NotFound
from ptsp.applicant.ratelimit import RateLimiter
from ptsp.applicant.track import ReceiptStore, normalize_receipt, track
from tests.applicant_support import office_with_upload

RECEIPT_RE = re.compile(r"TT-[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}")


@pytest.fixture()
def setup(tmp_path):
    s = office_with_upload(tmp_path)
    office = s["office"]
    s["receipts"] = ReceiptStore(office.store.engine)
    return s


def nik4(record) -> str:
    return record["applicant"]["nik"][-4:]


def test_intake_gives_each_application_a_receipt_shown_on_the_result_page(setup):
    apps = setup["apps"]
    found = RECEIPT_RE.findall(setup["result_page"])
    assert len(set(found)) == len(apps)
    for a in apps:
        rec = setup["receipts"].for_application(a["application_id"])
        assert rec is not None and rec.receipt in found
        assert rec.nik_last4 == nik4(a)
    # a corrected re-upload keeps the receipt
    before = setup["receipts"].for_application(apps[0]["application_id"]).receipt
    from ptsp.applicant.intake import assign_upload_receipts

    assign_upload_receipts(setup["office"].store, 1)
    assert setup["receipts"].for_application(apps[0]["application_id"]).receipt == before


def test_printable_receipt_page(setup):
    a = setup["apps"][0]
    rec = setup["receipts"].for_application(a["application_id"])
    page = setup["client"].get(f"/kantor/tanda-terima/{a['application_id']}")
    assert page.status_code == 200
    assert f'id="nomor-tanda-terima">{rec.receipt}<' in page.text
    assert "/lacak" in page.text and a["applicant"]["nik"] not in page.text
    assert f'/kantor/tanda-terima/{a["application_id"]}"' in setup["result_page"]
    assert setup["client"].get("/kantor/tanda-terima/TIDAK-ADA").status_code == 404


def test_normalize_receipt_accepts_what_people_type():
    assert normalize_receipt("tt 7k4m9 q2xab") == "TT-7K4M9-Q2XAB"
    assert normalize_receipt("7K4M9Q2XAB") == "TT-7K4M9-Q2XAB"
    assert normalize_receipt("TT-7K4M9-Q2XAO") == "TT-7K4M9-Q2XA0"  # O read as zero
    assert normalize_receipt("TT-7K4M9") == ""
    assert normalize_receipt("<script>") == ""


def test_lacak_shows_steps_and_no_personal_data_beyond_name_and_masked_nik(setup):
    a = setup["apps"][0]
    rec = setup["receipts"].for_application(a["application_id"])
    portal = TestClient(setup["portal"])
    page = portal.post("/lacak", data={"tanda_terima": rec.receipt.lower(), "nik4": nik4(a)})
    assert page.status_code == 200, page.text
    html = page.text
    assert a["applicant"]["name"] in html
    assert a["applicant"]["nik"] not in html  # only the masked NIK
    assert a["applicant"]["nik"][:6] + "********" + a["applicant"]["nik"][-2:] in html
    for key in ("address", "phone", "email"):
        value = a["applicant"].get(key)
        if value:
            assert str(value) not in html, key
    assert "Menunggu penyusunan draf" in html
    assert 'class="berjalan"><span class="nama">Penyusunan draf keputusan' in html
    assert "hari kerja" in html and 'id="tautan-verifikasi"' not in html


def test_lacak_refuses_wrong_digits_with_one_message_and_limits_guessing(setup):
    a = setup["apps"][0]
    rec = setup["receipts"].for_application(a["application_id"])
    portal = TestClient(setup["portal"])
    wrong = f"{(int(nik4(a)) + 1) % 10000:04d}"
    r1 = portal.post("/lacak", data={"tanda_terima": rec.receipt, "nik4": wrong})
    r2 = portal.post("/lacak", data={"tanda_terima": "TT-00000-00000", "nik4": nik4(a)})
    assert r1.status_code == r2.status_code == 404
    msg = "Nomor tanda terima atau 4 digit terakhir NIK tidak cocok."
    assert msg in r1.text and msg in r2.text
    spellings = [rec.receipt.lower(), rec.receipt.replace("-", " "),
                 rec.receipt.replace("-", ""), rec.receipt]
    for spelling in spellings:  # 5 wrong guesses per receipt (however it is spelt), then
        portal.post("/lacak", data={"tanda_terima": spelling, "nik4": wrong})  # even the
    # right digits wait
    blocked = portal.post("/lacak", data={"tanda_terima": rec.receipt, "nik4": nik4(a)})
    assert blocked.status_code == 429 and "Terlalu banyak percobaan" in blocked.text
    # another receipt still works from this client (until the per-client limit)
    b = setup["apps"][1]
    other = setup["receipts"].for_application(b["application_id"])
    ok = portal.post("/lacak", data={"tanda_terima": other.receipt, "nik4": nik4(b)})
    assert ok.status_code == 200


def test_per_client_limit(setup):
    setup["portal"].state.applicant_limits.lookup_client = RateLimiter(3, 600)
    portal = TestClient(setup["portal"])
    codes = [portal.post("/lacak", data={"tanda_terima": "TT-00000-00000",
                                         "nik4": "1234"}).status_code for _ in range(4)]
    assert codes == [404, 404, 404, 429]


def test_track_function_and_cli_json(setup, tmp_path, monkeypatch):
    from tests.ptsp_support import run_cli

    a = setup["apps"][1]
    rec = setup["receipts"].for_application(a["application_id"])
    office = setup["office"]
    with pytest.raises(NotFound):
        track(office.store.engine, office.registry, office.catalog, setup["profile"].verify_url,
              rec.receipt, nik_last4="0000" if nik4(a) != "0000" else "1111")
    monkeypatch.setenv("PTSP_PROFILE", str(setup["profile"].path))
    code, out, err = run_cli("--db", setup["url"], "track", rec.receipt, "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["receipt"] == rec.receipt
    assert doc["holder_name"] == a["applicant"]["name"]
    assert doc["stage"] == "uploaded" and doc["verification_url"] is None
    assert [s["state"] for s in doc["steps"]][:3] == ["selesai", "berjalan", "menunggu"]
    assert doc["standard_time"] != "-" and isinstance(doc["standard_days"], int)
    assert a["applicant"]["nik"] not in out
    code, _out, err = run_cli("--db", setup["url"], "track", "TT-00000-00000", "--json")
    assert code == 1 and "tidak cocok" in err
