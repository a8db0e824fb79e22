"""Issue 13 item 11: a holder name with markup, or with characters the decree fonts cannot draw,
is a field error (like a bad NIK), in English for the CLI and in Indonesian for the office."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest

from generator.applications import Application, RecordError, RecordRef, validate_record
from generator.catalog import load_catalog
from generator.glyphs import DECREE_FONT_FILES, DECREE_FONT_RANGES, drawable, undrawable
from ptsp.office.messages import pesan
from ptsp.samples import sample_application


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


def check(catalog, name: str, field: str = "name"):
    raw = sample_application(catalog.get("SIPB"), 1)
    raw["applicant"][field] = name
    return validate_record(raw, RecordRef("f", 1), catalog)


@pytest.mark.parametrize("name", ["<img src=x onerror=alert(1)>", "Budi <b>Santoso</b>",
                                  "Siti &lt;script&gt;", "Ani &#60;x", "a > b"])
def test_markup_in_a_name_is_refused(catalog, name):
    res = check(catalog, name)
    assert isinstance(res, RecordError)
    [err] = res.errors
    assert (err.field, err.code) == ("applicant.name", "markup")
    assert "markup" in err.message
    assert "HTML" in pesan(err) and "teks biasa" in pesan(err)


@pytest.mark.parametrize("name,bad", [("王小明", "王"), ("Budi 😀", "😀"),
                                      ("Ahmad \u200b Yani", "\u200b")])
def test_characters_the_font_cannot_draw_are_refused(catalog, name, bad):
    res = check(catalog, name)
    assert isinstance(res, RecordError)
    [err] = res.errors
    assert (err.field, err.code) == ("applicant.name", "undrawable_characters")
    assert f"U+{ord(bad):04X}" in err.message
    assert "tidak dapat dicetak" in pesan(err) and bad in pesan(err)


def test_the_same_holds_for_other_printed_text(catalog):
    res = check(catalog, "Jl. 王府井", field="address")
    assert isinstance(res, RecordError) and res.errors[0].code == "undrawable_characters"


@pytest.mark.parametrize("name", ["Hj. Siti Nur'aini", "Dr. H. Ahmad Yani, S.E., M.M.",
                                  "José Müller-Łukasz", "I Gusti Ngurah Rai (Alm.)",
                                  "Ni Made O’Neil", "Çağatay Øyvind"])
def test_real_names_pass(catalog, name):
    res = check(catalog, name)
    assert isinstance(res, Application), getattr(res, "errors", None)
    assert res.applicant["name"] == name


def test_decomposed_accents_are_composed_first(catalog):
    nfd = unicodedata.normalize("NFD", "José")
    assert len(nfd) == 5
    res = check(catalog, nfd)
    assert isinstance(res, Application)
    assert res.applicant["name"] == "José"


def test_layout_characters_are_not_glyph_problems():
    assert drawable("\n") and drawable("\t") and undrawable("a\tb") == []


@pytest.mark.skipif(not all(p.exists() for p in DECREE_FONT_FILES),
                    reason="fonts-liberation not installed")
def test_every_allowed_character_is_in_the_installed_decree_fonts():
    fonttools = pytest.importorskip("fontTools.ttLib")
    for path in DECREE_FONT_FILES:
        cmap = set(fonttools.TTFont(str(path), lazy=True).getBestCmap())
        missing = [cp for a, b in DECREE_FONT_RANGES for cp in range(a, b + 1)
                   if cp not in cmap]
        assert not missing, (Path(path).name, [hex(c) for c in missing[:10]])
    assert 0x738B not in {cp for a, b in DECREE_FONT_RANGES for cp in range(a, b + 1)}


def test_office_intake_says_it_in_indonesian(catalog):
    from ptsp.office.intake import read_upload
    from ptsp.samples import sample_batch
    from tests.office_support import applications_csv

    apps = sample_batch(catalog, count=3, seed=5)
    apps[0]["applicant"]["name"] = "<img src=x onerror=alert(1)>"
    apps[1]["applicant"]["name"] = "王小明"
    intake = read_upload("permohonan.csv", applications_csv(apps).encode(), catalog)
    assert len(intake.valid) == 1 and len(intake.errors) == 2
    messages = [f["message"] for e in intake.errors for f in e["fields"]]
    fields = [f["field"] for e in intake.errors for f in e["fields"]]
    assert fields == ["applicant.name", "applicant.name"]
    assert "memuat kode HTML/markup" in messages[0]
    assert "tidak dapat dicetak" in messages[1] and "王 (U+738B)" in messages[1]
