"""Times and dates for people, in the office's zone (WITA in Balangan): the one home of this
formatting for the CLI, the verification result and report, the portal and the office pages.

* :func:`people_time` -- ``28 November 2026, 07.56 WITA`` (verification: CLI, portal, report);
* :func:`people_date` -- ``28 November 2026`` (the portal's dates);
* :func:`iso_wita` -- ISO 8601 with the WITA offset (the verification JSON);
* :class:`Clock` -- the office pages, in the profile's ``[office].timezone``: ``waktu``,
  ``jam``, ``tanggal`` and ``iso`` (a job's JSON);
* :func:`zone_name` -- ``WITA``/``WIB``/``WIT`` for Indonesia's zones.

Stored times are UTC; a naive value is taken as UTC.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from generator.dates import long_date

#: Balangan's zone: the verification result and the portal speak WITA.
WITA = ZoneInfo("Asia/Makassar")
#: Indonesia's three zones by their usual names; elsewhere the offset is shown.
ZONE_NAMES = {"Asia/Makassar": "WITA", "Asia/Jakarta": "WIB", "Asia/Pontianak": "WIB",
              "Asia/Jayapura": "WIT"}


def _aware(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def zone_name(local: datetime) -> str:
    """``WITA`` for a time in Asia/Makassar (likewise WIB, WIT); else the zone's abbreviation."""
    key = getattr(local.tzinfo, "key", "")
    return ZONE_NAMES.get(str(key), local.strftime("%Z"))


def iso_wita(value: datetime | None) -> str | None:
    """ISO 8601 with the WITA offset (``2026-11-28T07:56:44+08:00``); None stays None."""
    if value is None:
        return None
    return _aware(value).astimezone(WITA).isoformat()


def people_time(value: str | datetime | None) -> str:
    """A time for people, in WITA: ``28 November 2026, 07.56 WITA`` ("-" when unknown; a string
    that is not ISO 8601 is shown as it is)."""
    if not value:
        return "-"
    try:
        dt = datetime.fromisoformat(value) if isinstance(value, str) else value
    except ValueError:
        return str(value)
    dt = _aware(dt).astimezone(WITA)
    return f"{long_date(dt.date())}, {dt:%H.%M} WITA"


def people_date(value: str | date | datetime | None) -> str:
    """``28 November 2026``; an aware time is first moved into WITA ("-" when unknown)."""
    if not value:
        return "-"
    try:
        d = datetime.fromisoformat(value) if isinstance(value, str) else value
    except ValueError:
        return str(value)
    if isinstance(d, datetime) and d.tzinfo is not None:
        d = d.astimezone(WITA)
    return long_date(d)


class Clock:
    """Formats stored UTC times in ``timezone`` (a profile's ``[office].timezone``)."""

    def __init__(self, timezone: str = "Asia/Makassar") -> None:
        self.zone = ZoneInfo(timezone)
        self.name = ZONE_NAMES.get(timezone, "")

    def local(self, value: datetime) -> datetime:
        return _aware(value).astimezone(self.zone)

    def _zone(self, value: datetime) -> str:
        return self.name or value.strftime("UTC%z")

    def waktu(self, value: datetime | None) -> str:
        """``3 Desember 2026 pukul 15.58 WITA`` (``-`` for nothing)."""
        if value is None:
            return "-"
        t = self.local(value)
        return f"{long_date(t)} pukul {t:%H.%M} {self._zone(t)}"

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
        return long_date(value)

    def iso(self, value: datetime | None) -> str | None:
        """``2026-12-03T15:58:00+08:00`` (for JSON)."""
        return None if value is None else self.local(value).isoformat(timespec="seconds")
