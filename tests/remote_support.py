"""Helpers for the remote-signing tests (issue 15): profiles whose ``[keys]`` name a CSC or a
BSrE service, and the DEMO services themselves, each started as its own process on a free
port of 127.0.0.1 (certomancer-csc-dummy; scripts/bsre_stub.py)."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

from signer.remote_demo import BSRE_DEMO_NIK, CSC_CREDENTIAL, start_bsre_stub, start_csc_service
from tests.ptsp_support import write_profile
from tests.signer_support import TEST_PASSPHRASE, free_port, shared_services, shared_test_pki

BSRE_PASSPHRASE = "rahasia-CONTOH"
CSC_PIN = "123456"
CLIENT = ("ptsp-test", "client-secret-CONTOH")
#: the environment variables the sections below name
ENV = {"T_PIN": "123456", "T_SO": "12345678", "T_P12": TEST_PASSPHRASE, "T_CSC_PIN": CSC_PIN,
       "T_BSRE_PASS": BSRE_PASSPHRASE, "T_BSRE_ID": CLIENT[0], "T_BSRE_SECRET": CLIENT[1]}


def csc_section(url: str, credential: str = CSC_CREDENTIAL) -> str:
    return f"""
[keys]
source = "csc"
csc_url = "{url}"
csc_credential = "{credential}"
csc_pin_env = "T_CSC_PIN"
csc_batch_size = 10
"""


def bsre_section(url: str, files: int = 5, *, nik: str = BSRE_DEMO_NIK,
                 certificate: Path | None = None) -> str:
    """BSrE v2 with the Kepala Dinas's certificate from the DEMO BSrE-like CA (or
    ``certificate``)."""
    pki = shared_test_pki()
    return f"""
[keys]
source = "bsre"
bsre_url = "{url}"
bsre_nik = "{nik}"
bsre_passphrase_env = "T_BSRE_PASS"
bsre_client_id_env = "T_BSRE_ID"
bsre_client_secret_env = "T_BSRE_SECRET"
bsre_certificate = "{certificate or pki.bsre_signer_cert}"
bsre_chain = ["{pki.bsre_ca_cert}", "{pki.bsre_root_cert}"]
bsre_files_per_request = {files}
"""


def office_profile(d: Path, pki: Any, *, keys_section: str | None = None) -> Path:
    """The test office profile (tests.ptsp_support.write_profile), trusting the BSrE-like root
    too (as an office trusts BSrE's national root) and with the delegation decree naming the
    Kepala Dinas's BSrE certificate as well as his demo one (one record per certificate)."""
    path = write_profile(d, pki, keys_section=keys_section)
    text = path.read_text(encoding="utf-8")
    roots = f'roots = ["{pki.root_cert}"]'
    assert roots in text
    text = text.replace(roots, f'roots = ["{pki.root_cert}", "{pki.bsre_root_cert}"]')
    text = text.replace("\n[verification]", f"""
[[authority.delegations]]
decree_title = "Peraturan Bupati Balangan"
decree_number = "7 Tahun 2021"
decree_subject = "Pendelegasian Kewenangan Penandatanganan Perizinan"
decree_date = 2021-01-04
valid_from = 2021-01-04
delegate_certificate = "{pki.bsre_signer_cert}"
scope = ["*"]

[verification]""", 1)
    path.write_text(text, encoding="utf-8")
    return path


def start_csc(log: Path) -> tuple[str, subprocess.Popen[bytes]]:
    """certomancer-csc over the shared test PKI: (its URL, the process)."""
    pki = shared_test_pki()
    shared_services()
    port = free_port()
    proc = start_csc_service(pki, TEST_PASSPHRASE, port, scal=1, log=log)
    return f"http://localhost:{port}", proc


def start_bsre(log: Path, *, hostile: str | None = None, latency: float = 1.0,
               signer: str = "kepala-dinas-bsre") -> tuple[str, subprocess.Popen[bytes]]:
    """The BSrE-shaped service over the shared test PKI: (its URL, the process)."""
    pki = shared_test_pki()
    shared_services()
    port = free_port()
    proc = start_bsre_stub(pki, TEST_PASSPHRASE, port, users={BSRE_DEMO_NIK: BSRE_PASSPHRASE},
                           client_id=CLIENT[0], client_secret=CLIENT[1], latency=latency,
                           hostile=hostile, log=log, signer=signer)
    return f"http://127.0.0.1:{port}", proc


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def stub_stats(url: str) -> dict[str, int]:
    import json
    import urllib.request

    with urllib.request.urlopen(f"{url}/_stub/stats") as r:
        return dict(json.load(r))


def remote_office(tmp: Path, keys_section: str, *, count: int, seed: int) -> dict[str, Any]:
    """The standalone office app over a new registry, signing through ``keys_section``, with
    ``count`` applications uploaded and drafted (real LibreOffice) and waiting for the Kepala
    Dinas. The service's client credentials are in the environment (server configuration);
    the PIN/passphrase is not: the Kepala Dinas types it on the page."""
    import os

    from fastapi.testclient import TestClient

    from generator.catalog import load_catalog
    from ptsp.office import create_office_app, create_user
    from ptsp.profile import load_profile
    from ptsp.samples import sample_batch
    from tests.office_support import (
        PASSWORD,
        ROLE_USERS,
        applications_csv,
        csrf_of,
        login,
        put_at_stage,
        registry_factory,
    )

    os.environ.update(T_BSRE_ID=CLIENT[0], T_BSRE_SECRET=CLIENT[1])
    for name in ("T_BSRE_PASS", "T_CSC_PIN"):
        os.environ.pop(name, None)
    pki = shared_test_pki()
    shared_services()
    tmp.mkdir(parents=True, exist_ok=True)
    profile = load_profile(office_profile(tmp, pki, keys_section=keys_section))
    url = f"sqlite:///{tmp / 'registry.sqlite'}"
    app = create_office_app(profile, registry_factory(profile, url), data_dir=tmp / "kantor")
    office = app.state.office
    for role, name in ROLE_USERS.items():
        create_user(office.store, name, role, PASSWORD, f"{role.upper()} Uji")
    apps = sample_batch(load_catalog(), count=count, seed=seed, start=700)
    with TestClient(app) as bo:
        login(bo, "bo1")
        token = csrf_of(bo.get("/kantor/unggah").text)
        page = bo.post("/kantor/unggah", data={"csrf_token": token},
                       files={"berkas": ("a.csv", applications_csv(apps), "text/csv")})
        assert f"{count} permohonan valid" in page.text, page.text
        r = bo.post(str(page.url) + "/buat", data={"csrf_token": csrf_of(page.text)},
                    follow_redirects=False)
        job = int(r.headers["location"].rsplit("/", 1)[1])
    office.jobs.wait(job, timeout=300)
    assert office.store.job(job).message == f"{count} draf disusun, 0 gagal."
    ids = [a["application_id"] for a in apps]
    for i in ids:
        put_at_stage(office.store, i, "kadis")
    return {"app": app, "office": office, "ids": ids, "profile": profile, "db": url,
            "tmp": tmp}
