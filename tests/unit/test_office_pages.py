"""What people read on the office pages: times in WITA with long Indonesian dates, ISO 8601 with
the offset in JSON, the permit's name, and "Paraf semua (N)" acting on exactly N (issue 13)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest
from fastapi.testclient import TestClient

from generator.catalog import load_catalog
from ptsp.samples import sample_batch
from ptsp.timefmt import Clock
from tests.office_support import (
    FakeConverter,
    applications_csv,
    cheap_hashing,
    csrf_of,
    login,
    make_office,
)


def test_clock_formats_in_the_office_zone():
    c = Clock("Asia/Makassar")
    t = datetime(2026, 12, 3, 16, 58, tzinfo=UTC)  # after 16:00 UTC it is the next day in WITA
    assert c.waktu(t) == "4 Desember 2026 pukul 00.58 WITA"
    assert c.jam(t) == "00.58 WITA"
    assert c.tanggal(t) == "4 Desember 2026"
    assert c.tanggal(date(2026, 1, 5)) == "5 Januari 2026"
    assert c.iso(t) == "2026-12-04T00:58:00+08:00"
    assert c.waktu(datetime(2026, 12, 3, 16, 58)) == c.waktu(t)  # naive = stored UTC
    assert c.waktu(None) == "-" and c.iso(None) is None
    assert Clock("Asia/Jakarta").jam(t) == "23.58 WIB"
    assert Clock("Europe/Amsterdam").jam(t) == "17.58 UTC+0100"


@pytest.fixture(scope="module")
def office(tmp_path_factory):
    with pytest.MonkeyPatch.context() as mp:
        cheap_hashing(mp)
        app, _, _ = make_office(tmp_path_factory.mktemp("kantor-halaman"),
                                converter_factory=FakeConverter)
        clients = {}
        for name in ("bo1", "kasi1"):
            c = TestClient(app)
            c.__enter__()
            assert login(c, name).status_code == 303
            clients[name] = c
        yield app, clients
        for c in clients.values():
            c.__exit__(None, None, None)


def _drafts(app, bo, count: int, start: int) -> list[str]:
    apps = sample_batch(load_catalog(), count=count, seed=5, start=start)
    page = bo.post("/kantor/unggah", data={"csrf_token": csrf_of(bo.get("/kantor/unggah").text)},
                   files={"berkas": ("a.csv", applications_csv(apps), "text/csv")})
    r = bo.post(str(page.url) + "/buat", data={"csrf_token": csrf_of(page.text)},
                follow_redirects=False)
    job = int(r.headers["location"].rsplit("/", 1)[1])
    app.state.office.jobs.wait(job, timeout=60)
    return [a["application_id"] for a in apps]


def test_times_in_wita_and_iso_with_offset_in_json(office):
    app, clients = office
    bo = clients["bo1"]
    _drafts(app, bo, 1, 100)
    page = bo.get("/kantor/unggah").text
    assert re.search(r"\d{1,2} [A-Z][a-z]+ 20\d\d pukul \d\d\.\d\d WITA", page), page
    assert "UTC" not in page
    job = app.state.office.store.running_jobs()  # none left running
    assert job == []
    status = bo.get("/kantor/pekerjaan/1/status.json").json()
    assert status["created_at"].endswith("+08:00") and status["finished_at"].endswith("+08:00")
    review = clients["kasi1"].get("/kantor/periksa").text
    assert "WITA" in review and "UTC" not in review


def test_queue_and_draft_show_the_permit_name(office):
    app, clients = office
    kasi = clients["kasi1"]
    row = app.state.office.store.applications(stages=("kasi",))[0]
    name = load_catalog().find(row.permit).name
    assert name != row.permit
    assert name in kasi.get("/kantor/periksa").text
    page = kasi.get(f"/kantor/draf/{row.application_id}").text
    assert f'<dd id="izin">{name}</dd>' in page
    # the document comes first, the decision after it
    assert page.index('class="pages"') < page.index('id="tindakan"')
    for client, path in ((kasi, "/kantor/status"), (clients["bo1"], "/kantor/unggah/1")):
        text = client.get(path).text
        assert f"<td>{name}</td>" in text and f"<td>{row.permit}</td>" not in text, path


def test_initial_all_acts_on_exactly_the_listed_drafts(office):
    app, clients = office
    bo, kasi = clients["bo1"], clients["kasi1"]
    store = app.state.office.store
    listed = [a.application_id for a in store.applications(stages=("kasi",))]
    page = kasi.get("/kantor/periksa").text
    assert f"Paraf semua ({len(listed)})" in page
    assert sorted(re.findall(r'name="tampil" value="([^"]+)"', page)) == sorted(listed)
    extra = _drafts(app, bo, 2, 200)  # two more arrive while the page is open
    r = kasi.post("/kantor/periksa/paraf", data={
        "csrf_token": csrf_of(page), "semua": "1", "tampil": listed}, follow_redirects=False)
    assert r.status_code == 409 and "2 draf baru masuk" in r.text
    assert f"Paraf semua ({len(listed) + 2})" in r.text
    assert {a.stage for a in map(store.application, listed + extra)} == {"kasi"}
    # one of the listed ones leaves (returned by someone) while chosen ones are initialled
    kasi.post(f"/kantor/draf/{extra[0]}/kembalikan",
              data={"csrf_token": csrf_of(page), "catatan": "salah"})
    r = kasi.post("/kantor/periksa/paraf", data={
        "csrf_token": csrf_of(page), "app": [listed[0], extra[0]]}, follow_redirects=False)
    assert r.status_code == 409 and "1 draf sudah tidak menunggu" in r.text
    assert store.application(listed[0]).stage == "kasi"
    now = [a.application_id for a in store.applications(stages=("kasi",))]
    r = kasi.post("/kantor/periksa/paraf", data={
        "csrf_token": csrf_of(page), "semua": "1", "tampil": now})
    assert f"{len(now)} draf telah diparaf." in r.text
    assert store.applications(stages=("kasi",)) == []
