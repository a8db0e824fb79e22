"""Registration number formatting: patterns, Roman months, counter scopes, the office's date."""

from __future__ import annotations

import string
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from generator.dates import roman

from .errors import InvalidRequest, NumberingError
from .model import NumberingPolicy

FIELDS = frozenset({"seq", "permit", "month_roman", "month", "year", "office"})


def month_roman(month: int) -> str:
    """``1`` -> ``"I"`` ... ``12`` -> ``"XII"`` (the month as Indonesian decrees write it;
    the numerals are :func:`generator.dates.roman`'s, the one place they are spelled)."""
    if not 1 <= month <= 12:
        raise InvalidRequest(f"month out of range: {month}")
    return roman(month)


def pattern_fields(pattern: str) -> set[str]:
    try:
        return {name for _, name, _, _ in string.Formatter().parse(pattern) if name is not None}
    except ValueError as e:
        raise NumberingError(f"numbering pattern {pattern!r} is malformed: {e}") from e


def validate_policy(policy: NumberingPolicy) -> None:
    """Refuse a policy that could give two decrees one number."""
    names = pattern_fields(policy.pattern)
    unknown = names - FIELDS
    if unknown:
        raise NumberingError(
            f"numbering pattern {policy.pattern!r} has unknown field(s) "
            f"{', '.join(sorted(unknown))}; allowed: {', '.join(sorted(FIELDS))}"
        )
    missing = {"seq", "year"} - names
    if policy.scope == "permit_year":
        missing |= {"permit"} - names
    if missing:
        raise NumberingError(
            f"numbering pattern {policy.pattern!r} lacks {', '.join(sorted(missing))}: numbers of "
            f"scope {policy.scope!r} would repeat"
        )
    if policy.scope not in ("office_year", "permit_year"):
        raise NumberingError(f"unknown numbering scope {policy.scope!r}")
    if not 1 <= policy.pad <= 12:
        raise NumberingError(f"numbering pad must be 1..12, not {policy.pad}")
    if "office" in names and not policy.office:
        raise NumberingError("numbering pattern uses {office} but the policy has no office code")
    try:
        ZoneInfo(policy.timezone)
    except (ZoneInfoNotFoundError, ValueError) as e:
        raise NumberingError(f"unknown time zone {policy.timezone!r} in numbering policy") from e


def scope_key(policy: NumberingPolicy, permit: str) -> str:
    """The counter a reservation draws from (together with the year)."""
    return "office" if policy.scope == "office_year" else f"permit:{permit}"


def office_date(policy: NumberingPolicy, when: datetime) -> date:
    """The calendar date at the office for an aware instant."""
    if when.tzinfo is None or when.utcoffset() is None:
        raise InvalidRequest(f"timestamps must be timezone-aware, got naive {when.isoformat()}")
    return when.astimezone(ZoneInfo(policy.timezone)).date()


def format_number(policy: NumberingPolicy, *, seq: int, permit: str, on: date) -> str:
    """Render a registration number, e.g. ``503/0007/PBG/DPMPTSP-BLG/III/2025``."""
    if seq < 1:
        raise InvalidRequest(f"sequence numbers start at 1, got {seq}")
    return policy.pattern.format(
        seq=str(seq).zfill(policy.pad),
        permit=permit,
        month_roman=month_roman(on.month),
        month=f"{on.month:02d}",
        year=on.year,
        office=policy.office,
    )


def utcnow() -> datetime:
    return datetime.now(UTC)
