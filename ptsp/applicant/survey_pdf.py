"""The SKM report as a printable one-page PDF (A4): the index, its grade, and one bar per element.

Written directly as PDF operators (Helvetica, vector bars), so the text stays selectable and no
office suite or plotting library is needed.
"""

from __future__ import annotations

from datetime import date

from generator.dates import long_date

from .survey import GRADES, SurveyReport

W, H = 595.0, 842.0  # A4 in points


def _esc(text: str) -> str:
    raw = text.encode("cp1252", "replace").decode("latin-1")
    return raw.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def _num(x: float, places: int = 2) -> str:
    return f"{x:.{places}f}".replace(".", ",")


def _day(d: date | None) -> str:
    return long_date(d) if d else "-"


class _Page:
    def __init__(self) -> None:
        self.ops: list[str] = []

    def text(self, x: float, y: float, s: str, size: float = 10, bold: bool = False) -> None:
        font = "F2" if bold else "F1"
        self.ops.append(f"BT /{font} {size} Tf {x:.1f} {y:.1f} Td ({_esc(s)}) Tj ET")

    def rect(self, x: float, y: float, w: float, h: float, rgb: tuple[float, float, float],
             fill: bool = True) -> None:
        r, g, b = rgb
        op = "f" if fill else "S"
        colour = f"{r:.3f} {g:.3f} {b:.3f} {'rg' if fill else 'RG'}"
        self.ops.append(f"q {colour} 0.5 w {x:.1f} {y:.1f} {w:.1f} {h:.1f} re {op} Q")

    def line(self, x1: float, y1: float, x2: float, y2: float, grey: float = 0.6) -> None:
        self.ops.append(f"q {grey:.2f} G 0.5 w {x1:.1f} {y1:.1f} m {x2:.1f} {y2:.1f} l S Q")


def report_pdf(report: SurveyReport, *, office: str, regency: str,
               printed_on: date) -> bytes:
    """One A4 page: heading, period and respondents, the IKM with its grade, the elements'
    means as bars on the 1..4 scale, and the conversion table of the regulation."""
    p = _Page()
    y = H - 60
    p.text(50, y, "LAPORAN SURVEI KEPUASAN MASYARAKAT (SKM)", 14, bold=True)
    y -= 18
    p.text(50, y, f"{office} {regency}", 11)
    y -= 14
    p.text(50, y, "Pasal 11 ayat (3) Perbup Balangan 16/2021; Permenpan RB Nomor 14 Tahun 2017",
           9)
    y -= 24
    period = (f"{_day(report.start)} s.d. {_day(report.end)}" if report.start or report.end
              else "seluruh data")
    p.text(50, y, f"Periode: {period}", 10)
    y -= 14
    p.text(50, y, f"Jumlah responden: {report.respondents}", 10)
    y -= 26
    if report.ikm is None:
        p.text(50, y, "Belum ada responden pada periode ini.", 12, bold=True)
    else:
        p.text(50, y, f"IKM unit pelayanan: {_num(report.ikm)}", 16, bold=True)
        y -= 18
        p.text(50, y, f"Mutu pelayanan: {report.grade} ({report.performance})   "
                      f"Nilai interval: {_num(report.interval or 0, 4)}", 11)
    y -= 34
    p.text(50, y, "Nilai rata-rata per unsur (skala 1-4)", 11, bold=True)
    y -= 10
    x0, bar_w, row_h = 215.0, 260.0, 26.0
    top = y
    for i, e in enumerate(report.elements):
        yy = top - (i + 1) * row_h
        p.text(50, yy + 8, f"U{i + 1} {e.name}", 9)
        width = bar_w * max(0.0, e.mean) / 4
        p.rect(x0, yy + 3, bar_w, 16, (0.93, 0.93, 0.93))
        if e.mean:
            p.rect(x0, yy + 3, width, 16, (0.10, 0.36, 0.62))
        p.text(x0 + bar_w + 8, yy + 8, f"{_num(e.mean)}  ({_num(e.converted)})", 9)
    bottom = top - len(report.elements) * row_h
    for tick in range(5):
        x = x0 + bar_w * tick / 4
        p.line(x, bottom, x, top - 2)
        p.text(x - 2, bottom - 12, str(tick), 8)
    y = bottom - 40
    p.text(50, y, "Tabel konversi (Permenpan RB 14/2017)", 11, bold=True)
    y -= 16
    rows = (("Interval IKM", "Konversi IKM", "Mutu", "Kinerja unit pelayanan"),
            ("3,5324 - 4,00", "88,31 - 100,00", "A", "Sangat Baik"),
            ("3,0644 - 3,532", "76,61 - 88,30", "B", "Baik"),
            ("2,60 - 3,064", "65,00 - 76,60", "C", "Kurang Baik"),
            ("1,00 - 2,5996", "25,00 - 64,99", "D", "Tidak Baik"))
    assert len(GRADES) == len(rows) - 1
    for j, row in enumerate(rows):
        for k, cell in enumerate(row):
            p.text(50 + k * 120, y, cell, 9, bold=(j == 0 or row[2] == report.grade))
        y -= 14
    y -= 10
    p.text(50, y, "IKM = (jumlah nilai rata-rata per unsur x 1/9) x 25.", 8)
    p.text(50, 40, f"Dicetak {_day(printed_on)}", 8)
    return _document("\n".join(p.ops).encode("latin-1"))


def _document(content: bytes) -> bytes:
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        (f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {W:.0f} {H:.0f}] "
         "/Resources << /Font << /F1 5 0 R /F2 6 0 R >> >> /Contents 4 0 R >>").encode(),
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold "
        b"/Encoding /WinAnsiEncoding >>",
        b"<< /Title (Laporan SKM) /Producer (ptsp) >>",
    ]
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    out += (b"trailer\n<< /Size %d /Root 1 0 R /Info %d 0 R >>\nstartxref\n%d\n%%%%EOF\n"
            % (len(objects) + 1, len(objects), xref))
    return bytes(out)
