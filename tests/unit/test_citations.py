"""Structured legal grounds (issue 14): parsing, resolving amendments to their base, ordering by
hierarchy, recorded defects, the office's grounds, the real-use guard rail, the DOCX layout."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date

import pytest

from generator.build_templates import build_document, menimbang_items
from generator.catalog import TEMPLATES_DIR, load_catalog
from generator.citations import enumerate_letters, load_legal, order, parse_citation
from generator.typeset import GLUE_AFTER, word_groups
from ptsp.errors import ProfileError
from ptsp.legal import check_real_use, office_citations, real_use_problems
from ptsp.profile import load_profile
from tests.ptsp_support import write_profile

CATALOG = load_catalog()
LEGAL = load_legal(TEMPLATES_DIR / "legal.toml")


def test_a_lampiran_entry_is_read_into_structure():
    c = parse_citation("Peraturan Menteri Kesehatan Nomor 2052/MENKES/PER/X/2011 Tentang Izin "
                       "Praktik dan Pelaksanaan Praktik Kedokteran Pasal 8")
    assert (c.kind, c.issuer, c.number, c.year) == ("permen", "Kesehatan",
                                                    "2052/MENKES/PER/X/2011", 2011)
    assert c.title == "Izin Praktik dan Pelaksanaan Praktik Kedokteran"
    assert c.name == "Peraturan Menteri Kesehatan Nomor 2052/MENKES/PER/X/2011"
    printed = parse_citation(
        "Undang-Undang Nomor 2 Tahun 2003 tentang Pembentukan Kabupaten Tanah Bumbu dan "
        "Kabupaten Balangan di Provinsi Kalimantan Selatan (Lembaran Negara Republik Indonesia "
        "Tahun 2003 Nomor 22, Tambahan Lembaran Negara Republik Indonesia Nomor 4265)")
    assert [(p.kind, p.year, p.number) for p in printed.publication] == [
        ("ln", 2003, "22"), ("tln", None, "4265")]
    assert printed.text().endswith("(Lembaran Negara Republik Indonesia Tahun 2003 Nomor 22, "
                                   "Tambahan Lembaran Negara Republik Indonesia Nomor 4265)")


def test_slf_cites_the_base_regulation_as_amended_not_the_amendment_alone():
    (own,) = [c for c in CATALOG.get("SLF").citations if c.kind == "permen"]
    assert own.text().startswith(
        "Peraturan Menteri Pekerjaan Umum dan Perumahan Rakyat Nomor 27/PRT/M/2018 tentang "
        "Sertifikat Laik Fungsi Bangunan Gedung sebagaimana telah diubah dengan Peraturan "
        "Menteri Pekerjaan Umum dan Perumahan Rakyat Nomor 3 Tahun 2020 tentang Perubahan atas")


def test_isbw_base_perda_and_its_amendment_are_one_item_with_atas():
    perda = [c for c in CATALOG.get("ISBW").citations if c.kind == "perda_kab"]
    assert len(perda) == 1
    assert "sebagaimana telah diubah dengan Peraturan Daerah Kabupaten Balangan Nomor 1 Tahun " \
        "2018 tentang Perubahan atas Peraturan Daerah Nomor 14 Tahun 2013" in perda[0].text()


def test_several_amendments_print_the_last_one():
    ite = LEGAL.get("uu-11-2008").text()
    assert "sebagaimana telah beberapa kali diubah, terakhir dengan Undang-Undang Nomor 1 " \
        "Tahun 2024 tentang Perubahan Kedua" in ite
    assert "Nomor 19 Tahun 2016" not in ite
    assert ite.endswith("(Lembaran Negara Republik Indonesia Tahun 2024 Nomor 1, Tambahan "
                        "Lembaran Negara Republik Indonesia Nomor 6905)")


def test_order_is_hierarchy_then_date():
    cites = [LEGAL.get(i) for i in ("perbup-blg-16-2021", "perda-blg-14-2016", "pp-71-2019",
                                    "uu-30-2014", "uu-2-2003", "permen-pupr-27-2018",
                                    "uu-23-2014")]
    assert [c.id for c in order(cites)] == [
        "uu-2-2003", "uu-23-2014", "uu-30-2014", "pp-71-2019", "permen-pupr-27-2018",
        "perda-blg-14-2016", "perbup-blg-16-2021"]
    # a regulation cited twice (formation law in [office] and in [legal]) prints once
    assert len(order([LEGAL.get("uu-2-2003"), parse_citation(
        "Undang-Undang Nomor 2 Tahun 2003 tentang Pembentukan Kabupaten Tanah Bumbu")])) == 1


def test_missing_publication_is_a_recorded_defect():
    for s in CATALOG.with_templates:
        recorded = " ".join(d["reason"] for d in s.defects if d["kind"] == "missing_publication")
        for c in s.citations:
            for printed in c.printed():
                if not printed.publication:
                    assert printed.name in recorded, (s.code, printed.name)
                    assert "perlu diverifikasi" in printed.publication_defect


def test_every_family_has_its_obligations_source_or_a_defect():
    for s in CATALOG.with_templates:
        assert not [d for d in s.defects if d["kind"] == "missing_obligations_source"], s.code
    iup = CATALOG.get("IUP")
    assert any(d["kind"] == "obligations" for d in iup.defects)


def test_every_legal_toml_entry_names_its_source():
    for cid, c in LEGAL.citations.items():
        assert c.source, cid


def test_office_grounds_come_from_the_profile():
    profile = load_profile()
    names = [c.name for c in office_citations(profile, date(2026, 12, 1))]
    for expected in ("Undang-Undang Nomor 2 Tahun 2003", "Undang-Undang Nomor 23 Tahun 2014",
                     "Undang-Undang Nomor 30 Tahun 2014", "Undang-Undang Nomor 11 Tahun 2008",
                     "Peraturan Pemerintah Nomor 71 Tahun 2019",
                     "Peraturan Daerah Kabupaten Balangan Nomor 14 Tahun 2016",
                     "Peraturan Bupati Balangan Nomor 16 Tahun 2021"):
        assert expected in names


def test_an_unreadable_ground_in_the_profile_is_an_error(tmp_path):
    path = write_profile(tmp_path, extra='[legal]\ngrounds = ["uu-99-1999"]\n')
    with pytest.raises(ProfileError, match="uu-99-1999"):
        load_profile(path).render_context(date(2026, 12, 1))
    path = write_profile(tmp_path, extra='[layout]\nmargin_lfet_mm = 30\n')
    with pytest.raises(ProfileError, match="margin_lfet_mm"):
        load_profile(path)


def test_menimbang_closes_with_every_letter():
    items = menimbang_items(CATALOG.get("SIPB"))
    assert items[-1].startswith("bahwa berdasarkan pertimbangan sebagaimana dimaksud dalam "
                                "huruf a, huruf b, dan huruf c, perlu menetapkan")
    assert "app.application_id" in items[0] and "app.received_on" in items[0]
    assert "rec.number" in items[1] and "authority_basis" in items[2]
    assert enumerate_letters(2) == "huruf a dan huruf b"


def test_titles_break_between_word_groups():
    for s in CATALOG.with_templates:
        for text in (s.decree.title.upper(),
                     "KEPUTUSAN KEPALA DINAS PENANAMAN MODAL DAN PELAYANAN TERPADU SATU PINTU"):
            lines = word_groups(text, 44)
            assert all(len(line.split()) > 1 for line in lines[1:]) or len(lines) == 1, lines
            assert not any(line.split()[-1] in GLUE_AFTER for line in lines[:-1]), lines


def test_template_layout_keeps_diktum_rows_whole_and_numbers_pages_from_two():
    data = build_document(CATALOG.get("IREK"))
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        doc = z.read("word/document.xml").decode()
        headers = [z.read(n).decode() for n in z.namelist() if re.match(r"word/header\d", n)]
    assert "<w:titlePg/>" in doc  # page 1 has its own (empty) header
    assert any(" PAGE " in h and "- " in h for h in headers)
    diktum_rows = re.findall(r"<w:tr>.*?</w:tr>", doc[doc.index("MEMUTUSKAN"):], flags=re.S)
    headed = [r for r in diktum_rows if re.search(r"<w:t>(KEDUA|KETIGA|KEEMPAT)</w:t>", r)]
    assert headed and all("<w:cantSplit/>" in r for r in headed)
    assert '<w:sz w:val="24"/>' in doc  # body 12 pt (Permendagri 1/2023), from [layout]


def test_real_use_guard_names_every_demo_setting(tmp_path):
    src = (TEMPLATES_DIR / "office" / "balangan.toml").read_text(encoding="utf-8")
    base = TEMPLATES_DIR / "office"
    real = src.replace("demo = true", "demo = false")
    path = base / "guard-test.toml"
    try:
        path.write_text(real, encoding="utf-8")
        profile = load_profile(path)
        problems = real_use_problems(profile)
        text = "\n".join(problems)
        assert "[signer].name" in text or "signer.name" in text
        assert "CONTOH" in text and "decree_number" in text
        assert "base_url" in text and "loopback" in text
        assert "demo_pki" in text
        with pytest.raises(ProfileError, match="not ready for real decrees"):
            check_real_use(profile)
        # the demo itself, and a profile that does not declare demo = false, are not refused
        path.write_text(src, encoding="utf-8")
        assert real_use_problems(load_profile(path)) == []
        path.write_text(src.replace("demo = true\n", ""), encoding="utf-8")
        assert real_use_problems(load_profile(path)) == []
    finally:
        path.unlink(missing_ok=True)


def test_citations_survive_json_for_the_cluster():
    """The render context goes through the broker as JSON: every citation comes back equal."""
    import json

    from generator.citations import citation_from_json, citation_to_json

    data = load_legal(TEMPLATES_DIR / "legal.toml")
    cites = list(data.citations.values())
    assert any(c.amendments for c in cites) and any(c.publication for c in cites)
    assert any(c.enacted for c in cites)
    for c in cites:
        assert citation_from_json(json.loads(json.dumps(citation_to_json(c)))) == c
