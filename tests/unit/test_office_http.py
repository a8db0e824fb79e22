"""The back-office pages over HTTP (TestClient, SQLite, a fake converter): who may do what,
CSRF on every form, login, lockout, sessions, and the review workflow's side tracks."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from generator.catalog import load_catalog
from ptsp.registry import Status
from ptsp.samples import sample_batch
from tests.office_support import (
    PASSWORD,
    ROLE_USERS,
    FakeConverter,
    applications_csv,
    cheap_hashing,
    csrf_of,
    login,
    make_office,
)

ALL = ("backoffice", "kasi", "kabid", "kadis", "admin")
STAFF = ("backoffice", "kasi", "kabid", "kadis")
X = "APP-TIDAK-ADA"
# every protected endpoint: (method, concrete path, route path, roles allowed)
MATRIX = [
    ("GET", "/kantor/", "/kantor/", ALL),
    ("GET", "/kantor/unggah", "/kantor/unggah", ("backoffice",)),
    ("POST", "/kantor/unggah", "/kantor/unggah", ("backoffice",)),
    ("GET", "/kantor/unggah/999", "/kantor/unggah/{upload_id}", ("backoffice",)),
    ("POST", "/kantor/unggah/999/buat", "/kantor/unggah/{upload_id}/buat", ("backoffice",)),
    ("POST", f"/kantor/permohonan/{X}/buat", "/kantor/permohonan/{app_id}/buat",
     ("backoffice",)),
    ("POST", f"/kantor/permohonan/{X}/batal", "/kantor/permohonan/{app_id}/batal",
     ("backoffice",)),
    ("GET", "/kantor/pekerjaan/999", "/kantor/pekerjaan/{job_id}", ("backoffice", "kadis")),
    ("GET", "/kantor/pekerjaan/999/status.json", "/kantor/pekerjaan/{job_id}/status.json",
     ("backoffice", "kadis")),
    ("GET", "/kantor/periksa", "/kantor/periksa", ("kasi", "kabid")),
    ("POST", "/kantor/periksa/paraf", "/kantor/periksa/paraf", ("kasi", "kabid")),
    ("GET", f"/kantor/draf/{X}", "/kantor/draf/{app_id}", STAFF),
    ("GET", f"/kantor/draf/{X}/halaman/1.png", "/kantor/draf/{app_id}/halaman/{n}.png", STAFF),
    ("GET", f"/kantor/draf/{X}/berkas.pdf", "/kantor/draf/{app_id}/berkas.pdf", STAFF),
    ("POST", f"/kantor/draf/{X}/paraf", "/kantor/draf/{app_id}/paraf", ("kasi", "kabid")),
    ("POST", f"/kantor/draf/{X}/kembalikan", "/kantor/draf/{app_id}/kembalikan",
     ("kasi", "kabid", "kadis")),
    ("GET", "/kantor/tanda-tangan", "/kantor/tanda-tangan", ("kadis",)),
    ("POST", "/kantor/tanda-tangan", "/kantor/tanda-tangan", ("kadis",)),
    ("POST", f"/kantor/keputusan/{X}/cabut", "/kantor/keputusan/{app_id}/cabut", ("kadis",)),
    ("GET", "/kantor/status", "/kantor/status", ALL),
    ("GET", "/kantor/serah", "/kantor/serah", ("backoffice",)),
    ("GET", f"/kantor/serah/{X}", "/kantor/serah/{app_id}", ("backoffice",)),
    ("GET", f"/kantor/serah/{X}/unduh", "/kantor/serah/{app_id}/unduh", ("backoffice",)),
    ("POST", f"/kantor/serah/{X}", "/kantor/serah/{app_id}", ("backoffice",)),
    ("GET", "/kantor/pengguna", "/kantor/pengguna", ("admin",)),
    ("POST", "/kantor/pengguna", "/kantor/pengguna", ("admin",)),
    ("POST", "/kantor/pengguna/tidakada/nonaktif", "/kantor/pengguna/{username}/nonaktif",
     ("admin",)),
    ("POST", "/kantor/pengguna/tidakada/aktif", "/kantor/pengguna/{username}/aktif",
     ("admin",)),
    ("POST", "/kantor/pengguna/tidakada/buka-kunci", "/kantor/pengguna/{username}/buka-kunci",
     ("admin",)),
    ("POST", "/kantor/pengguna/tidakada/kata-sandi", "/kantor/pengguna/{username}/kata-sandi",
     ("admin",)),
    ("GET", "/kantor/kata-sandi", "/kantor/kata-sandi", ALL),
    ("POST", "/kantor/kata-sandi", "/kantor/kata-sandi", ALL),
    ("GET", "/kantor/audit", "/kantor/audit", ("admin", "kadis")),
    ("POST", "/kantor/keluar", "/kantor/keluar", ALL),
    ("GET", "/kantor/pengaduan", "/kantor/pengaduan", STAFF),
    ("GET", "/kantor/pengaduan/ADU-0000-X", "/kantor/pengaduan/{number}", STAFF),
    ("GET", "/kantor/pengaduan/ADU-0000-X/lampiran", "/kantor/pengaduan/{number}/lampiran",
     STAFF),
    ("POST", "/kantor/pengaduan/ADU-0000-X/proses", "/kantor/pengaduan/{number}/proses", STAFF),
    ("POST", "/kantor/pengaduan/ADU-0000-X/selesai", "/kantor/pengaduan/{number}/selesai",
     STAFF),
    ("GET", f"/kantor/tanda-terima/{X}", "/kantor/tanda-terima/{app_id}", ("backoffice",)),
]
PUBLIC = {("GET", "/kantor/masuk"), ("POST", "/kantor/masuk")}


@pytest.fixture(scope="module")
def office(tmp_path_factory):
    with pytest.MonkeyPatch.context() as mp:
        cheap_hashing(mp)
        app, profile, url = make_office(tmp_path_factory.mktemp("kantor"),
                                        converter_factory=FakeConverter)
        yield {"app": app, "profile": profile, "url": url, "office": app.state.office}


@pytest.fixture(scope="module")
def clients(office):
    out = {}
    for role, name in ROLE_USERS.items():
        c = TestClient(office["app"], raise_server_exceptions=True)
        c.__enter__()
        assert login(c, name).status_code == 303
        out[role] = c
    yield out
    for c in out.values():
        c.__exit__(None, None, None)


def token(client) -> str:
    return csrf_of(client.get("/kantor/status").text)


def call(client, method, path, csrf=None, **data):
    if method == "GET":
        return client.get(path, follow_redirects=False)
    form = dict(data)
    if csrf is not None:
        form["csrf_token"] = csrf
    return client.post(path, data=form, follow_redirects=False)


def _routes(app):
    """(method, path) of every route, looking into included routers (FastAPI keeps them as
    ``_IncludedRouter`` entries with the original router inside)."""
    for r in app.routes:
        sub = getattr(r, "original_router", None)
        if sub is not None:
            for x in sub.routes:
                yield from ((m, "/kantor" + x.path) for m in x.methods - {"HEAD"})
        elif getattr(r, "methods", None):
            yield from ((m, r.path) for m in r.methods - {"HEAD"})


def test_matrix_covers_every_route(office):
    routes = {(m, p) for m, p in _routes(office["app"]) if p.startswith("/kantor")}
    assert routes == {(m, p) for m, _, p, _ in MATRIX} | PUBLIC


@pytest.mark.parametrize("role", ALL)
def test_each_role_only_where_it_belongs(clients, role):
    client = clients[role]
    csrf = token(client)
    for method, path, _, allowed in MATRIX:
        if path == "/kantor/keluar":
            continue  # would end the session; tested below
        r = call(client, method, path, csrf)
        if role in allowed:
            assert r.status_code not in (401, 403), (role, method, path, r.status_code)
        else:
            assert r.status_code == 403, (role, method, path, r.status_code)
            assert "tidak berwenang" in r.text or "error" in r.text


def test_kasi_cannot_sign_and_backoffice_cannot_initial(clients):
    kasi, bo = clients["kasi"], clients["backoffice"]
    r = call(kasi, "POST", "/kantor/tanda-tangan", token(kasi), pin="1234", semua="1")
    assert r.status_code == 403
    r = call(bo, "POST", "/kantor/periksa/paraf", token(bo), semua="1")
    assert r.status_code == 403


def test_anonymous_sees_only_the_login_page(office):
    with TestClient(office["app"]) as anon:
        assert anon.get("/kantor/masuk").status_code == 200
        for method, path, _, _ in MATRIX:
            r = call(anon, method, path, "x")
            if method == "GET" and not path.endswith(".json"):
                assert r.status_code == 303, path
                assert r.headers["location"].startswith("/kantor/masuk?lanjut=")
            else:
                assert r.status_code == 401, (method, path)
        r = anon.get("/kantor/unggah")  # followed: the login form, nothing of the office
        assert r.url.path == "/kantor/masuk" and "Masuk" in r.text


def test_every_form_needs_the_csrf_token(office, clients):
    others = TestClient(office["app"])
    with others:
        login(others, "bo1")
        foreign = token(others)
    for method, path, _, allowed in MATRIX:
        if method != "POST":
            continue
        client = clients[allowed[0]]
        for bad in (None, "", "salah", foreign):
            r = call(client, method, path, bad)
            assert r.status_code == 403, (path, bad, r.status_code)
            assert "Formulir tidak sah" in r.text
    # a good token from a foreign site is refused too (Origin check)
    bo = clients["backoffice"]
    r = bo.post("/kantor/permohonan/x/batal", data={"csrf_token": token(bo), "alasan": "a"},
                headers={"Origin": "https://penyerang.example"}, follow_redirects=False)
    assert r.status_code == 403
    # and the login form has its own token
    with TestClient(office["app"]) as anon:
        anon.get("/kantor/masuk")
        r = anon.post("/kantor/masuk", data={"username": "bo1", "password": PASSWORD},
                      follow_redirects=False)
        assert r.status_code == 403 and "kantor_sesi" not in r.headers.get("set-cookie", "")


def test_session_cookie_flags_and_logout(office):
    with TestClient(office["app"]) as c:
        r = login(c, "kasi1")
        cookie = r.headers["set-cookie"].lower()
        assert "kantor_sesi=" in cookie and "httponly" in cookie and "samesite=lax" in cookie
        assert "path=/kantor" in cookie and "secure" not in cookie  # plain http in tests
        assert c.get("/kantor/periksa").status_code == 200
        r = c.post("/kantor/keluar", data={"csrf_token": token(c)}, follow_redirects=False)
        assert r.status_code == 303
        stolen = r.request.headers.get("cookie", "")
        assert c.get("/kantor/periksa", follow_redirects=False).status_code == 303
    # the old cookie value no longer opens anything
    with TestClient(office["app"]) as c2:
        r = c2.get("/kantor/periksa", headers={"cookie": stolen}, follow_redirects=False)
        assert r.status_code == 303


def test_secure_cookie_when_configured(tmp_path, monkeypatch):
    cheap_hashing(monkeypatch)
    app, _, _ = make_office(tmp_path, secure_cookies=True)
    with TestClient(app, base_url="https://testserver") as c:
        r = login(c, "bo1")
        assert r.status_code == 303 and "secure" in r.headers["set-cookie"].lower()
    with TestClient(app) as c:  # a Secure cookie never travels over plain http
        assert login(c, "bo1").status_code == 403


def test_security_headers(clients):
    r = clients["kadis"].get("/kantor/tanda-tangan")
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert r.headers["x-frame-options"] == "DENY" and r.headers["cache-control"] == "no-store"
    assert "<script" in r.text and not re.search(r"<script(?![^>]*\bsrc=)", r.text)


def test_failed_logins_delay_the_address_not_the_account(office, clients):
    """Issue 13.6: five wrong passwords from anyone no longer lock the Kepala Dinas out, and
    the answer is the same for names that do not exist."""
    reg = office["office"].registry
    before = len(reg.audit_entries())
    answers = {}
    with TestClient(office["app"], client=("10.66.0.1", 4000)) as attacker:
        for name in ("kadis1", "tidak-ada"):
            answers[name] = [login(attacker, name, "salah-salah-salah") for _ in range(6)]
    for name, rs in answers.items():
        assert [r.status_code for r in rs] == [401] * 4 + [429] * 2, name
        assert "Nama pengguna atau kata sandi salah" in rs[0].text
        assert re.search(r"Tunggu [12] detik", rs[-1].text)  # 2 s after the 4th failure
        assert rs[-1].headers["retry-after"] in ("1", "2")
        assert "terkunci" not in rs[-1].text
    # the same answers, word for word, whether the name exists or not
    galat = re.compile(r'id="galat">([^<]*)<')
    def said(r):
        return re.sub(r"\d+ detik", "N detik", galat.search(r.text).group(1))

    assert [said(r) for r in answers["kadis1"]] == [said(r) for r in answers["tidak-ada"]]
    # the Kepala Dinas at his own desk logs in at once
    with TestClient(office["app"], client=("10.1.0.7", 4000)) as desk:
        assert login(desk, "kadis1").status_code == 303
    events = [(e.actor, e.action, e.detail.get("reason"))
              for e in reg.audit_entries()[before:]]
    assert events[:4] == [("kadis1", "login_failed", "bad_password")] * 4
    assert events[4:8] == [("anonim", "login_failed", "unknown")] * 4
    # the admin sees the delay and lifts it
    admin = clients["admin"]
    page = admin.get("/kantor/pengguna")
    row = re.search(r'<tr id="u-kadis1">.*?</tr>', page.text, re.S).group(0)
    assert "percobaan masuk gagal, ditunda sampai" in row and "WITA" in row
    assert "Buka kunci" in row
    r = call(admin, "POST", "/kantor/pengguna/kadis1/buka-kunci", csrf_of(page.text))
    assert r.status_code == 303
    with TestClient(office["app"], client=("10.66.0.1", 4000)) as attacker:
        assert login(attacker, "kadis1").status_code == 303
    assert ("admin1", "user_unlock") in [(e.actor, e.action) for e in reg.audit_entries()]


def test_users_page_shows_only_server_chosen_messages(clients):
    """Issue 13.9: ?galat= carries a code; free text from the query string is never shown."""
    admin = clients["admin"]
    r = admin.get("/kantor/pengguna", params={"galat": "Akun Anda diblokir, telepon 0812"})
    assert r.status_code == 200 and "0812" not in r.text and 'id="galat"' not in r.text
    r = admin.get("/kantor/pengguna", params={"galat": "tidak-ditemukan"})
    assert "Pengguna tidak ditemukan." in r.text
    r = admin.get("/kantor/pengguna", params={"pesan": "<b>halo</b>"})
    assert "halo" not in r.text


def test_admin_resets_a_password_and_users_change_their_own(office, clients):
    from ptsp.office import create_user

    create_user(office["office"].store, "kabid2", "kabid", PASSWORD)
    with TestClient(office["app"]) as old:
        assert login(old, "kabid2").status_code == 303
        admin = clients["admin"]
        r = call(admin, "POST", "/kantor/pengguna/kabid2/kata-sandi", token(admin),
                 password="pendek")
        assert r.status_code == 400 and "paling sedikit 10 karakter" in r.text
        r = call(admin, "POST", "/kantor/pengguna/kabid2/kata-sandi", token(admin),
                 password="sandi-dari-admin-1")
        assert r.status_code == 303 and r.headers["location"].endswith("?pesan=kata-sandi")
        assert "telah diatur ulang" in admin.get(r.headers["location"]).text
        assert old.get("/kantor/periksa", follow_redirects=False).status_code == 303  # ended
        assert call(admin, "POST", "/kantor/pengguna/tidak-ada/kata-sandi", token(admin),
                    password="sandi-dari-admin-1").status_code == 404
    with TestClient(office["app"]) as c, TestClient(office["app"]) as other:
        assert login(c, "kabid2", "sandi-dari-admin-1").status_code == 303
        assert login(other, "kabid2", "sandi-dari-admin-1").status_code == 303
        page = c.get("/kantor/kata-sandi")
        assert page.status_code == 200 and "Ganti kata sandi" in page.text
        for current, new, again, status, text in (
                ("salah-sekali-1", "sandi-sendiri-12", "sandi-sendiri-12", 400,
                 "Kata sandi lama salah"),
                ("sandi-dari-admin-1", "sandi-sendiri-12", "lain-sendiri-12", 400,
                 "tidak sama"),
                ("sandi-dari-admin-1", "pendek", "pendek", 400, "paling sedikit 10")):
            r = call(c, "POST", "/kantor/kata-sandi", token(c), current=current,
                     password=new, password2=again)
            assert r.status_code == status and text in r.text, r.text
        r = call(c, "POST", "/kantor/kata-sandi", token(c), current="sandi-dari-admin-1",
                 password="sandi-sendiri-12", password2="sandi-sendiri-12")
        assert r.status_code == 303
        assert c.get("/kantor/periksa").status_code == 200  # this session stays
        assert other.get("/kantor/periksa", follow_redirects=False).status_code == 303
    with TestClient(office["app"]) as c:
        assert login(c, "kabid2", "sandi-dari-admin-1").status_code == 401
        assert login(c, "kabid2", "sandi-sendiri-12").status_code == 303
    actions = [(e.actor, e.action) for e in office["office"].registry.audit_entries()]
    assert ("admin1", "user_password_reset") in actions
    assert ("kabid2", "password_change") in actions


def test_disabled_user_loses_the_session(office, clients):
    from ptsp.office import create_user

    create_user(office["office"].store, "kasi2", "kasi", PASSWORD)
    with TestClient(office["app"]) as c:
        assert login(c, "kasi2").status_code == 303
        admin = clients["admin"]
        r = call(admin, "POST", "/kantor/pengguna/kasi2/nonaktif", token(admin))
        assert r.status_code == 303
        assert c.get("/kantor/periksa", follow_redirects=False).status_code == 303
        assert login(c, "kasi2").status_code == 401


def test_admin_adds_users_with_checked_passwords(clients, office):
    admin = clients["admin"]
    r = call(admin, "POST", "/kantor/pengguna", token(admin), username="bo2",
             role="backoffice", password="pendek", full_name="B")
    assert r.status_code == 400 and "paling sedikit 10 karakter" in r.text
    assert "characters" not in r.text
    r = call(admin, "POST", "/kantor/pengguna", token(admin), username="bo2",
             role="backoffice", password="cukup-panjang-1", full_name="Bo Dua")
    assert r.status_code == 303
    user = office["office"].store.user("bo2")
    assert user.role == "backoffice" and user.password_hash.startswith("$argon2id$")


def _upload(client, records, name="berkas.csv"):
    r = client.post("/kantor/unggah", data={"csrf_token": token(client)},
                    files={"berkas": (name, applications_csv(records), "text/csv")})
    assert r.status_code == 200, r.text
    return r


def _generate(office, client, page):
    r = client.post(str(page.url) + "/buat", data={"csrf_token": csrf_of(page.text)})
    job = int(str(r.url).rsplit("/", 1)[1])
    office["office"].jobs.wait(job, timeout=60)
    return client.get(f"/kantor/pekerjaan/{job}/status.json").json()


def test_return_correct_regenerate_and_void(office, clients):
    bo, kasi, kabid = clients["backoffice"], clients["kasi"], clients["kabid"]
    reg = office["office"].registry
    apps = sample_batch(load_catalog(), count=2, seed=31, start=500)
    broken = {**apps[0], "application_id": "APP-RUSAK-1", "permit": "XYZ"}
    page = _upload(bo, [apps[0], broken, apps[1]])
    assert re.search(r"<td[^>]*>3</td>\s*<td[^>]*>APP-RUSAK-1</td>\s*<td><code>permit</code>",
                     page.text)
    job = _generate(office, bo, page)
    assert job["state"] == "done" and [x["status"] for x in job["results"]] == ["drafted"] * 2
    numbers = {x["application_id"]: x["number"] for x in job["results"]}
    first, second = apps[0]["application_id"], apps[1]["application_id"]
    old_number = numbers[first]
    # the Kabid cannot act on a draft at the Kasi's step
    assert call(kabid, "POST", f"/kantor/draf/{first}/paraf", token(kabid)).status_code == 409
    # the Kasi returns both with a note
    for app_id in (first, second):
        r = call(kasi, "POST", f"/kantor/draf/{app_id}/kembalikan", token(kasi),
                 catatan="Nama pemohon salah ketik")
        assert r.status_code == 303
    assert call(kasi, "POST", f"/kantor/draf/{first}/kembalikan", token(kasi),
                catatan="lagi").status_code == 409
    listing = bo.get("/kantor/unggah").text
    assert "Nama pemohon salah ketik" in listing and first in listing
    # corrected holder name: re-upload, re-generate -> old number voided, a new one drafted
    fixed = {**apps[0], "applicant": {**apps[0]["applicant"], "name": "Nama Yang Benar"}}
    page = _upload(bo, [fixed])
    job = _generate(office, bo, page)
    new_number = job["results"][0]["number"]
    assert new_number != old_number
    assert reg.get(old_number).status is Status.VOIDED
    assert reg.get(new_number).holder_name == "Nama Yang Benar"
    assert office["office"].store.application(first).stage == "kasi"
    # the other one is voided by the back office
    number = office["office"].store.application(second).number
    r = call(bo, "POST", f"/kantor/permohonan/{second}/batal", token(bo),
             alasan="permohonan ditarik pemohon")
    assert r.status_code == 303
    assert reg.get(number).status is Status.VOIDED
    actions = [(e.actor, e.action) for e in reg.audit_entries()]
    assert ("kasi1", "return") in actions and ("bo1", "voided") in actions
    assert ("bo1", "upload") in actions and ("bo1", "generate") in actions
    # an application in review is not replaced by a new upload
    page = _upload(bo, [fixed])
    assert "sudah dalam proses" in page.text


def test_board_shows_step_and_overdue(office, clients):
    from datetime import date, timedelta

    bo = clients["backoffice"]
    late = sample_batch(load_catalog(), count=1, seed=41, start=700,
                        approved_on=date.today() - timedelta(days=60))[0]
    late["received_on"] = (date.today() - timedelta(days=90)).isoformat()
    _upload(bo, [late])
    r = clients["kabid"].get("/kantor/status")
    row = re.search(rf'<tr class="late">\s*<td>{late["application_id"]}</td>.*?</tr>', r.text,
                    re.S)
    assert row and "Terlambat" in row.group(0) and "Menunggu penyusunan draf" in row.group(0)
    r = clients["kabid"].get("/kantor/status", params={"terlambat": "1"})
    assert late["application_id"] in r.text and "APP-RUSAK" not in r.text
    r = clients["kabid"].get("/kantor/status", params={"izin": "PBG"})
    assert late["application_id"] not in r.text or late["permit"] == "PBG"
    r = clients["kabid"].get("/kantor/status", params={
        "dari": date.today().isoformat(), "sampai": date.today().isoformat()})
    assert late["application_id"] not in r.text
