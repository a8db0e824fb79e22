"""Times on the office pages: the office's own zone (WITA in Balangan), long Indonesian dates
for people, ISO 8601 with the offset for machines (the JSON of a job)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from generator.dates import MONTHS

#: Indonesia's three zones by their usual names; elsewhere the offset is shown.
ZONE_NAMES = {"Asia/Makassar": "WITA", "Asia/Jakarta": "WIB", "Asia/Pontianak": "WIB",
              "Asia/Jayapura": "WIT"}


class Clock:
    """Formats stored UTC times in ``timezone`` (a profile's ``[office].timezone``)."""

    def __init__(self, timezone: str = "Asia/Makassar") -> None:
        self.zone = ZoneInfo(timezone)
        self.name = ZONE_NAMES.get(timezone, "")

    def local(self, value: datetime) -> datetime:
        if value.tzinfo is None:  # stored times are UTC
            value = value.replace(tzinfo=UTC)
        return value.astimezone(self.zone)

    def _zone(self, value: datetime) -> str:
        return self.name or value.strftime("UTC%z")

    def waktu(self, value: datetime | None) -> str:
        """``3 Desember 2026 pukul 15.58 WITA`` (``-`` for nothing)."""
        if value is None:
            return "-"
        t = self.local(value)
        return f"{t.day} {MONTHS[t.month - 1]} {t.year} pukul {t:%H.%M} {self._zone(t)}"

    def jam(self, value: datetime | None) -> str:
        """``15.58 WITA``."""
        if value is None:
            return "-"
        t = self.local(value)
        return f"{t:%H.%M} {self._zone(t)}"

    def tanggal(self, value: date | datetime | None) -> str:
        """``3 Desember 2026``; a time is first moved into the office's zone."""
        if value is None:
            return "-"
        if isinstance(value, datetime):
            value = self.local(value).date()
        return f"{value.day} {MONTHS[value.month - 1]} {value.year}"

    def iso(self, value: datetime | None) -> str | None:
        """``2026-12-03T15:58:00+08:00`` (for JSON)."""
        return None if value is None else self.local(value).isoformat(timespec="seconds")
