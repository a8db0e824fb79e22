"""The audit trail as people read it: Indonesian action names, details as labelled fields
(never a server file path), times in the office's time zone; filters and paging from the query.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from ..registry import AuditEntry
from ..timefmt import zone_name

PAGE_SIZE = 50

ACTION_LABELS = {
    "reserved": "Nomor dipesan",
    "issued": "Keputusan diterbitkan",
    "voided": "Nomor dibatalkan",
    "replaced": "Keputusan diganti (perbaikan)",
    "revoked": "Keputusan dicabut",
    "withdrawn": "Keputusan ditarik",
    "cancelled": "Keputusan dibatalkan",
    "login": "Masuk",
    "login_failed": "Gagal masuk",
    "logout": "Keluar",
    "upload": "Unggah permohonan",
    "void": "Batalkan permohonan",
    "generate": "Susun draf",
    "initial": "Paraf",
    "return": "Kembalikan draf",
    "sign": "Tandatangani",
    "sign_failed": "Gagal menandatangani",
    "download": "Unduh keputusan",
    "handover": "Serahkan keputusan",
    "user_add": "Tambah pengguna",
    "user_disable": "Nonaktifkan pengguna",
    "user_enable": "Aktifkan pengguna",
    "user_unlock": "Buka kunci pengguna",
    "user_password": "Atur ulang kata sandi",
    "password_change": "Ganti kata sandi",
    "archive_renewed": "Arsip diperbarui",
    "verify": "Verifikasi portal (lama)",
}

FIELD_LABELS = {
    "application_id": "Permohonan",
    "permit": "Jenis izin",
    "scope": "Lingkup nomor",
    "year": "Tahun",
    "seq": "Urutan",
    "reserved_at": "Dipesan",
    "issued_at": "Diterbitkan",
    "replaces": "Mengganti",
    "replaced_by": "Diganti oleh",
    "reason": "Alasan",
    "decree": "Dasar keputusan",
    "sha256": "SHA-256 draf",
    "signed_sha256": "SHA-256 bertanda tangan",
    "signer_subject": "Penanda tangan",
    "signer_fingerprint": "Sidik jari sertifikat",
    "username": "Pengguna",
    "role": "Peran",
    "upload": "Unggahan",
    "filename": "Nama berkas",
    "rows": "Baris",
    "job": "Pekerjaan",
    "drafted": "Draf disusun",
    "issued": "Diterbitkan",
    "failed": "Gagal",
    "numbers": "Nomor",
    "note": "Catatan",
    "verdict": "Hasil",
    "count": "Jumlah",
    "total": "Jumlah baris",
    "valid": "Baris sah",
    "rejected": "Baris ditolak",
}

ROLE_LABELS = {"backoffice": "Petugas", "kasi": "Kasi", "kabid": "Kabid",
               "kadis": "Kepala Dinas", "admin": "Admin"}
REASON_LABELS = {"key_unlock": "kunci tidak dapat dibuka", "bad_password": "kata sandi salah",
                 "unknown": "pengguna tidak dikenal", "locked": "akun terkunci",
                 "locked_now": "akun dikunci", "disabled": "akun nonaktif"}
#: Fields that hold a server path (or a secret-looking value): never shown.
HIDDEN_FIELDS = frozenset({"path", "out", "out_dir", "dir", "file", "pdf", "source_path"})


def action_label(action: str) -> str:
    return ACTION_LABELS.get(action, action.replace("_", " "))


def _looks_like_path(value: str) -> bool:
    return value.startswith(("/", "~", "\\")) or (len(value) > 2 and value[1:3] in (":\\", ":/"))


def _value(key: str, value: Any, tz: ZoneInfo) -> str | None:
    if value is None or value == "" or value == []:
        return None
    if isinstance(value, list):
        parts = [v for v in (_value(key, x, tz) for x in value) if v]
        return ", ".join(parts) if parts else None
    if isinstance(value, dict):
        inner = [f"{k}: {v}" for k, v in ((k, _value(k, x, tz)) for k, x in value.items())
                 if v and k not in HIDDEN_FIELDS]
        return "; ".join(inner) or None
    if isinstance(value, bool):
        return "ya" if value else "tidak"
    text = str(value)
    if key == "role":
        return ROLE_LABELS.get(text, text)
    if key == "reason":
        text = REASON_LABELS.get(text, text)
    if key.endswith("_at"):
        try:
            return fmt_time(datetime.fromisoformat(text), tz)
        except ValueError:
            pass
    if _looks_like_path(text):
        return None
    if key.endswith(("sha256", "fingerprint")) and len(text) > 16:
        return text[:16] + "…"
    return text


#: Labels that depend on the action (an upload's SHA-256 is the uploaded file's).
ACTION_FIELD_LABELS = {("upload", "sha256"): "SHA-256 berkas"}


def detail_fields(detail: dict[str, Any], tz: ZoneInfo,
                  action: str = "") -> list[tuple[str, str]]:
    """``(label, text)`` pairs of an entry's details, server paths left out."""
    out = []
    for key, value in detail.items():
        if key in HIDDEN_FIELDS or key.startswith("_"):
            continue
        text = _value(key, value, tz)
        if text:
            label = ACTION_FIELD_LABELS.get((action, key)) or FIELD_LABELS.get(
                key, key.replace("_", " ").capitalize())
            out.append((label, text))
    return out


def fmt_time(at: datetime, tz: ZoneInfo) -> str:
    local = at.astimezone(tz)
    return f"{local:%d-%m-%Y %H:%M:%S} {zone_name(local)}"


@dataclass(frozen=True)
class AuditQuery:
    """The filters and page of ``/kantor/audit``, read leniently from the query string (a bad
    value is ignored, never an error)."""

    actor: str = ""
    action: str = ""
    start: date | None = None
    end: date | None = None
    page: int = 1

    @classmethod
    def parse(cls, params: Any) -> AuditQuery:
        def day(name: str) -> date | None:
            try:
                return date.fromisoformat(str(params.get(name) or ""))
            except ValueError:
                return None

        try:
            page = max(1, min(int(str(params.get("hal") or "1")), 1_000_000))
        except ValueError:
            page = 1
        return cls(actor=str(params.get("pengguna") or "")[:120],
                   action=str(params.get("tindakan") or "")[:60],
                   start=day("dari"), end=day("sampai"), page=page)

    def bounds(self, tz: ZoneInfo) -> tuple[datetime | None, datetime | None]:
        """``[since, until)`` in the office's time zone, whole days."""
        since = datetime.combine(self.start, time(0), tz) if self.start else None
        until = (datetime.combine(self.end + timedelta(days=1), time(0), tz)
                 if self.end else None)
        return since, until

    def link(self, page: int) -> str:
        from urllib.parse import urlencode

        q = {"pengguna": self.actor, "tindakan": self.action,
             "dari": self.start.isoformat() if self.start else "",
             "sampai": self.end.isoformat() if self.end else "", "hal": str(page)}
        return "?" + urlencode({k: v for k, v in q.items() if v})


@dataclass(frozen=True)
class AuditRow:
    id: int
    at: str
    actor: str
    action: str
    action_label: str
    number: str
    fields: list[tuple[str, str]]


def audit_rows(entries: list[AuditEntry], tz: ZoneInfo) -> list[AuditRow]:
    return [AuditRow(e.id, fmt_time(e.at, tz), e.actor, e.action, action_label(e.action),
                     e.number or "", detail_fields(e.detail, tz, e.action)) for e in entries]
