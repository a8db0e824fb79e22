from datetime import UTC, date, datetime

import pytest

from ptsp.registry import (
    InvalidRequest,
    NumberingError,
    NumberingPolicy,
    format_number,
    month_roman,
)
from ptsp.registry.numbering import office_date, scope_key


def test_month_roman_all_months() -> None:
    assert [month_roman(m) for m in range(1, 13)] == [
        "I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII"]
    with pytest.raises(InvalidRequest):
        month_roman(13)


def test_default_pattern() -> None:
    n = format_number(NumberingPolicy(), seq=7, permit="PBG", on=date(2025, 3, 10))
    assert n == "503/0007/PBG/DPMPTSP-BLG/III/2025"


def test_pad_office_and_month_fields() -> None:
    policy = NumberingPolicy(pattern="{office}-{year}{month}-{seq}", pad=6, office="BLG")
    assert format_number(policy, seq=12, permit="X", on=date(2025, 11, 1)) == "BLG-202511-000012"
    # a sequence longer than the pad is not cut
    assert format_number(NumberingPolicy(pad=2), seq=123, permit="P", on=date(2025, 1, 1)) \
        .startswith("503/123/")


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"pattern": "503/{permit}/{year}"}, "seq"),
        ({"pattern": "503/{seq}/{permit}"}, "year"),
        ({"pattern": "503/{seq}/{year}", "scope": "permit_year"}, "permit"),
        ({"pattern": "503/{seq}/{year}/{bogus}"}, "bogus"),
        ({"pattern": "503/{seq/{year}"}, "malformed"),
        ({"scope": "office_month"}, "scope"),
        ({"pad": 0}, "pad"),
        ({"timezone": "Mars/Olympus"}, "time zone"),
    ],
)
def test_policies_that_could_repeat_numbers_are_refused(kwargs: dict, fragment: str) -> None:
    with pytest.raises(NumberingError, match=fragment):
        NumberingPolicy(**kwargs)


def test_scope_keys() -> None:
    assert scope_key(NumberingPolicy(), "PBG") == "office"
    assert scope_key(NumberingPolicy(scope="permit_year"), "PBG") == "permit:PBG"


def test_office_date_is_wita() -> None:
    policy = NumberingPolicy()
    # 16:30 UTC on 31 December is 00:30 WITA on 1 January: the number belongs to the new year
    assert office_date(policy, datetime(2025, 12, 31, 16, 30, tzinfo=UTC)) == date(2026, 1, 1)
    assert office_date(policy, datetime(2025, 12, 31, 15, 59, tzinfo=UTC)) == date(2025, 12, 31)
    with pytest.raises(InvalidRequest, match="timezone-aware"):
        office_date(policy, datetime(2025, 1, 1))
