"""The status board: per application, its SOP step and the time spent against the catalog's
standard time (Pasal 10(1): a permit not finished within its standard time is overdue)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from generator.catalog import Catalog

from ..registry.report import WORKDAY_MINUTES, working_days_between
from .stages import ACTORS, LABELS, SIGNED, Stage
from .store import AppRow

FINISHED = frozenset(SIGNED)


@dataclass(frozen=True)
class BoardRow:
    app: AppRow
    permit_name: str
    step: str
    actor: str
    start: date | None
    elapsed: int | None
    allowed: int | None
    standard: str
    overdue: bool
    finished_on: date | None


def allowed_days(catalog: Catalog, permit: str, variant: str | None) -> tuple[int | None, str]:
    service = catalog.find(permit)
    if service is None:
        return None, "-"
    std = service.standard_time
    v = service.variant(variant) if variant else None
    if v is not None and v.standard_time is not None:
        std = v.standard_time
    if std is None:
        return None, "-"
    return std.working_days + std.minutes // WORKDAY_MINUTES, std.describe()


def board_rows(apps: list[AppRow], catalog: Catalog, *, today: date | None = None,
               timezone: str = "Asia/Makassar") -> list[BoardRow]:
    tz = ZoneInfo(timezone)
    today = today or datetime.now(tz).date()
    rows = []
    for a in apps:
        if a.stage == Stage.VOIDED:
            continue
        service = catalog.find(a.permit)
        allowed, standard = allowed_days(catalog, a.permit, a.raw.get("variant"))
        start = a.received_on or a.approved_on
        finished = a.signed_at.astimezone(tz).date() if a.signed_at and a.stage in FINISHED \
            else None
        elapsed = working_days_between(start, finished or today) if start else None
        overdue = allowed is not None and elapsed is not None and elapsed > allowed
        rows.append(BoardRow(a, service.name if service else a.permit, LABELS[a.stage],
                             ACTORS[a.stage], start, elapsed, allowed, standard, overdue,
                             finished))
    return rows
