"""Indonesian long dates, Roman months and day counts used in decrees."""

from __future__ import annotations

from datetime import date

MONTHS = (
    "Januari", "Februari", "Maret", "April", "Mei", "Juni",
    "Juli", "Agustus", "September", "Oktober", "November", "Desember",
)
DAYS = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")
_ROMAN = ((10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I"))


def long_date(d: date) -> str:
    """``date(2021, 3, 10)`` -> ``"10 Maret 2021"`` (no leading zero, as decrees print it)."""
    return f"{d.day} {MONTHS[d.month - 1]} {d.year}"


def day_name(d: date) -> str:
    return DAYS[d.weekday()]


def roman(n: int) -> str:
    """Roman numeral for 1..39 (months, diktum numbers)."""
    if not 1 <= n <= 39:
        raise ValueError(f"roman numeral out of range: {n}")
    out = []
    for value, sym in _ROMAN:
        while n >= value:
            out.append(sym)
            n -= value
    return "".join(out)


ORDINALS = (
    "KESATU", "KEDUA", "KETIGA", "KEEMPAT", "KELIMA", "KEENAM", "KETUJUH",
    "KEDELAPAN", "KESEMBILAN", "KESEPULUH", "KESEBELAS", "KEDUA BELAS",
    "KETIGA BELAS", "KEEMPAT BELAS", "KELIMA BELAS",
)


def diktum_ordinal(i: int) -> str:
    """0 -> ``KESATU``, 1 -> ``KEDUA`` ... (the numbering of a decree's diktum)."""
    return ORDINALS[i]


_UNITS = ("", "satu", "dua", "tiga", "empat", "lima", "enam", "tujuh", "delapan", "sembilan",
          "sepuluh", "sebelas")


def spell(n: int) -> str:
    """Spell a non-negative integer in Indonesian (``5`` -> ``lima``), as in "5 (lima) tahun"."""
    if n < 0:
        raise ValueError("negative")
    if n < 12:
        return _UNITS[n] if n else "nol"
    if n < 20:
        return f"{_UNITS[n - 10]} belas"
    if n < 100:
        tens, rest = divmod(n, 10)
        return f"{_UNITS[tens]} puluh" + (f" {_UNITS[rest]}" if rest else "")
    if n < 200:
        return "seratus" + (f" {spell(n - 100)}" if n > 100 else "")
    if n < 1000:
        h, rest = divmod(n, 100)
        return f"{_UNITS[h]} ratus" + (f" {spell(rest)}" if rest else "")
    if n < 2000:
        return "seribu" + (f" {spell(n - 1000)}" if n > 1000 else "")
    if n < 1_000_000:
        th, rest = divmod(n, 1000)
        return f"{spell(th)} ribu" + (f" {spell(rest)}" if rest else "")
    raise ValueError("too large")


def add_years(d: date, years: int) -> date:
    """Same day ``years`` later; 29 February falls back to 28 February."""
    try:
        return d.replace(year=d.year + years)
    except ValueError:
        return d.replace(year=d.year + years, day=28)
