"""Every permit of the catalog has a decree spec whose sample renders into a proper decree.

No LibreOffice here: the DOCX is rendered with docxtpl and its text checked. The rendered
documents are cached per module so the 84 permits render once (a few seconds).
"""

from __future__ import annotations

import copy
from datetime import date
from functools import cache

import pytest

from generator.applications import Application, RecordError, RecordRef, validate_record
from generator.build_templates import build_all
from generator.catalog import TEMPLATES_DIR, Service, load_catalog
from generator.render import DecreeRenderer, RenderInput, docx_text
from ptsp.profile import load_profile
from ptsp.samples import sample_application, sample_batch

ISSUED = date(2026, 11, 27)
CATALOG = load_catalog()
PERMITS = CATALOG.permits
CODES = [s.code for s in PERMITS]
# Text fields that must print a value like "PT Maju & Jaya <Baru>" literally, one per family.
_NASTY = "PT Maju & Jaya <Baru>"


@cache
def _renderer() -> DecreeRenderer:
    profile = load_profile()
    return DecreeRenderer(profile.render_context(ISSUED), emblem=profile.office.emblem)


def _validate(raw: dict, service: Service) -> Application:
    app = validate_record(raw, RecordRef(f"test-{service.code}", 1), CATALOG)
    assert isinstance(app, Application), "\n".join(app.describe())
    return app


def _render(service: Service, app: Application) -> str:
    number = f"503/0001/{service.code}/DPMPTSP-BLG/XI/2026"
    data = _renderer().render(service, app, RenderInput(number, "http://127.0.0.1/v/T", ISSUED))
    return docx_text(data)


@cache
def _sample_text(code: str) -> tuple[dict, str]:
    service = CATALOG.get(code)
    raw = sample_application(service, 3, approved_on=ISSUED)
    return raw, _render(service, _validate(raw, service))


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_all_84_permits_have_a_decree_spec():
    assert len(PERMITS) == 84
    missing = [s.code for s in PERMITS if s.decree is None]
    assert not missing, f"permits without a decree spec: {missing}"
    assert {s.code for s in CATALOG.with_templates} == set(CODES)
    for s in PERMITS:
        assert (TEMPLATES_DIR / s.template).is_file(), f"{s.code}: template not built"


@pytest.mark.parametrize("code", CODES)
def test_sample_validates_and_renders_a_complete_decree(code):
    service = CATALOG.get(code)
    raw, text = _sample_text(code)
    flat = _flat(text)
    assert service.name in flat
    assert raw["applicant"]["name"] in flat
    # Every ground of the permit (Lampiran I basis, resolved to its base regulation where the
    # source cites an amendment, and the sector law) is cited, as one Mengingat item.
    for cite in service.citations:
        assert _flat(cite.text()) in flat, f"{code}: legal basis missing: {cite.name}"
    for needle in ("MEMUTUSKAN", "KESATU", "KEDUA", "Ditetapkan di Paringin", "NOMOR 503/0001/",
                   "Keputusan ini mulai berlaku pada tanggal ditetapkan",
                   "data dan keterangan yang disampaikan"):
        assert needle in flat, f"{code}: {needle!r} missing"
    # The technical recommendation is cited in the Menimbang.
    assert raw["recommendation"]["number"] in flat
    if "{" not in service.decree.title:
        assert service.decree.title.upper() in flat


@pytest.mark.parametrize("code", [s.code for s in PERMITS if s.variants])
def test_every_variant_is_named_in_the_decree(code):
    service = CATALOG.get(code)
    for i, variant in enumerate(service.variants):
        raw = sample_application(service, i, approved_on=ISSUED)
        assert raw["variant"] == variant.code
        text = _flat(_render(service, _validate(raw, service)))
        assert _flat(variant.name) in text, f"{code}: variant {variant.code} not named"


def test_specs_cite_no_source_defect_text_and_use_no_stray_markup():
    for s in PERMITS:
        spec = s.decree
        parts = [spec.title, spec.grant, *spec.menimbang, *spec.diktum, *spec.tembusan,
                 *(label for label, *_ in spec.details)]
        for part in parts:
            assert "Perkam" not in part and "kessanggupan" not in part
            assert part.count("{{") == part.count("}}"), f"{s.code}: unbalanced {part!r}"
        if not s.variants:
            assert not any("variant" in value for _, value, *_ in spec.details), s.code
            assert not any("variant" in t for t in (*spec.menimbang, *spec.diktum)), s.code


@pytest.mark.parametrize("code", CODES)
def test_markup_in_values_prints_literally(code):
    service = CATALOG.get(code)
    raw = copy.deepcopy(sample_application(service, 5, approved_on=ISSUED))
    target = next((f for f in service.decree.fields if f.type == "text"), None)
    assert target is not None, f"{code}: no text field"
    raw["fields"][target.name] = _NASTY
    # a person's name may not hold markup at all (issue 13); "&" and quotes print as they are
    raw["applicant"]["name"] = "Hj. Siti Nur'aini & Co"
    text = _render(service, _validate(raw, service))
    assert "Hj. Siti Nur'aini & Co" in text
    if any(target.name in value for _, value, *_ in service.decree.details):
        assert _NASTY in text, f"{code}: {target.name} not printed literally"


@pytest.mark.parametrize("code", CODES)
def test_missing_required_field_is_rejected_by_name(code):
    service = CATALOG.get(code)
    raw = copy.deepcopy(sample_application(service, 1, approved_on=ISSUED))
    required = [f for f in service.decree.fields if f.required]
    assert required
    victim = required[0].name
    del raw["fields"][victim]
    result = validate_record(raw, RecordRef("t", 1), CATALOG)
    assert isinstance(result, RecordError)
    assert f"fields.{victim}" in {e.field for e in result.errors}


def test_optional_applicant_and_field_data_may_be_missing():
    """Birth data, an SLF without IMB, an LPK without NIB: the decree prints "-"."""
    for code in ("SIPB", "SIPD", "SLF", "ILPK"):
        service = CATALOG.get(code)
        raw = copy.deepcopy(sample_application(service, 2, approved_on=ISSUED))
        raw["applicant"].pop("birth_place", None)
        raw["applicant"].pop("birth_date", None)
        for f in service.decree.fields:
            if not f.required:
                raw["fields"].pop(f.name, None)
        text = _render(service, _validate(raw, service))
        assert raw["applicant"]["name"] in text


def test_optikal_states_its_five_year_validity():
    service = CATALOG.get("IOPT")
    assert service.decree.validity_years == 5
    _, text = _sample_text("IOPT")
    assert "5 (lima) tahun" in text and "27 November 2031" in text


def test_sample_batch_cycles_through_all_permits():
    batch = sample_batch(CATALOG, count=len(CODES), approved_on=ISSUED)
    assert sorted(r["permit"] for r in batch) == sorted(CODES)
    for raw in batch:
        assert isinstance(validate_record(raw, RecordRef("b", 1), CATALOG), Application)


def test_templates_are_up_to_date(capsys):
    out = TEMPLATES_DIR / "permits"
    assert build_all(CATALOG, out, check=True) == 0, capsys.readouterr().err
