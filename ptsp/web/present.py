"""How results look on the portal: Indonesian dates, verdict colours, status badges."""

from __future__ import annotations

from typing import Any

from ..registry import Record, Status
from ..timefmt import people_date, people_time
from ..verify import (
    REVOCATION_STATUS_ID,
    SAH,
    STATUS_ID,
    TIDAK_DAPAT_DIPASTIKAN,
    TIDAK_SAH,
    VerifyResult,
)

VERDICT_CLASS = {SAH: "sah", TIDAK_SAH: "tidak-sah", TIDAK_DAPAT_DIPASTIKAN: "tidak-pasti"}
VERDICT_TEXT = {
    SAH: "Dokumen ini asli, utuh, ditandatangani oleh pejabat berwenang, dan tercatat berlaku.",
    TIDAK_SAH: "Jangan terima dokumen ini sebagai keputusan yang sah.",
    TIDAK_DAPAT_DIPASTIKAN: "Keabsahan dokumen belum dapat dipastikan. Hubungi DPMPTSP untuk "
                            "konfirmasi.",
}
CHECK_STATUS = {
    "passed": ("Lulus", "ok"),
    "failed": ("Gagal", "gagal"),
    "unknown": ("Tidak dapat diperiksa", "lewat"),
    "not_checked": ("Tidak dapat diperiksa", "lewat"),
}
STATUS_CLASS = {
    Status.ISSUED.value: "sah",
    Status.REPLACED.value: "tidak-pasti",
    Status.RESERVED.value: "tidak-pasti",
}


#: Times and dates on the portal's pages (the one formatter: :mod:`ptsp.timefmt`).
fmt_datetime = people_time
fmt_date = people_date


def status_badge(status: str | None) -> dict[str, str]:
    """``{"label": "DICABUT", "css": "tidak-sah"}`` for a registry status value."""
    if status is None:
        return {"label": "TIDAK TERCATAT", "css": "tidak-sah"}
    try:
        label = STATUS_ID[Status(status)].upper()
    except ValueError:
        label = status.upper()
    return {"label": label, "css": STATUS_CLASS.get(status, "tidak-sah")}


def result_view(result: VerifyResult) -> dict[str, Any]:
    """What the result page needs, computed once.

    ``other_decree`` is set when the file was uploaded on another decree's QR page: the page
    then says so first and shows nothing green (no status badge, the check marks neutral)
    beside the red verdict."""
    other = next((r for r in result.reasons if r.code == "not_this_decree"), None)
    checks = []
    for c in result.checks:
        state, css = CHECK_STATUS[c["status"]]
        if other is not None and css == "ok":
            css = "netral"
        checks.append({**c, "state": state, "css": css})
    return {
        "r": result,
        "verdict_class": VERDICT_CLASS[result.verdict],
        "verdict_text": VERDICT_TEXT[result.verdict],
        "checks": checks,
        "signed_at": fmt_datetime(result.signed_at),
        "checked_at": fmt_datetime(result.checked_at),
        "best_time": fmt_datetime(result.best_signature_time),
        "issued_at": fmt_date(result.registry.issued_at),
        "badge": (status_badge(result.registry.status)
                  if result.registry.found and other is None else None),
        "other_decree": other,
        "own_number": result.registry.number or result.claimed_number,
        "signatures": [signature_view(s) for s in result.signatures],
    }


def signature_view(sig: dict[str, Any]) -> dict[str, Any]:
    """One signature or document timestamp of the technical details, dates for people."""
    def cert(c: dict[str, Any] | None) -> dict[str, Any] | None:
        if c is None:
            return None
        return {**c, "not_before": fmt_datetime(c["not_before"]),
                "not_after": fmt_datetime(c["not_after"])}

    return {**sig, "signing_time": fmt_datetime(sig.get("signing_time")),
            "certificate": cert(sig.get("certificate")),
            "chain": [cert(c) for c in sig.get("chain") or ()],
            "tsa": cert(sig.get("tsa")),
            "revocation": [{**r, "status": REVOCATION_STATUS_ID.get(r["status"], r["status"]),
                            "produced_at": fmt_datetime(r["produced_at"]),
                            "next_update": fmt_datetime(r["next_update"])}
                           for r in sig.get("revocation") or ()]}


def decree_view(rec: Record) -> dict[str, Any]:
    """What the QR landing page shows of a registered decree (masked NIK only)."""
    return {
        "number": rec.number,
        "permit": rec.permit,
        "permit_name": (rec.data or {}).get("permit_name") or rec.permit,
        "holder_name": rec.holder_name,
        "holder_nik_masked": rec.holder_nik_masked,
        "issued_at": fmt_date(rec.issued_at),
        "badge": status_badge(rec.status.value),
        "status_reason": rec.status_reason,
        "status_decree": rec.status_decree,
        "status_changed_at": fmt_date(rec.status_changed_at),
        "replaced_by": rec.replaced_by,
        "in_force": rec.status is Status.ISSUED,
    }
