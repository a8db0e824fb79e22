"""One module formats times for people (``ptsp.timefmt``); the outputs are those of the
formatters it replaced (``ptsp.office.timefmt.Clock``, ``ptsp.verify``'s ``people_time`` and
``iso_wita``, the portal's ``fmt_date``, the audit page's zone names, the survey PDF's dates)."""

from __future__ import annotations

import importlib
from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from ptsp import timefmt, verify
from ptsp.applicant.survey_pdf import _day
from ptsp.office.audit_view import fmt_time
from ptsp.timefmt import Clock, iso_wita, people_date, people_time
from ptsp.web import present

NEW_YEAR_UTC = datetime(2026, 12, 31, 16, 30, tzinfo=UTC)  # 00.30 WITA on 1 January 2027


def test_one_home():
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("ptsp.office.timefmt")
    assert verify.people_time is people_time and verify.iso_wita is iso_wita
    assert present.fmt_datetime is people_time and present.fmt_date is people_date
    assert importlib.import_module("ptsp.office.app").Clock is Clock


@pytest.mark.parametrize(("value", "expected"), [
    (None, "-"), ("", "-"),
    ("2026-11-27T23:56:44+00:00", "28 November 2026, 07.56 WITA"),
    ("2026-11-27T23:56:44", "28 November 2026, 07.56 WITA"),  # naive: UTC
    ("bukan waktu", "bukan waktu"),
    (NEW_YEAR_UTC, "1 Januari 2027, 00.30 WITA"),
    (NEW_YEAR_UTC.replace(tzinfo=None), "1 Januari 2027, 00.30 WITA"),
    (datetime(2026, 1, 1, 1, 2, tzinfo=timezone(timedelta(hours=-5))),
     "1 Januari 2026, 14.02 WITA"),
])
def test_people_time(value, expected):
    assert people_time(value) == expected


@pytest.mark.parametrize(("value", "expected"), [
    (None, "-"), ("", "-"),
    ("2026-11-27T23:56:44+00:00", "28 November 2026"),
    ("2026-11-27T23:56:44", "27 November 2026"),  # naive: the date as written
    ("bukan waktu", "bukan waktu"),
    (NEW_YEAR_UTC, "1 Januari 2027"),
    (date(2026, 2, 3), "3 Februari 2026"),
])
def test_people_date(value, expected):
    assert people_date(value) == expected


def test_iso_wita():
    assert iso_wita(None) is None
    assert iso_wita(NEW_YEAR_UTC) == "2027-01-01T00:30:00+08:00"
    assert iso_wita(NEW_YEAR_UTC.replace(tzinfo=None)) == "2027-01-01T00:30:00+08:00"


@pytest.mark.parametrize(("zone", "waktu", "jam"), [
    ("Asia/Makassar", "1 Januari 2027 pukul 00.30 WITA", "00.30 WITA"),
    ("Asia/Jakarta", "31 Desember 2026 pukul 23.30 WIB", "23.30 WIB"),
    ("Asia/Pontianak", "31 Desember 2026 pukul 23.30 WIB", "23.30 WIB"),
    ("Asia/Jayapura", "1 Januari 2027 pukul 01.30 WIT", "01.30 WIT"),
    ("Europe/Amsterdam", "31 Desember 2026 pukul 17.30 UTC+0100", "17.30 UTC+0100"),
])
def test_office_clock(zone, waktu, jam):
    c = Clock(zone)
    assert c.waktu(NEW_YEAR_UTC) == c.waktu(NEW_YEAR_UTC.replace(tzinfo=None)) == waktu
    assert c.jam(NEW_YEAR_UTC) == jam
    assert c.tanggal(NEW_YEAR_UTC) == waktu.split(" pukul")[0]
    assert c.tanggal(date(2026, 5, 6)) == "6 Mei 2026"
    assert c.waktu(None) == c.jam(None) == c.tanggal(None) == "-" and c.iso(None) is None


def test_office_clock_iso():
    assert Clock().iso(NEW_YEAR_UTC) == "2027-01-01T00:30:00+08:00"
    assert Clock("UTC").iso(NEW_YEAR_UTC) == "2026-12-31T16:30:00+00:00"


@pytest.mark.parametrize(("zone", "expected"), [
    ("Asia/Makassar", "01-01-2027 00:30:00 WITA"),
    ("Asia/Jakarta", "31-12-2026 23:30:00 WIB"),
    ("Asia/Pontianak", "31-12-2026 23:30:00 WIB"),
    ("Asia/Jayapura", "01-01-2027 01:30:00 WIT"),
    ("Europe/Amsterdam", "31-12-2026 17:30:00 CET"),
])
def test_audit_page_times_name_the_zone(zone, expected):
    assert fmt_time(NEW_YEAR_UTC, ZoneInfo(zone)) == expected
    assert timefmt.zone_name(NEW_YEAR_UTC.astimezone(ZoneInfo(zone))) == expected.split()[-1]


def test_survey_pdf_dates():
    assert _day(date(2026, 8, 17)) == "17 Agustus 2026" and _day(None) == "-"
