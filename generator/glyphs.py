"""Which characters the decree can print: the repertoire of its embedded fonts.

The templates set Arial; LibreOffice draws it with the metric-compatible Liberation Sans
(fontconfig's substitute, Debian ``fonts-liberation``) and embeds a subset of it in the PDF
(``pdffonts``: LiberationSans, -Bold, -Italic). A character outside that font's ``cmap`` comes
out as an empty box in the decree while its text layer keeps the character, so application
text is checked against :data:`DECREE_FONT_RANGES` before a number is reserved.

The ranges are the characters common to Liberation Sans Regular, Bold, Italic and Bold Italic
(668 code points), read from the fonts' ``cmap`` with fontTools by
:func:`ranges_from_fonts`; ``tests/unit/test_glyphs.py`` checks every one is still in the
installed fonts. Regenerate with ``python -m generator.glyphs``.
"""

from __future__ import annotations

import unicodedata
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from pathlib import Path

__all__ = ["DECREE_FONT_FILES", "DECREE_FONT_RANGES", "drawable", "ranges_from_fonts",
           "undrawable"]

DECREE_FONT_FILES = tuple(
    Path("/usr/share/fonts/truetype/liberation") / f"LiberationSans-{style}.ttf"
    for style in ("Regular", "Bold", "Italic", "BoldItalic")
)

#: Inclusive code point ranges every decree font can draw.
DECREE_FONT_RANGES: tuple[tuple[int, int], ...] = (
    (0x0020, 0x007E), (0x00A0, 0x017F), (0x0192, 0x0192), (0x01FA, 0x01FF), (0x0218, 0x021B),
    (0x02C6, 0x02C7), (0x02C9, 0x02C9), (0x02D8, 0x02DD), (0x037E, 0x037E), (0x0384, 0x038A),
    (0x038C, 0x038C), (0x038E, 0x03A1), (0x03A3, 0x03CE), (0x0400, 0x045F), (0x0472, 0x0473),
    (0x0490, 0x0491), (0x1E80, 0x1E85), (0x1EF2, 0x1EF3), (0x2010, 0x2011), (0x2013, 0x2015),
    (0x2017, 0x201E), (0x2020, 0x2022), (0x2026, 0x2026), (0x2030, 0x2030), (0x2032, 0x2033),
    (0x2039, 0x203A), (0x203C, 0x203C), (0x203E, 0x203E), (0x2044, 0x2044), (0x207F, 0x207F),
    (0x20A3, 0x20A4), (0x20A7, 0x20A7), (0x20AC, 0x20AC), (0x2105, 0x2105), (0x2113, 0x2113),
    (0x2116, 0x2116), (0x2122, 0x2122), (0x2126, 0x2126), (0x212E, 0x212E), (0x215B, 0x215E),
    (0x2190, 0x2195), (0x21A8, 0x21A8), (0x2202, 0x2202), (0x2206, 0x2206), (0x220F, 0x220F),
    (0x2211, 0x2212), (0x2215, 0x2215), (0x2219, 0x221A), (0x221E, 0x221F), (0x2229, 0x2229),
    (0x222B, 0x222B), (0x2248, 0x2248), (0x2260, 0x2261), (0x2264, 0x2265), (0x2302, 0x2302),
    (0x2310, 0x2310), (0x2320, 0x2321), (0x2500, 0x2500), (0x2502, 0x2502), (0x250C, 0x250C),
    (0x2510, 0x2510), (0x2514, 0x2514), (0x2518, 0x2518), (0x251C, 0x251C), (0x2524, 0x2524),
    (0x252C, 0x252C), (0x2534, 0x2534), (0x253C, 0x253C), (0x2550, 0x256C), (0x2580, 0x2580),
    (0x2584, 0x2584), (0x2588, 0x2588), (0x258C, 0x258C), (0x2590, 0x2593), (0x25A0, 0x25A1),
    (0x25AA, 0x25AC), (0x25B2, 0x25B2), (0x25BA, 0x25BA), (0x25BC, 0x25BC), (0x25C4, 0x25C4),
    (0x25CA, 0x25CB), (0x25CF, 0x25CF), (0x25D8, 0x25D9), (0x25E6, 0x25E6), (0x263A, 0x263C),
    (0x2640, 0x2640), (0x2642, 0x2642), (0x2660, 0x2660), (0x2663, 0x2663), (0x2665, 0x2666),
    (0x266A, 0x266C), (0xF001, 0xF002), (0xF005, 0xF005), (0xFB01, 0xFB02),
)
_STARTS = [a for a, _ in DECREE_FONT_RANGES]
#: Layout, not glyphs: allowed wherever text may hold them.
_LAYOUT = frozenset("\t\n")


def drawable(ch: str) -> bool:
    """Whether the decree fonts have a glyph for the character ``ch``."""
    if ch in _LAYOUT:
        return True
    cp = ord(ch)
    i = bisect_right(_STARTS, cp) - 1
    return i >= 0 and DECREE_FONT_RANGES[i][0] <= cp <= DECREE_FONT_RANGES[i][1]


def undrawable(text: str) -> list[str]:
    """The distinct characters of ``text`` (taken as NFC) the decree fonts cannot draw, in
    order of appearance."""
    seen: list[str] = []
    for ch in unicodedata.normalize("NFC", text):
        if not drawable(ch) and ch not in seen:
            seen.append(ch)
    return seen


def ranges_from_fonts(paths: Iterable[Path]) -> list[tuple[int, int]]:
    """Inclusive ranges of the code points every font of ``paths`` maps (needs fontTools)."""
    from fontTools.ttLib import TTFont

    common: set[int] | None = None
    for path in paths:
        cmap = set(TTFont(str(path), lazy=True).getBestCmap())
        common = cmap if common is None else common & cmap
    return _to_ranges(sorted(common or ()))


def _to_ranges(cps: Sequence[int]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for cp in cps:
        if out and cp == out[-1][1] + 1:
            out[-1] = (out[-1][0], cp)
        else:
            out.append((cp, cp))
    return out


if __name__ == "__main__":
    for a, b in ranges_from_fonts(DECREE_FONT_FILES):
        print(f"(0x{a:04X}, 0x{b:04X}),")
