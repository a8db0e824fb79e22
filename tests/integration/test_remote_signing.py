"""Issue 15: remote key sources. A CSC service (certomancer-csc-dummy, its own process, as
pyHanko's live tests run it) and a BSrE-shaped eSign service (scripts/bsre_stub.py, its own
process), both over the demo PKI; the same batch signed through PKCS#12, PKCS#11, CSC and BSrE
verifies SAH; the BSrE service's answers are checked and a hostile service is refused."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from generator.catalog import load_catalog
from ptsp.profile import load_profile
from ptsp.registry import open_registry
from ptsp.samples import sample_batch
from ptsp.verify import verify_bytes
from signer.bsre import BsreIdentity, BsreKeySource, BsreV1Transport, BsreV2Transport
from signer.csc import CscKeySource, sign_requests
from signer.errors import KeyUnlockError
from signer.keys import load_certificate
from signer.remote_demo import (
    BSRE_DEMO_NIK,
    CSC_CREDENTIAL,
)
from signer.remote_pdf import ServiceResultError
from signer.sign import BatchSigner, FieldPlacement, PadesLevel, SignatureSettings
from signer.validate import TrustSettings, validate_pdf
from tests.remote_support import BSRE_PASSPHRASE, CLIENT, start_bsre, start_csc, stub_stats
from tests.remote_support import ENV as _ENV
from tests.remote_support import bsre_section as _bsre_section
from tests.remote_support import csc_section as _csc_section
from tests.remote_support import office_profile as _office_profile
from tests.remote_support import stop as _stop
from tests.signer_support import (
    SOFTHSM_MODULE,
    TEST_PASSPHRASE,
    free_port,
    make_pdf,
    shared_test_pki,
)

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ptsp.cli", *args], capture_output=True,
                          text=True, timeout=900, env={**os.environ, "PYTHONPATH": str(ROOT),
                                                       **(env or {})})


@pytest.fixture(scope="module")
def csc(tmp_path_factory):
    """The CSC service: (url, its request log)."""
    log = tmp_path_factory.mktemp("csc") / "csc.log"
    url, proc = start_csc(log)
    yield url, log
    _stop(proc)


def _bsre(tmp: Path, hostile: str | None = None, latency: float = 1.0):
    return start_bsre(tmp / f"bsre-{hostile}.log", hostile=hostile, latency=latency)


@pytest.fixture(scope="module")
def bsre(tmp_path_factory):
    url, proc = _bsre(tmp_path_factory.mktemp("bsre"))
    yield url
    _stop(proc)


def _count(log: Path, endpoint: str) -> int:
    return len(re.findall(rf"POST /csc/v1/{endpoint} ", log.read_text(errors="replace")))


def _settings(pki) -> SignatureSettings:
    return SignatureSettings(level=PadesLevel.B_LTA, reason="Ditetapkan (UJI)",
                             location="Paringin", signer_name="BUDI SANTOSO",
                             timestamp_url=pki.tsa_url)


# -- CSC -----------------------------------------------------------------------------------

def test_csc_batch_of_100_makes_at_most_100_over_batch_size_sign_requests(csc):
    url, log = csc
    pki = shared_test_pki()
    before_sign, before_auth = _count(log, "signatures/signHash"), \
        _count(log, "credentials/authorize")
    batch_size = 10
    source = CscKeySource(url, CSC_CREDENTIAL, pin="123456", batch_size=batch_size)
    pdfs = [make_pdf(f"KEPUTUSAN CONTOH {i}") for i in range(100)]
    with source.unlock() as key, \
            BatchSigner(key, _settings(pki), trust_roots=[pki.root_cert]) as signer:
        assert key.concurrency == batch_size
        assert key.signing_cert.dump() == load_certificate(pki.signer_cert).dump()
        with ThreadPoolExecutor(key.concurrency) as pool:
            signed = list(pool.map(signer.sign, pdfs))
        client_count = sign_requests(key)
    served = _count(log, "signatures/signHash") - before_sign
    # counted at the server, from its own request log
    assert served == client_count
    assert served <= -(-100 // batch_size), served
    assert _count(log, "credentials/authorize") - before_auth == 1  # one PIN entry, one SAD
    trust = TrustSettings(roots=(pki.root_cert,))
    for pdf in (signed[0], signed[57], signed[-1]):
        report = validate_pdf(pdf, trust)
        assert report.ok, report.all_reasons
    assert len(set(signed)) == 100


def test_csc_partial_batches_go_out_when_documents_arrive_while_a_batch_is_sent(csc):
    """Digests that arrive while a full batch is on its way, and a last partial batch, are
    sent after the linger time (this hung once: 24 decrees, the last 4 never signed)."""
    import time

    url, log = csc
    pki = shared_test_pki()
    before = _count(log, "signatures/signHash")
    source = CscKeySource(url, CSC_CREDENTIAL, pin="123456", batch_size=4, linger=0.2)
    pdfs = [make_pdf(f"KEPUTUSAN {i}") for i in range(11)]
    with source.unlock() as key, \
            BatchSigner(key, _settings(pki), trust_roots=[pki.root_cert]) as signer:
        def one(i: int) -> bytes:
            time.sleep(0.03 * i)  # staggered, as decrees leave the converter
            return signer.sign(pdfs[i])
        with ThreadPoolExecutor(8) as pool:
            futures = [pool.submit(one, i) for i in range(11)]
            signed = [f.result(timeout=120) for f in futures]
    assert len(set(signed)) == 11
    assert _count(log, "signatures/signHash") - before <= 11


def test_csc_unknown_credential_fails_at_unlock(csc):
    url, _ = csc
    with pytest.raises(KeyUnlockError, match="credential"):
        CscKeySource(url, "ptsp-demo/no-such-signer", pin="1").unlock()
    with pytest.raises(KeyUnlockError, match="CSC service"):
        CscKeySource(f"http://127.0.0.1:{free_port()}", CSC_CREDENTIAL, pin="1",
                     timeout=5).unlock()


# -- BSrE ----------------------------------------------------------------------------------

def _bsre_source(url: str, *, passphrase: str = BSRE_PASSPHRASE, v1: bool = False,
                 files: int = 5) -> BsreKeySource:
    pki = shared_test_pki()
    transport = (BsreV1Transport(url, *CLIENT) if v1 else
                 BsreV2Transport(url, *CLIENT, max_files=files))
    return BsreKeySource(transport, BsreIdentity(nik=BSRE_DEMO_NIK, passphrase=passphrase),
                         pki.bsre_signer_cert, pki.bsre_chain)


def _both_roots(pki) -> list[Path]:
    """The demo root (our TSA: document timestamps) and the BSrE-like root (its signer)."""
    return [pki.root_cert, pki.bsre_root_cert]


@pytest.mark.parametrize("v1", [False, True], ids=["v2", "v1"])
def test_bsre_documents_come_back_checked_and_extended_to_b_lta(bsre, v1):
    pki = shared_test_pki()
    before = stub_stats(bsre)
    pdfs = [make_pdf(f"KEPUTUSAN {i}") for i in range(7)]
    with _bsre_source(bsre, v1=v1, files=5).unlock() as key, \
            BatchSigner(key, _settings(pki), trust_roots=_both_roots(pki)) as signer:
        with ThreadPoolExecutor(key.concurrency) as pool:
            signed = list(pool.map(
                lambda p: signer.sign(p, placement=FieldPlacement(0, (350, 60, 550, 120))), pdfs))
    after = stub_stats(bsre)
    if v1:
        assert after["v1_requests"] - before["v1_requests"] == 7
    else:  # several files per request: 7 documents in 2 requests (5 + 2)
        assert after["files"] - before["files"] == 7
        assert after["sign_requests"] - before["sign_requests"] == 2
    trust = TrustSettings(roots=tuple(_both_roots(pki)))
    for pdf, original in zip(signed, pdfs, strict=True):
        assert pdf.startswith(original)
        report = validate_pdf(pdf, trust)
        assert report.ok, report.all_reasons


def test_bsre_wrong_passphrase_stops_before_further_requests(bsre):
    pki = shared_test_pki()
    before = stub_stats(bsre)
    errors = []
    with _bsre_source(bsre, passphrase="salah", files=2).unlock() as key, \
            BatchSigner(key, _settings(pki), trust_roots=_both_roots(pki)) as signer:
        def one(p: bytes) -> None:
            try:
                signer.sign(p)
            except Exception as e:  # noqa: BLE001
                errors.append(e)
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(one, [make_pdf(str(i)) for i in range(8)]))
    assert len(errors) == 8
    assert all(getattr(e, "code", None) == 2031 for e in errors)
    assert "Passphrase sertifikat elektronik salah" in str(errors[0])
    assert BSRE_PASSPHRASE not in str(errors[0]) and "salah\"" not in str(errors[0])
    assert stub_stats(bsre)["sign_requests"] - before["sign_requests"] == 1


def test_bsre_unknown_signer_and_bad_client_credentials_fail_at_unlock(bsre):
    pki = shared_test_pki()
    src = BsreKeySource(BsreV2Transport(bsre, *CLIENT),
                        BsreIdentity(nik="0000", passphrase="x"), pki.bsre_signer_cert)
    with pytest.raises(KeyUnlockError, match="2011"):
        src.unlock()
    src = BsreKeySource(BsreV2Transport(bsre, CLIENT[0], "wrong"),
                        BsreIdentity(nik=BSRE_DEMO_NIK, passphrase="x"), pki.bsre_signer_cert)
    with pytest.raises(KeyUnlockError, match="HTTP 401"):
        src.unlock()


def test_bsre_timeout_is_not_retried_and_connection_refused_is(tmp_path):
    from signer.bsre import BsreDocumentSigner, BsreError

    url, proc = _bsre(tmp_path, latency=3.0)
    try:
        before = stub_stats(url)
        transport = BsreV2Transport(url, *CLIENT, timeout=1.0)
        docs = BsreDocumentSigner(transport, BsreIdentity(nik=BSRE_DEMO_NIK,
                                                          passphrase=BSRE_PASSPHRASE),
                                  retry_wait=0.1)
        try:
            with pytest.raises(BsreError, match="batas waktu") as info:
                docs.sign_document(make_pdf(), placement=None, reason="r", location="l")
            assert info.value.applied_unknown
        finally:
            docs.close()
        assert stub_stats(url)["sign_requests"] - before["sign_requests"] == 1  # not retried
    finally:
        _stop(proc)
    # nothing listens: the request surely was not applied, so it is tried again (twice)
    attempts = []

    class Counting(BsreV2Transport):
        def sign(self, *a, **kw):
            attempts.append(1)
            return super().sign(*a, **kw)

    docs = BsreDocumentSigner(Counting(f"http://127.0.0.1:{free_port()}", *CLIENT),
                              BsreIdentity(nik="1", passphrase="x"), retries=2, retry_wait=0.05)
    try:
        with pytest.raises(BsreError, match="tidak dapat dihubungi"):
            docs.sign_document(make_pdf(), placement=None, reason="r", location="l")
    finally:
        docs.close()
    assert len(attempts) == 3


@pytest.mark.parametrize("hostile,says", [
    ("extra-object", r"changed more than the signature: object 5 0 R \(page\): /Contents"),
    ("other-signer", "another certificate than expected: .*Siti Aminah"),
    ("truncated", "not a readable PDF|truncated"),
])
def test_hostile_bsre_service_is_refused(tmp_path, hostile, says):
    pki = shared_test_pki()
    url, proc = _bsre(tmp_path, hostile, latency=0.1)
    try:
        pdf = make_pdf("KEPUTUSAN")
        with _bsre_source(url).unlock() as key, \
                BatchSigner(key, _settings(pki), trust_roots=_both_roots(pki)) as signer:
            with pytest.raises(ServiceResultError, match=says):
                signer.sign(pdf, placement=FieldPlacement(0, (350, 60, 550, 120)))
    finally:
        _stop(proc)


# -- the application: ptsp issue through each source ---------------------------------------

@pytest.fixture(scope="module")
def batch20(tmp_path_factory):
    src = tmp_path_factory.mktemp("remote") / "batch.jsonl"
    apps = sample_batch(load_catalog(), count=20, seed=15)
    src.write_text("".join(json.dumps(a) + "\n" for a in apps))
    return src


def _issue(d: Path, profile: Path, batch: Path, env: dict[str, str]):
    r = _cli("--profile", str(profile), "--db", f"sqlite:///{d / 'r.sqlite'}", "issue",
             "--input", str(batch), "--out", str(d / "out"), "--json", env=env)
    return r, (json.loads(r.stdout) if r.stdout.strip() else None)


@pytest.mark.skipif(not Path(SOFTHSM_MODULE).exists(), reason="softhsm2 not installed")
def test_same_20_decrees_through_pkcs12_pkcs11_csc_and_bsre_all_sah(tmp_path, batch20, csc,
                                                                    bsre):
    pki = shared_test_pki()
    env = dict(_ENV)
    token_dir = tmp_path / "token"
    r = _cli("keys", "softhsm-init", "--dir", str(token_dir), "--label", "kadis",
             "--pin-env", "T_PIN", "--so-pin-env", "T_SO", env=env)
    assert r.returncode == 0, r.stderr
    env["SOFTHSM2_CONF"] = json.loads(r.stdout)["softhsm2_conf"]
    r = _cli("keys", "import", "--p12", str(pki.signer_p12), "--module", SOFTHSM_MODULE,
             "--token-label", "kadis", "--key-label", "kepala-dinas", "--passphrase-env",
             "T_P12", "--pin-env", "T_PIN", env=env)
    assert r.returncode == 0, r.stderr
    sections = {
        "pkcs12": None,
        "pkcs11": f"""
[keys]
source = "pkcs11"
pkcs11_module = "{SOFTHSM_MODULE}"
token_label = "kadis"
key_label = "kepala-dinas"
pin_env = "T_PIN"
""",
        "csc": _csc_section(csc[0]),
        "bsre": _bsre_section(bsre),
    }
    numbers = {}
    for kind, section in sections.items():
        d = tmp_path / kind
        d.mkdir()
        profile = _office_profile(d, pki, keys_section=section)
        # ptsp keys check: the service's certificate is the delegate's
        r = _cli("--profile", str(profile), "keys", "check", "--json", env=env)
        assert r.returncode == 0, (kind, r.stderr, r.stdout)
        assert json.loads(r.stdout)["delegation"], kind
        r, report = _issue(d, profile, batch20, env)
        assert r.returncode == 0, (kind, r.stderr)
        assert report["counts"]["issued"] == 20, (kind, report["counts"])
        prof = load_profile(profile)
        registry = open_registry(f"sqlite:///{d / 'r.sqlite'}")
        try:
            for o in report["outcomes"]:
                res = verify_bytes(prof, registry, Path(o["path"]).read_bytes())
                assert res.verdict == "SAH", (kind, o["number"], [x.code for x in res.reasons])
        finally:
            registry.close()
        numbers[kind] = sorted(o["number"] for o in report["outcomes"])
    assert len({tuple(n) for n in numbers.values()}) == 1  # the same 20 decrees each time


def test_hostile_bsre_in_ptsp_issue_keeps_numbers_reserved_and_writes_nothing(tmp_path, bsre):
    pki = shared_test_pki()
    batch = tmp_path / "b.jsonl"
    batch.write_text("".join(json.dumps(a) + "\n"
                             for a in sample_batch(load_catalog(), count=3, seed=5)))
    url, proc = _bsre(tmp_path, "extra-object", latency=0.1)
    try:
        profile = _office_profile(tmp_path, pki, keys_section=_bsre_section(url))
        r, report = _issue(tmp_path, profile, batch, _ENV)
    finally:
        _stop(proc)
    assert r.returncode == 1
    assert report["counts"]["failed"] == 3 and report["counts"]["issued"] == 0
    errors = " ".join(e for o in report["outcomes"] for e in o["errors"])
    assert "/Contents changed" in errors
    assert not list((tmp_path / "out").glob("*.pdf"))
    reserved = sorted(o["number"] for o in report["outcomes"])
    # the same numbers are signed on a retry through a well-behaved service
    profile = _office_profile(tmp_path, pki, keys_section=_bsre_section(bsre))
    r, report = _issue(tmp_path, profile, batch, _ENV)
    assert r.returncode == 0, r.stderr
    assert sorted(o["number"] for o in report["outcomes"]) == reserved


def test_bsre_wrong_passphrase_stops_ptsp_issue(tmp_path, bsre):
    pki = shared_test_pki()
    batch = tmp_path / "b.jsonl"
    batch.write_text("".join(json.dumps(a) + "\n"
                             for a in sample_batch(load_catalog(), count=8, seed=6)))
    before = stub_stats(bsre)
    profile = _office_profile(tmp_path, pki, keys_section=_bsre_section(bsre))
    r, _ = _issue(tmp_path, profile, batch, {**_ENV, "T_BSRE_PASS": "salah"})
    assert r.returncode == 1
    assert "Passphrase sertifikat elektronik salah" in r.stderr
    assert stub_stats(bsre)["sign_requests"] - before["sign_requests"] == 1
    assert not list((tmp_path / "out").glob("*.pdf"))


@pytest.mark.parametrize("kind", ["csc", "bsre"])
def test_ptsp_sign_drafts_through_remote_source(tmp_path, kind, csc, bsre):
    pki = shared_test_pki()
    section = _csc_section(csc[0]) if kind == "csc" else _bsre_section(bsre)
    base = ["--profile", str(_office_profile(tmp_path, pki, keys_section=section)),
            "--db", f"sqlite:///{tmp_path / 'r.sqlite'}"]
    batch = tmp_path / "b.jsonl"
    batch.write_text("".join(json.dumps(a) + "\n"
                             for a in sample_batch(load_catalog(), count=3, seed=9)))
    r = _cli(*base, "generate", "--input", str(batch), "--drafts", str(tmp_path / "drafts"),
             "--json", env=_ENV)
    assert r.returncode == 0, r.stderr
    before = _count(csc[1], "signatures/signHash") if kind == "csc" else \
        stub_stats(bsre)["sign_requests"]
    r = _cli(*base, "sign", "--drafts", str(tmp_path / "drafts"), "--out",
             str(tmp_path / "out"), "--json", env=_ENV)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["counts"]["issued"] == 3
    after = _count(csc[1], "signatures/signHash") if kind == "csc" else \
        stub_stats(bsre)["sign_requests"]
    assert after - before == 1  # the three drafts in one request
    for pdf in (tmp_path / "out").glob("*.pdf"):
        r = _cli(*base, "verify", "--json", str(pdf), env=_ENV)
        assert json.loads(r.stdout)["verdict"] == "SAH", r.stdout


def test_service_result_check_without_a_service():
    """check_service_result on files made here: rewritten, shortened, two signatures."""
    from io import BytesIO

    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers

    from signer.remote_pdf import check_service_result

    pki = shared_test_pki()
    cert = load_certificate(pki.signer_cert)
    key = signers.SimpleSigner.load_pkcs12(pki.signer_p12, passphrase=TEST_PASSPHRASE.encode())
    original = make_pdf("ASLI")

    def signed(pdf: bytes, field: str = "S1") -> bytes:
        w = IncrementalPdfFileWriter(BytesIO(pdf), strict=False)
        return signers.sign_pdf(w, signers.PdfSignatureMetadata(field_name=field),
                                signer=key).getvalue()

    good = signed(original)
    rev = check_service_result(original, good, cert)
    assert rev.length == len(good) and "Budi Santoso" in rev.signer_subject
    with pytest.raises(ServiceResultError, match="differs from byte 9"):
        check_service_result(original, good.replace(b"%PDF-1.7\n%", b"%PDF-1.7\n#", 1), cert)
    with pytest.raises(ServiceResultError, match="truncated"):
        check_service_result(original, original[:-10], cert)
    with pytest.raises(ServiceResultError, match="2 revisions"):
        check_service_result(original, signed(good, "S2"), cert)


# -- the DEMO "BSrE-like" CA ---------------------------------------------------------------

def _sha256_der(path: Path) -> str:
    import hashlib

    return hashlib.sha256(load_certificate(path).dump()).hexdigest()


def _records(db: Path) -> int:
    import sqlite3

    if not db.exists():
        return 0
    with sqlite3.connect(db) as con:
        return int(con.execute("select count(*) from registry_records").fetchone()[0])


def test_bsre_signed_decree_chains_to_the_bsre_like_root_and_is_sah(tmp_path, bsre):
    """BSrE signs under its own CA: the decree's signer is the Kepala Dinas's certificate
    from the DEMO BSrE-like CA, its validated path ends at the BSrE-like root (not the demo
    root), its signature timestamp is the BSrE-like TSA's, the DSS carries that CA's OCSP
    answer, and the office (which trusts that root) and `ptsp verify` say SAH."""
    pki = shared_test_pki()
    batch = tmp_path / "b.jsonl"
    batch.write_text("".join(json.dumps(a) + "\n"
                             for a in sample_batch(load_catalog(), count=2, seed=31)))
    profile = _office_profile(tmp_path, pki, keys_section=_bsre_section(bsre))
    r, report = _issue(tmp_path, profile, batch, _ENV)
    assert r.returncode == 0, r.stderr
    assert report["counts"]["issued"] == 2
    pdf = Path(report["outcomes"][0]["path"])
    data = pdf.read_bytes()
    main = validate_pdf(data, TrustSettings(roots=tuple(_both_roots(pki)))).signatures[0]
    assert main.ok, main.reasons
    assert main.signer_fingerprint == _sha256_der(pki.bsre_signer_cert)
    assert main.signer_fingerprint != _sha256_der(pki.signer_cert)
    assert [c.fingerprint for c in main.chain] == [
        _sha256_der(pki.bsre_signer_cert), _sha256_der(pki.bsre_ca_cert),
        _sha256_der(pki.bsre_root_cert)]
    assert "DEMO Root CA Indonesia CONTOH" in main.chain[-1].subject
    assert main.tsa is not None and main.tsa.fingerprint == _sha256_der(pki.bsre_tsa_cert)
    assert any(x.source == "ocsp" and "DEMO CA BSrE CONTOH" in x.issuer
               and x.status == "good" for x in main.revocation), main.revocation
    assert main.pades_level == "B-LTA"
    # trusting only the demo root, the same signature has no trusted path
    alone = validate_pdf(data, TrustSettings(roots=(pki.root_cert,))).signatures[0]
    assert not alone.trusted
    # the office's verdict, in this process and through the CLI
    prof = load_profile(profile)
    registry = open_registry(f"sqlite:///{tmp_path / 'r.sqlite'}")
    try:
        assert verify_bytes(prof, registry, data).verdict == "SAH"
    finally:
        registry.close()
    r = _cli("--profile", str(profile), "--db", f"sqlite:///{tmp_path / 'r.sqlite'}",
             "verify", "--json", str(pdf), env=_ENV)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["verdict"] == "SAH"


def test_bsre_signer_not_covered_by_the_delegation_is_refused_before_anything_is_recorded(
        tmp_path):
    """The BSrE service signs under another employee's certificate from the same BSrE-like
    CA, which no delegation names. (a) The office names that certificate: ptsp refuses before
    taking a number or sending anything. (b) The office names the Kepala Dinas's: the
    service's signature is by another certificate and is refused; nothing is written, the
    numbers stay reserved (nothing issued)."""
    pki = shared_test_pki()
    batch = tmp_path / "b.jsonl"
    batch.write_text("".join(json.dumps(a) + "\n"
                             for a in sample_batch(load_catalog(), count=2, seed=32)))
    url, proc = _bsre_other(tmp_path)
    try:
        d = tmp_path / "a"
        d.mkdir()
        section = _bsre_section(url).replace(str(pki.bsre_signer_cert),
                                             str(pki.bsre_other_signer_cert))
        profile = _office_profile(d, pki, keys_section=section)
        r = _cli("--profile", str(profile), "keys", "check", "--json", env=_ENV)
        assert r.returncode == 1, (r.stdout, r.stderr)
        assert json.loads(r.stdout)["delegation"] is None
        before = stub_stats(url)
        r, report = _issue(d, profile, batch, _ENV)
        assert r.returncode == 1
        assert report["counts"]["issued"] == 0 and report["counts"]["failed"] == 2
        errors = " ".join(e for o in report["outcomes"] for e in o["errors"])
        assert "no delegation lets this certificate sign" in errors
        assert stub_stats(url)["sign_requests"] == before["sign_requests"]  # nothing sent
        assert _records(d / "r.sqlite") == 0  # not even a number taken
        assert not list((d / "out").glob("*.pdf"))
        # (b)
        d = tmp_path / "b"
        d.mkdir()
        profile = _office_profile(d, pki, keys_section=_bsre_section(url))
        r, report = _issue(d, profile, batch, _ENV)
        assert r.returncode == 1
        assert report["counts"]["issued"] == 0
        errors = " ".join(e for o in report["outcomes"] for e in o["errors"])
        assert "another certificate than expected" in errors and "Siti Aminah" in errors
        assert stub_stats(url)["sign_requests"] > before["sign_requests"]  # it did sign
        assert not list((d / "out").glob("*.pdf"))
        import sqlite3

        with sqlite3.connect(d / "r.sqlite") as con:
            statuses = {s for (s,) in con.execute("select status from registry_records")}
        assert statuses == {"reserved"}
    finally:
        _stop(proc)


def _bsre_other(tmp: Path):
    """A BSrE service that signs with another employee's BSrE-like certificate."""
    return start_bsre(tmp / "bsre-other.log", latency=0.1, signer="other-signer-bsre")


# -- ptsp keys check against the services --------------------------------------------------

@pytest.mark.parametrize("case", ["csc-ok", "csc-unknown-credential", "bsre-ok",
                                  "bsre-not-registered", "bsre-bad-client"])
def test_keys_check_with_remote_sources(tmp_path, csc, bsre, case):
    """`ptsp keys check` asks the real service: ok (exit 0, the delegation found for the
    service's certificate), or one clear line on stderr and exit 1."""
    pki = shared_test_pki()
    env = dict(_ENV)
    section = {
        "csc-ok": _csc_section(csc[0]),
        "csc-unknown-credential": _csc_section(csc[0], credential="ptsp-demo/tidak-ada"),
        "bsre-ok": _bsre_section(bsre),
        "bsre-not-registered": _bsre_section(bsre, nik="6308000000000000"),
        "bsre-bad-client": _bsre_section(bsre),
    }[case]
    if case == "bsre-bad-client":
        env["T_BSRE_SECRET"] = "bukan-rahasianya"
    profile = _office_profile(tmp_path, pki, keys_section=section)
    r = _cli("--profile", str(profile), "keys", "check", "--json", env=env)
    if case.endswith("-ok"):
        assert r.returncode == 0, r.stderr
        doc = json.loads(r.stdout)
        cert = pki.signer_cert if case == "csc-ok" else pki.bsre_signer_cert
        assert doc["sha256"] == _sha256_der(cert)
        assert doc["delegation"] == "7 Tahun 2021" and doc["problems"] == []
        return
    assert r.returncode == 1, (r.stdout, r.stderr)
    assert r.stdout == ""
    says = {"csc-unknown-credential": "cannot read credential 'ptsp-demo/tidak-ada'",
            "bsre-not-registered": "BSrE 2011: Penanda tangan belum terdaftar",
            "bsre-bad-client": "ditolak oleh layanan BSrE (HTTP 401)"}[case]
    assert says in r.stderr, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr  # no traceback
    assert BSRE_PASSPHRASE not in r.stderr
