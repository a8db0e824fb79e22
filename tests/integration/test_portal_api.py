"""The portal's HTTP surface: headers, errors, QR tokens, the decree API, audit, ``serve``."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from ptsp.web import create_app
from tests.web_support import shared_decrees

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def decrees():
    return shared_decrees()


@pytest.fixture(scope="module")
def client(decrees):
    with TestClient(create_app(decrees.profile(), decrees.registry),
                    raise_server_exceptions=False) as c:
        yield c


def test_security_headers_everywhere(client, decrees):
    rec = decrees.record_for(decrees.pdfs[0])
    for method, url in (("GET", "/"), ("GET", f"/v/{rec.token}"), ("GET", "/v/x"),
                        ("GET", "/api/v1/decrees/x"), ("GET", "/openapi.json"),
                        ("GET", "/static/portal.css"), ("POST", "/api/v1/verify"),
                        ("DELETE", "/")):
        r = client.request(method, url)
        csp = r.headers["content-security-policy"]
        assert "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
        assert "script-src" not in csp or "'self'" in csp
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["referrer-policy"] == "no-referrer"
        assert r.headers["x-frame-options"] == "DENY"
        if not url.startswith("/static/"):
            assert r.headers["cache-control"] == "no-store"
    assert client.get("/docs").status_code == 404  # Swagger UI would load a CDN


def test_pages_have_no_external_resources(client, decrees):
    rec = decrees.record_for(decrees.pdfs[0])
    for url in ("/", f"/v/{rec.token}"):
        html = client.get(url).text
        assert "http://" not in html.replace("http://testserver", "") and "https://" not in html
        assert "<script" not in html and "style=" not in html


def test_unknown_and_malformed_tokens_look_the_same(client):
    answers = set()
    for token in ("A" * 32, "x", "a" * 200, "%20", "..%2F..%2Fetc", "1", "'; drop table"):
        r = client.get(f"/api/v1/decrees/{token}")
        answers.add((r.status_code, r.text))
    assert answers == {(404, '{"error":{"code":"not_found","message":"Keputusan tidak '
                              'ditemukan. Periksa kembali tautan atau kode QR pada dokumen."}}')}


def test_decree_api_and_page(client, decrees):
    rec = decrees.record_for(decrees.pdfs[0])
    doc = client.get(f"/api/v1/decrees/{rec.token}").json()
    assert doc["number"] == rec.number and doc["holder"]["nik_masked"] == rec.holder_nik_masked
    assert doc["registry"]["number"] == rec.number and doc["registry"]["found"] is True
    assert "nik" not in {k.lower() for k in doc} and "token" not in str(doc)
    assert "application_id" not in doc and "path" not in doc
    page = client.get(f"/v/{rec.token}").text
    assert rec.number in page and rec.holder_nik_masked in page


def test_reserved_number_is_not_public(client, decrees):
    reg = decrees.registry()
    try:
        rec = reg.reserve(application_id="APP-RESERVED-1", permit="ITO", holder_name="X",
                          holder_nik_masked=None, received_on=None, approved_on=None, data={},
                          actor="uji")
    finally:
        reg.close()
    assert client.get(f"/api/v1/decrees/{rec.token}").status_code == 404
    assert client.get(f"/v/{rec.token}").status_code == 404


def test_verification_is_counted_outside_the_audit_trail(client, decrees):
    pdf = decrees.pdfs[0]
    rec = decrees.record_for(pdf)
    reg = decrees.registry()
    try:
        before = reg.verification_counts().get("SAH", 0)
        audit_before = len(reg.audit_entries())
        r = client.post("/api/v1/verify", files={"file": ("a.pdf", pdf.read_bytes(),
                                                          "application/pdf")})
        assert r.json()["verdict"] == "SAH"
        assert reg.verification_counts().get("SAH", 0) == before + 1
        assert len(reg.audit_entries()) == audit_before  # anonymous checks are not office actions
        assert not [e for e in reg.audit_entries(rec.number) if e.action == "verify"]
    finally:
        reg.close()


def test_html_errors_are_indonesian(client):
    r = client.post("/periksa", content=b"%PDF-" + b"0" * (10 * 1024 * 1024 + 1),
                    headers={"content-type": "application/pdf"})
    assert r.status_code == 413 and "Berkas terlalu besar" in r.text
    r = client.post("/periksa", files={"file": ("a.txt", b"halo", "text/plain")})
    assert r.status_code == 415 and "bukan dokumen PDF" in r.text
    r = client.get("/tidak-ada")
    assert r.status_code == 404 and "Halaman tidak ditemukan" in r.text


def test_openapi_describes_the_api(client):
    spec = client.get("/openapi.json").json()
    assert set(spec["paths"]) == {"/api/v1/verify", "/api/v1/decrees/{token}"}
    body = spec["paths"]["/api/v1/verify"]["post"]["requestBody"]["content"]
    assert body["multipart/form-data"]["schema"]["required"] == ["file"]


def test_registry_down_is_not_a_500(decrees):
    def broken():
        raise RuntimeError("database is down")

    with TestClient(create_app(decrees.profile(), broken), raise_server_exceptions=False) as c:
        r = c.post("/api/v1/verify", files={"file": ("a.pdf", decrees.pdfs[0].read_bytes(),
                                                     "application/pdf")})
        assert r.status_code == 200
        assert r.json()["verdict"] == "TIDAK DAPAT DIPASTIKAN"
        assert "registry_unavailable" in {x["code"] for x in r.json()["reasons"]}
        r = c.get("/api/v1/decrees/" + "A" * 32)
        assert r.status_code == 503 and r.json()["error"]["code"] == "service_unavailable"


def test_serve_command_runs_uvicorn(decrees, monkeypatch):
    import click
    import uvicorn
    from click.testing import CliRunner

    from ptsp.commands.serve import serve_command

    seen = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: seen.update(app=app, **kw))

    from generator.catalog import load_catalog

    class Ctx:
        profile = decrees.profile()
        catalog = load_catalog()

    @click.group()
    @click.pass_context
    def root(ctx):
        ctx.obj = {"ctx": Ctx(), "registry_factory": decrees.registry}

    root.add_command(serve_command)
    r = CliRunner().invoke(root, ["serve", "--port", "8123", "--workers", "1"])
    assert r.exit_code == 0, r.output
    assert seen["host"] == "127.0.0.1" and seen["port"] == 8123
    assert seen["app"].title.startswith("Portal Verifikasi")
    # the office's pages are served by the same app
    assert any(getattr(r, "path", "").startswith("/kantor") for r in seen["app"].routes)
    # issue 17: by default one worker process per core, each building the app itself
    seen.clear()
    monkeypatch.setattr("os.cpu_count", lambda: 3)
    # set here so that monkeypatch removes what the command puts in the environment
    monkeypatch.setenv("PTSP_SERVE_WORKER", "{}")
    monkeypatch.setenv("PTSP_PORTAL_REPORT_KEY", "00" * 32)
    r = CliRunner().invoke(root, ["serve", "--port", "8124"])
    assert r.exit_code == 0, r.output
    assert seen["workers"] == 3 and seen["factory"] is True
    assert seen["app"] == "ptsp.commands.serve:worker_app"
