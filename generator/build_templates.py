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

FONT = "Arial"
SIZE = Pt(11)
PAGE_W, PAGE_H = Mm(215), Mm(330)  # F4, as Pasal 8(2) asks
TEXT_W = Mm(215 - 25 - 20)
LABEL_W, COLON_W = Mm(30), Mm(5)
# Fixed zip timestamps so that building twice gives byte-identical files.
_ZIP_DATE = (2021, 1, 1, 0, 0, 0)


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


def _row(table, *texts, bold=False, justify=True):
    cells = table.add_row().cells
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
    _cell_para(right, "{{ office.name|upper }}", align=WD_ALIGN_PARAGRAPH.CENTER, bold=True,
               size=Pt(13))
    _cell_para(right, "{{ office.address }}", align=WD_ALIGN_PARAGRAPH.CENTER, size=Pt(9))
    _cell_para(right, "{{ office.contact_line }}", align=WD_ALIGN_PARAGRAPH.CENTER, size=Pt(9))
    line = _para(doc, "", space_after=8)
    _bottom_border(line)


def _heading(doc, title: str):
    center = WD_ALIGN_PARAGRAPH.CENTER
    _para(doc, "{{ decree_issuer|upper }}", align=center, bold=True)
    _para(doc, "{{ office.regency|upper }}", align=center, bold=True)
    _para(doc, "NOMOR {{ number }}", align=center, space_after=6)
    _para(doc, "TENTANG", align=center, space_after=6)
    _para(doc, title.upper(), align=center, bold=True, space_after=10)
    _para(doc, "DENGAN RAHMAT TUHAN YANG MAHA ESA", align=center, bold=True, space_after=8)
    _para(doc, "{{ decision_maker|upper }},", align=center, bold=True, space_after=8)


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


def _considerations(doc, service: Service):
    spec = service.decree
    assert spec is not None
    t = _table(doc, 4, [Mm(27), COLON_W, Mm(7), TEXT_W - Mm(27) - COLON_W - Mm(7)])
    items = list(spec.menimbang) or [
        "bahwa berdasarkan permohonan {{ app.applicant.name }} dan hasil pemeriksaan "
        "persyaratan administrasi serta teknis, permohonan tersebut telah memenuhi syarat "
        "untuk diberikan " + service.name + ";",
    ]
    items = items + [
        "bahwa berdasarkan pertimbangan sebagaimana dimaksud dalam huruf "
        + ("a" if len(items) == 1 else "a sampai dengan huruf " + chr(ord("a") + len(items) - 1))
        + ", perlu menetapkan Keputusan " + "{{ decision_maker_title }}" + " tentang "
        + spec.title + ";"
    ]
    for i, (mark, text) in enumerate(_lettered(items)):
        _row(t, "Menimbang" if i == 0 else "", ":" if i == 0 else "", mark, text)
    _para(doc, "", space_after=4)
    t = _table(doc, 4, [Mm(27), COLON_W, Mm(7), TEXT_W - Mm(27) - COLON_W - Mm(7)])
    n = 0
    bases = list(dict.fromkeys(mengingat_item(b) for b in service.legal_basis))
    for n, basis in enumerate(bases, start=1):
        _row(t, "Mengingat" if n == 1 else "", ":" if n == 1 else "", f"{n}.", basis + ";")
    # The office's own grounds (formation law, the delegation decree) come from the profile.
    _row(t, "{%tr for item in office_grounds %}")
    first = "{% if loop.first %}Mengingat{% endif %}" if n == 0 else ""
    colon = "{% if loop.first %}:{% endif %}" if n == 0 else ""
    _row(t, first, colon, "{{ loop.index + %d }}." % n,
         "{{ item }}{% if loop.last %}.{% else %};{% endif %}")
    _row(t, "{%tr endfor %}")
    _para(doc, "", space_after=4)


def _decision(doc, service: Service):
    spec = service.decree
    assert spec is not None
    _para(doc, "MEMUTUSKAN:", align=WD_ALIGN_PARAGRAPH.CENTER, bold=True, space_after=6)
    t = _table(doc, 3, [Mm(27), COLON_W, TEXT_W - Mm(27) - COLON_W])
    _row(t, "Menetapkan", ":",
         "KEPUTUSAN {{ decision_maker_title|upper }} TENTANG " + spec.title.upper() + ".")
    from .dates import diktum_ordinal

    cells = _row(t, diktum_ordinal(0), ":", spec.grant)
    if spec.details:
        inner_w = TEXT_W - Mm(27) - COLON_W
        d = _table(cells[2], 3, [Mm(48), COLON_W, inner_w - Mm(48) - COLON_W - Mm(2)])
        for i, (label, value) in enumerate(spec.details, start=1):
            _row(d, f"{i}. {label}", ":", value, justify=False)
        _no_split(d)
    last = len(spec.diktum)
    for i, text in enumerate(spec.diktum[:-1], start=1):
        _row(t, diktum_ordinal(i), ":", text)
    # A correction (Pasal 10(2)) says which decree it replaces, just before entry into force.
    _row(t, "{%tr if replaces %}")
    _row(t, "{{ ordinals[%d] }}" % last, ":",
         "Dengan ditetapkannya Keputusan ini, Keputusan Nomor {{ replaces }} dicabut dan "
         "dinyatakan tidak berlaku, dan diganti dengan Keputusan ini.")
    _row(t, "{%tr endif %}")
    if spec.diktum:
        _row(t, "{{ ordinals[%d] if replaces else ordinals[%d] }}" % (last + 1, last), ":",
             spec.diktum[-1])
    _para(doc, "", space_after=6)


def _signature(doc, service: Service):
    spec = service.decree
    assert spec is not None
    t = _table(doc, 2, [TEXT_W - Mm(85), Mm(85)])
    _left, right = _row(t, None, None)
    _cell_para(right, "Ditetapkan di {{ office.city_of_issue }}")
    p = _cell_para(right, "pada tanggal {{ issued_on_long }}", space_after=6)
    _bottom_border(p, size=6)
    _cell_para(right, "{{ signature.on_behalf }}", bold=True)
    _cell_para(right, "{{ signature.title_line }}", bold=True, space_after=4)
    _picture(_cell_para(right, "", align=WD_ALIGN_PARAGRAPH.LEFT, space_after=4),
             _qr_placeholder(), Mm(24), "ptsp-qr", "Kode QR verifikasi")
    _cell_para(right, "{{ signer.name }}", bold=True, underline=True)
    _cell_para(right, "{{ signer.rank }}")
    _cell_para(right, "NIP. {{ signer.nip }}")
    _no_split(t)
    _para(doc, "", space_after=8)
    _para(doc, "Tembusan:", underline=True, size=Pt(10))
    tembusan = list(spec.tembusan)
    for i, item in enumerate(tembusan, start=1):
        _para(doc, f"{i}. {item};", size=Pt(10))
    _para(doc, "{%p for item in office.tembusan %}")
    _para(doc, "{{ loop.index + %d }}. {{ item }}{%% if loop.last %%}.{%% else %%};{%% endif %%}"
          % len(tembusan), size=Pt(10))
    _para(doc, "{%p endfor %}")


def _footer(section):
    footer = section.footer
    p = footer.paragraphs[0]
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _font(p.add_run("{{ footer_text }}"), size=Pt(7.5), italic=True)
    p2 = footer.add_paragraph()
    p2.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _font(p2.add_run("Nomor registrasi {{ number }} · Verifikasi: {{ verify_url }}"), size=Pt(7.5))


def build_document(service: Service) -> bytes:
    """The DOCX template of one permit, as bytes (deterministic)."""
    if service.decree is None:
        raise ValueError(f"{service.code} has no decree spec")
    doc = Document()
    sec = doc.sections[0]
    sec.page_width, sec.page_height = PAGE_W, PAGE_H
    sec.left_margin, sec.right_margin = Mm(25), Mm(20)
    sec.top_margin, sec.bottom_margin = Mm(15), Mm(20)
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
    args = ap.parse_args(argv)
    catalog = load_catalog(args.templates)
    problems = build_all(catalog, args.templates / "permits", codes=set(args.codes),
                         force=args.force, check=args.check)
    return 1 if problems and args.check else 0


if __name__ == "__main__":
    sys.exit(main())
