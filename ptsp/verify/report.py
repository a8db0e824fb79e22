"""The verification report as a PDF in Bahasa Indonesia: something an applicant can hand to a
bank or a court. It states the verdict and its reasons, each check, what was checked (the
file's SHA-256, the signatures, timestamps, chain and revocation evidence), when, and against
which trust roots - the same content as the result page, from the same
:meth:`~ptsp.verify.VerifyResult.as_dict` document.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import PtspError

FONT_DIRS = (Path("/usr/share/fonts/truetype/liberation"),
             Path("/usr/share/fonts/truetype/dejavu"))
_FONTS = {"": ("LiberationSans-Regular.ttf", "DejaVuSans.ttf"),
          "B": ("LiberationSans-Bold.ttf", "DejaVuSans-Bold.ttf")}
CHECK_STATE = {"passed": "Lulus", "failed": "Gagal", "not_checked": "Tidak dapat diperiksa",
               "unknown": "Tidak dapat diperiksa"}


class ReportError(PtspError):
    """The report PDF could not be made (e.g. no font)."""


def _font(style: str) -> Path:
    for name in _FONTS[style]:
        for d in FONT_DIRS:
            if (d / name).exists():
                return d / name
    raise ReportError("no TrueType font for the verification report (install "
                      "fonts-liberation)")


def report_pdf(doc: dict[str, Any], *, office: str) -> bytes:
    """The report of one verification (``doc`` is ``VerifyResult.as_dict()``), as PDF bytes."""
    from fpdf import FPDF

    from ..timefmt import people_time as fmt_datetime
    from .verdict import REVOCATION_STATUS_ID

    pdf = FPDF(format="A4")
    pdf.set_title(f"Laporan verifikasi: {doc['verdict']}")
    pdf.set_author(office)
    pdf.add_font("Sans", "", str(_font("")))
    pdf.add_font("Sans", "B", str(_font("B")))
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_page()
    width = pdf.w - pdf.l_margin - pdf.r_margin

    def heading(text: str, size: int = 12) -> None:
        pdf.ln(2)
        pdf.set_font("Sans", "B", size)
        pdf.multi_cell(width, 7, text, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Sans", "", 10)

    def line(label: str, value: Any) -> None:
        pdf.set_font("Sans", "B", 10)
        pdf.multi_cell(width, 5, label, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Sans", "", 10)
        pdf.multi_cell(width, 5, str(value if value not in (None, "") else "-"),
                       new_x="LMARGIN", new_y="NEXT")

    heading("LAPORAN HASIL VERIFIKASI DOKUMEN ELEKTRONIK", 14)
    pdf.multi_cell(width, 5, office, new_x="LMARGIN", new_y="NEXT")
    heading(f"Hasil verifikasi: {doc['verdict']}", 16)
    line("Waktu pemeriksaan", fmt_datetime(doc.get("checked_at")))
    line("SHA-256 berkas yang diperiksa", doc["file_sha256"])
    if doc.get("reasons"):
        heading("Alasan")
        for r in doc["reasons"]:
            pdf.multi_cell(width, 5, f"- {r['message']} ({r['code']})",
                           new_x="LMARGIN", new_y="NEXT")
    heading("Pemeriksaan")
    for c in doc["checks"]:
        pdf.multi_cell(width, 5, f"{c['label']}: {CHECK_STATE.get(c['status'], c['status'])}",
                       new_x="LMARGIN", new_y="NEXT")
    other = any(r["code"] == "not_this_decree" for r in doc.get("reasons") or ())
    heading("Rincian berkas yang diunggah (keputusan lain, bukan keputusan yang dirujuk kode QR)"
            if other else "Rincian keputusan")
    holder = doc.get("holder") or {}
    for label, value in (("Nomor", doc.get("number")), ("Jenis izin", doc.get("permit_name")),
                         ("Pemegang izin", holder.get("name")),
                         ("Penanda tangan", doc.get("signer")),
                         ("Jabatan", doc.get("signer_title")),
                         ("Waktu tanda tangan", fmt_datetime(doc.get("signed_at"))),
                         ("Tingkat tanda tangan", f"PAdES {doc['pades_level']}"
                          if doc.get("pades_level") else None),
                         ("Pendelegasian", doc.get("delegation")),
                         ("Status dalam register", (doc.get("registry") or {}).get(
                             "status_label"))):
        line(label, value)
    heading("Rincian teknis")
    line("Waktu tanda tangan terbaik", fmt_datetime(doc.get("best_signature_time")))
    for t in doc.get("trust_roots") or ():
        line("Akar tepercaya", f"{t['subject']} (SHA-256 {t['fingerprint']})")
    for s in doc.get("signatures") or ():
        kind = "Stempel waktu dokumen" if s.get("doc_timestamp") else "Tanda tangan"
        heading(f"{kind} ({s['field']})", 11)
        cert = s.get("certificate") or {}
        line("Sertifikat", cert.get("subject"))
        line("Penerbit sertifikat", cert.get("issuer"))
        line("Nomor seri", cert.get("serial"))
        line("Masa berlaku", f"{fmt_datetime(cert.get('not_before'))} s.d. "
                             f"{fmt_datetime(cert.get('not_after'))}" if cert else None)
        line("Algoritme", s.get("signature_algorithm"))
        line("Waktu menurut stempel waktu", fmt_datetime(s.get("signing_time")))
        if s.get("tsa"):
            line("Penerbit stempel waktu (TSA)", s["tsa"]["subject"])
        line("Rantai sertifikat", "; ".join(c["subject"] for c in s.get("chain") or ()) or
             "tidak ditemukan rantai ke akar tepercaya")
        for rv in s.get("revocation") or ():
            about = f" untuk {rv['certificate']}" if rv.get("certificate") else ""
            line("Data pencabutan", f"{rv['source'].upper()} dari {rv['issuer']}, dibuat "
                 f"{fmt_datetime(rv['produced_at'])}{about}: "
                 f"{REVOCATION_STATUS_ID.get(rv['status'], rv['status'])}")
    pdf.ln(4)
    pdf.set_font("Sans", "", 8)
    pdf.multi_cell(width, 4, "Laporan ini dibuat otomatis oleh layanan verifikasi. Keabsahan "
                   "dokumen dapat diperiksa ulang kapan saja dengan mengunggah berkas yang sama "
                   "(SHA-256 di atas).", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
