"""Compose the per-permit DOCX decree templates from one shared layout and ``decrees.toml``.

The shared parts (letterhead, heading, Mengingat tail, signature block, footer, Tembusan) are
written once, here; what differs per permit (title, Menimbang, legal basis, diktum, holder details)
comes from the catalog. The output, ``templates/permits/<CODE>.docx``, is an ordinary docxtpl
template a clerk can open and edit in LibreOffice or Word.

``MANIFEST.json`` records the SHA-256 of each file as built: a file edited by hand no longer matches
and is not overwritten unless ``--force`` is given.

    python -m generator.build_templates [--check] [--force] [CODE ...]
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import re
import sys
import zipfile
from pathlib import Path

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

from .catalog import TEMPLATES_DIR, Catalog, Service, load_catalog
from .slim import slim_parts

# Tata naskah dinas (Permendagri 1/2023 on regional governments' official documents): Arial 12
# on F4 paper; the margins and the size are the office profile's [layout] (read by ``configure``).
FONT = "Arial"
SIZE = Pt(12)
SMALL = Pt(10)
PAGE_W, PAGE_H = Mm(215), Mm(330)  # F4, as Pasal 8(2) asks
MARGINS = {"top": 20.0, "bottom": 25.0, "left": 30.0, "right": 20.0}
TEXT_W = Mm(215 - 30 - 20)
LABEL_W, COLON_W = Mm(30), Mm(5)
# Fixed zip timestamps so that building twice gives byte-identical files.
_ZIP_DATE = (2021, 1, 1, 0, 0, 0)


def configure(layout: dict | None) -> None:
    """Apply an office profile's ``[layout]`` (font, body_size_pt, margin_*_mm)."""
    global FONT, SIZE, SMALL, TEXT_W
    layout = layout or {}
    FONT = layout.get("font", "Arial")
    SIZE = Pt(float(layout.get("body_size_pt", 12)))
    SMALL = Pt(max(8.0, float(layout.get("body_size_pt", 12)) - 2))
    for side in MARGINS:
        MARGINS[side] = float(layout.get(f"margin_{side}_mm", MARGINS[side]))
    TEXT_W = Mm(215 - MARGINS["left"] - MARGINS["right"])


def read_layout(profile: Path) -> dict:
    """The ``[layout]`` table of an office profile (TOML), without importing the application."""
    import tomllib

    try:
        return dict(tomllib.loads(profile.read_text(encoding="utf-8")).get("layout", {}))
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise SystemExit(f"{profile}: {e}") from e


def _font(run, *, bold=False, size=None, underline=False, italic=False):
    run.font.name = FONT
    run.font.size = size or SIZE
    run.bold = bold
    run.italic = italic
    run.underline = underline
    rpr = run._element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(attr), FONT)
    return run


def _para(container, text="", *, align=None, bold=False, size=None, space_after=0,
          underline=False, keep_next=False, italic=False):
    p = container.add_paragraph()
    fmt = p.paragraph_format
    fmt.space_after = Pt(space_after)
    fmt.space_before = Pt(0)
    fmt.line_spacing = 1.0
    if keep_next:
        fmt.keep_with_next = True
    if align is not None:
        p.alignment = align
    if text:
        _font(p.add_run(text), bold=bold, size=size, underline=underline, italic=italic)
    return p


def _cell_para(cell, text="", **kw):
    """Write into a table cell, reusing its first empty paragraph."""
    if len(cell.paragraphs) == 1 and not cell.paragraphs[0].text and not cell._used:
        cell._used = True
        p = cell.paragraphs[0]
        p.paragraph_format.space_after = Pt(kw.pop("space_after", 0))
        p.paragraph_format.space_before = Pt(0)
        p.paragraph_format.line_spacing = 1.0  # as every other paragraph of the decree
        if kw.get("align") is not None:
            p.alignment = kw["align"]
        if text:
            _font(p.add_run(text), bold=kw.get("bold", False), size=kw.get("size"),
                  underline=kw.get("underline", False))
        return p
    return _para(cell, text, **kw)


def _table(container, cols, widths):
    t = container.add_table(rows=0, cols=cols)
    t.alignment = WD_TABLE_ALIGNMENT.LEFT
    t.autofit = False
    t._widths = widths
    _fix_grid(t, widths)
    return t


def _fix_grid(table, widths):
    """LibreOffice lays tables out by the grid, not the cell widths: write both, fixed layout."""
    grid = table._tbl.tblGrid
    for col, width in zip(grid.findall(qn("w:gridCol")), widths, strict=True):
        col.set(qn("w:w"), str(int(width) // 635))
    tblpr = table._tbl.tblPr
    layout = OxmlElement("w:tblLayout")
    layout.set(qn("w:type"), "fixed")
    tblpr.append(layout)
    tblw = tblpr.find(qn("w:tblW"))
    if tblw is None:
        tblw = OxmlElement("w:tblW")
        tblpr.append(tblw)
    tblw.set(qn("w:type"), "dxa")
    tblw.set(qn("w:w"), str(int(sum(widths)) // 635))
    # No cell padding on the left so the text lines up with the paragraphs above.
    mar = OxmlElement("w:tblCellMar")
    for side, val in (("left", 0), ("right", 60)):
        el = OxmlElement(f"w:{side}")
        el.set(qn("w:w"), str(val))
        el.set(qn("w:type"), "dxa")
        mar.append(el)
    tblpr.append(mar)


def _row(table, *texts, bold=False, justify=True, keep=False):
    """One row; ``keep``: the row never splits across pages (a diktum heading stays with its
    first item, a citation is not cut in two)."""
    row = table.add_row()
    if keep:
        row._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))
    cells = row.cells
    for cell, width in zip(cells, table._widths, strict=True):
        cell.width = width
        cell._used = False
    last = len(texts) - 1
    for i, (cell, text) in enumerate(zip(cells, texts, strict=False)):
        if text is None:
            continue
        align = WD_ALIGN_PARAGRAPH.JUSTIFY if i == last and justify else WD_ALIGN_PARAGRAPH.LEFT
        first, *rest = text.split("\n")
        _cell_para(cell, first, bold=bold, align=align)
        for line in rest:
            # "a. ..." items hang under their letter.
            p = _cell_para(cell, line, bold=bold, align=align)
            if len(line) > 2 and line[1] == "." and line[0].isalpha():
                p.paragraph_format.left_indent = Mm(6)
                p.paragraph_format.first_line_indent = -Mm(6)
    return cells


def _bottom_border(paragraph, size=18):
    ppr = paragraph._p.get_or_add_pPr()
    bdr = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    bottom.set(qn("w:val"), "thickThinSmallGap")
    bottom.set(qn("w:sz"), str(size))
    bottom.set(qn("w:space"), "1")
    bottom.set(qn("w:color"), "000000")
    bdr.append(bottom)
    ppr.append(bdr)


def _no_split(table):
    for row in table.rows:
        trpr = row._tr.get_or_add_trPr()
        cant = OxmlElement("w:cantSplit")
        trpr.append(cant)


def _letterhead(doc):
    kop = _table(doc, 2, [Mm(28), TEXT_W - Mm(28)])
    left, right = _row(kop, None, None)
    _picture(_cell_para(left, "", align=WD_ALIGN_PARAGRAPH.CENTER), EMBLEM_PLACEHOLDER,
             Mm(21), "ptsp-emblem", "Lambang daerah")
    _cell_para(right, "PEMERINTAH {{ office.regency|upper }}", align=WD_ALIGN_PARAGRAPH.CENTER,
               bold=True, size=Pt(14))
    _cell_para(right, "{{ office.name|upper|baris(42) }}", align=WD_ALIGN_PARAGRAPH.CENTER,
               bold=True, size=Pt(13))
    _cell_para(right, "{{ office.address }}", align=WD_ALIGN_PARAGRAPH.CENTER, size=Pt(9))
    _cell_para(right, "{{ office.contact_line }}", align=WD_ALIGN_PARAGRAPH.CENTER, size=Pt(9))
    line = _para(doc, "", space_after=8)
    _bottom_border(line)


def _heading(doc, title: str):
    center = WD_ALIGN_PARAGRAPH.CENTER
    # Titles break between word groups (``baris``), never leaving "PINTU" alone on a line.
    _para(doc, "{{ decree_issuer|upper|baris(44) }}", align=center, bold=True, keep_next=True)
    _para(doc, "{{ office.regency|upper }}", align=center, bold=True, keep_next=True)
    _para(doc, "NOMOR\u00a0{{ number }}", align=center, space_after=6, keep_next=True)
    _para(doc, "TENTANG", align=center, space_after=6, keep_next=True)
    _para(doc, "{{ decree_title|upper|baris(44) }}", align=center, bold=True, space_after=10,
          keep_next=True)
    _para(doc, "DENGAN RAHMAT TUHAN YANG MAHA ESA", align=center, bold=True, space_after=8,
          keep_next=True)
    _para(doc, "{{ (decision_maker|upper ~ ',')|baris(44) }}", align=center, bold=True,
          space_after=8, keep_next=True)


# "... Pasal 146,147 dan 148", "... pasal 5", "... Pasal 21 sd 39", "... Lampiran 2", "(Lampiran)"
_ARTICLE_TAIL = re.compile(r"\s+(?:[Pp]asal\s+\d.*|\(?Lampiran(?:\s+\d+)?\)?)$")


def mengingat_item(basis: str) -> str:
    """A legal basis as the Mengingat list cites it: the whole regulation, "tentang" in lower
    case, no trailing article reference or full stop."""
    text = re.sub(r"\s+Tentang\s+", " tentang ", basis.strip())
    text = _ARTICLE_TAIL.sub("", text).rstrip(" .;,")
    return text


EMBLEM_PLACEHOLDER = TEMPLATES_DIR / "assets" / "emblem.png"


def _qr_placeholder() -> bytes:
    """Stands in for each decree's QR code: the renderer swaps the image's bytes."""
    import segno

    buf = io.BytesIO()
    segno.make("https://contoh.invalid/v/placeholder", error="m", mask=0).save(
        buf, kind="png", scale=8, border=2)
    return buf.getvalue()


def _picture(paragraph, image, width, name: str, descr: str) -> None:
    """An inline picture whose drawing is named ``name``; the renderer finds it by that name."""
    src = io.BytesIO(image) if isinstance(image, bytes) else str(image)
    shape = paragraph.add_run().add_picture(src, width=width)
    doc_pr = shape._inline.docPr
    doc_pr.set("name", name)
    doc_pr.set("descr", descr)


def _lettered(items: list[str]) -> list[tuple[str, str]]:
    return [(f"{chr(ord('a') + i)}.", text) for i, text in enumerate(items)]


APPLICATION_ITEM = (
    "bahwa {{ app.applicant.name }} telah mengajukan permohonan {{ permit.name|utuh }} "
    "Nomor {{ app.application_id|utuh }}{% if app.received_on %} yang diterima pada tanggal "
    "{{ app.received_on|tanggal }}{% endif %};"
)
REVIEW_ITEM = (
    "{% if rec %}bahwa berdasarkan Rekomendasi {{ rec.agency }} Nomor {{ rec.number|utuh }} "
    "tanggal {{ rec.date|tanggal }}, permohonan sebagaimana dimaksud dalam huruf a telah "
    "memenuhi persyaratan administrasi dan teknis;{% else %}bahwa berdasarkan hasil "
    "pemeriksaan persyaratan administrasi dan teknis, permohonan sebagaimana dimaksud dalam "
    "huruf a telah memenuhi persyaratan;{% endif %}"
)
AUTHORITY_ITEM = (
    "bahwa berdasarkan {{ authority_basis }}, {{ decision_maker_title }} berwenang menetapkan "
    "keputusan atas permohonan sebagaimana dimaksud dalam huruf a;"
)


def menimbang_items(service: Service) -> list[str]:
    """Menimbang: the application (number, date received), the technical recommendation (or
    the review), the permit's own considerations, the authority, and the closing item that
    names every item before it."""
    from .citations import enumerate_letters

    spec = service.decree
    assert spec is not None
    items = [APPLICATION_ITEM, REVIEW_ITEM, *spec.menimbang, AUTHORITY_ITEM]
    items.append("bahwa berdasarkan pertimbangan sebagaimana dimaksud dalam "
                 + enumerate_letters(len(items)) + ", perlu menetapkan Keputusan "
                 "{{ decision_maker_title }} tentang {{ decree_title|utuh }};")
    return items


def _considerations(doc, service: Service):
    t = _table(doc, 4, [Mm(27), COLON_W, Mm(7), TEXT_W - Mm(27) - COLON_W - Mm(7)])
    for i, (mark, text) in enumerate(_lettered(menimbang_items(service))):
        _row(t, "Menimbang" if i == 0 else "", ":" if i == 0 else "", mark, text, keep=True)
    _para(doc, "", space_after=4)
    # Mengingat: the permit's and the office's grounds, ordered by hierarchy at render time
    # (generator.citations); one row per regulation with its amendments.
    t = _table(doc, 4, [Mm(27), COLON_W, Mm(7), TEXT_W - Mm(27) - COLON_W - Mm(7)])
    _row(t, "{%tr for item in mengingat %}")
    _row(t, "{% if loop.first %}Mengingat{% endif %}", "{% if loop.first %}:{% endif %}",
         "{{ loop.index }}.", "{{ item }};", keep=True)
    _row(t, "{%tr endfor %}")
    _para(doc, "", space_after=4)


def _decision(doc, service: Service):
    spec = service.decree
    assert spec is not None
    _para(doc, "MEMUTUSKAN:", align=WD_ALIGN_PARAGRAPH.CENTER, bold=True, space_after=6,
          keep_next=True)
    t = _table(doc, 3, [Mm(27), COLON_W, TEXT_W - Mm(27) - COLON_W])
    _row(t, "Menetapkan", ":",
         "KEPUTUSAN {{ decision_maker_title|upper }} TENTANG {{ decree_title|upper|utuh }}.",
         keep=True)
    from .dates import diktum_ordinal

    conditional = any(len(row) > 2 for row in spec.details)
    grant = ("{% set rows = namespace(n=0) %}" if conditional else "") + spec.grant
    cells = _row(t, diktum_ordinal(0), ":", grant, keep=True)
    if spec.details:
        inner_w = TEXT_W - Mm(27) - COLON_W
        d = _table(cells[2], 3, [Mm(56), COLON_W, inner_w - Mm(56) - COLON_W - Mm(2)])
        for i, (label, value, *cond) in enumerate(spec.details, start=1):
            if cond:
                _row(d, "{%%tr if %s %%}" % cond[0])
            number = "{% set rows.n = rows.n + 1 %}{{ rows.n }}" if conditional else str(i)
            value = _whole_numbers(value, label)
            _row(d, f"{number}. {label}", ":", value, justify=False)
            if cond:
                _row(d, "{%tr endif %}")
        _no_split(d)
    # KEDUA: how long the permit is valid, stated once (decrees.toml `validity`).
    body = [spec.validity, *spec.diktum]
    last = len(body)
    for i, text in enumerate(body[:-1], start=1):
        _row(t, diktum_ordinal(i), ":", text, keep=True)
    # A correction (Pasal 10(2)) says which decree it replaces, just before entry into force.
    _row(t, "{%tr if replaces %}")
    _row(t, "{{ ordinals[%d] }}" % last, ":",
         "Dengan ditetapkannya Keputusan ini, Keputusan Nomor\u00a0{{ replaces }} dicabut dan "
         "dinyatakan tidak berlaku, dan diganti dengan Keputusan ini.", keep=True)
    _row(t, "{%tr endif %}")
    _row(t, "{{ ordinals[%d] if replaces else ordinals[%d] }}" % (last + 1, last), ":",
         body[-1], keep=True)
    _para(doc, "", space_after=6)


_NUMBER_EXPR = re.compile(
    r"\{\{ (app\.fields\.(?:get\('\w*(?:number|nib)\w*'\)|\w*(?:number|nib)\w*)[^{}]*?) \}\}")


def _whole_numbers(value: str, label: str = "") -> str:
    """Register numbers in the details table print whole (``utuh``): an IMB number never
    breaks at one of its slashes or hyphens."""
    if label.startswith(("Nomor", "NIB", "NPWP")):
        return re.sub(r"\{\{ (.+?) \}\}", lambda m: "{{ (%s)|utuh }}" % m.group(1), value)
    return _NUMBER_EXPR.sub(lambda m: "{{ (%s)|utuh }}" % m.group(1), value)


def _signature(doc, service: Service):
    spec = service.decree
    assert spec is not None
    t = _table(doc, 2, [TEXT_W - Mm(100), Mm(100)])
    _left, right = _row(t, None, None)
    _cell_para(right, "Ditetapkan di {{ office.city_of_issue }}")
    p = _cell_para(right, "pada tanggal {{ issued_on_long }}", space_after=6)
    _bottom_border(p, size=6)
    _cell_para(right, "{{ signature.on_behalf }}", bold=True)
    _cell_para(right, "{{ signature.title_line|baris(32) }}", bold=True, space_after=4)
    _picture(_cell_para(right, "", align=WD_ALIGN_PARAGRAPH.LEFT, space_after=4),
             _qr_placeholder(), Mm(24), "ptsp-qr", "Kode QR verifikasi")
    _cell_para(right, "{{ signer.name }}", bold=True, underline=True)
    _cell_para(right, "{{ signer.rank }}")
    _cell_para(right, "NIP. {{ signer.nip }}")
    _no_split(t)
    # Where the electronic seal replaces the wet stamp of Pasal 8(2) (profile [legal]).
    _para(doc, "", space_after=4)
    _para(doc, "{{ stamp_statement }}", size=Pt(8), italic=True, space_after=8,
          align=WD_ALIGN_PARAGRAPH.JUSTIFY)
    # Tembusan: the Bupati first ("sebagai laporan", profile), then the permit's agencies.
    _para(doc, "Tembusan:", underline=True, size=SMALL, keep_next=True)
    tembusan = list(spec.tembusan)
    _para(doc, "{%p for item in office.tembusan %}")
    _para(doc, "{{ loop.index }}. Yth. {{ item }}%s" % (
        ";" if tembusan else "{% if loop.last %}.{% else %};{% endif %}"), size=SMALL)
    _para(doc, "{%p endfor %}")
    for i, item in enumerate(tembusan, start=1):
        end = "." if i == len(tembusan) else ";"
        _para(doc, "{{ office.tembusan|length + %d }}. Yth. %s%s" % (i, item, end), size=SMALL)


def _footer(section):
    # Page numbers from page 2, "- 2 -", at the top; page 1 has the letterhead instead.
    section.different_first_page_header_footer = True
    header = section.header.paragraphs[0]
    header.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _font(header.add_run("- "))
    _page_field(header)
    _font(header.add_run(" -"))
    for footer in (section.footer, section.first_page_footer):
        p = footer.paragraphs[0]
        p.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
        # The electronic-signature statement (UU ITE Pasal 5 ayat (1)) with the issuing CA.
        _font(p.add_run("{{ esign_statement }}{% if footer_text %} {{ footer_text }}{% endif %}"),
              size=Pt(7.5), italic=True)
        p2 = footer.add_paragraph()
        p2.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _font(p2.add_run("Nomor registrasi {{ number }} · Verifikasi: {{ verify_url }}"),
              size=Pt(7.5))


def _page_field(paragraph):
    """A PAGE field (LibreOffice and Word fill in the number)."""
    def fld(kind):
        run = paragraph.add_run()
        _font(run)
        el = OxmlElement("w:fldChar")
        el.set(qn("w:fldCharType"), kind)
        run._r.append(el)
        return run

    fld("begin")
    run = paragraph.add_run()
    _font(run)
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = " PAGE "
    run._r.append(instr)
    fld("separate")
    _font(paragraph.add_run("2"))
    fld("end")


def build_document(service: Service) -> bytes:
    """The DOCX template of one permit, as bytes (deterministic)."""
    if service.decree is None:
        raise ValueError(f"{service.code} has no decree spec")
    doc = Document()
    sec = doc.sections[0]
    sec.page_width, sec.page_height = PAGE_W, PAGE_H
    sec.left_margin, sec.right_margin = Mm(MARGINS["left"]), Mm(MARGINS["right"])
    sec.top_margin, sec.bottom_margin = Mm(MARGINS["top"]), Mm(MARGINS["bottom"])
    sec.header_distance, sec.footer_distance = Mm(8), Mm(8)
    style = doc.styles["Normal"]
    style.font.name = FONT
    style.font.size = SIZE
    props = doc.core_properties
    props.title = f"Templat Keputusan {service.name}"
    props.subject = service.code
    props.author = "ptsp"
    props.comments = "Dibangun oleh generator.build_templates; ubah bagian bersama di sana."
    from datetime import datetime

    props.created = props.modified = datetime(2021, 1, 1)
    props.last_modified_by = "ptsp"
    props.revision = 1
    _letterhead(doc)
    _heading(doc, service.decree.title)
    _considerations(doc, service)
    _decision(doc, service)
    _signature(doc, service)
    _footer(sec)
    raw = io.BytesIO()
    doc.save(raw)
    return _normalise_zip(raw.getvalue())


def _normalise_zip(data: bytes) -> bytes:
    """Rewrite the zip slim (see :mod:`generator.slim`), with fixed timestamps and order so
    builds are reproducible."""
    src = zipfile.ZipFile(io.BytesIO(data))
    parts = slim_parts({n: src.read(n) for n in src.namelist()})
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for name in sorted(parts, key=lambda n: (n != "[Content_Types].xml", n)):
            info = zipfile.ZipInfo(name, _ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(info, parts[name])
    return out.getvalue()


def build_all(catalog: Catalog, out_dir: Path, *, codes=None, force=False, check=False) -> int:
    """Build (or with ``check`` compare) templates; returns the number of problems found."""
    out_dir.mkdir(parents=True, exist_ok=True)
    manifest_path = out_dir / "MANIFEST.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    problems = 0
    wanted = [s for s in catalog.with_templates if not codes or s.code in codes]
    for service in wanted:
        data = build_document(service)
        digest = hashlib.sha256(data).hexdigest()
        path = out_dir / f"{service.code}.docx"
        current = hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else None
        if check:
            if current != digest and current != manifest.get(service.code, {}).get("edited"):
                print(f"{path}: out of date (run `make templates`)", file=sys.stderr)
                problems += 1
            continue
        built = manifest.get(service.code, {}).get("sha256")
        if current is not None and current not in (built, digest) and not force:
            print(f"{path}: edited by hand, left alone (use --force to rebuild)", file=sys.stderr)
            problems += 1
            continue
        path.write_bytes(data)
        manifest[service.code] = {"sha256": digest}
    if not check:
        manifest_path.write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    return problems


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("codes", nargs="*")
    ap.add_argument("--check", action="store_true", help="fail if a template is out of date")
    ap.add_argument("--force", action="store_true", help="overwrite templates edited by hand")
    ap.add_argument("--templates", type=Path, default=TEMPLATES_DIR)
    ap.add_argument("--profile", type=Path, default=TEMPLATES_DIR / "office" / "balangan.toml",
                    help="office profile whose [layout] (font size, margins) the templates use")
    args = ap.parse_args(argv)
    configure(read_layout(args.profile))
    catalog = load_catalog(args.templates)
    problems = build_all(catalog, args.templates / "permits", codes=set(args.codes),
                         force=args.force, check=args.check)
    return 1 if problems and args.check else 0


if __name__ == "__main__":
    sys.exit(main())
