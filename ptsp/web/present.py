"""How results look on the portal: Indonesian dates, verdict colours, status badges."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from ..registry import Record, Status
from ..verify import SAH, STATUS_ID, TIDAK_DAPAT_DIPASTIKAN, TIDAK_SAH, VerifyResult

WITA = ZoneInfo("Asia/Makassar")
MONTHS = ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus",
          "September", "Oktober", "November", "Desember")

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
    "unknown": ("Tidak dapat dipastikan", "pasti"),
    "not_checked": ("Tidak diperiksa", "lewat"),
}
STATUS_CLASS = {
    Status.ISSUED.value: "sah",
    Status.REPLACED.value: "tidak-pasti",
    Status.RESERVED.value: "tidak-pasti",
}


def fmt_datetime(value: str | datetime | None) -> str:
    """``2026-11-27T23:56:44+00:00`` -> ``28 November 2026, 07.56 WITA``."""
    if not value:
        return "-"
    try:
        dt = datetime.fromisoformat(value) if isinstance(value, str) else value
    except ValueError:
        return str(value)
    if dt.tzinfo is not None:
        dt = dt.astimezone(WITA)
    return f"{dt.day} {MONTHS[dt.month - 1]} {dt.year}, {dt:%H.%M} WITA"


def fmt_date(value: str | date | datetime | None) -> str:
    if not value:
        return "-"
    try:
        d = datetime.fromisoformat(value) if isinstance(value, str) else value
    except ValueError:
        return str(value)
    if isinstance(d, datetime) and d.tzinfo is not None:
        d = d.astimezone(WITA)
    return f"{d.day} {MONTHS[d.month - 1]} {d.year}"


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
    """What the result page needs, computed once."""
    return {
        "r": result,
        "verdict_class": VERDICT_CLASS[result.verdict],
        "verdict_text": VERDICT_TEXT[result.verdict],
        "checks": [{**c, "state": CHECK_STATUS[c["status"]][0],
                    "css": CHECK_STATUS[c["status"]][1]} for c in result.checks],
        "signed_at": fmt_datetime(result.signed_at),
        "issued_at": fmt_date(result.registry.issued_at),
        "badge": status_badge(result.registry.status) if result.registry.found else None,
    }


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
