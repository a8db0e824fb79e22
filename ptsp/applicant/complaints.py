"""Complaints (pengaduan) per the SOP Layanan Pengaduan (503/20/SOP/DPMPSTP-BLG/2021).

Filed on the portal (name, contact, the decree or receipt concerned, text, an optional PDF or
image up to 5 MB), each gets a random complaint number that opens its status page. The office
moves it ``diterima`` -> ``diproses`` -> ``selesai`` (with its answer). Every action goes into
the registry's audit chain (done by the callers, who know the actor).

The SOP's table gives no time for its steps ("-"); the office queue measures each complaint
against :data:`STANDARD_DAYS` working days, a setting of this module until the office fixes one.
"""

from __future__ import annotations

import secrets
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ..registry import engine as db
from ..registry.report import working_days_between
from .errors import ApplicantError, NotFound, TooLarge
from .schema import complaints
from .track import ALPHABET

STATUSES = {"diterima": "Diterima", "diproses": "Diproses", "selesai": "Selesai"}
NEXT = {"diterima": ("diproses", "selesai"), "diproses": ("selesai",), "selesai": ()}
STANDARD_DAYS = 14
MAX_ATTACHMENT = 5 * 1024 * 1024
LIMITS = {"name": 150, "contact": 150, "about": 160, "text": 4000, "answer": 4000}
#: magic bytes -> (media type, file suffix)
KINDS = ((b"%PDF-", "application/pdf", ".pdf"), (b"\x89PNG\r\n\x1a\n", "image/png", ".png"),
         (b"\xff\xd8\xff", "image/jpeg", ".jpg"))


def new_number(today: date) -> str:
    """``ADU-YYMM-XXXXXXXX``: the month helps the office, 40 random bits keep pages private."""
    body = "".join(secrets.choice(ALPHABET) for _ in range(8))
    return f"ADU-{today:%y%m}-{body}"


def clean(text: str, limit: int, *, multiline: bool = False) -> str:
    """Printable text only (no control or bidi-override characters), trimmed to ``limit``."""
    keep = []
    for c in text.replace("\r\n", "\n"):
        cat = unicodedata.category(c)
        if c == "\n" and multiline:
            keep.append(c)
        elif cat.startswith("C"):  # controls, format chars (bidi overrides), private use
            keep.append(" " if c in "\t\n" else "")
        else:
            keep.append(c)
    return "".join(keep).strip()[:limit]


def sniff_attachment(data: bytes) -> tuple[str, str]:
    """The media type and suffix of a PDF, PNG or JPEG by its first bytes (never by its name)."""
    for magic, media, suffix in KINDS:
        if data.startswith(magic):
            return media, suffix
    raise ApplicantError("Lampiran harus berupa PDF atau gambar (PNG/JPEG).")


@dataclass(frozen=True)
class Complaint:
    number: str
    name: str
    contact: str
    about: str
    text: str
    attachment_name: str | None
    attachment_type: str | None
    attachment_path: str | None
    status: str
    answer: str | None
    handled_by: str | None
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None

    @property
    def status_label(self) -> str:
        return STATUSES.get(self.status, self.status)

    def public_dict(self) -> dict[str, Any]:
        """What the complainant's status page shows (no contact, no attachment path)."""
        return {"number": self.number, "status": self.status, "status_label": self.status_label,
                "about": self.about, "text": self.text, "answer": self.answer,
                "created_at": self.created_at.isoformat(),
                "updated_at": self.updated_at.isoformat(),
                "closed_at": self.closed_at.isoformat() if self.closed_at else None,
                "has_attachment": bool(self.attachment_path)}


@dataclass(frozen=True)
class QueueRow:
    complaint: Complaint
    received_on: date
    elapsed: int
    allowed: int
    overdue: bool


class ComplaintStore:
    """The ``applicant_complaints`` table and the attachments' folder."""

    def __init__(self, engine: Engine, files_dir: Path) -> None:
        self.engine = engine
        self.files_dir = Path(files_dir)

    def file(self, *, name: str, contact: str, about: str, text: str,
             attachment: tuple[str, bytes] | None, today: date) -> Complaint:
        name = clean(name, LIMITS["name"])
        contact = clean(contact, LIMITS["contact"])
        about = clean(about, LIMITS["about"])
        text = clean(text, LIMITS["text"], multiline=True)
        missing = [label for label, v in (("nama", name), ("kontak", contact),
                                          ("isi pengaduan", text)) if not v]
        if missing:
            raise ApplicantError(f"Lengkapi {', '.join(missing)}.")
        att_name = att_type = att_path = None
        data, suffix = b"", ""
        if attachment is not None and attachment[1]:
            att_name, data = attachment
            if len(data) > MAX_ATTACHMENT:
                raise TooLarge("Lampiran terlalu besar (maksimal 5 MB).")
            att_type, suffix = sniff_attachment(data)
            att_name = clean(Path(att_name.replace("\\", "/")).name, 120) or f"lampiran{suffix}"
        now = datetime.now(UTC)
        number = new_number(today)
        if data:
            self.files_dir.mkdir(parents=True, exist_ok=True)
            path = self.files_dir / f"{number}{suffix}"
            tmp = path.with_suffix(".part")
            tmp.write_bytes(data)
            tmp.replace(path)
            att_path = str(path)
        with db.write(self.engine, "storing a complaint") as conn:
            conn.execute(complaints.insert().values(
                number=number, name=name, contact=contact, about=about, text=text,
                attachment_name=att_name, attachment_type=att_type, attachment_path=att_path,
                status="diterima", created_at=now, updated_at=now))
        got = self.get(number)
        assert got is not None
        return got

    def get(self, number: str) -> Complaint | None:
        number = number.strip().upper()[:40]
        with db.read(self.engine, "reading a complaint") as conn:
            row = conn.execute(sa.select(complaints).where(complaints.c.number == number)).first()
        return Complaint(**row._mapping) if row else None

    def entries(self, statuses: tuple[str, ...] | None = None) -> list[Complaint]:
        q = sa.select(complaints).order_by(complaints.c.created_at)
        if statuses:
            q = q.where(complaints.c.status.in_(statuses))
        with db.read(self.engine, "listing complaints") as conn:
            return [Complaint(**r._mapping) for r in conn.execute(q)]

    def move(self, number: str, to: str, *, actor: str, answer: str | None = None) -> Complaint:
        """Change the status (only forward); ``selesai`` needs the office's answer."""
        if to not in STATUSES:
            raise ApplicantError("Status tidak dikenal.")
        answer = clean(answer or "", LIMITS["answer"], multiline=True) or None
        if to == "selesai" and not answer:
            raise ApplicantError("Tuliskan jawaban kantor sebelum menyelesaikan pengaduan.")
        now = datetime.now(UTC)
        with db.write(self.engine, "updating a complaint") as conn:
            row = conn.execute(sa.select(complaints.c.status).where(
                complaints.c.number == number)).first()
            if row is None:
                raise NotFound("Pengaduan tidak ditemukan.")
            if to not in NEXT[row.status]:
                raise ApplicantError(f"Pengaduan berstatus {STATUSES[row.status]} tidak dapat "
                                     f"diubah menjadi {STATUSES[to]}.")
            values: dict[str, Any] = {"status": to, "updated_at": now, "handled_by": actor}
            if to == "selesai":
                values |= {"answer": answer, "closed_at": now}
            conn.execute(sa.update(complaints).where(complaints.c.number == number)
                         .values(**values))
        got = self.get(number)
        assert got is not None
        return got

    def queue(self, *, timezone: str = "Asia/Makassar", today: date | None = None,
              include_closed: bool = False) -> list[QueueRow]:
        """Open complaints (oldest first) with working days spent against the standard."""
        tz = ZoneInfo(timezone)
        today = today or datetime.now(tz).date()
        statuses = None if include_closed else ("diterima", "diproses")
        out = []
        for c in self.entries(statuses):
            start = c.created_at.astimezone(tz).date()
            end = c.closed_at.astimezone(tz).date() if c.closed_at else today
            elapsed = working_days_between(start, end)
            out.append(QueueRow(c, start, elapsed, STANDARD_DAYS, elapsed > STANDARD_DAYS))
        return out
