"""Issue 13 item 7: the office audit page pages and filters (user, action, date), speaks
Indonesian, shows details as fields and never a server path; portal checks are not on it."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from ptsp.office.audit_view import AuditQuery, detail_fields
from tests.office_support import FakeConverter, cheap_hashing, login, make_office

ROW_RE = re.compile(r"<tr><td>(\d+)</td>")


@pytest.fixture(scope="module")
def office(tmp_path_factory):
    with pytest.MonkeyPatch.context() as mp:
        cheap_hashing(mp)
        app, profile, url = make_office(tmp_path_factory.mktemp("audit"),
                                        converter_factory=FakeConverter)
        reg = app.state.office.registry
        rec = reg.reserve(application_id="APP-A", permit="ITO", holder_name="X",
                          holder_nik_masked=None, received_on=None, approved_on=None, data={},
                          actor="uji")
        for i in range(120):
            reg.record_event(action="download", actor="bo1", number=rec.number,
                             detail={"application_id": f"APP-{i}",
                                     "path": "/srv/ptsp/var/keputusan/rahasia.pdf"})
        for _ in range(7):
            reg.record_event(action="handover", actor="kasi1", detail={"application_id": "X"})
        for _ in range(30):  # anonymous portal checks go to their own table
            reg.record_verification(channel="api", verdict="SAH", number=rec.number)
        with TestClient(app) as c:
            assert login(c, "kadis1").status_code == 303
            yield c, reg


def ids(html: str) -> list[int]:
    return [int(x) for x in ROW_RE.findall(html)]


def test_pages_newest_first(office):
    c, reg = office
    total = len(reg.audit_entries())
    first = c.get("/kantor/audit")
    assert first.status_code == 200
    assert f"{total} catatan" in first.text
    page1 = ids(first.text)
    assert len(page1) == 50 and page1 == sorted(page1, reverse=True) and page1[0] == total
    assert 'rel="next"' in first.text and 'rel="prev"' not in first.text
    page2 = ids(c.get("/kantor/audit?hal=2").text)
    assert page2[0] == page1[-1] - 1
    last = c.get(f"/kantor/audit?hal={-(-total // 50)}")
    assert 'rel="prev"' in last.text and 'rel="next"' not in last.text
    assert c.get("/kantor/audit?hal=abc").status_code == 200  # a bad page is page 1


def test_filters_by_user_action_and_date(office):
    c, _ = office
    r = c.get("/kantor/audit?pengguna=kasi1")
    assert "7 catatan" in r.text and len(ids(r.text)) == 7
    r = c.get("/kantor/audit?tindakan=download&pengguna=bo1")
    assert "120 catatan" in r.text
    assert 'href="/kantor/audit?pengguna=bo1&amp;tindakan=download&amp;hal=2"' in r.text
    r = c.get("/kantor/audit?tindakan=download&hal=3")
    assert len(ids(r.text)) == 20
    tomorrow = (datetime.now(ZoneInfo("Asia/Makassar")) + timedelta(days=1)).date()
    r = c.get(f"/kantor/audit?dari={tomorrow.isoformat()}")
    assert "0 catatan" in r.text and "Tidak ada catatan yang cocok" in r.text
    today = datetime.now(ZoneInfo("Asia/Makassar")).date()
    r = c.get(f"/kantor/audit?dari={today.isoformat()}&sampai={today.isoformat()}"
              "&pengguna=kasi1")
    assert "7 catatan" in r.text


def test_indonesian_labels_and_no_server_paths(office):
    c, _ = office
    r = c.get("/kantor/audit?tindakan=download")
    assert "Unduh keputusan" in r.text and "<dt>Permohonan</dt><dd>APP-119</dd>" in r.text
    assert "/srv/ptsp" not in r.text and "rahasia.pdf" not in r.text
    assert ">download<" not in r.text
    assert "WITA" in r.text
    # the action list offers Indonesian names, and portal checks are not office actions
    assert '<option value="handover" >Serahkan keputusan</option>' in r.text
    assert "verify" not in r.text
    assert "Pemeriksaan di portal publik" in r.text and "30 kali (SAH 30)" in r.text


def test_detail_fields_hide_paths_anywhere():
    tz = ZoneInfo("Asia/Makassar")
    fields = detail_fields({"path": "/a/b.pdf", "out": "x", "note": "C:\\data\\x.pdf",
                            "role": "kadis", "issued_at": "2026-01-01T00:00:00+00:00",
                            "reason": "bad_password", "sha256": "ab" * 32}, tz)
    assert fields == [("Peran", "Kepala Dinas"), ("Diterbitkan", "01-01-2026 08:00:00 WITA"),
                      ("Alasan", "kata sandi salah"), ("SHA-256 draf", "abababababababab…")]


def test_query_is_lenient():
    q = AuditQuery.parse({"hal": "-5", "dari": "kemarin", "sampai": "2026-02-30",
                          "pengguna": "x" * 500})
    assert (q.page, q.start, q.end, len(q.actor)) == (1, None, None, 120)
    q = AuditQuery.parse({"dari": "2026-03-01", "sampai": "2026-03-01"})
    since, until = q.bounds(ZoneInfo("Asia/Makassar"))
    assert since is not None and until is not None
    assert since.astimezone(UTC) == datetime(2026, 2, 28, 16, tzinfo=UTC)
    assert until - since == timedelta(days=1)
