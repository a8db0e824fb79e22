"""Malformed input against the upload endpoints: never a 500, never a traceback.

Hypothesis drives FastAPI's TestClient (schemathesis was not added: hypothesis alone keeps the
run bounded, well under a minute). Cases: random bytes, truncated and bit-flipped decrees,
PDFs with broken xref tables, huge headers, wrong content types, missing fields, bogus
multipart boundaries, random tokens.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ptsp.web import create_app
from tests.signer_support import make_pdf
from tests.web_support import shared_decrees

pytestmark = pytest.mark.integration
FUZZ = settings(max_examples=40, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])


@pytest.fixture(scope="module")
def decrees():
    return shared_decrees()


@pytest.fixture(scope="module")
def client(decrees):
    with TestClient(create_app(decrees.profile(), decrees.registry),
                    raise_server_exceptions=False) as c:
        yield c


@pytest.fixture(scope="module")
def genuine(decrees) -> bytes:
    return decrees.pdfs[0].read_bytes()


def assert_clean(r) -> None:
    assert r.status_code < 500, (r.status_code, r.text[:500])
    assert "Traceback" not in r.text and "File \"" not in r.text
    assert r.headers["x-content-type-options"] == "nosniff"
    if r.status_code >= 400 and r.headers.get("content-type", "").startswith("application/json"):
        err = r.json()["error"]
        assert err["code"] and err["message"]


def post_file(client, data: bytes, *, ctype: str = "application/pdf", field: str = "file",
              url: str = "/api/v1/verify"):
    return client.post(url, files={field: ("x.pdf", data, ctype)})


@FUZZ
@given(st.binary(max_size=4096))
def test_random_bytes(client, blob):
    assert_clean(post_file(client, blob))
    assert_clean(post_file(client, b"%PDF-1.7\n" + blob))


@FUZZ
@given(cut=st.integers(min_value=1, max_value=10**9), flip=st.integers(min_value=0,
                                                                       max_value=10**9))
def test_truncated_and_flipped_decrees(client, genuine, cut, flip):
    r = post_file(client, genuine[:9 + cut % (len(genuine) - 9)])
    assert_clean(r)
    assert r.status_code != 200 or r.json()["verdict"] != "SAH"
    b = bytearray(genuine)
    b[flip % len(b)] ^= 0xFF
    r = post_file(client, bytes(b))
    assert_clean(r)


@FUZZ
@given(st.binary(min_size=1, max_size=64), st.integers(min_value=0, max_value=10**6))
def test_broken_xref(client, junk, pos):
    pdf = make_pdf("SURAT KEPUTUSAN")
    i = pdf.rindex(b"xref")
    for broken in (pdf[:i] + junk + pdf[i + 4:],
                   pdf.replace(b"startxref\n", b"startxref\n" + str(pos).encode() + b"\n"),
                   pdf[: i + (pos % 40)] + junk):
        assert_clean(post_file(client, broken))


@FUZZ
@given(st.text(max_size=80), st.sampled_from(["file", "berkas", "", "FILE"]))
def test_wrong_content_types_and_fields(client, ctype, field):
    try:
        r = post_file(client, make_pdf(), ctype=ctype or "application/pdf", field=field or "x")
    except (UnicodeEncodeError, ValueError):
        return  # the client itself refuses such a header
    assert_clean(r)


@FUZZ
@given(st.sampled_from(["multipart/form-data", "multipart/form-data; boundary=",
                        "multipart/form-data; boundary=xyz", "application/json", "text/plain",
                        "application/pdf", "application/x-www-form-urlencoded", ""]),
       st.binary(max_size=2048))
def test_raw_bodies(client, ctype, body):
    for url in ("/api/v1/verify", "/periksa"):
        assert_clean(client.post(url, content=body, headers={"content-type": ctype}))


def test_huge_headers_and_bodies(client):
    big = "a" * 60_000
    assert_clean(client.post("/api/v1/verify", content=make_pdf(),
                             headers={"content-type": "application/pdf", "x-junk": big}))
    r = client.post("/api/v1/verify", content=b"%PDF-" + b"0" * (10 * 1024 * 1024 + 10),
                    headers={"content-type": "application/pdf"})
    assert r.status_code == 413 and r.json()["error"]["code"] == "file_too_large"
    r = client.post("/api/v1/verify", content=b"%PDF-", headers={
        "content-type": "application/pdf", "content-length": "99999999999"})
    assert r.status_code in (400, 413)
    boundary = "b" * 190
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x.pdf\""
            f"\r\nX-Long: {'h' * 20000}\r\n\r\n%PDF-1.7\r\n--{boundary}--\r\n").encode()
    assert_clean(client.post("/api/v1/verify", content=body, headers={
        "content-type": f"multipart/form-data; boundary={boundary}"}))


def test_missing_field_and_empty(client):
    r = client.post("/api/v1/verify", files={"other": ("x.pdf", make_pdf(), "application/pdf")})
    assert r.status_code == 400 and r.json()["error"]["code"] == "missing_file"
    r = post_file(client, b"")
    assert r.status_code == 400 and r.json()["error"]["code"] == "empty_file"
    r = client.post("/api/v1/verify")
    assert_clean(r)
    assert r.status_code == 415


@FUZZ
@given(st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126,
                                      exclude_characters="/?#%"), min_size=1, max_size=100)
       .filter(lambda t: t.strip(".") != ""))
def test_random_tokens(client, token):
    for url in (f"/v/{token}", f"/api/v1/decrees/{token}"):
        r = client.get(url)
        assert_clean(r)
        assert r.status_code in (404, 405), (url, r.status_code)
