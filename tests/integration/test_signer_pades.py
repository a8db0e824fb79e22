"""Real PAdES signing and validation: certomancer PKI, local TSA/OCSP/CRL, pyHanko, pdfsig."""

from __future__ import annotations

import hashlib
import threading
from datetime import timedelta
from io import BytesIO
from pathlib import Path

import pytest

from signer.delegation import Delegation, check_delegation, find_delegation
from signer.errors import DelegationError, KeyUnlockError
from signer.keys import Pkcs12KeySource, UnlockedKey
from signer.pki import DemoPki, build_demo_pki
from signer.sign import BatchSigner, FieldPlacement, PadesLevel, SignatureSettings
from signer.validate import (
    ModificationLevel,
    TrustSettings,
    ades_validate,
    simulate_future,
    validate_pdf,
)
from tests.signer_support import (
    TEST_PASSPHRASE,
    flip_byte_in_signed_range,
    have_program,
    make_nss_db,
    make_pdf,
    pdfsig,
    shared_services,
    shared_test_pki,
)

pytestmark = pytest.mark.integration

TITLE = "Kepala Dinas Penanaman Modal dan PTSP (CONTOH)"
PLACEMENT = FieldPlacement(page=0, box=(350.0, 60.0, 550.0, 150.0))


@pytest.fixture(scope="session")
def pki() -> DemoPki:
    return shared_test_pki()


@pytest.fixture(scope="session")
def services(pki: DemoPki):
    return shared_services()


@pytest.fixture(scope="session")
def trust(pki: DemoPki) -> TrustSettings:
    return TrustSettings(roots=(pki.root_cert,))


@pytest.fixture(scope="session")
def kadis_key(pki: DemoPki):
    with Pkcs12KeySource(pki.signer_p12, TEST_PASSPHRASE.encode()).unlock() as key:
        yield key


def _settings(pki: DemoPki, level: PadesLevel) -> SignatureSettings:
    return SignatureSettings(
        level=level, reason="Penerbitan Surat Keputusan izin (CONTOH)", location="Paringin",
        signer_name="DEMO Budi Santoso Contoh", signer_title=TITLE,
        contact_info="dpmptsp@contoh.invalid", timestamp_url=pki.tsa_url,
    )


def _sign(key: UnlockedKey, pki: DemoPki, level: PadesLevel, pdf: bytes | None = None) -> bytes:
    with BatchSigner(key, _settings(pki, level), trust_roots=[pki.root_cert]) as signer:
        return signer.sign(pdf or make_pdf(), placement=PLACEMENT)


@pytest.fixture(scope="session")
def signed(pki: DemoPki, services, kadis_key) -> dict[PadesLevel, bytes]:
    return {lvl: _sign(kadis_key, pki, lvl) for lvl in PadesLevel}


@pytest.fixture(scope="session")
def nss(pki: DemoPki, tmp_path_factory) -> str:
    if not (have_program("pdfsig") and have_program("certutil")):
        pytest.skip("pdfsig/certutil not installed")
    return make_nss_db(tmp_path_factory.mktemp("nss"), pki.root_cert)


# -- the PKI ----------------------------------------------------------------------------------


def test_pki_is_reused_and_demo_labelled(pki: DemoPki) -> None:
    again = build_demo_pki(Path("unused"), pki.out_dir, TEST_PASSPHRASE,
                           service_url=pki.service_url)
    assert again == pki  # reused as is (the description is not even read)
    from cryptography import x509

    root = x509.load_pem_x509_certificate(pki.root_cert.read_bytes())
    assert "DEMO" in root.subject.rfc4514_string()
    cert = x509.load_pem_x509_certificate(pki.signer_cert.read_bytes())
    subject = cert.subject.rfc4514_string()
    assert "O=Pemerintah Kabupaten Balangan" in subject
    assert "Pelayanan Terpadu Satu Pintu" in subject and "NIP" in subject
    assert cert.not_valid_after_utc - cert.not_valid_before_utc > timedelta(days=700)
    assert (pki.out_dir / "root.key.pem").stat().st_mode & 0o077 == 0
    assert pki.signer_p12.stat().st_mode & 0o077 == 0


def test_other_passphrase_on_existing_pki_is_refused(pki: DemoPki) -> None:
    from signer.errors import PkiError

    with pytest.raises(PkiError, match="another passphrase"):
        build_demo_pki(Path("unused"), pki.out_dir, "other", service_url=pki.service_url)


def test_wrong_passphrase_fails_at_unlock(pki: DemoPki) -> None:
    with pytest.raises(KeyUnlockError):
        Pkcs12KeySource(pki.signer_p12, b"bukan-ini").unlock()


# -- signing and validating -------------------------------------------------------------------


@pytest.mark.parametrize("level", [PadesLevel.B_T, PadesLevel.B_LT, PadesLevel.B_LTA])
def test_signed_levels_validate(level, signed, trust, kadis_key) -> None:
    data = signed[level]
    report = validate_pdf(data, trust)
    assert report.ok, report.all_reasons
    sig = report.last_approval
    assert sig is not None
    assert sig.intact and sig.valid and sig.trusted and not sig.revoked
    assert sig.pades_level == level.value
    assert sig.signer_fingerprint == kadis_key.fingerprint_sha256
    assert sig.signer_title == TITLE
    assert sig.timestamp_trusted and sig.signing_time is not None
    assert sig.docmdp_ok and sig.field_name == "Signature1"
    assert sig.revocation_checked is (level is not PadesLevel.B_T)
    if level is PadesLevel.B_T:
        assert sig.coverage == "entire_file" and sig.modification_level is ModificationLevel.NONE
    else:
        assert sig.coverage == "entire_revision"
        assert sig.modification_level is ModificationLevel.LTA_UPDATES
    # the registry hash: the bytes up to the end of the signed revision
    assert report.signed_revision_sha256 == hashlib.sha256(
        data[: sig.signed_revision_end]).hexdigest()
    assert report.file_sha256 == hashlib.sha256(data).hexdigest()
    doc_ts = [s for s in report.signatures if s.is_doc_timestamp]
    assert len(doc_ts) == (1 if level is PadesLevel.B_LTA else 0)
    assert all(s.trusted and s.intact for s in doc_ts)


def test_certification_and_field_placement(signed) -> None:
    from pyhanko.pdf_utils.reader import PdfFileReader

    reader = PdfFileReader(BytesIO(signed[PadesLevel.B_T]))
    sig = reader.embedded_signatures[0]
    assert sig.docmdp_level is not None and sig.docmdp_level.value == 1  # no changes
    field = sig.sig_field
    assert [float(v) for v in field["/Rect"]] == list(PLACEMENT.box)
    page0 = reader.root["/Pages"]["/Kids"][0]
    assert field["/P"].get_object() is page0.get_object() or field["/P"] == page0


@pytest.mark.parametrize("level", [PadesLevel.B_T, PadesLevel.B_LT, PadesLevel.B_LTA])
def test_pdfsig_says_valid(level, signed, nss, tmp_path) -> None:
    path = tmp_path / f"{level.value}.pdf"
    path.write_bytes(signed[level])
    out = pdfsig(path, nss)
    assert "Signature #1" in out
    first = out.split("Signature #2")[0]
    assert "Signature is Valid." in first, out


def test_one_byte_changed_is_a_digest_mismatch(signed, trust, nss, tmp_path) -> None:
    tampered = flip_byte_in_signed_range(signed[PadesLevel.B_T])
    report = validate_pdf(tampered, trust)
    sig = report.last_approval
    assert sig is not None and not sig.intact and not report.ok
    assert "digest_mismatch" in [r.code for r in sig.reasons]
    assert sig.reasons[0].message == "Isi dokumen telah diubah setelah ditandatangani."
    path = tmp_path / "tampered.pdf"
    path.write_bytes(tampered)
    assert "Digest Mismatch." in pdfsig(path, nss)


def test_modification_after_certification_is_reported(signed, trust) -> None:
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    w = IncrementalPdfFileWriter(BytesIO(signed[PadesLevel.B_T]))
    w.root["/PageMode"] = generic.NameObject("/FullScreen")
    w.update_root()
    out = BytesIO()
    w.write(out)
    report = validate_pdf(out.getvalue(), trust)
    sig = report.last_approval
    assert sig is not None and sig.intact and sig.coverage == "entire_revision"
    assert "modified_after_signing" in [r.code for r in sig.reasons]
    assert not report.ok
    # the signed revision is still identified by its hash
    assert report.signed_revision_sha256 == hashlib.sha256(signed[PadesLevel.B_T]).hexdigest()


def test_truncated_signed_file(signed, trust) -> None:
    data = signed[PadesLevel.B_LTA]
    report = validate_pdf(data[: len(data) // 2], trust)
    assert not report.readable and report.reasons[0].code == "truncated"


def test_lta_validates_offline_with_ades_and_in_the_future(signed, trust, pki) -> None:
    lta = ades_validate(signed[PadesLevel.B_LTA], trust)
    assert lta.passed, lta
    lt = ades_validate(signed[PadesLevel.B_LT], trust)
    assert not lt.passed and lt.signatures[0].subindication == "NO_POE"
    future = pki.signer_not_after + timedelta(days=730)
    assert simulate_future(signed[PadesLevel.B_LTA], trust, future).passed
    # the plain report, taken then, still judges the certificate at the timestamp's time
    later = validate_pdf(signed[PadesLevel.B_LTA], trust, at=future)
    assert later.ok, later.all_reasons


def test_lta_layout_two_updates_dss_with_the_document_timestamp(signed, trust) -> None:
    """B-LTA in as few revisions as PAdES allows: the signature, then one update holding the
    DSS and the document timestamp over it. No VRI (not needed by PAdES baseline)."""
    from pyhanko.pdf_utils.reader import PdfFileReader

    data = signed[PadesLevel.B_LTA]
    reader = PdfFileReader(BytesIO(data))
    assert reader.xrefs.total_revisions == 3  # the document, the signature, DSS + timestamp
    dss = reader.root["/DSS"]
    assert "/VRI" not in dss
    assert len(dss["/Certs"]) >= 2 and ("/OCSPs" in dss or "/CRLs" in dss)
    # the DSS came with the last revision, the one the document timestamp signs
    assert reader.xrefs.get_introducing_revision(reader.root.raw_get("/DSS")) == 2
    report = validate_pdf(data, trust)
    (ts,) = [s for s in report.signatures if s.is_doc_timestamp]
    assert ts.coverage == "entire_file" and ts.intact and ts.trusted


def test_batch_attributes_are_encoded_once_and_still_per_document(pki, services, kadis_key,
                                                                   trust) -> None:
    """The signer's certificate reference and claimed title are the same bytes in every
    signature of a batch; the message digest differs; each validates."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.general import find_unique_cms_attribute

    with BatchSigner(kadis_key, _settings(pki, PadesLevel.B_T)) as signer:
        docs = [signer.sign(make_pdf(f"SK {i}")) for i in range(3)]
    attrs = []
    for d in docs:
        sig = PdfFileReader(BytesIO(d)).embedded_signatures[0]
        signed_attrs = sig.signer_info["signed_attrs"]
        attrs.append({name: find_unique_cms_attribute(signed_attrs, name).dump()
                      for name in ("signing_certificate_v2", "signer_attributes_v2",
                                   "message_digest")})
        assert validate_pdf(d, trust).ok
    assert len({a["signing_certificate_v2"] for a in attrs}) == 1
    assert len({a["signer_attributes_v2"] for a in attrs}) == 1
    assert len({a["message_digest"] for a in attrs}) == 3
    # and the signer object is left as it was found
    assert kadis_key.pyhanko_signer.signed_attr_prov_spec is None


def test_revocation_data_is_fetched_once_per_batch(pki, services, kadis_key, trust) -> None:
    before = services.requests_served
    settings = _settings(pki, PadesLevel.B_LTA)
    with BatchSigner(kadis_key, settings, trust_roots=[pki.root_cert]) as signer:
        docs = [signer.sign(make_pdf(f"SK {i}")) for i in range(5)]
    after = services.requests_served
    ocsp = after.get("ocsp", 0) - before.get("ocsp", 0)
    crls = after.get("crls", 0) - before.get("crls", 0)
    tsa = after.get("tsa", 0) - before.get("tsa", 0)
    assert ocsp <= 1 and crls <= 2, after
    assert tsa >= 10  # a signature timestamp and a document timestamp per decree
    assert all(validate_pdf(d, trust).ok for d in docs)


def test_sign_from_several_threads(pki, services, kadis_key, trust) -> None:
    results: list[bytes] = []
    errors: list[BaseException] = []
    with BatchSigner(kadis_key, _settings(pki, PadesLevel.B_T)) as signer:
        def work(i: int) -> None:
            try:
                results.append(signer.sign(make_pdf(f"SK {i}"), reason=f"Izin nomor {i}"))
            except BaseException as e:  # noqa: BLE001 - collected and asserted below
                errors.append(e)

        threads = [threading.Thread(target=work, args=(i,)) for i in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    assert not errors and len(results) == 6
    assert all(validate_pdf(d, trust).ok for d in results)


# -- bad certificates -----------------------------------------------------------------------


def _sign_with(p12: Path, pki: DemoPki) -> bytes:
    with Pkcs12KeySource(p12, TEST_PASSPHRASE).unlock() as key:
        return _sign(key, pki, PadesLevel.B_T)


def test_expired_certificate(pki, services, trust) -> None:
    report = validate_pdf(_sign_with(pki.expired_signer_p12, pki), trust)
    sig = report.last_approval
    assert sig is not None and sig.intact and sig.valid
    assert not sig.trusted and sig.expired_at_signing and not report.ok
    assert "expired_certificate" in [r.code for r in sig.reasons]


def test_revoked_certificate(pki, services) -> None:
    data = _sign_with(pki.revoked_signer_p12, pki)
    online = TrustSettings(roots=(pki.root_cert,), allow_fetching=True)
    sig = validate_pdf(data, online).last_approval
    assert sig is not None and sig.revoked and not sig.trusted
    assert "revoked_certificate" in [r.code for r in sig.reasons]
    # offline, a B-T signature carries no revocation data: said so, not hidden
    offline = validate_pdf(data, TrustSettings(roots=(pki.root_cert,))).last_approval
    assert offline is not None and offline.revocation_checked is False


def test_revoked_certificate_cannot_make_b_lt(pki, services) -> None:
    from signer.errors import SigningError

    with Pkcs12KeySource(pki.revoked_signer_p12, TEST_PASSPHRASE).unlock() as key:
        with pytest.raises(SigningError):
            _sign(key, pki, PadesLevel.B_LT)


def test_other_signer_is_trusted_but_not_the_delegate(pki, services, trust, kadis_key) -> None:
    with Pkcs12KeySource(pki.other_signer_p12, TEST_PASSPHRASE).unlock() as other:
        data = _sign(other, pki, PadesLevel.B_LTA)
    sig = validate_pdf(data, trust).last_approval
    assert sig is not None and sig.trusted  # same CA: fine at the crypto level
    assert sig.signer_fingerprint != kadis_key.fingerprint_sha256
    from datetime import date

    delegation = Delegation(
        decree_number="188.45/001/2026 (CONTOH)", decree_date=date(2026, 1, 2),
        delegate_fingerprint=kadis_key.fingerprint_sha256, delegate_subject=None,
        scope=None, valid_from=date(2000, 1, 1), valid_until=None,
    )
    assert sig.signing_time is not None
    with pytest.raises(DelegationError, match="is not the delegate's"):
        check_delegation([delegation], fingerprint=sig.signer_fingerprint,
                         subject=sig.signer_subject, permit_code="SIUP", when=sig.signing_time)
    found, _ = find_delegation([delegation], fingerprint=kadis_key.fingerprint_sha256,
                               subject=kadis_key.subject, permit_code="SIUP",
                               when=sig.signing_time)
    assert found is delegation


@pytest.mark.parametrize(("limit", "docs", "fetches"), [
    ({"revinfo_max_age": 0.0}, 3, 3),  # a long-lived signer refetches when the data is old
    ({"revinfo_max_docs": 2}, 5, 3),  # and starts a fresh context every n documents: 1-2, 3-4, 5
], ids=["by-age", "by-count"])
def test_signer_refetches_revocation_data(pki, services, kadis_key, trust, limit, docs,
                                          fetches) -> None:
    before = services.requests_served.get("ocsp", 0)
    settings = _settings(pki, PadesLevel.B_LT)
    with BatchSigner(kadis_key, settings, trust_roots=[pki.root_cert], **limit) as signer:
        signed = [signer.sign(make_pdf(f"SK {i}")) for i in range(docs)]
    assert services.requests_served.get("ocsp", 0) - before == fetches
    assert all(validate_pdf(d, trust).ok for d in signed)


def test_services_on_a_busy_port_fail_clearly(pki, services) -> None:
    from signer.errors import PkiError
    from signer.pki import DemoServices

    with pytest.raises(PkiError, match="could not listen"):
        DemoServices(pki).start()
    assert services.running


def test_unknown_root_is_an_untrusted_chain(pki, signed) -> None:
    # trusting only an unrelated certificate: intact and valid, but no path to it
    report = validate_pdf(signed[PadesLevel.B_T], TrustSettings(roots=(pki.ocsp_cert,)))
    sig = report.last_approval
    assert sig is not None and sig.intact and sig.valid and not sig.trusted
    assert "untrusted_chain" in [r.code for r in sig.reasons] and not report.ok


def test_placement_function_reads_the_pages_the_signer_parsed(pki, services, kadis_key) -> None:
    """A placement function gets each page's decoded content and image names from the parse
    the signer makes anyway, and the field goes where it says."""
    from pyhanko.pdf_utils.reader import PdfFileReader

    from signer.sign import PdfPages

    seen: list[tuple[int, bytes, frozenset[str]]] = []

    def place(pages: PdfPages) -> FieldPlacement:
        last = pages.page(pages.count - 1)
        seen.append((pages.count, last.content, last.images))
        return FieldPlacement(pages.count - 1, (100.0, 110.0, 220.0, 230.0))

    with BatchSigner(kadis_key, _settings(pki, PadesLevel.B_T)) as signer:
        data = signer.sign(make_pdf("SK HALAMAN", pages=2), placement=place)
    ((count, content, images),) = seen
    assert count == 2 and b"Halaman 2" in content and images == frozenset()
    reader = PdfFileReader(BytesIO(data))
    (sig,) = reader.embedded_signatures
    field = sig.sig_field
    assert [float(x) for x in field["/Rect"]] == [100.0, 110.0, 220.0, 230.0]
    assert field["/P"].get_object() == reader.root["/Pages"]["/Kids"][1].get_object()


def test_placement_function_errors_reach_the_caller_as_they_are(pki, services,
                                                                kadis_key) -> None:
    """The caller's own error (say, no QR code on the page) is not turned into a signing
    error; the signer's trouble reading a page is a SigningError that says which page."""
    from signer.errors import SigningError

    class NoQr(Exception):
        pass

    def refuse(pages):
        raise NoQr("no QR code")

    def beyond(pages):
        pages.page(pages.count + 3)

    with BatchSigner(kadis_key, _settings(pki, PadesLevel.B_B)) as signer:
        with pytest.raises(NoQr, match="no QR code"):
            signer.sign(make_pdf(), placement=refuse)
        with pytest.raises(SigningError, match="cannot read page 5"):
            signer.sign(make_pdf(), placement=beyond)
        assert signer.sign(make_pdf(), placement=PLACEMENT).startswith(b"%PDF")  # still fine


_VERIFY_THEN_SIGN = r"""
import sys
from pathlib import Path
# Another library has used asn1crypto's CMS attribute names before signer is imported: the
# name map it builds then is the one asn1crypto keeps.
from asn1crypto import cms
cms.CMSAttributeType("signing_time").dump()
from signer.keys import Pkcs12KeySource
from signer.sign import BatchSigner, FieldPlacement, PadesLevel, SignatureSettings
from signer.validate import TrustSettings, validate_pdf

p12, signed_pdf, passphrase, tsa_url, root = sys.argv[1:6]
report = validate_pdf(Path(signed_pdf).read_bytes(), TrustSettings(roots=(Path(root),)))
print("verified", flush=True)
from tests.signer_support import make_pdf
settings = SignatureSettings(
    level=PadesLevel.B_T, reason="r", location="Paringin", signer_name="DEMO",
    signer_title="Kepala Dinas (CONTOH)", contact_info="x@contoh.invalid", timestamp_url=tsa_url)
with Pkcs12KeySource(Path(p12), passphrase.encode()).unlock() as key:
    with BatchSigner(key, settings, trust_roots=[Path(root)]) as s:
        out = s.sign(make_pdf(), placement=FieldPlacement(page=0, box=(350.0, 60.0, 550.0, 150.0)))
print("signed", len(out))
"""


def test_a_process_that_verifies_before_it_first_signs_can_sign(pki, services, signed,
                                                                 tmp_path) -> None:
    """`ptsp serve` verifies uploads on the portal and signs on the office page in one process,
    and other code may use asn1crypto's CMS names before signer is imported: neither may break
    the first signing with CAdES signer-attributes-v2 (asn1crypto builds its name map once)."""
    import subprocess
    import sys

    path = tmp_path / "signed.pdf"
    path.write_bytes(signed[PadesLevel.B_LTA])
    r = subprocess.run(
        [sys.executable, "-c", _VERIFY_THEN_SIGN, str(pki.signer_p12), str(path), TEST_PASSPHRASE,
         pki.tsa_url, str(pki.root_cert)],
        capture_output=True, text=True, timeout=120,
        cwd=Path(__file__).resolve().parents[2])
    assert r.returncode == 0, r.stderr[-2000:]
    assert "signed" in r.stdout
