"""Receipt numbers (nomor tanda terima) and the tracking view of one application.

A receipt is given to every application at intake in the office; with the last four digits of
the holder's NIK it opens ``/lacak`` on the portal. The view holds no personal data beyond the
holder's name and masked NIK: the SOP steps with the current one marked, the standard time, the
working days spent, and once the decree is issued its number and verification link.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from generator.applications import mask_nik
from generator.catalog import Catalog

from ..office.stages import IN_FORCE, PUBLIC_LABELS, PUBLIC_NOTES, Stage
from ..registry import engine as db
from ..registry.report import working_days_between
from .errors import NotFound
from .schema import receipts

#: Crockford's base32 without I, L, O, U: easy to read aloud and to type from paper.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
PREFIX = "TT"

#: The office's tracked steps in SOP order: (key, label, who acts).
STEPS = (
    ("diterima", "Permohonan diterima", "Front office"),
    ("draf", "Penyusunan draf keputusan", "Back office"),
    ("kasi", "Pemeriksaan dan paraf Kepala Seksi", "Kepala Seksi"),
    ("kabid", "Paraf Kepala Bidang", "Kepala Bidang"),
    ("kadis", "Penandatanganan Kepala Dinas", "Kepala Dinas"),
    ("terbit", "Keputusan terbit, siap diserahkan", "Back office"),
    ("diserahkan", "Keputusan diserahkan kepada pemohon", "Back office"),
)
#: Office workflow stage -> index of the current step in :data:`STEPS` (a revoked or voided
#: application stays at the first).
STAGE_STEP = {Stage.UPLOADED: 1, Stage.GENERATING: 1, Stage.FAILED: 1, Stage.RETURNED: 1,
              Stage.KASI: 2, Stage.KABID: 3, Stage.KADIS: 4, Stage.SIGNING: 4, Stage.SIGNED: 5,
              Stage.HANDED_OVER: 7}
#: Words of the SOP's activity that mark the step the office is at (first match wins).
SOP_KEYWORDS = {"kasi": ("memaraf", "paraf"), "kabid": ("memaraf", "paraf"),
                "kadis": ("menandatangani",), "diserahkan": ("menyerahkan", "penyerahan"),
                "terbit": ("menyerahkan", "penyerahan", "memproses persetujuan izin pada")}


def new_receipt() -> str:
    """``TT-XXXXX-XXXXX``: 50 random bits, so receipts cannot be enumerated."""
    body = "".join(secrets.choice(ALPHABET) for _ in range(10))
    return f"{PREFIX}-{body[:5]}-{body[5:]}"


def normalize_receipt(text: str) -> str:
    """Accept what people type: lower case, spaces, missing dashes, O for 0, I/L for 1."""
    s = "".join(c for c in text.upper() if c.isalnum())[:40]
    if s.startswith(PREFIX):
        s = s[len(PREFIX):]
    s = s.replace("O", "0").replace("I", "1").replace("L", "1")
    if len(s) != 10 or any(c not in ALPHABET for c in s):
        return ""
    return f"{PREFIX}-{s[:5]}-{s[5:]}"


@dataclass(frozen=True)
class Receipt:
    receipt: str
    application_id: str
    nik_last4: str
    survey_token: str
    created_at: datetime


def _nik_of(raw: dict[str, Any]) -> str:
    applicant = raw.get("applicant") if isinstance(raw.get("applicant"), dict) else {}
    nik = str((applicant or {}).get("nik") or raw.get("applicant.nik") or "")
    return "".join(c for c in nik if c.isdigit())


class ReceiptStore:
    """The ``applicant_receipts`` table."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def assign(self, apps: Iterable[tuple[str, dict[str, Any]]]) -> dict[str, str]:
        """Give each ``(application_id, raw record)`` a receipt unless it has one (a corrected
        re-upload keeps its receipt); returns application id -> receipt."""
        items = list(apps)
        if not items:
            return {}
        ids = [a for a, _ in items]
        out: dict[str, str] = {}
        with db.write(self.engine, "assigning receipt numbers") as conn:
            for chunk in range(0, len(ids), 500):
                part = ids[chunk:chunk + 500]
                for r in conn.execute(sa.select(receipts.c.application_id, receipts.c.receipt)
                                      .where(receipts.c.application_id.in_(part))):
                    out[r.application_id] = r.receipt
            now = datetime.now(UTC)
            for app_id, raw in items:
                if app_id in out:
                    continue
                receipt = new_receipt()
                conn.execute(receipts.insert().values(
                    receipt=receipt, application_id=app_id,
                    nik_last4=_nik_of(raw)[-4:], survey_token=secrets.token_urlsafe(24),
                    created_at=now))
                out[app_id] = receipt
        return out

    def _one(self, where: Any) -> Receipt | None:
        with db.read(self.engine, "reading a receipt") as conn:
            row = conn.execute(sa.select(receipts).where(where)).first()
        return Receipt(**row._mapping) if row else None

    def get(self, receipt: str) -> Receipt | None:
        return self._one(receipts.c.receipt == receipt)

    def for_application(self, application_id: str) -> Receipt | None:
        return self._one(receipts.c.application_id == application_id)

    def by_survey_token(self, token: str) -> Receipt | None:
        return self._one(receipts.c.survey_token == token)

    def for_applications(self, ids: Iterable[str]) -> dict[str, str]:
        ids = list(ids)
        out: dict[str, str] = {}
        with db.read(self.engine, "reading receipts") as conn:
            for chunk in range(0, len(ids), 500):
                for r in conn.execute(sa.select(receipts.c.application_id, receipts.c.receipt)
                                      .where(receipts.c.application_id.in_(
                                          ids[chunk:chunk + 500]))):
                    out[r.application_id] = r.receipt
        return out


@dataclass(frozen=True)
class TrackStep:
    key: str
    label: str
    actor: str
    state: str  # selesai | berjalan | menunggu


@dataclass(frozen=True)
class SopStep:
    no: int
    activity: str
    standard_time: str
    current: bool


@dataclass(frozen=True)
class Tracking:
    """What ``/lacak`` and ``ptsp track --json`` show of one application."""

    receipt: str
    permit: str
    permit_name: str
    holder_name: str
    holder_nik_masked: str
    received_on: date | None
    stage: str
    status_label: str
    note: str
    steps: tuple[TrackStep, ...]
    sop_steps: tuple[SopStep, ...]
    standard_time: str
    standard_days: int | None
    elapsed_working_days: int | None
    overdue: bool
    finished_on: date | None
    number: str | None
    verification_url: str | None
    survey_open: bool

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        for k in ("received_on", "finished_on"):
            d[k] = d[k].isoformat() if d[k] else None
        return d


def _sop_current(sop: list[Any], key: str) -> int | None:
    words = SOP_KEYWORDS.get(key)
    if not words:
        return None
    hits = [i for i, s in enumerate(sop) if any(w in s.activity.lower() for w in words)]
    if not hits:
        return None
    if key == "kabid" and len(hits) > 1:
        return hits[1]  # the second initial is the Kabid's
    if key in ("diserahkan",):
        return hits[-1]
    return hits[0]


def build_tracking(*, receipt: Receipt, app: Any, record: Any, catalog: Catalog,
                   verify_url: Any, timezone: str = "Asia/Makassar",
                   today: date | None = None) -> Tracking:
    """The tracking view of ``app`` (an office ``AppRow``) and its registry ``record``."""
    from ..office.board import FINISHED, allowed_days

    tz = ZoneInfo(timezone)
    today = today or datetime.now(tz).date()
    service = catalog.find(app.permit)
    allowed, standard = allowed_days(catalog, app.permit, app.raw.get("variant"))
    start = app.received_on or app.approved_on
    finished = app.signed_at.astimezone(tz).date() if app.signed_at and app.stage in FINISHED \
        else None
    elapsed = working_days_between(start, finished or today) if start else None
    current = STAGE_STEP.get(app.stage, 0)
    steps = tuple(TrackStep(k, label, actor,
                            "selesai" if i < current else "berjalan" if i == current
                            else "menunggu")
                  for i, (k, label, actor) in enumerate(STEPS))
    sop = list(service.steps) if service else []
    cur_key = STEPS[current][0] if current < len(STEPS) else "diserahkan"
    sop_cur = _sop_current(sop, cur_key)
    sop_steps = tuple(SopStep(i + 1, s.activity, s.time.describe() if s.time else "-",
                              i == sop_cur) for i, s in enumerate(sop))
    issued = record is not None and getattr(record.status, "value", "") == "issued"
    number = record.number if record is not None and app.stage in FINISHED else None
    link = verify_url(record.token) if issued and app.stage in FINISHED else None
    return Tracking(
        receipt=receipt.receipt, permit=app.permit,
        permit_name=service.name if service else app.permit, holder_name=app.holder_name,
        holder_nik_masked=mask_nik(_nik_of(app.raw)), received_on=start, stage=app.stage,
        status_label=PUBLIC_LABELS[app.stage],
        note=PUBLIC_NOTES.get(app.stage, ""), steps=steps, sop_steps=sop_steps,
        standard_time=standard, standard_days=allowed, elapsed_working_days=elapsed,
        overdue=allowed is not None and elapsed is not None and elapsed > allowed,
        finished_on=finished, number=number, verification_url=link,
        survey_open=app.stage in IN_FORCE)


def application_row(engine: Engine, application_id: str) -> Any:
    """The office's ``AppRow`` of ``application_id``."""
    from ..office.store import _app, applications

    with db.read(engine, "reading an application") as conn:
        row = conn.execute(sa.select(applications).where(
            applications.c.application_id == application_id)).first()
    return _app(row) if row else None


def track(engine: Engine, registry: Any, catalog: Catalog, verify_url: Any, receipt: str, *,
          nik_last4: str | None = None, timezone: str = "Asia/Makassar",
          today: date | None = None) -> Tracking:
    """Look an application up by its receipt (and, on the portal, the NIK's last 4 digits).

    Raises :class:`NotFound` with one message for every miss (unknown receipt, wrong digits,
    application removed), so an answer tells a guesser nothing."""
    miss = NotFound("Nomor tanda terima atau 4 digit terakhir NIK tidak cocok.")
    key = normalize_receipt(receipt)
    rec = ReceiptStore(engine).get(key) if key else None
    if rec is None:
        raise miss
    if nik_last4 is not None and not secrets.compare_digest(
            rec.nik_last4.encode(), nik_last4.strip().encode()[:8]):
        raise miss
    app = application_row(engine, rec.application_id)
    if app is None:
        raise miss
    record = registry.by_application(app.application_id) if app.number else None
    if record is not None and record.number != app.number:
        record = registry.get(app.number)
    return build_tracking(receipt=rec, app=app, record=record, catalog=catalog,
                          verify_url=verify_url, timezone=timezone, today=today)
