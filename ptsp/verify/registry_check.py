"""The registry's side of a verification: which decree the file is, and whether it is in
force (what the report shows of it: the masked NIK only)."""

from __future__ import annotations

from ..registry import Record, Registry, Status
from .result import RegistryCheck, VerifyReason

STATUS_ID = {
    Status.ISSUED: "berlaku",
    Status.RESERVED: "belum diterbitkan",
    Status.VOIDED: "dibatalkan sebelum terbit",
    Status.WITHDRAWN: "ditarik",
    Status.CANCELLED: "dibatalkan",
    Status.REVOKED: "dicabut",
    Status.REPLACED: "diganti",
}


def _lookup(registry: Registry | None, digests: list[tuple[str, str | None]],
            claimed: str | None) -> tuple[Record | None, str | None, str | None]:
    """(record, matched_on, error): matched_on "file" / "signed_revision" / None (no match)."""
    if registry is None:
        return None, None, "registry_unavailable"
    try:
        for kind, digest in digests:
            if digest:
                rec = registry.by_sha256(digest)
                if rec is not None:
                    return rec, kind, None
        if claimed:
            rec = registry.get(claimed)
            if rec is not None:
                return rec, None, None
    except Exception:  # noqa: BLE001 - the verdict says the registry could not be reached
        return None, None, "registry_unavailable"
    return None, None, None


def registry_check(rec: Record | None, *, hash_match: bool | None = None,
                   matched_on: str | None = None) -> RegistryCheck:
    """What the report shows of a registry record (masked NIK only)."""
    if rec is None:
        return RegistryCheck(found=False)
    return RegistryCheck(
        found=True, status=rec.status.value, status_label=STATUS_ID.get(rec.status),
        hash_match=hash_match, matched_on=matched_on, number=rec.number, permit=rec.permit,
        permit_name=(rec.data or {}).get("permit_name"), holder_name=rec.holder_name,
        holder_nik_masked=rec.holder_nik_masked,
        issued_at=rec.issued_at.isoformat() if rec.issued_at else None,
        replaced_by=rec.replaced_by, replaces=rec.replaces, status_reason=rec.status_reason,
        status_decree=rec.status_decree,
        status_changed_at=rec.status_changed_at.isoformat() if rec.status_changed_at else None)


def status_reasons(rec: Record) -> list[VerifyReason]:
    """Why a registered decree is not (or no longer) in force; empty when it is."""
    if rec.status in (Status.WITHDRAWN, Status.CANCELLED, Status.REVOKED):
        why = f" Alasan: {rec.status_reason}." if rec.status_reason else ""
        by = f" berdasarkan {rec.status_decree}" if rec.status_decree else ""
        return [VerifyReason(f"permit_{rec.status.value}",
                             f"Izin ini telah {STATUS_ID[rec.status]}{by}.{why}")]
    if rec.status == Status.REPLACED:
        return [VerifyReason("permit_replaced", "Keputusan ini telah diganti dengan keputusan "
                             f"Nomor {rec.replaced_by}.")]
    if rec.status != Status.ISSUED:
        return [VerifyReason("permit_not_issued", "Nomor ini tidak tercatat sebagai izin yang "
                             "telah diterbitkan.")]
    return []
