"""The verdict: the one verification core behind ``ptsp verify`` and the web portal.

A decree is ``SAH`` only when every check passed: every signature intact, valid and covering
what a reader sees; the chain trusted; the signer the delegated Kepala Dinas for this permit type
at the signing time; a trusted signing time; revocation status known and good; and the registry
knows the decree, its signed content matches and it is still in force. A check that failed makes
it ``TIDAK SAH``; a check that could not be made makes it ``TIDAK DAPAT DIPASTIKAN``, never
``SAH``.

Besides pyHanko's difference analysis (in :func:`signer.validate.validate_pdf`) the file goes
through our own structural checks (:func:`check_structure`), written against the published PDF
signature attacks (universal signature forgery, incremental saving, signature wrapping, shadow
attacks, evil annotations, sneaky signatures): a verifier that trusts one analysis alone has been
fooled before.
"""

from __future__ import annotations

import hashlib
import logging
import re
from datetime import UTC, datetime
from typing import Any

from signer.cache import ValidationCache
from signer.delegation import Delegation, find_delegation
from signer.signed import revision_sha256
from signer.structure import StructureReport, check_structure
from signer.validate import (
    CertificateInfo,
    SignatureReport,
    TrustSettings,
    open_pdf,
    validate_pdf,
)

from ..registry import Record, Registry, Status
from ..timefmt import iso_wita
from .registry_check import _lookup, registry_check, status_reasons
from .result import (
    SAH,
    TIDAK_DAPAT_DIPASTIKAN,
    TIDAK_SAH,
    RegistryCheck,
    VerifyReason,
    VerifyResult,
)

# Codes that mean "could not be checked" rather than "checked and wrong".
UNCERTAIN = frozenset({
    "revocation_unknown", "ades_indeterminate", "registry_unavailable", "no_trusted_time",
    "delegation_unknown", "structure_unchecked", "verification_error",
})

MESSAGES = {
    "data_after_eof": "Terdapat data tambahan di akhir berkas yang tidak tercakup tanda tangan.",
    "hidden_revision": "Berkas memuat bagian pembaruan yang tersembunyi dari struktur PDF.",
    "hybrid_xref": "Berkas memakai struktur referensi silang ganda yang dapat dibaca berbeda "
                   "oleh aplikasi lain.",
    "byte_range_invalid": "Rentang data yang ditandatangani (/ByteRange) tidak sah atau telah "
                          "dimanipulasi.",
    "signature_padding": "Kolom tanda tangan memuat data tambahan tersembunyi di luar "
                         "tanda tangan.",
    "revision_not_covered": "Tanda tangan tidak berakhir pada batas revisi dokumen.",
    "multiple_signatures": "Dokumen memuat lebih dari satu tanda tangan persetujuan, padahal "
                           "keputusan hanya ditandatangani sekali oleh pejabat berwenang.",
    "object_overwritten": "Bagian dokumen yang telah ditandatangani diganti dalam pembaruan "
                          "berikutnya.",
    "pages_changed": "Halaman dokumen ditambah, dihapus, atau diubah setelah ditandatangani.",
    "page_content_changed": "Isi halaman diubah setelah ditandatangani.",
    "annotation_added": "Anotasi (coretan, kotak, teks tambahan) ditambahkan setelah "
                        "ditandatangani.",
    "form_field_added": "Kolom isian atau kolom tanda tangan ditambahkan setelah "
                        "ditandatangani.",
    "catalog_changed": "Pengaturan dokumen (katalog PDF) diubah setelah ditandatangani.",
    "structure_unchecked": "Struktur berkas tidak dapat diperiksa sepenuhnya.",
    "verification_error": "Pemeriksaan tidak dapat diselesaikan karena bagian berkas tidak "
                          "dapat dibaca.",
    "not_yet_valid_certificate": "Sertifikat penanda tangan belum berlaku pada waktu "
                                 "penandatanganan.",
    "self_signed_certificate": "Sertifikat penanda tangan dibuat sendiri (self-signed), bukan "
                               "diterbitkan oleh otoritas sertifikat yang dipercaya.",
    "revocation_unknown": "Status pencabutan sertifikat penanda tangan tidak dapat dipastikan.",
}

# Which check each reason code belongs to (for the check list of the report).
CHECKS: tuple[tuple[str, str], ...] = (
    ("file", "Berkas PDF dapat dibaca"),
    ("integrity", "Keutuhan tanda tangan"),
    ("modification", "Tidak ada perubahan setelah ditandatangani"),
    ("certificate", "Sertifikat penanda tangan tepercaya dan berlaku"),
    ("revocation", "Status pencabutan sertifikat"),
    ("timestamp", "Stempel waktu tepercaya"),
    ("delegation", "Kewenangan penanda tangan (pendelegasian dari Bupati)"),
    ("registry", "Tercatat dalam register izin dan masih berlaku"),
)
_CODE_CHECK = {
    **dict.fromkeys(("empty_file", "not_a_pdf", "truncated", "malformed_pdf", "no_signature",
                     "unreadable_signature", "verification_error"), "file"),
    **dict.fromkeys(("digest_mismatch", "invalid_signature", "byte_range_invalid",
                     "revision_not_covered", "signature_padding"), "integrity"),
    **dict.fromkeys(("modified_after_signing", "partial_coverage", "data_after_eof",
                     "hidden_revision", "hybrid_xref", "multiple_signatures",
                     "object_overwritten", "pages_changed", "page_content_changed",
                     "annotation_added", "form_field_added", "catalog_changed",
                     "structure_unchecked"), "modification"),
    **dict.fromkeys(("untrusted_chain", "expired_certificate", "not_yet_valid_certificate",
                     "certificate_usage", "certificate_problem", "self_signed_certificate"),
                    "certificate"),
    **dict.fromkeys(("revoked_certificate", "revocation_unknown"), "revocation"),
    **dict.fromkeys(("untrusted_timestamp", "no_trusted_time"), "timestamp"),
    **dict.fromkeys(("not_delegate", "delegation_unknown"), "delegation"),
}



def _r(code: str) -> VerifyReason:
    return VerifyReason(code, MESSAGES[code])




def _claimed_number(reader: Any, revision: int) -> str | None:
    """The registration number the signed revision says it carries (/Keywords ``nomor=...``),
    read from that revision with pyHanko's reader (later revisions cannot change it)."""
    try:
        trailer = reader.get_historical_resolver(revision).trailer_view
        info = trailer["/Info"].get_object() if "/Info" in trailer else None
        text = str(info.get("/Keywords") or "") if info is not None else ""
    except Exception:  # noqa: BLE001 - any malformed file: no claim
        return None
    m = re.search(r"nomor=(\S{3,80})", text)
    return m.group(1) if m else None


def _is_approval(emb: Any) -> bool:
    try:
        return bool(emb.sig_object_type == "/Sig")
    except Exception:  # noqa: BLE001 - unreadable: not counted
        return False




def common_name(subject: str | None) -> str | None:
    """``"Common Name: X, Title: ..."`` (asn1crypto's human-friendly form) -> ``"X"``."""
    if not subject:
        return subject
    for part in subject.split(", "):
        if part.startswith("Common Name: "):
            return part[len("Common Name: "):]
    return subject


# -- the verdict -----------------------------------------------------------------------------


def verify_pdf(data: bytes, *, trust: TrustSettings, delegations: list[Delegation],
               registry: Registry | None, at: datetime | None = None,
               cache: ValidationCache | None = None) -> VerifyResult:
    """Check a decree file end to end. Never raises for bad input: a file that breaks one of
    the readers underneath is ``TIDAK DAPAT DIPASTIKAN`` (it could not be checked).

    ``cache`` (see :mod:`signer.cache`) keeps what repeats across decrees - parsed trust
    roots, certificates, OCSP responses, CRLs - keyed by their bytes' digest; a verdict is
    never cached. The file is parsed once: pyHanko's signature validation and our structural
    checks share the reader, and our structural checks stand in for pyHanko's difference
    analysis (they are stricter: a later revision may only add validation data and invisible
    document timestamps; when they cannot run the verdict is never SAH)."""
    try:
        return _verify_pdf(data, trust=trust, delegations=delegations, registry=registry, at=at,
                           cache=cache)
    except Exception:
        logging.getLogger(__name__).exception("verification could not finish")
        reason = _r("verification_error")
        return VerifyResult(
            verdict=TIDAK_DAPAT_DIPASTIKAN, reasons=(reason,), number=None, permit=None,
            permit_name=None, holder_name=None, holder_nik_masked=None, signer=None,
            signer_title=None, signed_at=None, pades_level=None, delegation=None,
            registry=RegistryCheck(found=False), file_sha256=hashlib.sha256(data).hexdigest(),
            checks=tuple({"name": n, "label": lbl, "status": NOT_CHECKED}
                         for n, lbl in CHECKS))


def _verify_pdf(data: bytes, *, trust: TrustSettings, delegations: list[Delegation],
                registry: Registry | None, at: datetime | None = None,
                cache: ValidationCache | None = None) -> VerifyResult:
    checked_at = iso_wita(datetime.now(UTC))
    roots = _roots_info(trust, cache)
    opened = open_pdf(data)
    report = validate_pdf(data, trust, at=at, cache=cache, opened=opened, diff_analysis=False)
    reasons: list[VerifyReason] = [VerifyReason(r.code, r.message) for r in report.all_reasons]
    structure = check_structure(data, opened.reader) \
        if report.readable and report.signatures else None
    if structure is not None:
        reasons.extend(_r(c) for c in structure.codes)
    approvals = report.approval_signatures
    main = approvals[0] if len(approvals) == 1 else report.last_approval
    if main is not None and main.intact and main.valid and not main.revoked \
            and not main.revocation_checked:
        reasons.append(_r("revocation_unknown"))
    signer = common_name(main.signer_subject) if main else None
    signed_at = main.signing_time if main is not None and main.timestamp_trusted else None
    if main is not None and structure is not None and not main.trusted:
        reasons.extend(_certificate_reasons(main, structure, signed_at))

    # Registry first: the permit type decides which delegation applies.
    signed_sha = None
    if structure is not None and structure.signed_revision_end:
        signed_sha = revision_sha256(data, min(structure.signed_revision_end, len(data)))
    lta_only = structure is not None and structure.later_revisions in ("none", "validation_data")
    rec: Record | None = None
    matched_on = reg_error = None
    claimed: str | None = None
    if report.readable and main is not None:
        approval_sigs = [e for e in opened.signatures if _is_approval(e)]
        claimed = _claimed_number(opened.reader, approval_sigs[0].signed_revision) \
            if structure is not None and structure.signed_revision_end and approval_sigs \
            else None
        digests: list[tuple[str, str | None]] = [("file", report.file_sha256)]
        if lta_only:
            digests.append(("signed_revision", signed_sha))
        rec, matched_on, reg_error = _lookup(registry, digests, claimed)
    if reg_error:
        reasons.append(VerifyReason(reg_error, "Register izin tidak dapat dihubungi, sehingga "
                                    "status izin tidak dapat dipastikan."))
    elif report.readable and main is not None:
        if rec is None:
            reasons.append(VerifyReason("not_registered", "Dokumen ini tidak tercatat dalam "
                                        "register izin Dinas."))
        elif matched_on is None:
            reasons.append(VerifyReason("hash_mismatch", f"Isi dokumen tidak sama dengan "
                                        f"keputusan Nomor {rec.number} yang tercatat."))
        else:
            reasons.extend(status_reasons(rec))

    delegation_text, delegation_detail = None, None
    ran: set[str] = set()
    if main is not None:
        ran.update(("file", "integrity"))
        if structure is not None:
            ran.add("modification")
        if main.intact and main.valid:
            ran.update(("certificate", "timestamp"))
            if main.trusted and main.revocation_checked:
                ran.add("revocation")
        if not reg_error:
            ran.add("registry")
    if main is not None and main.intact and main.valid:
        if signed_at is None:
            reasons.append(VerifyReason("no_trusted_time", "Waktu penandatanganan tidak "
                                        "dijamin oleh stempel waktu yang tepercaya."))
        when = signed_at or main.claimed_time
        permit = rec.permit if rec else None
        if when is None or permit is None:
            if rec is not None:
                reasons.append(VerifyReason("delegation_unknown", "Kewenangan penanda tangan "
                                            "tidak dapat dipastikan."))
        else:
            found, _why = find_delegation(delegations, fingerprint=main.signer_fingerprint,
                                          subject=main.signer_subject, permit_code=permit,
                                          when=when)
            ran.add("delegation")
            if found is None:
                reasons.append(VerifyReason(
                    "not_delegate", "Penanda tangan bukan pejabat yang menerima pendelegasian "
                    "kewenangan penandatanganan izin ini dari Bupati pada waktu penandatanganan."))
            else:
                delegation_text = found.decree_number
                delegation_detail = {
                    "decree_number": found.decree_number,
                    "decree_date": found.decree_date.isoformat(),
                    "valid_from": found.valid_from.isoformat(),
                    "valid_until": found.valid_until.isoformat() if found.valid_until else None,
                    "acting": found.acting, "delegator": "Bupati"}

    reasons = _dedupe(reasons)
    codes = {r.code for r in reasons}
    if not reasons and report.ok and structure is not None and not structure.codes \
            and rec is not None and matched_on is not None and rec.status == Status.ISSUED:
        verdict = SAH
    elif codes and codes <= UNCERTAIN:
        verdict = TIDAK_DAPAT_DIPASTIKAN
    else:
        verdict = TIDAK_SAH
    if verdict == SAH and (codes or not report.ok):  # belt and braces
        verdict = TIDAK_SAH
    hash_match = None if rec is None else matched_on is not None
    regcheck = registry_check(rec, hash_match=hash_match, matched_on=matched_on)
    return VerifyResult(
        verdict=verdict, reasons=tuple(reasons),
        number=rec.number if rec else None, permit=rec.permit if rec else None,
        permit_name=regcheck.permit_name, holder_name=rec.holder_name if rec else None,
        holder_nik_masked=rec.holder_nik_masked if rec else None, signer=signer,
        signer_title=main.signer_title if main else None,
        signed_at=iso_wita(signed_at),
        pades_level=main.pades_level if main else None, delegation=delegation_text,
        registry=regcheck, file_sha256=report.file_sha256,
        signatures=tuple(_signature_dict(s, structure.later_revisions if structure else None)
                         for s in report.signatures),
        checks=_checks(codes, ran), delegation_detail=delegation_detail,
        signed_revision_sha256=signed_sha,
        later_revisions=structure.later_revisions if structure else None,
        checked_at=checked_at, claimed_number=claimed, best_signature_time=iso_wita(signed_at),
        trust_roots=roots)


def _certificate_reasons(main: SignatureReport, structure: StructureReport,
                         signed_at: datetime | None) -> list[VerifyReason]:
    """Say precisely what pyHanko reports only as a generic certificate problem."""
    window = structure.certificates.get(main.field_name)
    if window is None:
        return []
    not_before, _not_after, self_signed = window
    out = []
    when = signed_at or main.claimed_time
    if when is not None and when < not_before:
        out.append(_r("not_yet_valid_certificate"))
    if self_signed:
        out.append(_r("self_signed_certificate"))
    return out


_LATER = {"none": "none", "validation_data": "lta_updates"}
REVOCATION_STATUS_ID = {"good": "baik (tidak dicabut)", "revoked": "dicabut",
                        "unknown": "tidak diketahui", "listed": "tercantum (dicabut)",
                        "not_listed": "tidak tercantum (tidak dicabut)"}


def _cert_dict(c: CertificateInfo | None) -> dict[str, Any] | None:
    if c is None:
        return None
    return {"subject": c.subject, "issuer": c.issuer, "serial": c.serial,
            "not_before": iso_wita(c.not_before), "not_after": iso_wita(c.not_after),
            "fingerprint": c.fingerprint}


def _signature_dict(s: SignatureReport, later: str | None) -> dict[str, Any]:
    level = s.modification_level.value
    if level == "not_analysed":  # our structural analysis stands in for pyHanko's
        level = _LATER.get(later or "", "other")
    return {
        "field": s.field_name, "intact": s.intact, "valid": s.valid, "trusted": s.trusted,
        "doc_timestamp": s.is_doc_timestamp, "coverage": s.coverage,
        "modification_level": level, "signer": s.signer_subject,
        "signer_fingerprint": s.signer_fingerprint,
        "signing_time": iso_wita(s.signing_time),
        "timestamp_trusted": s.timestamp_trusted, "revocation_checked": s.revocation_checked,
        "pades_level": s.pades_level, "reasons": [r.code for r in s.reasons],
        "certificate": _cert_dict(s.certificate),
        "chain": [_cert_dict(c) for c in s.chain],
        "signature_algorithm": s.signature_algorithm,
        "tsa": _cert_dict(s.tsa),
        "revocation": [{"source": r.source, "issuer": r.issuer,
                        "produced_at": iso_wita(r.produced_at),
                        "next_update": iso_wita(r.next_update),
                        "certificate": r.certificate, "status": r.status}
                       for r in s.revocation],
    }


def _roots_info(trust: TrustSettings,
                cache: ValidationCache | None) -> tuple[dict[str, str], ...]:
    from signer.keys import load_certificate

    out = []
    for p in trust.roots:
        try:
            c = cache.root(p) if cache is not None else load_certificate(p)
        except (OSError, ValueError):
            continue
        out.append({"subject": c.subject.human_friendly, "fingerprint": c.sha256.hex()})
    return tuple(out)


def against_decree(result: VerifyResult, number: str) -> VerifyResult:
    """The result of a file uploaded on the QR page of decree ``number``: when the file is
    another decree (or none the registry knows), it is TIDAK SAH, the reason says so plainly
    with the file's own number, and the registry check fails."""
    from dataclasses import replace

    if result.registry.number == number:
        return result
    own = result.registry.number or result.claimed_number
    if own:
        message = (f"Berkas yang diunggah adalah keputusan lain, yaitu Nomor {own}, bukan "
                   f"keputusan Nomor {number} yang dirujuk oleh kode QR ini.")
    else:
        message = (f"Berkas yang diunggah bukan keputusan Nomor {number} yang dirujuk oleh "
                   "kode QR ini.")
    why = VerifyReason("not_this_decree", message)
    checks = tuple({**c, "status": FAILED} if c["name"] == "registry" else c
                   for c in result.checks)
    return replace(result, verdict=TIDAK_SAH, reasons=(why, *result.reasons), checks=checks)


PASSED, FAILED, NOT_CHECKED = "passed", "failed", "not_checked"

# A reason code may say more than one check failed: a digest mismatch is a changed content.
_ALSO_FAILS = {"digest_mismatch": ("modification",), "revoked_certificate": ("certificate",)}


def _checks(codes: set[str], ran: set[str]) -> tuple[dict[str, str], ...]:
    """One line per check: ``failed`` when a reason says it failed; ``passed`` only when it
    ran to the end and held; otherwise ``not_checked`` (it could not run, or ran without an
    answer, e.g. revocation status unknown). A file that is not SAH never has every check
    passed: every reason code belongs to a check."""
    failed: set[str] = set()
    uncertain: set[str] = set()
    for code in codes:
        names = (_CODE_CHECK.get(code, "registry"), *_ALSO_FAILS.get(code, ()))
        (uncertain if code in UNCERTAIN else failed).update(names)
    out = []
    for name, label in CHECKS:
        if name in failed:
            status = FAILED
        elif name in ran and name not in uncertain:
            status = PASSED
        else:
            status = NOT_CHECKED
        out.append({"name": name, "label": label, "status": status})
    return tuple(out)


def _dedupe(reasons: list[VerifyReason]) -> list[VerifyReason]:
    seen: set[str] = set()
    out = []
    for r in reasons:
        if r.code not in seen:
            seen.add(r.code)
            out.append(r)
    return out
