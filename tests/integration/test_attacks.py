"""Altered and forged decrees, built from a genuine one, must be TIDAK SAH from both
``ptsp verify`` and the portal API; benign long-term-validation updates stay SAH.

The attacks follow the published research on PDF signatures (Mladenov et al. 2019 "1 Trillion
Dollar Refund", Mainka et al. "Shadow Attacks" and "Attacks on certified PDFs": universal
signature forgery, incremental saving, signature wrapping, shadow attacks, evil annotations,
sneaky signatures) and the certificate cases (other signer of the same CA, self-signed
look-alike, expired, not yet valid, revoked).
"""

from __future__ import annotations

import json
import re
import urllib.request
from datetime import UTC, datetime, timedelta
from io import BytesIO
from typing import Any
from unittest import mock

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from ptsp.cli import cli
from ptsp.registry import Status
from ptsp.web import create_app
from tests.signer_support import TEST_PASSPHRASE, in_process_timestamper
from tests.web_support import (
    add_annotation,
    add_signature_field_with_appearance,
    appearance,
    incremental,
    shared_decrees,
    unsigned_original,
)

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def decrees():
    return shared_decrees()


@pytest.fixture(scope="module")
def genuine(decrees) -> bytes:
    return decrees.pdfs[0].read_bytes()


@pytest.fixture(scope="module")
def client(decrees):
    with TestClient(create_app(decrees.profile(), decrees.registry),
                    raise_server_exceptions=False) as c:
        yield c


def cli_verify(decrees, data: bytes, tmp_path) -> tuple[int, dict[str, Any]]:
    path = tmp_path / "decree.pdf"
    path.write_bytes(data)
    r = CliRunner().invoke(cli, ["--profile", str(decrees.profile_path), "--db", decrees.db,
                                 "verify", "--json", str(path)], catch_exceptions=False)
    return r.exit_code, json.loads(r.stdout)


def api_verify(client, data: bytes) -> dict[str, Any]:
    r = client.post("/api/v1/verify", files={"file": ("decree.pdf", data, "application/pdf")})
    assert r.status_code == 200, r.text
    return r.json()


def codes(doc: dict[str, Any]) -> set[str]:
    return {r["code"] for r in doc["reasons"]}


def _same(doc: dict[str, Any]) -> dict[str, Any]:
    """The document without the time of the check (which differs between two runs)."""
    return {k: v for k, v in doc.items() if k != "checked_at"}


def assert_checks_consistent(doc: dict[str, Any]) -> None:
    """Issue 13.2: ``passed`` only for a check that ran and held: a result that is not SAH
    never has every check passed, and a failed reason's check is never passed."""
    statuses = {c["name"]: c["status"] for c in doc["checks"]}
    assert set(statuses.values()) <= {"passed", "failed", "not_checked"}, statuses
    if doc["verdict"] != "SAH":
        assert not all(s == "passed" for s in statuses.values()), (doc["verdict"], statuses)
    else:
        assert all(s == "passed" for s in statuses.values()), statuses


def both(decrees, client, data: bytes, tmp_path) -> dict[str, Any]:
    """Verify with the CLI and the API; they must agree; return the document."""
    code, doc = cli_verify(decrees, data, tmp_path)
    api = api_verify(client, data)
    assert _same(api) == _same(doc)
    assert code == (0 if doc["verdict"] == "SAH" else 1)
    assert_checks_consistent(doc)
    return doc


# -- crafting ------------------------------------------------------------------------------


def _first_page(w):
    return w.find_page_for_modification(0)[0]


def change_page_text(data: bytes) -> bytes:
    """Overwrite page 1's content stream object (the classic incremental saving attack)."""
    def change(w) -> None:
        page = _first_page(w).get_object()
        contents = page.raw_get("/Contents")
        stream = contents.get_object()
        stream._data = stream.data.replace(b"Tj", b"Tj", 1) + b"\nBT /F1 14 Tf 72 800 Td " \
            b"(NOMOR 503/9999/PALSU) Tj ET\n"
        stream._encoded_data = None
        w.mark_update(contents)

    return incremental(data, change)


def add_content_to_page(data: bytes) -> bytes:
    """Leave the old stream alone, make the page draw one more (a white box and new text)."""
    from pyhanko.pdf_utils import generic

    def change(w) -> None:
        page = _first_page(w).get_object()
        new = w.add_object(generic.StreamObject(
            stream_data=b"q 1 1 1 rg 150 770 300 40 re f Q BT /F1 14 Tf 160 785 Td "
                        b"(503/9999/PALSU) Tj ET"))
        old = page.raw_get("/Contents")
        page[generic.NameObject("/Contents")] = generic.ArrayObject([old, new])
        w.update_container(page)

    return incremental(data, change)


def add_page(data: bytes) -> bytes:
    from pyhanko.pdf_utils import generic

    def change(w) -> None:
        content = w.add_object(generic.StreamObject(
            stream_data=b"BT /F1 14 Tf 72 800 Td (LAMPIRAN TAMBAHAN) Tj ET"))
        page = generic.DictionaryObject({
            generic.NameObject("/Type"): generic.NameObject("/Page"),
            generic.NameObject("/MediaBox"): generic.ArrayObject(
                [generic.NumberObject(0), generic.NumberObject(0), generic.NumberObject(610),
                 generic.NumberObject(936)]),
            generic.NameObject("/Contents"): content,
            generic.NameObject("/Resources"): generic.DictionaryObject(),
        })
        w.insert_page(page)

    return incremental(data, change)


def catalog_javascript(data: bytes) -> bytes:
    from pyhanko.pdf_utils import generic

    def change(w) -> None:
        js = generic.DictionaryObject({
            generic.NameObject("/S"): generic.NameObject("/JavaScript"),
            generic.NameObject("/JS"): generic.TextStringObject("app.alert('SAH');")})
        w.root[generic.NameObject("/OpenAction")] = w.add_object(js)
        w.update_root()

    return incremental(data, change)


def overwrite_signature_dict(data: bytes) -> bytes:
    """Universal signature forgery: replace the signature value with an empty one."""
    from pyhanko.pdf_utils import generic

    def change(w) -> None:
        field = w.root["/AcroForm"]["/Fields"][0].get_object()
        sig_ref = field.raw_get("/V")
        sig = sig_ref.get_object()
        sig[generic.NameObject("/Contents")] = generic.ByteStringObject(b"")
        sig[generic.NameObject("/ByteRange")] = generic.ArrayObject(
            [generic.NumberObject(0)] * 4)
        w.mark_update(sig_ref)

    return incremental(data, change)


def shadow_replace_object(data: bytes) -> bytes:
    """Shadow attack (hide-and-replace): a later xref points an object of the signed revision
    at new bytes (here the XMP-free resource dictionary of page 1)."""
    from pyhanko.pdf_utils import generic

    def change(w) -> None:
        page = _first_page(w).get_object()
        res_ref = page.raw_get("/Resources")
        if not isinstance(res_ref, generic.IndirectObject):
            pytest.skip("page resources are direct")
        res = res_ref.get_object()
        res[generic.NameObject("/XObject")] = generic.DictionaryObject({
            generic.NameObject("/Palsu"): appearance(w, (0, 0, 200, 20), "PALSU")})
        w.mark_update(res_ref)

    return incremental(data, change)


def _sign(data: bytes, signer, *, timestamper=None, field: str = "Signature2") -> bytes:
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    w = IncrementalPdfFileWriter(BytesIO(data), strict=False)
    meta = signers.PdfSignatureMetadata(field_name=field, md_algorithm="sha256",
                                        subfilter=fields.SigSeedSubFilter.PADES,
                                        name="BUDI SANTOSO, S.E., M.M.")
    # an attacker's tool does not honour the certification (DocMDP P=1) as pyHanko does
    with mock.patch.object(signers.PdfSigner, "_enforce_certification_constraints",
                           lambda self, reader: None):
        out = signers.sign_pdf(w, meta, signer=signer, timestamper=timestamper)
    return out.getvalue()


def _self_signed_lookalike(pki):
    """A self-signed certificate with exactly the Kepala Dinas's subject."""
    from asn1crypto import keys as asn1_keys
    from asn1crypto import x509 as asn1_x509
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from pyhanko.sign import signers

    real = x509.load_pem_x509_certificate(pki.signer_cert.read_bytes())
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(real.subject).issuer_name(real.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=30)).not_valid_after(now + timedelta(days=30))
            .sign(key, hashes.SHA256()))
    return signers.SimpleSigner(
        signing_cert=asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER)),
        signing_key=asn1_keys.PrivateKeyInfo.load(key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption())),
        cert_registry=None)


def _not_yet_valid_signer(pki):
    """A certificate from the real issuing CA that only becomes valid in 30 days."""
    from asn1crypto import keys as asn1_keys
    from asn1crypto import x509 as asn1_x509
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID
    from pyhanko.sign import signers
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    ca_cert = x509.load_pem_x509_certificate(pki.issuing_ca_cert.read_bytes())
    ca_key = serialization.load_pem_private_key(
        (pki.out_dir / "issuing-ca.key.pem").read_bytes(), None)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME,
                                                        "Belum Berlaku (UJI)")]))
            .issuer_name(ca_cert.subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now + timedelta(days=30)).not_valid_after(now + timedelta(days=400))
            .add_extension(x509.KeyUsage(True, True, False, False, False, False, False, False,
                                         False), critical=True)
            .sign(ca_key, hashes.SHA256()))  # type: ignore[arg-type]
    der = lambda c: asn1_x509.Certificate.load(  # noqa: E731
        c.public_bytes(serialization.Encoding.DER))
    return signers.SimpleSigner(
        signing_cert=der(cert),
        signing_key=asn1_keys.PrivateKeyInfo.load(key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption())),
        cert_registry=SimpleCertificateStore.from_certs([der(ca_cert)]))


def _p12_signer(p12):
    from pyhanko.sign import signers

    return signers.SimpleSigner.load_pkcs12(str(p12), passphrase=TEST_PASSPHRASE.encode())


def with_crl(data: bytes, pki) -> bytes:
    """Add the issuing CA's current CRL (from the demo services) to the DSS: B-T -> B-LT, for
    certificates the signer library refuses to take to B-LT itself (expired, revoked)."""
    from asn1crypto import crl as asn1_crl
    from asn1crypto import x509 as asn1_x509
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation.dss import DocumentSecurityStore

    with urllib.request.urlopen(pki.crl_url, timeout=10) as resp:  # noqa: S310 - local
        crl = asn1_crl.CertificateList.load(resp.read())
    certs = [asn1_x509.Certificate.load(_pem_der(p)) for p in
             (pki.issuing_ca_cert, pki.root_cert, pki.tsa_cert)]
    sig = PdfFileReader(BytesIO(data), strict=False).embedded_signatures[-1]
    out = BytesIO(data)
    DocumentSecurityStore.add_dss(out, sig.pkcs7_content, certs=certs, crls=[crl])
    return out.getvalue()


def _pem_der(path) -> bytes:
    from asn1crypto import pem

    raw = path.read_bytes()
    return pem.unarmor(raw)[2] if pem.detect(raw) else raw


def resign(data: bytes, p12, pki, *, level: str = "B-LTA") -> bytes:
    """The unsigned original of ``data`` signed again with ``p12`` through our signer."""
    from signer.keys import Pkcs12KeySource
    from signer.sign import BatchSigner, PadesLevel, SignatureSettings

    settings = SignatureSettings(level=PadesLevel(level), reason="Ditetapkan", location="Paringin",
                                 signer_name="BUDI SANTOSO, S.E., M.M.",
                                 timestamp_url=pki.tsa_url)
    with Pkcs12KeySource(p12, TEST_PASSPHRASE).unlock() as key, \
            BatchSigner(key, settings, trust_roots=[pki.root_cert],
                        timestamper=in_process_timestamper(pki)) as s:
        return s.sign(unsigned_original(data))


def flip_in_signed_range(data: bytes) -> bytes:
    b = bytearray(data)
    i = data.index(b"stream", 2000) + 100
    b[i] ^= 0x01
    return bytes(b)


def tamper_byte_range(data: bytes) -> bytes:
    """Shift the second range of /ByteRange by one (same width: the file stays parseable)."""
    m = re.search(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]", data)
    assert m
    a, b, c, d = (int(x) for x in m.groups())
    new = m.group(0).replace(m.group(3), str(c + 1).encode().rjust(len(m.group(3))), 1)
    new = new.replace(m.group(4), str(d - 1).encode().rjust(len(m.group(4))), 1)
    if len(new) != len(m.group(0)):
        pytest.skip("byte range width changed")
    return data[:m.start()] + new + data[m.end():]


def tamper_contents(data: bytes, *, where: str) -> bytes:
    """Change one hex digit of the first signature's /Contents: in the signature value
    ("value") or in the zero padding after the CMS ("padding")."""
    m = re.search(rb"/Contents\s*<([0-9A-Fa-f]+)>", data)
    assert m
    hexstr = m.group(1)
    if where == "value":  # in the middle of the signer's RSA signature value
        from asn1crypto import cms

        blob = bytes.fromhex(hexstr.decode())
        info = cms.ContentInfo.load(blob.rstrip(b"\0") + b"\0\0")
        value = info["content"]["signer_infos"][0]["signature"].native
        i = m.start(1) + blob.index(value) * 2 + len(value)
    else:
        i = m.start(1) + len(hexstr) - 10
    digit = b"1" if data[i:i + 1] != b"1" else b"2"
    return data[:i] + digit + data[i + 1:]


# -- the attacks ---------------------------------------------------------------------------

ATTACKS: dict[str, tuple[Any, set[str]]] = {
    # name: (craft(data, pki), reason codes at least one of which must be present)
    "byte_changed_in_signed_range": (lambda d, p: flip_in_signed_range(d),
                                     {"digest_mismatch"}),
    "incremental_update_changes_page_text": (lambda d, p: change_page_text(d),
                                             {"object_overwritten", "modified_after_signing"}),
    "incremental_update_adds_content_to_page": (lambda d, p: add_content_to_page(d),
                                                {"page_content_changed"}),
    "incremental_update_adds_page": (lambda d, p: add_page(d), {"pages_changed"}),
    "freetext_annotation_over_number": (lambda d, p: add_annotation(d, "/FreeText"),
                                        {"annotation_added"}),
    "square_annotation_over_number": (lambda d, p: add_annotation(d, "/Square"),
                                      {"annotation_added"}),
    "signature_field_with_appearance": (lambda d, p: add_signature_field_with_appearance(d),
                                        {"form_field_added"}),
    "second_signature_self_signed_lookalike": (
        lambda d, p: _sign(d, _self_signed_lookalike(p)), {"multiple_signatures"}),
    "second_signature_other_signer_same_ca": (
        lambda d, p: _sign(d, _p12_signer(p.other_signer_p12),
                           timestamper=in_process_timestamper(p)), {"multiple_signatures"}),
    "resigned_by_other_signer_same_ca": (lambda d, p: resign(d, p.other_signer_p12, p),
                                         {"not_delegate"}),
    "resigned_self_signed_lookalike": (
        lambda d, p: _sign(unsigned_original(d), _self_signed_lookalike(p),
                           timestamper=in_process_timestamper(p), field="Signature1"),
        {"untrusted_chain", "self_signed_certificate"}),
    "expired_certificate_b_lt": (
        lambda d, p: with_crl(resign(d, p.expired_signer_p12, p, level="B-T"), p),
        {"expired_certificate"}),
    "revoked_certificate_b_lt": (
        lambda d, p: with_crl(resign(d, p.revoked_signer_p12, p, level="B-T"), p),
        {"revoked_certificate"}),
    "not_yet_valid_certificate": (
        lambda d, p: with_crl(_sign(unsigned_original(d), _not_yet_valid_signer(p),
                                    timestamper=in_process_timestamper(p), field="Signature1"),
                              p),
        {"not_yet_valid_certificate"}),
    "bytes_appended_after_eof": (lambda d, p: d + b"\n% catatan tambahan\n1 0 obj\n<<>>\n",
                                 {"data_after_eof"}),
    "hidden_update_appended": (
        lambda d, p: d + b"999 0 obj\n(PALSU)\nendobj\n%%EOF\n",
        {"hidden_revision", "data_after_eof", "malformed_pdf"}),
    "truncated_half": (lambda d, p: d[:len(d) // 2], {"truncated", "malformed_pdf"}),
    "truncated_last_bytes": (lambda d, p: d[:-300], {"truncated", "malformed_pdf",
                                                     "data_after_eof", "unreadable_signature"}),
    "byte_range_tampered": (lambda d, p: tamper_byte_range(d),
                            {"digest_mismatch", "byte_range_invalid", "unreadable_signature",
                             "malformed_pdf"}),
    "contents_tampered_signature_value": (lambda d, p: tamper_contents(d, where="value"),
                                          {"invalid_signature", "unreadable_signature"}),
    "contents_tampered_padding": (lambda d, p: tamper_contents(d, where="padding"),
                                  {"signature_padding"}),
    "catalog_open_action_javascript": (lambda d, p: catalog_javascript(d),
                                       {"catalog_changed"}),
    "universal_signature_forgery_empty_signature": (
        lambda d, p: overwrite_signature_dict(d),
        {"object_overwritten", "unreadable_signature", "byte_range_invalid", "malformed_pdf"}),
    "shadow_attack_replace_resources": (lambda d, p: shadow_replace_object(d),
                                        {"object_overwritten"}),
}


@pytest.fixture(scope="module")
def crafted(decrees, genuine):
    """The attack variants, each crafted once (on first use) for the whole module."""
    made: dict[str, bytes] = {}

    def get(name: str) -> bytes:
        if name not in made:
            made[name] = ATTACKS[name][0](genuine, decrees.pki)
        return made[name]

    return get


@pytest.mark.parametrize("name", sorted(ATTACKS))
def test_attack_is_tidak_sah(name, decrees, genuine, client, tmp_path, crafted):
    _, expected = ATTACKS[name]
    altered = crafted(name)
    assert altered != genuine
    doc = both(decrees, client, altered, tmp_path)
    assert doc["verdict"] == "TIDAK SAH" and doc["valid"] is False, (name, doc["reasons"])
    assert codes(doc) & expected, (name, codes(doc))
    print(f"ATTACK {name}: {doc['verdict']} {sorted(codes(doc))}")


def test_genuine_decree_is_sah(decrees, genuine, client, tmp_path):
    doc = both(decrees, client, genuine, tmp_path)
    assert doc["verdict"] == "SAH", doc["reasons"]
    assert doc["registry"]["matched_on"] == "file" and doc["later_revisions"] == \
        "validation_data"
    assert doc["holder"]["nik_masked"] and "*" in doc["holder"]["nik_masked"]
    assert all(c["status"] == "passed" for c in doc["checks"])


def test_update_adding_validation_data_is_sah(decrees, genuine, client, tmp_path):
    """A DSS-only update (validation data added later, as an archive service does)."""
    updated = with_crl(genuine, decrees.pki)
    assert len(updated) > len(genuine)
    doc = both(decrees, client, updated, tmp_path)
    assert doc["verdict"] == "SAH", doc["reasons"]
    assert doc["registry"]["matched_on"] == "signed_revision"
    assert doc["registry"]["hash_match"] is True


def test_added_document_timestamp_is_sah(decrees, genuine, client, tmp_path):
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign.signers import PdfTimeStamper

    w = IncrementalPdfFileWriter(BytesIO(genuine), strict=False)
    ts = in_process_timestamper(decrees.pki)
    out = PdfTimeStamper(ts).timestamp_pdf(w, "sha256", timestamper=ts)
    updated = out.getvalue()
    doc = both(decrees, client, updated, tmp_path)
    assert doc["verdict"] == "SAH", doc["reasons"]
    assert sum(s["doc_timestamp"] for s in doc["signatures"]) == 2
    assert doc["pades_level"] == "B-LTA"


def test_signed_revision_alone_cannot_be_confirmed_offline(decrees, genuine, client, tmp_path):
    """The decree cut back to its signed revision (DSS and archive timestamp removed): the
    same signed content, but revocation can no longer be checked offline: never SAH."""
    from pyhanko.pdf_utils.reader import PdfFileReader

    sig = PdfFileReader(BytesIO(genuine), strict=False).embedded_signatures[0]
    end = sig.byte_range[2] + sig.byte_range[3]
    doc = both(decrees, client, genuine[:end], tmp_path)
    assert doc["verdict"] == "TIDAK DAPAT DIPASTIKAN", doc["reasons"]
    assert "revocation_unknown" in codes(doc)


def test_revoked_decree_names_the_reason(decrees, client, tmp_path):
    pdf = decrees.pdfs[2]
    rec = decrees.record_for(pdf)
    reg = decrees.registry()
    try:
        reg.revoke(rec.number, kind=Status.REVOKED, reason="Pemegang izin melanggar ketentuan",
                   decree="Keputusan Kepala Dinas Nomor 503/77/2026", actor="uji")
    finally:
        reg.close()
    doc = both(decrees, client, pdf.read_bytes(), tmp_path)
    assert doc["verdict"] == "TIDAK SAH"
    assert doc["registry"]["status"] == "revoked"
    msg = " ".join(r["message"] for r in doc["reasons"] if r["code"] == "permit_revoked")
    assert "Pemegang izin melanggar ketentuan" in msg and "503/77/2026" in msg


def test_replaced_decree_names_its_replacement(decrees, client, tmp_path):
    import hashlib

    pdf = decrees.pdfs[3]
    rec = decrees.record_for(pdf)
    reg = decrees.registry()
    try:
        if rec.status is Status.ISSUED:
            new = reg.reserve_replacement(
                rec.number, application_id=rec.application_id + "-R", permit=rec.permit,
                holder_name=rec.holder_name, holder_nik_masked=rec.holder_nik_masked,
                received_on=rec.received_on, approved_on=rec.approved_on, data=rec.data,
                actor="uji", reason="Perbaikan alamat usaha")
            reg.mark_issued(new.number, sha256=hashlib.sha256(b"pengganti").hexdigest(),
                            path="/tmp/pengganti.pdf", signer_subject="x",
                            signer_fingerprint="0" * 64, actor="uji")
        replacement = reg.get(rec.number).replaced_by
    finally:
        reg.close()
    doc = both(decrees, client, pdf.read_bytes(), tmp_path)
    assert doc["verdict"] == "TIDAK SAH"
    assert doc["registry"]["replaced_by"] == replacement
    assert any(r["code"] == "permit_replaced" and replacement in r["message"]
               for r in doc["reasons"])


def test_unregistered_but_validly_signed_is_not_sah(decrees, genuine, client, tmp_path):
    """Signed by the real Kepala Dinas key but never issued through the registry."""
    data = resign(genuine, decrees.pki.signer_p12, decrees.pki)
    doc = both(decrees, client, data, tmp_path)
    assert doc["verdict"] == "TIDAK SAH"
    assert codes(doc) & {"hash_mismatch", "not_registered"}


def test_cli_json_matches_the_documented_schema(decrees, genuine, tmp_path):
    jsonschema = pytest.importorskip("jsonschema")
    from pathlib import Path

    schema = json.loads((Path(__file__).resolve().parents[2] / "docs" /
                         "verification.schema.json").read_text())
    for data in (genuine, add_annotation(genuine), b"not a pdf"):
        _, doc = cli_verify(decrees, data, tmp_path)
        jsonschema.validate(doc, schema)


def test_one_byte_flipped_checks_are_not_passed(decrees, genuine, client, tmp_path):
    """Issue 13.2: one byte flipped in the middle: the signature and modification checks are
    failed or could not be checked, never "passed"."""
    doc = both(decrees, client, flip_in_signed_range(genuine), tmp_path)
    assert doc["verdict"] == "TIDAK SAH"
    statuses = {c["name"]: c["status"] for c in doc["checks"]}
    for name in ("integrity", "modification", "certificate", "timestamp", "delegation"):
        assert statuses[name] in ("failed", "not_checked"), (name, statuses)
    assert statuses["integrity"] == "failed" and statuses["modification"] == "failed"


def test_attack_table_twice_on_the_cached_path(decrees, genuine, crafted):
    """Issue 17: the table against the cached path (one cache, warm after the first round)
    twice in one process: the same verdicts and reasons, and never SAH."""
    from ptsp.verify import verify_bytes
    from signer.cache import ValidationCache

    profile = decrees.profile()
    cache = ValidationCache()
    reg = decrees.registry()
    try:
        rounds = []
        for _ in range(2):
            out = {}
            for name in sorted(ATTACKS):
                r = verify_bytes(profile, reg, crafted(name), cache=cache)
                out[name] = (r.verdict, tuple(x.code for x in r.reasons))
                assert r.verdict != "SAH", name
                assert_checks_consistent(r.as_dict())
            out["genuine"] = (verify_bytes(profile, reg, genuine, cache=cache).verdict, ())
            rounds.append(out)
        assert cache.hits > 0
    finally:
        reg.close()
    assert rounds[0] == rounds[1]
    assert rounds[0]["genuine"][0] == "SAH"


def test_cli_verifies_many_files(decrees, genuine, tmp_path):
    """``ptsp verify FILE...``: one line each, a JSON array with --json, exit 1 if any is not
    SAH."""
    good = tmp_path / "asli.pdf"
    good.write_bytes(genuine)
    bad = tmp_path / "diubah.pdf"
    bad.write_bytes(add_annotation(genuine))
    base = ["--profile", str(decrees.profile_path), "--db", decrees.db, "verify"]
    r = CliRunner().invoke(cli, [*base, str(good), str(bad)], catch_exceptions=False)
    assert r.exit_code == 1
    lines = r.stdout.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("SAH\t") and str(good) in lines[0]
    assert lines[1].startswith("TIDAK SAH\t") and "annotation_added" in lines[1]
    r = CliRunner().invoke(cli, [*base, "--json", str(good), str(bad)], catch_exceptions=False)
    docs = json.loads(r.stdout)
    assert [d["verdict"] for d in docs] == ["SAH", "TIDAK SAH"] and r.exit_code == 1
    r = CliRunner().invoke(cli, [*base, str(good), str(good)], catch_exceptions=False)
    assert r.exit_code == 0


def test_cli_times_are_wita(decrees, genuine, tmp_path):
    path = tmp_path / "asli.pdf"
    path.write_bytes(genuine)
    r = CliRunner().invoke(cli, ["--profile", str(decrees.profile_path), "--db", decrees.db,
                                 "verify", str(path)], catch_exceptions=False)
    assert r.exit_code == 0
    assert re.search(r"Waktu tanda tangan: \d{1,2} [A-Z][a-z]+ \d{4}, \d\d\.\d\d WITA",
                     r.stdout), r.stdout
    _, doc = cli_verify(decrees, genuine, tmp_path)
    assert doc["signed_at"].endswith("+08:00") and doc["checked_at"].endswith("+08:00")


def test_technical_details_in_json(decrees, genuine, tmp_path):
    """Issue 17: per signature and timestamp: signer, issuer, serial, validity, algorithm,
    TSA and attested time, revocation source and when produced; chain; level; best time."""
    _, doc = cli_verify(decrees, genuine, tmp_path)
    sig = next(s for s in doc["signatures"] if not s["doc_timestamp"])
    cert = sig["certificate"]
    assert "Budi Santoso" in cert["subject"] and "Issuing CA" in cert["issuer"]
    assert cert["serial"] and cert["not_before"] < cert["not_after"]
    assert sig["signature_algorithm"].startswith("sha256")
    assert sig["tsa"] and sig["signing_time"]
    assert len(sig["chain"]) >= 2 and "Root" in sig["chain"][-1]["subject"]
    assert {r["source"] for r in sig["revocation"]} and all(
        r["produced_at"] for r in sig["revocation"])
    assert doc["best_signature_time"] == doc["signed_at"]
    assert doc["trust_roots"] and doc["trust_roots"][0]["fingerprint"]
    ts = next(s for s in doc["signatures"] if s["doc_timestamp"])
    assert ts["certificate"] and ts["signing_time"]
