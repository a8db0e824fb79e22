"""Slimming a DOCX before conversion: unused styles and parts go, nothing that prints does."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date

from docx import Document

from generator.applications import RecordRef, validate_record
from generator.catalog import TEMPLATES_DIR, load_catalog
from generator.render import DecreeRenderer, RenderInput, docx_text
from generator.slim import slim_parts
from ptsp.profile import load_profile
from ptsp.samples import sample_application

W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


def _parts(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {n: z.read(n) for n in z.namelist()}


def _style_ids(parts: dict[str, bytes]) -> set[str]:
    return set(re.findall(r'w:styleId="([^"]+)"', parts["word/styles.xml"].decode()))


def _word_document() -> dict[str, bytes]:
    """A document as python-docx (and Word) save it: every built-in style defined."""
    doc = Document()
    doc.add_paragraph("Judul", style="Heading 1")
    p = doc.add_paragraph("Isi ")
    p.add_run("tebal").style = "Strong"
    doc.sections[0].footer.paragraphs[0].text = "Kaki"
    doc.sections[0].footer.paragraphs[0].style = "Footer"
    buf = io.BytesIO()
    doc.save(buf)
    return _parts(buf.getvalue())


def test_unused_styles_latent_styles_and_word_2010_copies_go():
    parts = _word_document()
    before = _style_ids(parts)
    assert len(before) > 100 and b"<w:latentStyles" in parts["word/styles.xml"]
    assert "word/stylesWithEffects.xml" in parts and "docProps/thumbnail.jpeg" in parts
    slim = slim_parts(parts)
    kept = _style_ids(slim)
    # used (document, footer), what they are based on or linked to, and the defaults
    assert {"Heading1", "Strong", "Footer", "Normal", "Heading1Char", "FooterChar",
            "DefaultParagraphFont", "TableNormal", "NoList"} <= kept
    assert "Title" not in kept and "Heading2" not in kept and len(kept) < 20
    assert b"<w:latentStyles" not in slim["word/styles.xml"]
    assert "word/stylesWithEffects.xml" not in slim and "docProps/thumbnail.jpeg" not in slim
    assert b"stylesWithEffects" not in slim["word/_rels/document.xml.rels"]
    assert b"thumbnail" not in slim["_rels/.rels"]
    assert b"stylesWithEffects" not in slim["[Content_Types].xml"]
    assert slim["word/document.xml"] == parts["word/document.xml"]
    # still a document python-docx (and so Word) opens, with the same text
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in slim.items():
            z.writestr(name, data)
    doc = Document(io.BytesIO(buf.getvalue()))
    assert [p.text for p in doc.paragraphs] == ["Judul", "Isi tebal"]
    assert doc.paragraphs[0].style.name == "Heading 1"


def test_slimming_twice_changes_nothing():
    once = slim_parts(_word_document())
    assert slim_parts(once) == once


def test_styles_referenced_only_from_numbering_are_kept():
    parts = _word_document()
    numbering = parts.get("word/numbering.xml", b"").decode()
    referenced = set(re.findall(r'w:pStyle w:val="([^"]+)"', numbering))
    assert referenced  # python-docx's numbering refers to the list styles
    assert referenced <= _style_ids(slim_parts(parts))


def test_shipped_templates_are_slim():
    for path in sorted((TEMPLATES_DIR / "permits").glob("*.docx")):
        parts = _parts(path.read_bytes())
        assert slim_parts(parts) == parts, path
        assert len(_style_ids(parts)) < 20, path


def test_a_template_saved_fat_renders_slim_and_the_same(tmp_path):
    """An office edits a template in Word, which writes every built-in style back: the
    renderer slims it when it prepares the template, and the decree's text is unchanged."""
    shipped = TEMPLATES_DIR / "permits" / "SIPB.docx"
    parts = _parts(shipped.read_bytes())
    word = _word_document()
    fat = dict(parts)
    fat["word/styles.xml"] = word["word/styles.xml"]
    fat["word/stylesWithEffects.xml"] = word["word/stylesWithEffects.xml"]
    rels = fat["word/_rels/document.xml.rels"].decode()
    fat["word/_rels/document.xml.rels"] = rels.replace("</Relationships>", (
        '<Relationship Id="rIdFat" Type="http://schemas.microsoft.com/office/2007/'
        'relationships/stylesWithEffects" Target="stylesWithEffects.xml"/></Relationships>'
    )).encode()
    (tmp_path / "permits").mkdir()
    with zipfile.ZipFile(tmp_path / "permits" / "SIPB.docx", "w") as z:
        for name, data in fat.items():
            z.writestr(name, data)
    assert len(_style_ids(fat)) > 100

    profile, catalog = load_profile(), load_catalog()
    service = catalog.get("SIPB")
    app = validate_record(sample_application(service, 4), RecordRef("t", 4), catalog)
    inp = RenderInput("503/0004/SIPB/X/XI/2026", "https://x/v/t", date(2026, 11, 27))
    ctx = profile.render_context()
    as_shipped = DecreeRenderer(ctx, emblem=profile.office.emblem).render(service, app, inp)
    from_fat = DecreeRenderer(ctx, templates_dir=tmp_path, emblem=profile.office.emblem,
                              cache_dir=tmp_path / "cache").render(service, app, inp)
    assert docx_text(from_fat) == docx_text(as_shipped)
    out = _parts(from_fat)
    assert len(_style_ids(out)) < 20 and "word/stylesWithEffects.xml" not in out
    assert "Footer" in _style_ids(out)  # the footer's style is used: kept
