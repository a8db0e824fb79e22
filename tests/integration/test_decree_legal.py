"""Every permit's decree read as a legal drafter reads it (issue 14), from the PDF text that
real LibreOffice makes: Mengingat in hierarchy order with publication data and no base/amendment
split, the regional grounds, Menimbang citing the application, page numbers from page 2, no
diktum heading alone at the foot of a page, the Tembusan order, one validity statement.

All 84 decrees go through one LibreOffice pool in one batch (no signing: what is checked here is
the text and the page layout, which signing does not change)."""

from __future__ import annotations

import re
import subprocess
from concurrent.futures import ThreadPoolExecutor
from datetime import date

import pytest

from generator.applications import Application, RecordRef, validate_record
from generator.catalog import load_catalog
from generator.citations import KINDS, order
from generator.convert import LibreOfficePool, PoolSettings
from generator.dates import ORDINALS, long_date
from generator.render import DecreeRenderer, RenderInput
from ptsp.profile import load_profile
from ptsp.samples import sample_application

pytestmark = pytest.mark.integration

CA = "Balai Sertifikasi Elektronik Uji"
ON = date(2026, 12, 10)
REGIONAL = [
    "Undang-Undang Nomor 2 Tahun 2003 tentang Pembentukan Kabupaten Tanah Bumbu",
    "Undang-Undang Nomor 23 Tahun 2014 tentang Pemerintahan Daerah",
    "Undang-Undang Nomor 30 Tahun 2014 tentang Administrasi Pemerintahan",
    "Undang-Undang Nomor 11 Tahun 2008 tentang Informasi dan Transaksi Elektronik",
    "Peraturan Pemerintah Nomor 71 Tahun 2019",
    "Peraturan Daerah Kabupaten Balangan Nomor 14 Tahun 2016 tentang Pembentukan dan Susunan "
    "Perangkat Daerah",
    "Peraturan Bupati Balangan Nomor 16 Tahun 2021",
]
_PREFIX_RANK = sorted(((v[1], v[0]) for v in KINDS.values()), key=lambda p: -len(p[0]))
_ITEM = re.compile(r"(?:^|\s)(\d{1,2})\. ((?:Undang-Undang|Peraturan|Keputusan) )")


def _flat(text: str) -> str:
    text = text.replace("\u00a0", " ").replace("\u2011", "-").replace("\u2060", "")
    return " ".join(text.split())


def _rank(item: str) -> int:
    for prefix, rank in _PREFIX_RANK:
        if item.startswith(prefix):
            return rank
    raise AssertionError(f"unknown kind of regulation: {item[:80]}")


def _items(section: str) -> list[str]:
    """"1. Undang-Undang ...; 2. Peraturan ..." as item texts, in printed order."""
    marks = list(_ITEM.finditer(section))
    out, expected = [], 1
    for i, m in enumerate(marks):
        if int(m.group(1)) != expected:
            continue  # a "2." inside a title is not an item
        end = next((n.start() for n in marks[i + 1:] if int(n.group(1)) == expected + 1),
                   len(section))
        out.append(section[m.start(2):end].strip())
        expected += 1
    return out


@pytest.fixture(scope="module")
def decrees(tmp_path_factory):
    catalog = load_catalog()
    profile = load_profile()
    renderer = DecreeRenderer(profile.render_context(ON, signing_ca=CA),
                              emblem=profile.office.emblem)
    url = profile.verify_url("UJI")
    docs = {}
    jobs = [(s.code, s, None) for s in catalog.with_templates]
    # the variants with their own title or rows, whatever variant the sample picks
    jobs += [(f"{c}#{v}", catalog.get(c), v)
             for c, v in (("IL", "IL-UKLUPL"), ("IUP", "IUP-OLAH"), ("ISBW", "ISBW-ALAMI"))]
    for seq, (key, service, variant) in enumerate(jobs, start=1):
        raw = sample_application(service, seq, approved_on=ON)
        if variant:
            raw["variant"] = variant
        app = validate_record(raw, RecordRef("uji", seq), catalog)
        assert isinstance(app, Application), app
        number = f"503/{seq:04d}/{service.code}/DPMPTSP-BLG/XII/2026"
        docs[key] = (service, app, renderer.mengingat(service),
                     renderer.render(service, app, RenderInput(number, url, ON)))
    workdir = tmp_path_factory.mktemp("lo")
    out = {}
    with LibreOfficePool(PoolSettings(size=2), workdir=workdir) as pool:
        def convert(code):
            pdf = pool.convert(docs[code][3], code)
            path = workdir / f"{code.replace('#', '_')}.pdf"
            path.write_bytes(pdf)
            text = subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True,
                                  capture_output=True, text=True).stdout
            return code, text

        with ThreadPoolExecutor(max_workers=4) as ex:
            for code, text in ex.map(convert, list(docs)):
                service, app, mengingat, _ = docs[code]
                out[code] = (service, app, mengingat, text)
    assert len(out) == 84 + 3
    return out


def test_mengingat_in_hierarchy_order_with_publication_and_no_split(decrees):
    for code, (service, _app, expected, text) in decrees.items():
        flat = _flat(text)
        section = flat[flat.index("Mengingat :"):flat.index("MEMUTUSKAN")]
        items = _items(section[len("Mengingat :"):])
        assert len(items) == len(expected), (code, len(items), [i[:60] for i in items])
        ranks = [_rank(i) for i in items]
        assert ranks == sorted(ranks), (code, ranks)
        cites = order([*service.citations, *load_profile_grounds()])
        for item, cite in zip(items, cites, strict=True):
            assert item.startswith(_flat(cite.name)), (code, item[:80], cite.name)
            # base and amendments are one item: no item is itself an amendment
            assert not item[len(_flat(cite.name)):].startswith(" tentang Perubahan"), \
                (code, item[:120])
            if cite.publication:
                assert re.search(r"\((?:Tambahan )?(?:Lembaran|Berita) (?:Negara|Daerah)",
                                 item), (code, item[:120])
            else:
                # missing publication data is a recorded defect, never silently absent
                assert cite.publication_defect, (code, cite.name)
        for ground in REGIONAL:
            assert ground in section, (code, ground)


def load_profile_grounds():
    return load_profile().render_context(ON)["legal_grounds"]


def test_menimbang_cites_application_recommendation_and_authority(decrees):
    for code, (_service, app, _m, text) in decrees.items():
        flat = _flat(text)
        section = flat[flat.index("Menimbang :"):flat.index("Mengingat :")]
        assert f"Nomor {app.application_id}" in section, code
        assert f"yang diterima pada tanggal {long_date(app.received_on)}" in section, code
        if app.recommendation:
            rec = app.recommendation
            assert f"Nomor {rec['number']} tanggal {long_date(rec['date'])}" in section, code
        assert "Pasal 8 ayat (3) Peraturan Bupati Balangan Nomor 16 Tahun 2021" in section
        letters = re.findall(r"(?:^|\s)([a-h])\. bahwa", section)
        closing = "huruf " + ", huruf ".join(letters[:-2]) + ", dan huruf " + letters[-2]
        assert f"sebagaimana dimaksud dalam {closing}, perlu menetapkan" in section, code


def test_pages_numbered_from_two_and_no_heading_alone(decrees):
    heading = re.compile(r"^\s*(" + "|".join(ORDINALS[:12]) + r")\s+:")
    for code, (_s, _a, _m, text) in decrees.items():
        pages = text.rstrip("\f").split("\f")
        assert len(pages) >= 2, code
        assert not re.search(r"^\s*-\s*1\s*-\s*$", pages[0], flags=re.M), code
        for n, page in enumerate(pages[1:], start=2):
            assert re.search(rf"^\s*-\s*{n}\s*-\s*$", page, flags=re.M), (code, n)
        for n, page in enumerate(pages[:-1], start=1):
            body = page.split("Dokumen ini telah ditandatangani secara elektronik")[0]
            lines = [ln for ln in body.splitlines() if ln.strip()]
            last = lines[-1]
            # a diktum heading at the foot of a page must be a whole one-line diktum
            assert not heading.match(last) or last.rstrip().endswith("."), (code, n, last)


def test_tembusan_bupati_first_and_one_validity_statement(decrees):
    for code, (_s, _a, _m, text) in decrees.items():
        flat = _flat(text)
        tembusan = flat[flat.index("Tembusan:"):]
        assert tembusan.startswith(
            "Tembusan: 1. Yth. Bupati Balangan (sebagai laporan)"), (code, tembusan[:80])
        diktum = flat[flat.index("MEMUTUSKAN"):flat.index("Ditetapkan di")]
        validity = re.findall(r"(?<!STR )berlaku (?:selama|sejak|sampai|untuk)", diktum)
        assert len(validity) == 1, (code, validity)
        assert "Masa Berlaku" not in diktum and "Jangka Waktu" not in diktum, code


def test_electronic_signature_statement_names_the_ca(decrees):
    for code, (_s, _a, _m, text) in decrees.items():
        flat = _flat(text)
        assert f"sertifikat elektronik yang diterbitkan oleh {CA}" in flat, code
        assert "Pasal 5 ayat (1) Undang-Undang Nomor 11 Tahun 2008" in flat, code
        assert "cap stempel basah sebagaimana dimaksud dalam Pasal 8 ayat (2)" in flat, code


def test_variants_have_their_own_title_and_rows(decrees):
    flat = _flat(decrees["IL#IL-UKLUPL"][3])
    assert "PEMBERIAN IZIN LINGKUNGAN (UKL-UPL)" in flat
    flat = _flat(decrees["IUP#IUP-OLAH"][3])
    assert "Kapasitas" in flat and re.search(r"\d+ ton TBS/jam", flat)
    assert "Luas Lahan" not in flat
    flat = _flat(decrees["ISBW#ISBW-ALAMI"][3])
    assert "Lokasi Habitat Alami" in flat
    assert "Ukuran Bangunan" not in flat and "Lokasi Bangunan" not in flat
