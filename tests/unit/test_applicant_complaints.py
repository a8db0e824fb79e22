"""Complaints: filed on the portal (attachment checks, limits, no script shown back), the
office queue with the standard time and overdue highlighted, answered and closed, audited."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from fastapi.testclient import TestClient

from ptsp.applicant.ratelimit import RateLimiter
from ptsp.applicant.schema import complaints
from tests.applicant_support import office_with_upload
from tests.office_support import csrf_of, login

SCRIPT = '<script>alert("x")</script><img src=x onerror=alert(1)>'
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 100


def file_complaint(portal, **extra):
    data = {"name": "Budi", "contact": "0812 3456 7890", "about": "TT-ABCDE-FGHJK",
            "text": "Berkas saya belum diproses.", **extra.pop("data", {})}
    return portal.post("/pengaduan", data=data, follow_redirects=False, **extra)


def test_complaint_filed_answered_closed_from_both_sides(tmp_path):
    s = office_with_upload(tmp_path, count=1)
    portal = TestClient(s["portal"])
    r = file_complaint(portal, data={"text": "Pelayanan lambat.\n" + SCRIPT},
                       files={"lampiran": ("bukti.png", PNG, "image/png")})
    assert r.status_code == 303
    number = r.headers["location"].split("/")[-1].split("?")[0]
    assert re.fullmatch(r"ADU-\d{4}-[0-9A-Z]{8}", number)
    page = portal.get(r.headers["location"])
    assert page.status_code == 200
    assert "Diterima" in page.text and "Pengaduan Anda telah diterima" in page.text
    assert "<script>alert" not in page.text and "&lt;script&gt;" in page.text
    assert "onerror=alert(1)>" not in page.text
    assert "0812 3456 7890" not in page.text  # the contact is for the office only
    assert "script-src" not in page.headers["content-security-policy"]  # no script allowed

    office = s["client"]  # logged in as the back office
    queue = office.get("/kantor/pengaduan")
    assert number in queue.text and "0 melewati waktu standar" in queue.text
    detail = office.get(f"/kantor/pengaduan/{number}")
    assert "0812 3456 7890" in detail.text and "&lt;script&gt;" in detail.text
    got = office.get(f"/kantor/pengaduan/{number}/lampiran")
    assert got.content == PNG and got.headers["content-type"] == "image/png"
    assert "attachment" in got.headers["content-disposition"]
    csrf = csrf_of(detail.text)
    assert office.post(f"/kantor/pengaduan/{number}/proses",
                       data={"csrf_token": csrf}).status_code == 200
    assert "Diproses" in portal.get(f"/pengaduan/{number}").text
    empty = office.post(f"/kantor/pengaduan/{number}/selesai",
                        data={"csrf_token": csrf, "jawaban": "  "})
    assert empty.status_code == 400
    done = office.post(f"/kantor/pengaduan/{number}/selesai",
                       data={"csrf_token": csrf, "jawaban": "Berkas Anda selesai <b>hari ini</b>."})
    assert done.status_code == 200
    status = portal.get(f"/pengaduan/{number}").text
    assert "Selesai" in status and "Berkas Anda selesai &lt;b&gt;hari ini&lt;/b&gt;." in status
    again = office.post(f"/kantor/pengaduan/{number}/proses", data={"csrf_token": csrf})
    assert again.status_code == 409  # closed stays closed
    assert number not in office.get("/kantor/pengaduan").text
    assert number in office.get("/kantor/pengaduan?semua=1").text
    actions = [(e.action, e.actor) for e in s["office"].registry.audit_entries()]
    assert ("complaint_filed", "portal") in actions
    assert ("complaint_attachment", "bo1") in actions
    assert ("complaint_diproses", "bo1") in actions and ("complaint_selesai", "bo1") in actions


def test_overdue_complaints_are_highlighted(tmp_path):
    s = office_with_upload(tmp_path, count=1)
    portal = TestClient(s["portal"])
    old = file_complaint(portal).headers["location"].split("/")[-1].split("?")[0]
    new = file_complaint(portal).headers["location"].split("/")[-1].split("?")[0]
    engine = s["office"].store.engine
    with engine.begin() as conn:
        conn.execute(sa.update(complaints).where(complaints.c.number == old).values(
            created_at=datetime.now(UTC) - timedelta(days=30)))
    html = s["client"].get("/kantor/pengaduan").text
    rows = {m.group(2): m.group(1) for m in re.finditer(
        r'<tr class="(late|)">\s*<td><a href="/kantor/pengaduan/([^"]+)"', html)}
    assert rows == {old: "late", new: ""}
    assert "1 melewati waktu standar" in html


def test_attachment_type_and_size_limits_and_rate_limit(tmp_path):
    s = office_with_upload(tmp_path, count=1)
    portal = TestClient(s["portal"])
    html = file_complaint(portal, files={"lampiran": ("x.pdf", b"<html>not a pdf",
                                                      "application/pdf")})
    assert html.status_code == 400 and "PDF atau gambar" in html.text
    big = file_complaint(portal, files={"lampiran": ("x.pdf", b"%PDF-" + b"0" * (5 * 1024 * 1024),
                                                     "application/pdf")})
    assert big.status_code == 413 and "maksimal 5 MB" in big.text
    missing = file_complaint(portal, data={"text": ""})
    assert missing.status_code == 400 and "isi pengaduan" in missing.text
    long = file_complaint(portal, data={"text": "a" * 10_000})
    assert long.status_code == 303
    number = long.headers["location"].split("/")[-1].split("?")[0]
    from ptsp.registry import engine as db

    with db.read(s["office"].store.engine, "test") as conn:
        text = conn.execute(sa.select(complaints.c.text).where(
            complaints.c.number == number)).scalar_one()
    assert len(text) == 4000
    s["portal"].state.applicant_limits.complaint_client = RateLimiter(2, 3600)
    codes = [file_complaint(portal).status_code for _ in range(3)]
    assert codes == [303, 303, 429]
    assert portal.get("/pengaduan/ADU-0000-00000000").status_code == 404


def test_office_queue_needs_a_login(tmp_path):
    s = office_with_upload(tmp_path, count=1)
    anonymous = TestClient(s["app"])
    r = anonymous.get("/kantor/pengaduan", follow_redirects=False)
    assert r.status_code == 303 and "/kantor/masuk" in r.headers["location"]
    admin = TestClient(s["app"])
    login(admin, "admin1")
    assert admin.get("/kantor/pengaduan").status_code == 403
