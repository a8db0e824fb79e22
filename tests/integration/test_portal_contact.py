"""Issue 13 (portal): the office's contact on every portal page, a warning that the document may
not be genuine on the unknown-token page, and a favicon (the office's emblem)."""

from __future__ import annotations

from dataclasses import replace
from io import BytesIO

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from ptsp.web import create_app
from tests.web_support import shared_decrees

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def decrees():
    return shared_decrees()


PHONE, EMAIL = "(0526) 2028060", "dpmptsp@balangankab.go.id"


def with_contact(profile):
    return replace(profile, office=replace(profile.office, phone=PHONE, email=EMAIL))


@pytest.fixture(scope="module")
def client(decrees):
    with TestClient(create_app(with_contact(decrees.profile()), decrees.registry),
                    raise_server_exceptions=False) as c:
        yield c


def test_contact_on_every_page(client, decrees):
    office = with_contact(decrees.profile()).office
    rec = decrees.record_for(decrees.pdfs[0])
    pages = [client.get("/"), client.get(f"/v/{rec.token}"), client.get("/v/" + "A" * 32),
             client.get("/tidak-ada"),
             client.post("/periksa", files={"file": ("a.pdf", decrees.pdfs[0].read_bytes(),
                                                     "application/pdf")}),
             client.post("/periksa", files={"file": ("a.txt", b"halo", "text/plain")})]
    for r in pages:
        assert 'id="kontak"' in r.text, r.url
        assert f'href="mailto:{office.email}"' in r.text and office.phone in r.text
        assert 'href="tel:' in r.text


def test_unknown_token_warns_that_the_document_may_not_be_genuine(client, decrees):
    office = with_contact(decrees.profile()).office
    for token in ("A" * 32, "x"):
        r = client.get(f"/v/{token}")
        assert r.status_code == 404
        assert 'id="peringatan"' in r.text and "mungkin tidak asli" in r.text
        warning = r.text.split('id="peringatan"', 1)[1].split("</div>", 1)[0]
        assert office.email in warning and office.phone in warning
    # a known decree and other missing pages carry no such warning
    rec = decrees.record_for(decrees.pdfs[0])
    assert "mungkin tidak asli" not in client.get(f"/v/{rec.token}").text
    assert "mungkin tidak asli" not in client.get("/tidak-ada").text


def test_favicon(client):
    assert 'rel="icon" href="/favicon.ico"' in client.get("/").text
    r = client.get("/favicon.ico")
    assert r.status_code == 200 and r.headers["content-type"] == "image/x-icon"
    with Image.open(BytesIO(r.content)) as ico:
        assert ico.format == "ICO"
        assert {(16, 16), (32, 32), (48, 48)} <= set(ico.info["sizes"])
