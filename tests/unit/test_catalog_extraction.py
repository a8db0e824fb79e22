"""Tests for scripts/extract_catalog.py and the committed templates/catalog.json."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import re
from collections import Counter
from pathlib import Path

import pytest

from generator.build_templates import mengingat_item

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "extract_catalog.py"
CATALOG = ROOT / "templates" / "catalog.json"
SOURCE = ROOT / "templates" / "source" / "perbup-balangan-16-2021.txt"

CODE_RE = re.compile(r"^[A-Z][A-Z0-9-]{1,15}$")
JUNK_RE = re.compile(r"\*\*|^-\s|\s{2,}|^\s|\s$|\s[;,.:]|[;,]$|[<>\u2022\t]")


def _load_module():
    spec = importlib.util.spec_from_file_location("extract_catalog", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def extractor():
    return _load_module()


@pytest.fixture(scope="module")
def generated(extractor) -> str:
    lines = SOURCE.read_text(encoding="utf-8").split("\n")
    catalog = extractor.post_process(extractor.build(lines))
    return json.dumps(catalog, ensure_ascii=False, indent=1, sort_keys=True) + "\n"


@pytest.fixture(scope="module")
def catalog() -> dict:
    return json.loads(CATALOG.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def by_code(catalog) -> dict:
    return {s["code"]: s for s in catalog["services"]}


def wd(service_or_variant) -> tuple[int, int] | None:
    t = service_or_variant["standard_time"]
    return None if t is None else (t["working_days"], t["minutes"])


# --- reproducibility --------------------------------------------------------------------------


def test_extraction_is_byte_identical_to_committed_catalog(generated):
    assert generated == CATALOG.read_text(encoding="utf-8"), (
        "templates/catalog.json is stale: run `python scripts/extract_catalog.py`"
    )


def test_extraction_is_deterministic(extractor, generated):
    lines = SOURCE.read_text(encoding="utf-8").split("\n")
    again = extractor.post_process(extractor.build(lines))
    assert json.dumps(again, ensure_ascii=False, indent=1, sort_keys=True) + "\n" == generated


def test_source_block(catalog):
    src = catalog["source"]
    assert src["file"] == "templates/source/perbup-balangan-16-2021.txt"
    assert src["sha256"] == hashlib.sha256(SOURCE.read_bytes()).hexdigest()
    assert src["title"].startswith("Peraturan Bupati Balangan Nomor 16 Tahun 2021 tentang")


# --- counts -----------------------------------------------------------------------------------


def test_service_counts(catalog):
    services = catalog["services"]
    assert len(services) == 89
    kinds = Counter(s["kind"] for s in services)
    # 84 permits ending in a decree (channel B 51 + C 33); 5 non-permits: the OSS assistance
    # (channel A, its product is the NIB issued by OSS) and the 4 services of Pasal 7 II.
    assert kinds == {"permit": 84, "non_permit": 5}
    assert Counter(s["channel"] for s in services) == {"A": 1, "B": 51, "C": 33, "II": 4}
    assert {s["channel"] for s in services if s["kind"] == "non_permit"} == {"A", "II"}


def test_sector_counts(catalog):
    got = Counter((s["channel"], s["sector"]) for s in catalog["services"])
    assert got == {
        ("A", "Lintas Sektor"): 1,
        ("B", "Kesehatan"): 12,
        ("B", "Pertanian"): 8,
        ("B", "Perindustrian, Mikro Kecil dan Koperasi"): 9,
        ("B", "Pendidikan"): 2,
        ("B", "Kepariwisataan"): 1,
        ("B", "Perdagangan"): 3,
        ("B", "Pekerjaan Umum"): 3,
        ("B", "Lingkungan Hidup"): 6,
        ("B", "Ketenagakerjaan"): 2,
        ("B", "Perikanan"): 2,
        ("B", "Perhubungan"): 2,
        ("B", "Perumahan dan Permukiman"): 1,
        ("C", "Pekerjaan Umum"): 3,
        ("C", "Kesehatan"): 24,
        ("C", "Sosial"): 3,
        ("C", "Pertanian"): 1,
        ("C", "Perdagangan"): 1,
        ("C", "Perumahan dan Permukiman"): 1,
        ("II", "Non Perizinan"): 4,
    }


def test_variant_counts(by_code):
    counts = {code: len(s["variants"]) for code, s in by_code.items() if s["variants"]}
    assert counts == {
        "IUP": 3, "IUTP": 4, "IUH": 2, "SIUP": 2, "IUJK": 2, "SLF": 8, "IPLC": 2, "IL": 5,
        "ILPK": 4, "ISBW": 2,
    }


# --- codes --------------------------------------------------------------------------------------


def test_codes_unique_and_well_formed(catalog):
    codes = [s["code"] for s in catalog["services"]]
    codes += [v["code"] for s in catalog["services"] for v in s["variants"]]
    assert len(codes) == len(set(codes))
    assert all(CODE_RE.match(c) for c in codes), [c for c in codes if not CODE_RE.match(c)]


def test_codes_stable(catalog):
    # Codes are part of document numbers; changing one is a breaking change.
    codes = [s["code"] for s in catalog["services"]]
    assert codes[:14] == [
        "PPBO", "ITAK", "IMRS", "IORS", "IOK", "IOLK", "SIA", "ITO", "IPPV", "SP-UKMOT",
        "SP-PRT-AKPKRT", "SPPIRT", "IMK", "IUP",
    ]
    assert codes[-4:] == ["LINFO", "LADU", "LKONS", "LSULUH"]
    for code in ("SIPB", "IREK", "ITO", "IL", "SPPL", "IMB", "SLF", "SIUP", "TDUP", "IUMK"):
        assert code in codes
    variant_codes = {v["code"] for s in catalog["services"] for v in s["variants"]}
    assert {"IL-SPPL", "IL-UKLUPL", "IL-AMDAL-A", "IL-AMDAL-B", "IL-AMDAL-C"} <= variant_codes


def test_variant_codes_prefixed_by_service(catalog):
    for s in catalog["services"]:
        for v in s["variants"]:
            assert v["code"].startswith(s["code"] + "-")


# --- standard times pinned against the text ------------------------------------------------------

# OSS (channel B) SOPs: 5 + 15 min, technical review (step 3), 30 min, 2 hari, 5 x 5 min.
OSS_FIXED = (2, 75)
# SiCantik (channel C) SOPs: 5 + 15 min, technical review, 60 + 60 + 20 + 10 + 20 + 15 min.
SICANTIK_FIXED = (0, 205)


@pytest.mark.parametrize(
    ("code", "review_days", "fixed"),
    [
        ("ITAK", 11, OSS_FIXED),  # line 2505: 11 hari
        ("IUP", 8, OSS_FIXED),  # line 3167: 8 Hari
        ("IUPET", 60, OSS_FIXED),  # line 3537: 60 hari
        ("IMB", 19, OSS_FIXED),  # line 4620: 19 Hari
        ("IPLB3", 40, OSS_FIXED),  # line 4741: 40 hari
        ("PIL", 180, OSS_FIXED),  # line 4966: 180 hari
        ("SPPL", 7, OSS_FIXED),  # line 5020: 7 hari
        ("TDU-PHP", 20, OSS_FIXED),  # line 5225: 20 hari
        ("ILOK", 14, OSS_FIXED),  # line 5405: 14 hari
        ("IREK", 3, SICANTIK_FIXED),  # line 5468: 3 hari
        ("RKLR", 13, SICANTIK_FIXED),  # line 5527: 13 hari
        ("IOP", 11, SICANTIK_FIXED),  # line 5626: 11 hari
        ("SIPB", 5, SICANTIK_FIXED),  # line 5997: 5 hari (table cut after step 7)
        ("ISBW", 60, SICANTIK_FIXED),  # line 7057: 60 hari
        ("RPSP", 2, SICANTIK_FIXED),  # line 7149: 2 hari
    ],
)
def test_standard_time_pinned(by_code, code, review_days, fixed):
    s = by_code[code]
    assert s["steps"][2]["time"] == {"working_days": review_days, "minutes": 0}
    assert wd(s) == (review_days + fixed[0], fixed[1])


def test_pendampingan_time(by_code):
    # 5 + 15 + 150 minutes, lines 2456-2458
    assert wd(by_code["PPBO"]) == (0, 170)


def test_izin_lingkungan_variants(by_code):
    # Footnote of the duplicated SOP (line 7111): 7 hari kerja (SPPL), 14 (UKL UPL),
    # 180 (AMDAL A), 120 (AMDAL B), 60 (AMDAL C); the variant total adds the OSS steps.
    il = by_code["IL"]
    review = {v["code"]: v["standard_time"]["working_days"] - OSS_FIXED[0] for v in il["variants"]}
    assert review == {"IL-SPPL": 7, "IL-UKLUPL": 14, "IL-AMDAL-A": 180, "IL-AMDAL-B": 120,
                      "IL-AMDAL-C": 60}
    assert all(v["standard_time"]["minutes"] == OSS_FIXED[1] for v in il["variants"])
    # the service total uses the upper bound of "14-180 hari"
    assert wd(il) == (182, 75)
    assert any(d["kind"] == "ambiguous_value" for d in il["defects"])
    assert any(d["kind"] == "duplicated_section" for d in il["defects"])


def test_variants_share_sop_time_when_source_gives_one(by_code):
    for code in ("SIUP", "IUTP", "ISBW", "IPLC", "ILPK", "IUJK"):
        s = by_code[code]
        assert all(v["standard_time"] == s["standard_time"] for v in s["variants"]), code


def test_missing_times_are_null_and_recorded(catalog):
    null_permits = sorted(
        s["code"]
        for s in catalog["services"]
        if s["kind"] == "permit" and s["standard_time"] is None
    )
    assert null_permits == ["ISPAM", "PUP", "SLF", "TPUPI"]
    for s in catalog["services"]:
        if s["standard_time"] is None and s["kind"] == "permit":
            assert any(d["kind"] in ("missing_value", "missing_table") for d in s["defects"])


def test_total_is_sum_of_steps(catalog):
    for s in catalog["services"]:
        if s["standard_time"] is None:
            continue
        days = sum(st["time"]["working_days"] for st in s["steps"])
        minutes = sum(st["time"]["minutes"] for st in s["steps"])
        assert s["standard_time"] == {"working_days": days, "minutes": minutes}, s["code"]


# --- completeness of permits ---------------------------------------------------------------------


def _has_defect(service, field_prefix):
    return any(d["field"].startswith(field_prefix) for d in service["defects"])


def test_permits_complete(catalog):
    for s in catalog["services"]:
        if s["kind"] != "permit":
            continue
        code = s["code"]
        assert s["legal_basis"], code
        assert s["definition"] or _has_defect(s, "definition"), code
        assert s["requirements"] or (
            s["variants"] and all(v["requirements"] for v in s["variants"])
        ) or _has_defect(s, "requirements"), code
        assert len(s["steps"]) >= 9, code
        assert all(st["activity"] for st in s["steps"]), code
        assert s["sop_number"] and re.match(r"^503/\d\d/SOP/DPMP(STP|TSP)-BLG/2021$",
                                            s["sop_number"]), code
        assert s["names"]["lampiran1"] and s["names"]["sop"], code


def test_null_definitions_are_recorded(catalog):
    nulls = sorted(s["code"] for s in catalog["services"]
                   if s["kind"] == "permit" and not s["definition"])
    assert nulls == ["IPLC", "IUI", "IUTP"]


def test_sop_numbers_shared_only_within_sector(catalog):
    # In this regulation the SOP number identifies the sector group, not the service.
    groups: dict[str, set] = {}
    for s in catalog["services"]:
        if s["sop_number"]:
            groups.setdefault(s["sop_number"].replace("DPMPTSP", "DPMPSTP"), set()).add(
                (s["channel"] if s["channel"] != "A" else "A", s["sector"]))
    assert all(len(v) == 1 for v in groups.values()), groups


def test_schema_keys(catalog):
    keys = {"code", "kind", "name", "names", "sector", "channel", "legal_basis", "definition",
            "requirements", "sop_number", "related_sops", "steps", "standard_time", "variants",
            "defects"}
    for s in catalog["services"]:
        assert set(s) == keys
        assert set(s["names"]) == {"pasal7", "lampiran1", "sop"}
        for st in s["steps"]:
            assert set(st) == {"activity", "input", "time", "output"}
        for v in s["variants"]:
            assert set(v) == {"code", "name", "requirements", "standard_time"}
            assert v["requirements"], v["code"]


# --- defects ---------------------------------------------------------------------------------


def test_defects_well_formed(catalog, extractor):
    for s in catalog["services"]:
        for d in s["defects"]:
            assert set(d) == {"field", "kind", "source_line", "reason", "action"}
            assert d["field"] and d["reason"] and d["action"]
            assert d["kind"] in extractor.DEFECT_KINDS
            assert d["source_line"] is None or 1 <= d["source_line"] <= 7351


def test_defect_counts(catalog):
    kinds = Counter(d["kind"] for s in catalog["services"] for d in s["defects"])
    assert kinds == {
        "name_mismatch": 28, "ocr_garbage": 25, "cut_off": 17, "copied_from_neighbour": 7,
        "missing_table": 6, "missing_value": 8, "wrong_reference": 2,
        "duplicate_sop_number": 1, "missing_in_pasal7": 1, "duplicated_section": 1,
        "ambiguous_value": 1, "missing_in_lampiran": 1,
        # legal-basis citations and names (data table 4 of the script)
        "spelling": 63, "malformed_citation": 37, "duplicate_citation": 3,
    }


@pytest.mark.parametrize(
    ("code", "field", "kind"),
    [
        ("IUI", "definition", "copied_from_neighbour"),
        ("IUMK", "requirements", "copied_from_neighbour"),
        ("SIPTGZ", "requirements", "copied_from_neighbour"),
        ("ISPAM", "definition", "copied_from_neighbour"),
        ("IPPV", "steps", "missing_table"),
        ("TPUPI", "steps", "missing_table"),
        ("SIPP", "steps", "missing_table"),
        ("SIPB", "steps", "cut_off"),
        ("IOP", "requirements", "cut_off"),
        ("IMK", "sop_number", "duplicate_sop_number"),
        ("IL", "steps", "duplicated_section"),
        ("SLHS-DAM", "names.sop", "name_mismatch"),
        ("LSULUH", "steps", "missing_in_lampiran"),
        ("PUH", "steps[6].activity", "ocr_garbage"),
        ("ISBW", "legal_basis", "malformed_citation"),
        ("IUTP", "legal_basis", "malformed_citation"),
        ("ILOK", "legal_basis", "malformed_citation"),
        ("IPLB3", "legal_basis", "malformed_citation"),
        ("IPSB3", "legal_basis", "malformed_citation"),
        ("ANDALALIN", "legal_basis", "malformed_citation"),
        ("SLF", "legal_basis", "malformed_citation"),
        ("SIPA", "legal_basis", "malformed_citation"),  # Perda 16/2014 title unified
        ("SIKPM", "legal_basis", "spelling"),
        ("SIPR", "legal_basis", "spelling"),
        ("SIPD", "legal_basis", "spelling"),
        ("SIPTW", "legal_basis", "spelling"),
        ("RPSP", "legal_basis", "spelling"),
        ("IL", "legal_basis", "malformed_citation"),  # Peraturan Bupati Kabupaten Balangan
        ("PIL", "legal_basis", "spelling"),  # kessanggupan
        ("SIUP", "legal_basis", "duplicate_citation"),
        ("IPLC", "legal_basis", "duplicate_citation"),
        ("IUJK", "legal_basis", "duplicate_citation"),
        ("SIPTTK", "name", "spelling"),
        ("IPSPF", "name", "spelling"),
        ("SIUP", "variants.SIUP-TEKNIS.name", "spelling"),
    ],
)
def test_known_defects_recorded(by_code, code, field, kind):
    assert any(d["field"] == field and d["kind"] == kind for d in by_code[code]["defects"])


def test_copied_text_does_not_survive(by_code):
    assert not any("Kantor Kas" in r for r in by_code["IUMK"]["requirements"])
    assert not any("Ortosis" in r for r in by_code["SIPTGZ"]["requirements"])
    assert not by_code["ISPAM"]["definition"].startswith("Rekomendasi Kesesuaian")
    assert not any("Kawasan Industri" in lb for lb in by_code["IUI"]["legal_basis"])
    ilpk = {v["code"]: v for v in by_code["ILPK"]["variants"]}
    assert not any("untuk Swasta" in r for r in ilpk["ILPK-PEMERINTAH"]["requirements"])


# --- text hygiene ----------------------------------------------------------------------------


def _texts(s):
    yield s["name"]
    yield from (v for v in s["names"].values() if v)
    if s["definition"]:
        yield s["definition"]
    yield from s["legal_basis"]
    yield from s["requirements"]
    yield from s["related_sops"]
    for st in s["steps"]:
        yield from (st[k] for k in ("activity", "input", "output") if st[k])
    for v in s["variants"]:
        yield v["name"]
        yield from v["requirements"]


def test_no_ocr_junk(catalog):
    bad = [(s["code"], t) for s in catalog["services"] for t in _texts(s) if JUNK_RE.search(t)]
    assert not bad, bad[:5]


def test_definitions_without_doubled_subject(catalog):
    for s in catalog["services"]:
        d = s["definition"] or ""
        assert " adalah adalah " not in d
        head = d.split(". ")[0]
        assert head.count(" adalah ") <= 1, (s["code"], d)


def test_legal_basis_one_instrument_per_item(catalog):
    for s in catalog["services"]:
        for lb in s["legal_basis"]:
            assert not re.search(r"\sdan\s(Peraturan|Perda)\s", lb), lb
            assert not lb.endswith((";", ".", ",")), lb
            assert re.match(r"^(Peraturan|Keputusan|Lampiran)\b", lb), lb


def test_canonical_names(by_code):
    assert by_code["SIPB"]["name"] == "Surat Izin Praktik Bidan"
    assert by_code["ITO"]["name"] == "Izin Toko Obat"
    assert by_code["IREK"]["name"] == "Izin Reklame"
    assert by_code["SPPIRT"]["name"] == "Sertifikat Produksi Pangan Industri Rumah Tangga"
    assert by_code["TPUPI"]["name"] == "Tanda Pencatatan Usaha Pembudidayaan Ikan"
    assert by_code["SIPOP"]["name"] == "Surat Izin Praktik Ortotis Prostetis"
    assert by_code["SLHS-DAM"]["name"] == "Sertifikat Laik Higiene Sanitasi Depot Air Minum"
    assert by_code["SIPB"]["legal_basis"][0].startswith(
        "Peraturan Menteri Kesehatan Nomor 28 Tahun 2017 Tentang Izin dan Penyelenggaraan "
        "Praktik Bidan")
    assert by_code["SIPTTK"]["name"] == "Surat Izin Praktik Tenaga Teknis Kefarmasian (SIPTTK)"
    assert by_code["IPSPF"]["name"] == (
        "Izin Pendirian Satuan Pendidikan Formal yang Diselenggarakan oleh Masyarakat")
    assert by_code["IPAO"]["name"] == "Izin Penyelenggaraan Angkutan Orang dalam Daerah"


# Conjunctions / prepositions written in lower case inside names and titles (EYD).
FUNCTION_WORDS = {"dan", "atau", "serta", "di", "ke", "dari", "yang", "untuk", "oleh", "dengan",
                  "pada", "bagi", "dalam", "atas", "melalui", "antara", "sampai", "hingga",
                  "terhadap", "tanpa", "tentang"}


def test_names_write_prepositions_in_lower_case(catalog):
    names = [(s["code"], s["name"]) for s in catalog["services"]]
    names += [(v["code"], v["name"]) for s in catalog["services"] for v in s["variants"]]
    for code, name in names:
        inner = name.split()[1:]
        assert not [w for w in inner if w.lower() in FUNCTION_WORDS and w != w.lower()], (
            code, name)
        assert not re.search(r"[a-z]/[A-Z][A-Z-]+$", name), (code, name)  # "…/SIPTTK"


# --- legal basis as cited on the decree (Mengingat) ----------------------------------------------

KINDS = ("Undang-Undang", "Peraturan Pemerintah", "Peraturan Presiden", "Peraturan Menteri",
         "Keputusan Menteri", "Peraturan Daerah", "Peraturan Bupati", "Peraturan Gubernur",
         "Keputusan Bupati", "Peraturan Kepala", "Peraturan Badan")
# "<kind> <Issuer words, capitalised or 'dan'> Nomor ..."
ISSUER_RE = re.compile(r"^(?:Undang-Undang|(?:Peraturan|Keputusan)(?: (?:[A-Z][\w/-]*|dan))+)"
                       r" Nomor ")
NUMBER_YEAR_RE = re.compile(r"\bNomor (?:PM )?[1-9]\d* Tahun \d{4} tentang \S")
# Regulations numbered in the issuer's own scheme: the year is part of the number, no "Tahun".
SLASH_NUMBER_RE = re.compile(r"\bNomor (?:P\.)?[1-9]\d*(?:/[A-Z0-9.]+)+/(?:\d{4}|\d{2}) tentang \S")
SLASH_NUMBERED = {"SIPD", "IPLB3", "IPSB3", "IPLC", "IPUB"}


def _citations(catalog):
    for s in catalog["services"]:
        for lb in s["legal_basis"]:
            yield s["code"], lb, mengingat_item(lb)


def test_legal_basis_cites_kind_number_year_and_title(catalog):
    for code, _, cited in _citations(catalog):
        assert cited.startswith(KINDS), (code, cited)
        assert ISSUER_RE.match(cited), (code, cited)
        if code in SLASH_NUMBERED and not NUMBER_YEAR_RE.search(cited):
            assert SLASH_NUMBER_RE.search(cited), (code, cited)
        else:
            assert NUMBER_YEAR_RE.search(cited), (code, cited)
    # the recorded exceptions are exactly the services citing a slash-numbered regulation
    no_year = {code for code, _, cited in _citations(catalog) if " Tahun " not in cited}
    assert no_year == SLASH_NUMBERED


def test_legal_basis_has_no_article_tail_or_typos(catalog):
    for code, lb, cited in _citations(catalog):
        assert not re.search(r"\b(?:[Pp]asal|Lampiran|[Aa]yat)\b", cited), (code, cited)
        assert not re.search(r"\b(?:Peraturan|Keputusan) (?:[a-z]|\S+ [a-z])", cited.split(
            " Nomor ")[0].replace(" dan ", " Dan ")), (code, cited)
        assert "Peraturan Menteri kesehatan" not in lb
        assert not re.search(r" Th\.? | RTentang|\bNo\.|\bnomor\b|\d tahun\b|Nomor 0\d", lb), (
            code, lb)
        assert "  " not in lb and lb == lb.strip(), (code, lb)
        assert "Bupati Kabupaten" not in lb and not re.search(r"\bRI\b|\bPUPR\b|PANRB", lb)
        assert not re.search(r"/[a-z]+/[a-z]+/", lb), (code, lb)  # 2052/menkes/per/X/2011


def test_legal_basis_titles_in_eyd_case(catalog):
    """Every word capitalised except conjunctions/prepositions; 'Dalam Negeri' is a name."""
    for code, _, cited in _citations(catalog):
        words = cited.split()
        for i, w in enumerate(words):
            core = w.strip("(),.;:")
            if not core or not core[0].isalpha():
                continue
            if core.lower() in FUNCTION_WORDS and i:
                assert core == core.lower() or (
                    core == "Dalam" and words[i + 1].startswith("Negeri")), (code, w, cited)
            else:
                assert all(p[:1].isupper() for p in core.split("-") if p), (code, w, cited)


def test_legal_basis_one_item_per_regulation(catalog):
    for s in catalog["services"]:
        cited = [mengingat_item(lb) for lb in s["legal_basis"]]
        assert len(cited) == len(set(cited)), (s["code"], cited)


def test_same_regulation_cited_alike(catalog):
    """A regulation (kind, number, year) has one title across the catalog."""
    titles: dict[str, set] = {}
    for _, _, cited in _citations(catalog):
        m = re.match(r"^(.+? Nomor (?:PM )?\S+(?: Tahun \d{4})?)(?: tentang (.+))?$", cited)
        assert m, cited
        head = re.sub(r" Republik Indonesia$", "", m.group(1))
        titles.setdefault(head, set()).add(m.group(2))
    assert {h: t for h, t in titles.items() if len(t) > 1} == {}
    assert titles["Peraturan Daerah Kabupaten Balangan Nomor 16 Tahun 2014"] == {
        "Perizinan Tenaga Kesehatan, Sertifikasi Tempat Sarana Pelayanan Kesehatan"}


def test_perda_16_2014_cited_everywhere_with_one_title(catalog):
    perda = [(code, cited) for code, _, cited in _citations(catalog)
             if cited.startswith("Peraturan Daerah Kabupaten Balangan Nomor 16 Tahun 2014")]
    assert len(perda) == 14
    assert {cited for _, cited in perda} == {
        "Peraturan Daerah Kabupaten Balangan Nomor 16 Tahun 2014 tentang Perizinan Tenaga "
        "Kesehatan, Sertifikasi Tempat Sarana Pelayanan Kesehatan"}


def test_completed_titles_are_printed_in_the_source(extractor):
    """Titles supplied for citations come from the source text, never from elsewhere."""
    source = extractor.norm(SOURCE.read_text(encoding="utf-8"))
    for head, (title, _) in extractor.CITATION_TITLES.items():
        assert extractor.norm(title) in source, (head, title)


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("ISBW", "Peraturan Daerah Kabupaten Balangan Nomor 14 Tahun 2013 tentang Izin "
                 "Penyelenggaraan Pengelolaan Sarang Burung Walet"),
        ("IUTP", "Peraturan Menteri Pertanian Nomor 45 Tahun 2019 tentang Pelayanan Perizinan "
                 "Berusaha Terintegrasi Secara Elektronik di Bidang Pertanian"),
        ("ILOK", "Peraturan Menteri Agraria dan Tata Ruang/Kepala Badan Pertanahan Nasional "
                 "Nomor 17 Tahun 2019 tentang Izin Lokasi"),
        ("IPLB3", "Peraturan Menteri Lingkungan Hidup dan Kehutanan Nomor "
                  "P.95/MENLHK/SETJEN/KUM.1/11/2018 tentang Perizinan Pengelolaan Limbah Bahan "
                  "Berbahaya dan Beracun Terintegrasi dengan Izin Lingkungan melalui Pelayanan "
                  "Perizinan Berusaha Terintegrasi Secara Elektronik"),
        ("ANDALALIN", "Peraturan Menteri Perhubungan Nomor PM 45 Tahun 2019 tentang Perubahan "
                      "atas Peraturan Menteri Perhubungan Nomor PM 88 Tahun 2018 tentang Norma, "
                      "Standar, Prosedur, dan Kriteria Perizinan Berusaha Terintegrasi Secara "
                      "Elektronik Sektor Perhubungan di Bidang Darat"),
        ("SLF", "Peraturan Menteri Pekerjaan Umum dan Perumahan Rakyat Nomor 3 Tahun 2020 "
                "tentang Perubahan atas Peraturan Menteri Pekerjaan Umum dan Perumahan Rakyat "
                "Nomor 27/PRT/M/2018 tentang Sertifikat Laik Fungsi Bangunan Gedung"),
        ("SIKPM", "Peraturan Menteri Kesehatan Nomor 55 Tahun 2013 tentang Penyelenggaraan "
                  "Pekerjaan Perekam Medis"),
        ("SIPR", "Peraturan Menteri Kesehatan Nomor 81 Tahun 2013 tentang Penyelenggaraan "
                 "Pekerjaan Radiografer"),
        ("SIPD", "Peraturan Menteri Kesehatan Nomor 2052/MENKES/PER/X/2011 tentang Izin Praktik "
                 "dan Pelaksanaan Praktik Kedokteran"),
        ("SIPTTK", "Peraturan Menteri Kesehatan Nomor 31 Tahun 2016 tentang Perubahan Peraturan "
                   "Menteri Kesehatan Nomor 889/MENKES/PER/V/2011 tentang Registrasi, Izin "
                   "Praktik, dan Izin Kerja Tenaga Kefarmasian"),
        ("IL", "Peraturan Bupati Balangan Nomor 13 Tahun 2017 tentang Upaya Pengelolaan "
               "Lingkungan Hidup-Upaya Pemantauan Lingkungan Hidup (UKL-UPL) dan Surat "
               "Pernyataan Kesanggupan Pengelolaan dan Pemantauan Lingkungan Hidup (SPPL)"),
        ("RPSP", "Peraturan Daerah Kabupaten Balangan Nomor 25 Tahun 2013 tentang "
                 "Penyelenggaraan Perumahan dan Kawasan Permukiman"),
        ("SIKTS", "Peraturan Menteri Kesehatan Nomor 32 Tahun 2013 tentang Penyelenggaraan "
                  "Pekerjaan Sanitarian"),
        ("IUJK", "Peraturan Menteri Pekerjaan Umum dan Perumahan Rakyat Nomor 8 Tahun 2019 "
                 "tentang Pedoman Pelayanan Usaha Jasa Konstruksi Nasional"),
        ("LADU", "Peraturan Bupati Balangan Nomor 103 Tahun 2017 tentang Pedoman Teknis "
                 "Penanganan Pengaduan Masyarakat pada Dinas Penanaman Modal dan Pelayanan "
                 "Terpadu Satu Pintu"),
    ],
)
def test_corrected_citations(by_code, code, expected):
    assert expected in [mengingat_item(lb) for lb in by_code[code]["legal_basis"]]


def test_merged_citations_keep_their_articles(by_code):
    assert len(by_code["SIUP"]["legal_basis"]) == 1
    assert by_code["SIUP"]["legal_basis"][0].endswith("Pasal 14 Lampiran 1 dan 2")
    assert len(by_code["IPLC"]["legal_basis"]) == 1
    assert by_code["IPLC"]["legal_basis"][0].endswith("Pasal 3 dan Pasal 4 ayat (2) dan (3)")
    assert len(by_code["IUJK"]["legal_basis"]) == 1
