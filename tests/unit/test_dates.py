from datetime import date

import pytest

from generator.dates import add_years, diktum_ordinal, long_date, roman, spell


@pytest.mark.parametrize("d, text", [
    (date(2021, 3, 10), "10 Maret 2021"),
    (date(2026, 1, 1), "1 Januari 2026"),
    (date(2026, 12, 31), "31 Desember 2026"),
    (date(2024, 8, 17), "17 Agustus 2024"),
])
def test_long_date(d, text):
    assert long_date(d) == text


def test_roman_months():
    assert [roman(m) for m in range(1, 13)] == [
        "I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII"]
    with pytest.raises(ValueError):
        roman(0)


def test_spell():
    assert spell(1) == "satu"
    assert spell(11) == "sebelas"
    assert spell(14) == "empat belas"
    assert spell(25) == "dua puluh lima"
    assert spell(100) == "seratus"
    assert spell(180) == "seratus delapan puluh"
    assert spell(2021) == "dua ribu dua puluh satu"
    assert spell(1000) == "seribu"


def test_diktum_and_years():
    assert diktum_ordinal(0) == "KESATU"
    assert diktum_ordinal(4) == "KELIMA"
    assert add_years(date(2024, 2, 29), 1) == date(2025, 2, 28)
