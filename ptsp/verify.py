"""The one verification core behind ``ptsp verify`` and the web portal.

A decree is ``SAH`` only when every check passed: every signature intact, valid and covering
what a reader sees; the chain trusted; the signer the delegated Kepala Dinas for this permit type
at the signing time; a trusted signing time; and the registry knows the decree, its content
matches and it is still in force. A check that failed makes it ``TIDAK SAH``; a check that could
not be made makes it ``TIDAK DAPAT DIPASTIKAN``, never ``SAH``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from signer.delegation import Delegation, find_delegation
from signer.validate import TrustSettings, ValidationReport, validate_pdf

from .registry import Record, Registry, Status

SAH = "SAH"
TIDAK_SAH = "TIDAK SAH"
TIDAK_DAPAT_DIPASTIKAN = "TIDAK DAPAT DIPASTIKAN"

# Codes that mean "could not be checked" rather than "checked and wrong".
UNCERTAIN = frozenset({
    "revocation_unknown", "ades_indeterminate", "registry_unavailable", "no_trusted_time",
    "delegation_unknown",
})

STATUS_ID = {
    Status.ISSUED: "berlaku",
    Status.RESERVED: "belum diterbitkan",
    Status.VOIDED: "dibatalkan sebelum terbit",
    Status.WITHDRAWN: "ditarik",
    Status.CANCELLED: "dibatalkan",
    Status.REVOKED: "dicabut",
    Status.REPLACED: "diganti",
}


@dataclass(frozen=True)
class VerifyReason:
    code: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


@dataclass(frozen=True)
class RegistryCheck:
    found: bool
    status: str | None = None
    status_label: str | None = None
    hash_match: bool | None = None
    number: str | None = None
    permit: str | None = None
    permit_name: str | None = None
    holder_name: str | None = None
    holder_nik_masked: str | None = None
    issued_at: str | None = None
    replaced_by: str | None = None
    status_reason: str | None = None
    status_decree: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class VerifyResult:
    verdict: str
    reasons: tuple[VerifyReason, ...]
    number: str | None
    permit: str | None
    permit_name: str | None
    holder_name: str | None
    holder_nik_masked: str | None
    signer: str | None
    signer_title: str | None
    signed_at: str | None
    pades_level: str | None
    delegation: str | None
    registry: RegistryCheck
    file_sha256: str
    signatures: tuple[dict[str, Any], ...] = field(default=())

    @property
    def valid(self) -> bool:
        return self.verdict == SAH

    def as_dict(self) -> dict[str, Any]:
        """The documented JSON shape (README, "Verification JSON")."""
        return {
            "valid": self.valid,
            "verdict": self.verdict,
            "reasons": [r.as_dict() for r in self.reasons],
            "number": self.number,
            "permit": self.permit,
            "permit_name": self.permit_name,
            "holder": {"name": self.holder_name, "nik_masked": self.holder_nik_masked},
            "signer": self.signer,
            "signer_title": self.signer_title,
            "signed_at": self.signed_at,
            "pades_level": self.pades_level,
            "delegation": self.delegation,
            "registry": self.registry.as_dict(),
            "file_sha256": self.file_sha256,
            "signatures": list(self.signatures),
        }


def _claimed_number(data: bytes) -> str | None:
    """The registration number the file says it carries (its /Keywords ``nomor=...``)."""
    import io

    from pypdf import PdfReader

    try:
        meta = PdfReader(io.BytesIO(data)).metadata
        text = str(meta.get("/Keywords") or "") if meta else ""
    except Exception:  # any malformed file: no claim
        return None
    m = re.search(r"nomor=(\S{3,80})", text)
    return m.group(1) if m else None


def _lookup(registry: Registry | None, report: ValidationReport,
            claimed: str | None) -> tuple[Record | None, bool | None, str | None]:
    """(record, hash matches, error)."""
    if registry is None:
        return None, None, "registry_unavailable"
    try:
        for digest in (report.file_sha256, report.signed_revision_sha256):
            if digest:
                rec = registry.by_sha256(digest)
                if rec is not None:
                    return rec, True, None
        if claimed:
            rec = registry.get(claimed)
            if rec is not None:
                return rec, False, None
    except Exception:
        return None, None, "registry_unavailable"
    return None, None, None


def common_name(subject: str | None) -> str | None:
    """``"Common Name: X, Title: ..."`` (asn1crypto's human-friendly form) -> ``"X"``."""
    if not subject:
        return subject
    for part in subject.split(", "):
        if part.startswith("Common Name: "):
            return part[len("Common Name: "):]
    return subject


def verify_pdf(data: bytes, *, trust: TrustSettings, delegations: list[Delegation],
               registry: Registry | None, at: datetime | None = None) -> VerifyResult:
    """Check a decree file end to end. Never raises for bad input."""
    report = validate_pdf(data, trust, at=at)
    reasons: list[VerifyReason] = [VerifyReason(r.code, r.message) for r in report.all_reasons]
    main = report.last_approval
    signer = common_name(main.signer_subject) if main else None
    signed_at = main.signing_time if main else None
    # Registry first: the permit type decides which delegation applies.
    claimed = _claimed_number(data) if report.readable else None
    rec, match, reg_error = _lookup(registry, report, claimed) if report.readable \
        else (None, None, None)
    if reg_error:
        reasons.append(VerifyReason(reg_error, "Register izin tidak dapat dihubungi, sehingga "
                                    "status izin tidak dapat dipastikan."))
    elif report.readable and main is not None:
        if rec is None:
            reasons.append(VerifyReason("not_registered", "Dokumen ini tidak tercatat dalam "
                                        "register izin Dinas."))
        elif match is False:
            reasons.append(VerifyReason("hash_mismatch", f"Isi dokumen tidak sama dengan "
                                        f"keputusan Nomor {rec.number} yang tercatat."))
        elif rec.status in (Status.WITHDRAWN, Status.CANCELLED, Status.REVOKED):
            why = f" Alasan: {rec.status_reason}." if rec.status_reason else ""
            by = f" berdasarkan {rec.status_decree}" if rec.status_decree else ""
            reasons.append(VerifyReason(f"permit_{rec.status.value}",
                                        f"Izin ini telah {STATUS_ID[rec.status]}{by}.{why}"))
        elif rec.status == Status.REPLACED:
            reasons.append(VerifyReason("permit_replaced", "Keputusan ini telah diganti dengan "
                                        f"keputusan Nomor {rec.replaced_by}."))
        elif rec.status != Status.ISSUED:
            reasons.append(VerifyReason("permit_not_issued", "Nomor ini tidak tercatat sebagai "
                                        "izin yang telah diterbitkan."))
    delegation_text = None
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
            found, why = find_delegation(delegations, fingerprint=main.signer_fingerprint,
                                         subject=main.signer_subject, permit_code=permit,
                                         when=when)
            if found is None:
                reasons.append(VerifyReason(
                    "not_delegate", "Penanda tangan bukan pejabat yang menerima pendelegasian "
                    "kewenangan penandatanganan izin ini dari Bupati pada waktu penandatanganan."))
            else:
                delegation_text = found.decree_number
    codes = {r.code for r in reasons}
    if not reasons and report.ok:
        verdict = SAH
    elif codes and codes <= UNCERTAIN:
        verdict = TIDAK_DAPAT_DIPASTIKAN
    else:
        verdict = TIDAK_SAH
    if verdict == SAH and not report.ok:  # belt and braces: never SAH on a failed report
        verdict = TIDAK_SAH
    regcheck = RegistryCheck(found=False) if rec is None else RegistryCheck(
        found=True, status=rec.status.value, status_label=STATUS_ID.get(rec.status),
        hash_match=match, number=rec.number, permit=rec.permit,
        permit_name=(rec.data or {}).get("permit_name"), holder_name=rec.holder_name,
        holder_nik_masked=rec.holder_nik_masked,
        issued_at=rec.issued_at.isoformat() if rec.issued_at else None,
        replaced_by=rec.replaced_by, status_reason=rec.status_reason,
        status_decree=rec.status_decree)
    sigs = tuple({
        "field": s.field_name, "intact": s.intact, "valid": s.valid, "trusted": s.trusted,
        "doc_timestamp": s.is_doc_timestamp, "coverage": s.coverage,
        "modification_level": s.modification_level.value, "signer": s.signer_subject,
        "signing_time": s.signing_time.isoformat() if s.signing_time else None,
        "pades_level": s.pades_level, "reasons": [r.code for r in s.reasons],
    } for s in report.signatures)
    return VerifyResult(
        verdict=verdict, reasons=tuple(_dedupe(reasons)),
        number=rec.number if rec else claimed, permit=rec.permit if rec else None,
        permit_name=regcheck.permit_name, holder_name=rec.holder_name if rec else None,
        holder_nik_masked=rec.holder_nik_masked if rec else None, signer=signer,
        signer_title=main.signer_title if main else None,
        signed_at=signed_at.isoformat() if signed_at else None,
        pades_level=main.pades_level if main else None, delegation=delegation_text,
        registry=regcheck, file_sha256=report.file_sha256, signatures=sigs)


def _dedupe(reasons: list[VerifyReason]) -> list[VerifyReason]:
    seen: set[str] = set()
    out = []
    for r in reasons:
        if r.code not in seen:
            seen.add(r.code)
            out.append(r)
    return out
