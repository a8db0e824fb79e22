"""Monitoring (Pasal 11): the service-time (SLA) report and the CSV export of the registry.

Service time runs in working days (Monday-Friday, minus the holidays given) from the day the
complete application was received (``received_on``) to the day the decree was issued, or to
``today`` while it is still pending. Pasal 10: a permit not finished within its SOP time is deemed
effective, so a pending record past its standard time is flagged ``deemed_effective``.
The registry knows days, not minutes: a standard time of ``(days, minutes)`` allows
``days + minutes // workday_minutes`` working days (a 60-minute service must finish the same day).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from .audit import canonical_json
from .model import Record, Registry, Status

WORKDAY_MINUTES = 450  # 7.5 hours: the civil-service working day
DEFAULT_TIMEZONE = "Asia/Makassar"


def working_days_between(start: date, end: date, holidays: Iterable[date] = ()) -> int:
    """Working days after ``start`` up to and including ``end`` (0 when ``end <= start``).

    Received on Friday and issued on Monday is 1 working day; the same day is 0.
    """
    if end <= start:
        return 0
    off = set(holidays)
    full_weeks, rest = divmod((end - start).days, 7)
    # each full week holds 5 weekdays; only the holidays among them need a look
    days = full_weeks * 5 - sum(
        1 for h in off if start < h <= start + timedelta(weeks=full_weeks) and h.weekday() < 5
    )
    d = start + timedelta(weeks=full_weeks)
    for _ in range(rest):
        d += timedelta(days=1)
        if d.weekday() < 5 and d not in off:
            days += 1
    return days


@dataclass(frozen=True)
class SlaRow:
    number: str
    application_id: str
    permit: str
    status: Status
    received_on: date
    finished_on: date | None
    elapsed_working_days: int
    standard_working_days: int | None
    late: bool
    deemed_effective: bool

    @property
    def over_by(self) -> int | None:
        if self.standard_working_days is None:
            return None
        return max(0, self.elapsed_working_days - self.standard_working_days)

    def as_dict(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "application_id": self.application_id,
            "permit": self.permit,
            "status": self.status.value,
            "received_on": self.received_on.isoformat(),
            "finished_on": self.finished_on.isoformat() if self.finished_on else None,
            "elapsed_working_days": self.elapsed_working_days,
            "standard_working_days": self.standard_working_days,
            "over_by": self.over_by,
            "late": self.late,
            "deemed_effective": self.deemed_effective,
        }


@dataclass(frozen=True)
class SlaReport:
    today: date
    permit: str | None
    date_from: date | None
    date_to: date | None
    rows: tuple[SlaRow, ...]
    skipped_no_received_date: int = 0
    unknown_permits: tuple[str, ...] = field(default=())

    @property
    def late(self) -> tuple[SlaRow, ...]:
        return tuple(r for r in self.rows if r.late)

    def summary(self) -> dict[str, dict[str, Any]]:
        """Per permit: count, finished, pending, late, deemed effective, mean elapsed days."""
        out: dict[str, dict[str, Any]] = {}
        for r in self.rows:
            s = out.setdefault(r.permit, {"count": 0, "finished": 0, "pending": 0, "late": 0,
                                          "deemed_effective": 0, "standard_working_days":
                                          r.standard_working_days, "_elapsed": 0})
            s["count"] += 1
            s["finished" if r.finished_on else "pending"] += 1
            s["late"] += r.late
            s["deemed_effective"] += r.deemed_effective
            s["_elapsed"] += r.elapsed_working_days
        for s in out.values():
            s["mean_working_days"] = round(s.pop("_elapsed") / s["count"], 2)
        return dict(sorted(out.items()))

    def as_dict(self) -> dict[str, Any]:
        return {
            "today": self.today.isoformat(),
            "permit": self.permit,
            "from": self.date_from.isoformat() if self.date_from else None,
            "to": self.date_to.isoformat() if self.date_to else None,
            "count": len(self.rows),
            "late_count": len(self.late),
            "skipped_no_received_date": self.skipped_no_received_date,
            "unknown_permits": list(self.unknown_permits),
            "summary": self.summary(),
            "late": [r.as_dict() for r in self.late],
            "rows": [r.as_dict() for r in self.rows],
        }


def sla_report(
    registry: Registry,
    standard_times: dict[str, tuple[int, int]],
    *,
    permit: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    today: date | None = None,
    holidays: Iterable[date] = (),
    workday_minutes: int = WORKDAY_MINUTES,
) -> SlaReport:
    """Service times of the registry's decrees against the catalog's standard times.

    Voided numbers and corrections (records that replace another) are left out: the original
    record measures the service. ``date_from``/``date_to`` filter on ``received_on``, inclusive.
    """
    tz = ZoneInfo(getattr(getattr(registry, "numbering", None), "timezone", DEFAULT_TIMEZONE))
    today = today or datetime.now(tz).date()
    off = frozenset(holidays)
    rows: list[SlaRow] = []
    skipped = 0
    unknown: set[str] = set()
    for rec in sorted(registry.list(permit=permit), key=lambda r: (r.received_on or today,
                                                                  r.number)):
        if rec.status is Status.VOIDED or rec.replaces:
            continue
        if rec.received_on is None:
            skipped += 1
            continue
        if (date_from and rec.received_on < date_from) or (date_to and rec.received_on > date_to):
            continue
        rows.append(_row(rec, standard_times, today, off, workday_minutes, tz, unknown))
    return SlaReport(today, permit, date_from, date_to, tuple(rows), skipped,
                     tuple(sorted(unknown)))


def _row(
    rec: Record,
    standard_times: dict[str, tuple[int, int]],
    today: date,
    holidays: frozenset[date],
    workday_minutes: int,
    tz: ZoneInfo,
    unknown: set[str],
) -> SlaRow:
    assert rec.received_on is not None
    finished = rec.issued_at.astimezone(tz).date() if rec.issued_at else None
    elapsed = working_days_between(rec.received_on, finished or today, holidays)
    std = standard_times.get(rec.permit)
    if std is None:
        unknown.add(rec.permit)
        allowed = None
    else:
        allowed = int(std[0]) + int(std[1]) // workday_minutes
    late = allowed is not None and elapsed > allowed
    return SlaRow(rec.number, rec.application_id, rec.permit, rec.status, rec.received_on,
                  finished, elapsed, allowed, late, late and finished is None)


CSV_COLUMNS = (
    "number", "application_id", "permit", "status", "scope", "year", "seq", "holder_name",
    "holder_nik_masked", "received_on", "approved_on", "reserved_at", "issued_at", "sha256",
    "signed_sha256", "path", "signer_subject", "signer_fingerprint", "replaces", "replaced_by",
    "status_reason", "status_decree", "status_changed_at", "data",
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, Status):
        return value.value
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, dict):
        value = canonical_json(value)
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value  # spreadsheets must not run applicant-typed text as a formula
    return value


def export_csv(registry: Registry, out: TextIO, *, status: Status | None = Status.ISSUED) -> int:
    """Write the registry book (one row per number, in number order) as CSV; returns the row
    count. ``status=None`` exports every record. The verification token is never exported."""
    recs = sorted(registry.list(status=status), key=lambda r: (r.year, r.scope, r.seq))
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for rec in recs:
        writer.writerow([_cell(getattr(rec, col)) for col in CSV_COLUMNS])
    return len(recs)
