"""Issue 15: the Kepala Dinas signs on the office page (/kantor/tanda-tangan) through a remote
signing service, the PIN/passphrase typed on the page and used for that request only.

Real parts: the office app (HTTP through its ASGI app), LibreOffice drafts, a SQLite registry,
the test PKI's TSA/OCSP/CRL, and the services as their own processes: certomancer-csc-dummy
(CSC) and scripts/bsre_stub.py (BSrE, signing under the DEMO BSrE-like CA). A wrong BSrE
passphrase gives one message on the signing page, keeps the selection and signs nothing.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest

from ptsp.registry import open_registry
from ptsp.verify import verify_bytes
from tests.office_support import csrf_of, login
from tests.remote_support import (
    BSRE_PASSPHRASE,
    bsre_section,
    csc_section,
    remote_office,
    start_bsre,
    start_csc,
    stop,
    stub_stats,
)
from tests.signer_support import shared_test_pki

pytestmark = pytest.mark.integration
#: what the Kepala Dinas types as his CSC PIN (the demo CSC service does not check PINs)
CSC_TYPED = "pin-CSC-CONTOH-7731"


def _sign_all(client, pin: str, ids: list[str]):
    page = client.get("/kantor/tanda-tangan")
    assert page.status_code == 200
    form = {"csrf_token": csrf_of(page.text), "pin": pin, "semua": "1", "tampil": ids}
    return client.post("/kantor/tanda-tangan", data=form, follow_redirects=False)


def _sign_chosen(client, pin: str, chosen: list[str]):
    page = client.get("/kantor/tanda-tangan")
    form = {"csrf_token": csrf_of(page.text), "pin": pin, "app": chosen}
    return client.post("/kantor/tanda-tangan", data=form, follow_redirects=False)


def _verdicts(o: dict) -> list[str]:
    registry = open_registry(o["db"])
    try:
        out = []
        for i in o["ids"]:
            row = o["office"].store.application(i)
            out.append(verify_bytes(o["profile"], registry,
                                    Path(row.signed_path).read_bytes()).verdict)
        return out
    finally:
        registry.close()


def _no_secret_at_rest(o: dict, secret: str) -> None:
    """The typed secret is nowhere on disk: registry, office store, files."""
    for f in o["tmp"].rglob("*"):
        if f.is_file() and f.stat().st_size < 50_000_000:
            assert secret.encode() not in f.read_bytes(), f


def test_office_signs_through_csc(tmp_path, caplog):
    from fastapi.testclient import TestClient

    caplog.set_level(logging.DEBUG)
    log = tmp_path / "csc.log"
    url, proc = start_csc(log)
    try:
        o = remote_office(tmp_path / "o", csc_section(url), count=3, seed=151)
        with TestClient(o["app"]) as kadis:
            login(kadis, "kadis1")
            page = kadis.get("/kantor/tanda-tangan")
            assert "PIN/OTP layanan tanda tangan (CSC)" in page.text
            before = len(re.findall(r"POST /csc/v1/signatures/signHash ", log.read_text()))
            r = _sign_all(kadis, CSC_TYPED, o["ids"])
            assert r.status_code == 303, r.text
            job = int(r.headers["location"].rsplit("/", 1)[1])
            o["office"].jobs.wait(job, timeout=300)
            assert o["office"].store.job(job).message == "3 keputusan ditandatangani, 0 gagal."
        served = len(re.findall(r"POST /csc/v1/signatures/signHash ", log.read_text())) - before
        assert 1 <= served <= 3  # the service signed them (hashes only left the office)
        assert [o["office"].store.application(i).stage for i in o["ids"]] == ["signed"] * 3
        assert _verdicts(o) == ["SAH"] * 3
    finally:
        stop(proc)
    _no_secret_at_rest(o, CSC_TYPED)
    assert CSC_TYPED not in caplog.text


def test_office_signs_through_bsre_and_a_wrong_passphrase_signs_nothing(tmp_path, caplog):
    from fastapi.testclient import TestClient

    caplog.set_level(logging.DEBUG)
    pki = shared_test_pki()
    url, proc = start_bsre(tmp_path / "bsre.log", latency=0.5)
    try:
        o = remote_office(tmp_path / "o", bsre_section(url), count=3, seed=152)
        ids, store = o["ids"], o["office"].store
        with TestClient(o["app"]) as kadis:
            login(kadis, "kadis1")
            assert "passphrase sertifikat elektronik BSrE" in \
                kadis.get("/kantor/tanda-tangan").text
            # a wrong passphrase: one Indonesian message, the choice kept, nothing signed
            before = stub_stats(url)
            r = _sign_chosen(kadis, "passphrase-salah-CONTOH", [ids[0], ids[2]])
            assert r.status_code == 400
            text = re.sub(r"\s+", " ", r.text)
            assert text.count("Layanan tanda tangan menolak") == 1
            assert "Passphrase sertifikat elektronik salah" in text
            assert "Tidak ada dokumen yang ditandatangani" in text
            checked = set(re.findall(r'name="app" value="([^"]+)" id="[^"]+" checked', r.text))
            assert checked == {ids[0], ids[2]}, r.text
            assert stub_stats(url)["sign_requests"] - before["sign_requests"] == 1
            assert [store.application(i).stage for i in ids] == ["kadis"] * 3
            assert all(store.application(i).last_error is None for i in ids)
            assert not list(o["profile"].storage.output_dir.glob("*.pdf"))
            # the right one: all three signed by BSrE, checked, extended to B-LTA here
            r = _sign_all(kadis, BSRE_PASSPHRASE, ids)
            assert r.status_code == 303, r.text
            job = int(r.headers["location"].rsplit("/", 1)[1])
            o["office"].jobs.wait(job, timeout=300)
            assert store.job(job).message == "3 keputusan ditandatangani, 0 gagal."
        assert [store.application(i).stage for i in ids] == ["signed"] * 3
        assert _verdicts(o) == ["SAH"] * 3
        from signer.validate import TrustSettings, validate_pdf

        pdf = Path(store.application(ids[0]).signed_path).read_bytes()
        main = validate_pdf(pdf, TrustSettings(roots=(pki.root_cert, pki.bsre_root_cert)))
        assert "DEMO CA BSrE CONTOH" in main.signatures[0].chain[1].subject
    finally:
        stop(proc)
    _no_secret_at_rest(o, BSRE_PASSPHRASE)
    _no_secret_at_rest(o, "passphrase-salah-CONTOH")
    assert BSRE_PASSPHRASE not in caplog.text and "passphrase-salah-CONTOH" not in caplog.text
