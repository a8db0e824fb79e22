"""Checking signed PDFs: is it intact, who signed it, was the certificate good, what level.

:func:`validate_pdf` never raises for a bad document: a non-PDF, a truncated file or a
broken signature is a :class:`ValidationReport` with reasons (``Reason.code`` in English
snake_case for programs, ``Reason.message`` in Bahasa Indonesia for people). It raises
:class:`~signer.errors.ValidationError` only when it cannot check at all (e.g. unreadable
trust roots).

Time semantics: the signer's certificate, and the TSA's, are judged at the time the
signature timestamp proves (PAdES B-T and up: "were the certificates good when the decree
was signed?"), using revocation data embedded in the document (DSS) and treating later
revocation data as applying back to its revocation date. Without a (trusted) timestamp the
reference time is ``at`` (default: now). A document timestamp is judged at its own time.
Revocation data is fetched online only with ``TrustSettings(allow_fetching=True)``; a
B-B/B-T signature checked offline reports ``revocation_checked=False``.

This does not detect a TSA or CA key compromised *after* signing; that is what the document
timestamps of B-LTA and the AdES engine are for.

:func:`ades_validate` and :func:`simulate_future` run pyHanko's ETSI AdES long-term
validation (EN 319 102-1) for B-LTA documents, offline unless fetching is allowed.
"""

from __future__ import annotations

import asyncio
import enum
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path
from typing import Any

from asn1crypto import cms, crl, ocsp
from asn1crypto import x509 as asn1_x509

from . import _speedups
from .cache import ValidationCache
from .errors import ValidationError
from .keys import load_certificate
from .signed import revision_sha256

_speedups.install()

__all__ = [
    "AdesReport",
    "AdesSignatureResult",
    "CertificateInfo",
    "ModificationLevel",
    "OpenedPdf",
    "Reason",
    "RevocationInfo",
    "SignatureReport",
    "TrustSettings",
    "ValidationCache",
    "ValidationReport",
    "ades_validate",
    "open_pdf",
    "simulate_future",
    "validate_pdf",
]


@dataclass(frozen=True)
class Reason:
    """Why something is not (fully) right. ``code``: English snake_case; ``message``: Indonesian."""

    code: str
    message: str


_MESSAGES = {
    "empty_file": "Berkas kosong.",
    "not_a_pdf": "Berkas ini bukan dokumen PDF.",
    "truncated": "Berkas PDF tidak lengkap (terpotong).",
    "malformed_pdf": "Struktur berkas PDF rusak sehingga tidak dapat dibaca.",
    "no_signature": "Dokumen ini tidak memiliki tanda tangan elektronik.",
    "unreadable_signature": "Tanda tangan elektronik dalam dokumen ini tidak dapat dibaca.",
    "digest_mismatch": "Isi dokumen telah diubah setelah ditandatangani.",
    "invalid_signature": "Tanda tangan elektronik tidak sah secara kriptografis.",
    "untrusted_chain": (
        "Sertifikat penanda tangan tidak diterbitkan oleh otoritas sertifikat yang dipercaya."
    ),
    "revoked_certificate": "Sertifikat penanda tangan telah dicabut.",
    "expired_certificate": (
        "Sertifikat penanda tangan sudah tidak berlaku (kedaluwarsa) pada waktu penandatanganan."
    ),
    "not_yet_valid_certificate": (
        "Sertifikat penanda tangan belum berlaku pada waktu penandatanganan."
    ),
    "revocation_unknown": "Status pencabutan sertifikat penanda tangan tidak dapat dipastikan.",
    "certificate_usage": "Sertifikat ini tidak diperuntukkan bagi tanda tangan elektronik.",
    "certificate_problem": "Sertifikat penanda tangan tidak dapat diverifikasi.",
    "modified_after_signing": (
        "Dokumen telah diubah setelah ditandatangani dengan cara yang tidak diizinkan."
    ),
    "partial_coverage": "Tanda tangan tidak mencakup seluruh isi dokumen.",
    "untrusted_timestamp": "Stempel waktu pada tanda tangan tidak dapat dipercaya.",
    "ades_failed": "Validasi jangka panjang (PAdES) gagal.",
    "ades_indeterminate": "Validasi jangka panjang (PAdES) belum dapat memastikan keabsahan.",
}


def _reason(code: str) -> Reason:
    return Reason(code, _MESSAGES[code])


class ModificationLevel(enum.Enum):
    """What was added after a signature (from pyHanko's difference analysis)."""

    NONE = "none"
    LTA_UPDATES = "lta_updates"
    """Only validation data (DSS) and document timestamps: allowed."""
    FORM_FILLING = "form_filling"
    ANNOTATIONS = "annotations"
    OTHER = "other"
    NOT_ANALYSED = "not_analysed"
    """pyHanko's difference analysis was not run (the caller runs its own, see
    :func:`validate_pdf` ``diff_analysis``)."""


@dataclass(frozen=True)
class CertificateInfo:
    """What a person checking a certificate wants to see."""

    subject: str
    issuer: str
    serial: str
    """Serial number, upper-case hex."""
    not_before: datetime
    not_after: datetime
    fingerprint: str
    """SHA-256 of the DER, lower-case hex."""


@dataclass(frozen=True)
class RevocationInfo:
    """One piece of revocation evidence embedded in the file (DSS) about a certificate."""

    source: str
    """"ocsp" | "crl"."""
    issuer: str
    """The OCSP responder, or the CRL's issuer."""
    produced_at: datetime | None
    """OCSP: when the response was produced; CRL: its thisUpdate."""
    next_update: datetime | None
    certificate: str | None
    """Subject of the certificate an OCSP response is about (None for a CRL)."""
    status: str
    """OCSP: "good" | "revoked" | "unknown"; CRL: "listed" when it lists a certificate of
    the chain, else "not_listed"."""


@dataclass(frozen=True)
class TrustSettings:
    """Which roots to trust, and whether revocation data may be fetched online."""

    roots: tuple[Path, ...]
    allow_fetching: bool = False


@dataclass(frozen=True)
class SignatureReport:
    """The verdict on one signature (or document timestamp) in a PDF."""

    field_name: str
    intact: bool
    """The signed bytes hash to the signed digest."""
    valid: bool
    """The cryptographic signature over it is correct."""
    trusted: bool
    """The certificate chains to a trusted root and was good at the relevant time."""
    revoked: bool
    expired_at_signing: bool
    coverage: str
    """"entire_file" | "entire_revision" | "partial"."""
    modification_level: ModificationLevel
    docmdp_ok: bool
    is_doc_timestamp: bool
    signer_subject: str
    signer_fingerprint: str
    """SHA-256 of the signer's certificate (DER), lower-case hex."""
    signer_title: str | None
    """Title claimed by the signer (CAdES signer attributes), if any."""
    signing_time: datetime | None
    """Time in the signature timestamp token (or of a document timestamp), if any."""
    claimed_time: datetime | None
    """Time the signer's computer claimed (not proof)."""
    timestamp_trusted: bool
    pades_level: str | None
    """Best guess: "B-B", "B-T", "B-LT", "B-LTA" (None for document timestamps)."""
    reasons: tuple[Reason, ...]
    revocation_checked: bool = False
    """Revocation data was available (embedded DSS, or fetched). A B-B/B-T signature checked
    offline has ``False``: a revoked certificate cannot be detected then."""
    signed_revision_end: int = 0
    """Offset just past the revision this signature covers."""
    certificate: CertificateInfo | None = None
    """The signer's (or for a document timestamp, the TSA's) certificate."""
    chain: tuple[CertificateInfo, ...] = ()
    """The validated path from the signer's certificate up to the trust root (empty when no
    path to a trusted root was found)."""
    signature_algorithm: str | None = None
    """e.g. "sha256_rsa" (digest and signature mechanism)."""
    tsa: CertificateInfo | None = None
    """The certificate of the TSA that issued the signature timestamp, if any."""
    revocation: tuple[RevocationInfo, ...] = ()
    """Revocation evidence in the file about the certificates of the chain."""

    @property
    def ok(self) -> bool:
        return self.intact and self.valid and self.trusted and not self.reasons


@dataclass(frozen=True)
class ValidationReport:
    """The verdict on a whole file."""

    readable: bool
    signatures: tuple[SignatureReport, ...]
    reasons: tuple[Reason, ...]
    signed_revision_sha256: str | None
    """SHA-256 of ``data[:end of the revision covered by the last approval signature]``:
    stays the same when validation data or document timestamps are appended later."""
    file_sha256: str

    @property
    def approval_signatures(self) -> tuple[SignatureReport, ...]:
        return tuple(s for s in self.signatures if not s.is_doc_timestamp)

    @property
    def last_approval(self) -> SignatureReport | None:
        sigs = self.approval_signatures
        return sigs[-1] if sigs else None

    @property
    def all_reasons(self) -> tuple[Reason, ...]:
        out = list(self.reasons)
        for s in self.signatures:
            out.extend(r for r in s.reasons if r not in out)
        return tuple(out)

    @property
    def ok(self) -> bool:
        """Readable, signed, and every signature intact, valid and trusted, no reasons."""
        return (
            self.readable
            and bool(self.approval_signatures)
            and not self.reasons
            and all(s.ok for s in self.signatures)
        )


# -- reading ---------------------------------------------------------------------------------


def _unreadable(file_sha: str, code: str) -> ValidationReport:
    return ValidationReport(False, (), (_reason(code),), None, file_sha)


def _precheck(data: bytes) -> str | None:
    if not data:
        return "empty_file"
    if b"%PDF-" not in data[:1024]:
        return "not_a_pdf"
    if b"%%EOF" not in data[-2048:]:
        return "truncated"
    return None


def _open(data: bytes) -> Any:
    from pyhanko.pdf_utils.reader import PdfFileReader

    reader = PdfFileReader(BytesIO(data), strict=False)
    # force the parts we need now, so that breakage shows up here
    _ = reader.root
    sigs = list(reader.embedded_signatures)
    return reader, sigs


def _load_roots(trust: TrustSettings,
                cache: ValidationCache | None = None) -> list[asn1_x509.Certificate]:
    if not trust.roots:
        raise ValidationError("no trust roots given: cannot check any certificate chain")
    try:
        if cache is not None:
            return [cache.root(p) for p in trust.roots]
        return [load_certificate(p) for p in trust.roots]
    except (OSError, ValueError) as e:
        raise ValidationError(f"cannot read a trust root: {e}") from e


@dataclass
class _Dss:
    certs: list[asn1_x509.Certificate]
    ocsps: list[ocsp.OCSPResponse]
    crls: list[crl.CertificateList]

    @property
    def has_revinfo(self) -> bool:
        return bool(self.ocsps or self.crls)


def _read_dss(reader: Any, cache: ValidationCache | None = None) -> _Dss:
    out = _Dss([], [], [])
    try:
        dss = reader.root["/DSS"]
    except KeyError:
        return out
    loaders: tuple[tuple[str, Any, list[Any]], ...]
    if cache is not None:
        loaders = (("/Certs", cache.certificate, out.certs),
                   ("/OCSPs", cache.ocsp_response, out.ocsps),
                   ("/CRLs", cache.crl, out.crls))
    else:
        loaders = (("/Certs", asn1_x509.Certificate.load, out.certs),
                   ("/OCSPs", ocsp.OCSPResponse.load, out.ocsps),
                   ("/CRLs", crl.CertificateList.load, out.crls))
    for key, load, target in loaders:
        try:
            refs = dss[key]
        except KeyError:
            continue
        for ref in refs:
            try:
                target.append(load(ref.get_object().data))
            except Exception:  # a broken DSS entry only means less evidence
                continue
    return out


def _tst_gen_time(signer_info: cms.SignerInfo) -> datetime | None:
    try:
        for attr in signer_info["unsigned_attrs"] or ():
            if attr["type"].native == "signature_time_stamp_token":
                token = attr["values"][0]
                tst = token["content"]["encap_content_info"]["content"].parsed
                return tst["gen_time"].native  # type: ignore[no-any-return]
    except (KeyError, ValueError, TypeError, IndexError):
        return None
    return None


def _doc_ts_gen_time(emb: Any) -> datetime | None:
    try:
        tst = emb.signed_data["encap_content_info"]["content"].parsed
        return tst["gen_time"].native  # type: ignore[no-any-return]
    except (KeyError, ValueError, TypeError, AttributeError):
        return None


def _claimed_title(signer_info: cms.SignerInfo) -> str | None:
    try:
        for attr in signer_info["signed_attrs"] or ():
            if attr["type"].native != "signer_attributes_v2":
                continue
            for choice in attr["values"][0]["claimed_attributes"] or ():
                if choice["type"].native != "role":
                    continue
                role_name = choice["values"][0]["role_name"]
                if role_name.name == "directory_name":
                    for rdn in role_name.chosen.chosen:
                        for ava in rdn:
                            if ava["type"].native == "title":
                                return str(ava["value"].native)
                return str(role_name.native)
    except (KeyError, ValueError, TypeError, IndexError, AttributeError):
        return None
    return None


# -- one signature ---------------------------------------------------------------------------


def _vc(
    roots: list[asn1_x509.Certificate],
    dss: _Dss,
    extra_certs: Iterable[asn1_x509.Certificate],
    *,
    moment: datetime | None,
    allow_fetching: bool,
) -> Any:
    from pyhanko_certvalidator import ValidationContext

    return ValidationContext(
        trust_roots=roots,
        other_certs=[*dss.certs, *extra_certs],
        ocsps=dss.ocsps,
        crls=dss.crls,
        moment=moment,
        allow_fetching=allow_fetching,
        revocation_mode="soft-fail",
        retroactive_revinfo=True,
    )


_COVERAGE = {"ENTIRE_FILE": "entire_file", "ENTIRE_REVISION": "entire_revision"}


def _modification_level(status: Any) -> ModificationLevel:
    level = getattr(status, "modification_level", None)
    if level is None:
        return ModificationLevel.OTHER
    try:
        return ModificationLevel(level.name.lower())
    except ValueError:
        return ModificationLevel.OTHER


def _trust_reasons(status: Any) -> list[str]:
    from pyhanko.sign.ades.report import AdESIndeterminate as Ind

    indic = status.trust_problem_indic
    if status.revoked:
        return ["revoked_certificate"]
    if indic is None:
        return [] if status.trusted else ["untrusted_chain"]
    mapping = {
        Ind.REVOKED_NO_POE: "revoked_certificate",
        Ind.REVOKED_CA_NO_POE: "revoked_certificate",
        Ind.OUT_OF_BOUNDS_NO_POE: "expired_certificate",
        Ind.OUT_OF_BOUNDS_NOT_REVOKED: "expired_certificate",
        Ind.EXPIRED: "expired_certificate",
        Ind.NOT_YET_VALID: "not_yet_valid_certificate",
        Ind.NO_CERTIFICATE_CHAIN_FOUND: "untrusted_chain",
        Ind.TRY_LATER: "revocation_unknown",
        Ind.CHAIN_CONSTRAINTS_FAILURE: "certificate_usage",
    }
    return [mapping.get(indic, "certificate_problem")]


def _check_signature(
    emb: Any,
    roots: list[asn1_x509.Certificate],
    dss: _Dss,
    trust: TrustSettings,
    at: datetime | None,
    later_doc_ts: bool,
    skip_diff: bool = False,
) -> SignatureReport:
    from pyhanko.sign.validation import validate_pdf_signature, validate_pdf_timestamp

    field_name = str(emb.field_name)
    extra = list(emb.other_embedded_certs)
    cert = emb.signer_cert
    is_ts = emb.sig_object_type == "/DocTimeStamp"
    reasons: list[str] = []
    fetch = trust.allow_fetching
    status: Any
    signing_time: datetime | None

    if is_ts:
        gen_time = _doc_ts_gen_time(emb)
        ts_vc = _vc(roots, dss, extra, moment=gen_time or at, allow_fetching=fetch)
        status = validate_pdf_timestamp(emb, validation_context=ts_vc, skip_diff=skip_diff)
        signing_time = status.timestamp
        ts_trusted = bool(status.intact and status.valid and status.trusted)
        claimed = None
        title = None
        expired_at_signing = False
    else:
        # judge the certificate (and the TSA's) at the time the timestamp proves
        tst_time = _tst_gen_time(emb.signer_info)
        vc = _vc(roots, dss, extra, moment=tst_time or at, allow_fetching=fetch)
        status = validate_pdf_signature(
            emb, signer_validation_context=vc, ts_validation_context=vc, skip_diff=skip_diff
        )
        tsv = status.timestamp_validity
        ts_trusted = bool(tsv is not None and tsv.intact and tsv.valid and tsv.trusted)
        if tst_time is not None and not ts_trusted:
            # an untrusted timestamp proves nothing: judge the certificate at `at`
            reasons.append("untrusted_timestamp")
            vc = _vc(roots, dss, extra, moment=at, allow_fetching=fetch)
            status = validate_pdf_signature(
                emb, signer_validation_context=vc, ts_validation_context=vc,
                skip_diff=skip_diff,
            )
        signing_time = tsv.timestamp if tsv is not None else None
        claimed = status.signer_reported_dt
        title = _claimed_title(emb.signer_info)
        when = (signing_time if ts_trusted else None) or at or datetime.now(UTC)
        validity = cert["tbs_certificate"]["validity"]
        expired_at_signing = when > validity["not_after"].native

    if not status.intact:
        reasons.append("digest_mismatch")
    elif not status.valid:
        reasons.append("invalid_signature")
    else:
        for code in _trust_reasons(status):
            if code not in reasons:
                reasons.append(code)
    if expired_at_signing and "expired_certificate" not in reasons:
        reasons.append("expired_certificate")

    coverage_level = getattr(status, "coverage", None)
    coverage = _COVERAGE.get(getattr(coverage_level, "name", ""), "partial")
    mod = ModificationLevel.NOT_ANALYSED if skip_diff else _modification_level(status)
    docmdp_ok = bool(getattr(status, "docmdp_ok", True) is not False)
    if coverage == "partial":
        reasons.append("partial_coverage")
    if not docmdp_ok or mod not in (ModificationLevel.NONE, ModificationLevel.LTA_UPDATES,
                                    ModificationLevel.NOT_ANALYSED):
        if status.intact:
            reasons.append("modified_after_signing")

    if is_ts:
        level = None
    elif signing_time is None:
        level = "B-B"
    elif dss.has_revinfo and later_doc_ts:
        level = "B-LTA"
    elif dss.has_revinfo:
        level = "B-LT"
    else:
        level = "B-T"

    br = list(emb.byte_range)
    return SignatureReport(
        field_name=field_name,
        intact=bool(status.intact),
        valid=bool(status.valid),
        trusted=bool(status.trusted),
        revoked=bool(status.revoked),
        expired_at_signing=expired_at_signing,
        coverage=coverage,
        modification_level=mod,
        docmdp_ok=docmdp_ok,
        is_doc_timestamp=is_ts,
        signer_subject=_friendly(cert.subject),
        signer_fingerprint=cert.sha256.hex(),
        signer_title=title,
        signing_time=signing_time,
        claimed_time=claimed,
        timestamp_trusted=ts_trusted,
        pades_level=level,
        reasons=tuple(_reason(c) for c in reasons),
        revocation_checked=dss.has_revinfo or fetch,
        signed_revision_end=int(br[2]) + int(br[3]),
        **_details(emb, cert, status, dss, is_ts),
    )


_CERT_INFOS: dict[bytes, CertificateInfo] = {}
_NAMES: dict[bytes, str] = {}


def _friendly(name: asn1_x509.Name) -> str:
    """``name.human_friendly``, remembered by the name's encoding (a pure function of it)."""
    key = name.dump()
    found = _NAMES.get(key)
    if found is None:
        if len(_NAMES) >= 1024:
            _NAMES.clear()
        found = _NAMES[key] = name.human_friendly
    return found


def _cert_info(cert: asn1_x509.Certificate) -> CertificateInfo:
    """What a report shows of ``cert``; remembered by the certificate's SHA-256 (a pure
    function of its bytes), as every decree carries the same few certificates."""
    key = cert.sha256
    found = _CERT_INFOS.get(key)
    if found is None:
        if len(_CERT_INFOS) >= 1024:
            _CERT_INFOS.clear()
        found = _CERT_INFOS[key] = _new_cert_info(cert)
    return found


def _new_cert_info(cert: asn1_x509.Certificate) -> CertificateInfo:
    validity = cert["tbs_certificate"]["validity"]
    return CertificateInfo(
        subject=_friendly(cert.subject), issuer=_friendly(cert.issuer),
        serial=format(cert.serial_number, "X"), not_before=validity["not_before"].native,
        not_after=validity["not_after"].native, fingerprint=cert.sha256.hex())


def _path_infos(path: Any) -> tuple[CertificateInfo, ...]:
    if path is None:
        return ()
    try:
        certs = list(path.iter_certs(include_root=True))
    except Exception:  # noqa: BLE001 - details only
        return ()
    return tuple(_cert_info(c) for c in reversed(certs))


def _revocation_infos(dss: _Dss, chain: list[asn1_x509.Certificate]) -> tuple[RevocationInfo, ...]:
    serials = {(c.issuer.sha256, c.serial_number): c for c in chain}
    issuers = {c.issuer.sha256 for c in chain}
    out: list[RevocationInfo] = []
    for resp in dss.ocsps:
        try:
            basic = resp["response_bytes"]["response"].parsed
            data = basic["tbs_response_data"]
            rid = data["responder_id"]
            if rid.name == "by_name":
                responder = _friendly(rid.chosen)
            else:
                key_hash = rid.chosen.native
                responder = next((_friendly(c.subject) for c in basic["certs"] or ()
                                  if c.public_key.sha1 == key_hash),
                                 "kunci " + key_hash.hex())
            produced = data["produced_at"].native
            for single in data["responses"]:
                cid = single["cert_id"]
                cert = next((c for (_ih, sn), c in serials.items()
                             if sn == cid["serial_number"].native
                             and c.issuer.sha1 == cid["issuer_name_hash"].native), None)
                if cert is None:
                    continue
                out.append(RevocationInfo(
                    source="ocsp", issuer=responder, produced_at=produced,
                    next_update=single["next_update"].native,
                    certificate=_friendly(cert.subject),
                    status=str(single["cert_status"].name)))
        except Exception:  # noqa: BLE001 - details only
            continue
    for c in dss.crls:
        try:
            tbs = c["tbs_cert_list"]
            if tbs["issuer"].sha256 not in issuers:
                continue
            listed = any((tbs["issuer"].sha256, r["user_certificate"].native) in serials
                         for r in (tbs["revoked_certificates"] or ()))
            out.append(RevocationInfo(
                source="crl", issuer=_friendly(tbs["issuer"]),
                produced_at=tbs["this_update"].native, next_update=tbs["next_update"].native,
                certificate=None, status="listed" if listed else "not_listed"))
        except Exception:  # noqa: BLE001 - details only
            continue
    return tuple(out)


def _details(emb: Any, cert: asn1_x509.Certificate, status: Any, dss: _Dss,
             is_ts: bool) -> dict[str, Any]:
    """Who, with what and against which evidence, for the technical part of a report."""
    path = getattr(status, "validation_path", None)
    chain_certs: list[asn1_x509.Certificate] = [cert]
    try:
        if path is not None:
            chain_certs = list(path.iter_certs(include_root=True))
    except Exception:  # noqa: BLE001
        pass
    tsa = None
    if not is_ts:
        tsv = getattr(status, "timestamp_validity", None)
        tsa_cert = getattr(tsv, "signing_cert", None)
        if tsa_cert is not None:
            tsa = _cert_info(tsa_cert)
            try:
                tsa_path = getattr(tsv, "validation_path", None)
                if tsa_path is not None:
                    chain_certs.extend(tsa_path.iter_certs(include_root=False))
                else:
                    chain_certs.append(tsa_cert)
            except Exception:  # noqa: BLE001
                chain_certs.append(tsa_cert)
    algorithm = None
    try:
        info = emb.signer_info
        algorithm = (f"{info['digest_algorithm']['algorithm'].native}_"
                     f"{info['signature_algorithm'].signature_algo}")
    except Exception:  # noqa: BLE001 - details only
        pass
    return {"certificate": _cert_info(cert), "chain": _path_infos(path),
            "signature_algorithm": algorithm, "tsa": tsa,
            "revocation": _revocation_infos(dss, chain_certs)}


def _broken_signature(emb: Any) -> SignatureReport:
    try:
        name = str(emb.field_name)
    except Exception:
        name = "?"
    subject = fingerprint = ""
    try:
        subject = emb.signer_cert.subject.human_friendly
        fingerprint = emb.signer_cert.sha256.hex()
    except Exception:
        pass
    return SignatureReport(
        field_name=name, intact=False, valid=False, trusted=False, revoked=False,
        expired_at_signing=False, coverage="partial", modification_level=ModificationLevel.OTHER,
        docmdp_ok=False, is_doc_timestamp=False, signer_subject=subject,
        signer_fingerprint=fingerprint, signer_title=None, signing_time=None, claimed_time=None,
        timestamp_trusted=False, pades_level=None,
        reasons=(_reason("unreadable_signature"),),
    )


# -- public ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class OpenedPdf:
    """A PDF parsed once, to be shared by :func:`validate_pdf` and other readers of the same
    bytes (e.g. a structural check). ``problem`` is a reason code when it could not be read."""

    data: bytes
    reader: Any
    signatures: tuple[Any, ...]
    problem: str | None = None


def open_pdf(data: bytes) -> OpenedPdf:
    """Parse ``data`` (pyHanko's reader) and find its signatures. Never raises."""
    problem = _precheck(data)
    if problem is not None:
        return OpenedPdf(data, None, (), problem)
    try:
        reader, sigs = _open(data)
    except Exception:
        return OpenedPdf(data, None, (), "malformed_pdf")
    return OpenedPdf(data, reader, tuple(sigs))


def validate_pdf(
    data: bytes,
    trust: TrustSettings,
    *,
    at: datetime | None = None,
    cache: ValidationCache | None = None,
    opened: OpenedPdf | None = None,
    diff_analysis: bool = True,
) -> ValidationReport:
    """Check every signature and document timestamp in ``data``. Never raises for bad input.

    ``cache`` keeps parsed trust roots, certificates, OCSP responses and CRLs across calls
    (keyed by their bytes' digest). ``opened`` is ``open_pdf(data)`` when the caller parsed the
    file already. ``diff_analysis=False`` skips pyHanko's difference analysis of later
    revisions (``modification_level`` is then ``NOT_ANALYSED``): only for a caller that makes
    its own, stricter analysis of what later revisions changed, and refuses the document when
    that one cannot run.
    """
    file_sha = hashlib.sha256(data).hexdigest()
    roots = _load_roots(trust, cache)
    if opened is None or opened.data is not data:
        opened = open_pdf(data)
    if opened.problem is not None:
        return _unreadable(file_sha, opened.problem)
    reader, sigs = opened.reader, list(opened.signatures)
    if not sigs:
        return ValidationReport(True, (), (_reason("no_signature"),), None, file_sha)

    try:
        dss = _read_dss(reader, cache)
    except Exception:  # a damaged DSS is a damaged file, not a crash
        return _unreadable(file_sha, "malformed_pdf")
    ts_revisions = []
    for emb in sigs:
        try:
            if emb.sig_object_type == "/DocTimeStamp":
                ts_revisions.append(emb.signed_revision)
        except Exception:
            continue
    reports = []
    for emb in sigs:
        try:
            later_ts = any(r > emb.signed_revision for r in ts_revisions)
            reports.append(_check_signature(emb, roots, dss, trust, at, later_ts,
                                            skip_diff=not diff_analysis))
        except Exception:
            reports.append(_broken_signature(emb))

    approvals = [r for r in reports if not r.is_doc_timestamp and r.signed_revision_end]
    signed_sha = revision_sha256(data, approvals[-1].signed_revision_end) if approvals else None
    doc_reasons: tuple[Reason, ...] = ()
    if not any(not r.is_doc_timestamp for r in reports):
        doc_reasons = (_reason("no_signature"),)
    return ValidationReport(True, tuple(reports), doc_reasons, signed_sha, file_sha)


# -- AdES long-term validation ---------------------------------------------------------------


@dataclass(frozen=True)
class AdesSignatureResult:
    field_name: str
    status: str
    """"passed" | "indeterminate" | "failed" (ETSI EN 319 102-1 main indication)."""
    subindication: str
    """e.g. "OK", "NO_POE", "REVOKED_NO_POE" (ETSI sub-indication)."""
    detail: str | None
    """pyHanko's failure message (English), for logs."""
    best_signature_time: datetime | None
    oldest_evidence_record_timestamp: datetime | None


@dataclass(frozen=True)
class AdesReport:
    readable: bool
    signatures: tuple[AdesSignatureResult, ...]
    reasons: tuple[Reason, ...]

    @property
    def passed(self) -> bool:
        return self.readable and bool(self.signatures) and all(
            s.status == "passed" for s in self.signatures
        )


def _ades_spec(trust: TrustSettings, roots: list[asn1_x509.Certificate]) -> Any:
    from pyhanko.sign.validation.policy_decl import (
        PdfSignatureValidationSpec,
        RevinfoOnlineFetchingRule,
        RevocationInfoGatheringSpec,
        SignatureValidationSpec,
    )
    from pyhanko_certvalidator.context import CertValidationPolicySpec
    from pyhanko_certvalidator.policy_decl import CertRevTrustPolicy, RevocationCheckingPolicy
    from pyhanko_certvalidator.registry import SimpleTrustManager

    policy = CertValidationPolicySpec(
        trust_manager=SimpleTrustManager.build(trust_roots=roots),
        revinfo_policy=CertRevTrustPolicy(RevocationCheckingPolicy.from_legacy("hard-fail")),
    )
    rule = (
        RevinfoOnlineFetchingRule.NO_HISTORICAL_FETCH
        if trust.allow_fetching
        else RevinfoOnlineFetchingRule.LOCAL_ONLY
    )
    return PdfSignatureValidationSpec(
        SignatureValidationSpec(
            cert_validation_policy=policy,
            revinfo_gathering_policy=RevocationInfoGatheringSpec(online_fetching_rule=rule),
        )
    )


def _ades_run(
    data: bytes, trust: TrustSettings, at: datetime | None, future: datetime | None
) -> AdesReport:
    from pyhanko.sign.validation.ades import (
        ades_lta_validation,
        simulate_future_ades_lta_validation,
    )
    from pyhanko_certvalidator.ltv.types import ValidationTimingInfo

    roots = _load_roots(trust)
    problem = _precheck(data)
    if problem is not None:
        return AdesReport(False, (), (_reason(problem),))
    try:
        _reader, sigs = _open(data)
    except Exception:
        return AdesReport(False, (), (_reason("malformed_pdf"),))
    approvals = [s for s in sigs if s.sig_object_type == "/Sig"]
    if not approvals:
        return AdesReport(True, (), (_reason("no_signature"),))
    spec = _ades_spec(trust, roots)
    results = []
    reasons: list[Reason] = []
    for emb in approvals:
        if future is not None:
            coro = simulate_future_ades_lta_validation(emb, spec, future_validation_time=future)
        else:
            timing = (
                ValidationTimingInfo(validation_time=at, best_signature_time=at,
                                     point_in_time_validation=True)
                if at is not None
                else None
            )
            coro = ades_lta_validation(emb, spec, timing_info=timing)
        try:
            res = asyncio.run(coro)
        except Exception as e:
            raise ValidationError(f"the AdES validation could not run: {e}") from e
        indic: Any = res.ades_subindic
        main = indic.status.name.lower()
        results.append(
            AdesSignatureResult(
                field_name=str(emb.field_name),
                status=main,
                subindication=indic.name,
                detail=res.failure_msg,
                best_signature_time=getattr(res, "best_signature_time", None),
                oldest_evidence_record_timestamp=res.oldest_evidence_record_timestamp,
            )
        )
        if main != "passed":
            r = _reason("ades_failed" if main == "failed" else "ades_indeterminate")
            if r not in reasons:
                reasons.append(r)
    return AdesReport(True, tuple(results), tuple(reasons))


def ades_validate(
    data: bytes, trust: TrustSettings, *, at: datetime | None = None
) -> AdesReport:
    """PAdES long-term (LTA) validation of every approval signature, at ``at`` (default now).

    Offline unless ``trust.allow_fetching``: a B-LT file without a document timestamp then
    comes out "indeterminate" (NO_POE); a B-LTA file passes.
    """
    return _ades_run(data, trust, at, None)


def simulate_future(data: bytes, trust: TrustSettings, when: datetime) -> AdesReport:
    """Would the file still validate at ``when`` (e.g. after the signer's certificate
    expired), assuming its document timestamps are renewed in time? Offline."""
    return _ades_run(data, trust, None, when)
