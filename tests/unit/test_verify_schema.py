"""The documented JSON shape (docs/verification.schema.json) is what as_dict() produces."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ptsp.verify import CHECKS, SAH, RegistryCheck, VerifyReason, VerifyResult

SCHEMA = Path(__file__).resolve().parents[2] / "docs" / "verification.schema.json"


def sample() -> VerifyResult:
    return VerifyResult(
        verdict=SAH, reasons=(VerifyReason("x_y", "pesan"),), number="503/1", permit="ITO",
        permit_name="Izin Toko Obat", holder_name="Siti", holder_nik_masked="630801********01",
        signer="Budi", signer_title="Kepala Dinas", signed_at="2026-01-02T03:04:05+00:00",
        pades_level="B-LTA", delegation="7 Tahun 2021",
        registry=RegistryCheck(found=True, status="issued", status_label="berlaku",
                               hash_match=True, matched_on="file"),
        file_sha256="a" * 64,
        checks=tuple({"name": n, "label": label, "status": "passed"} for n, label in CHECKS),
        signed_revision_sha256="b" * 64, later_revisions="validation_data")


def test_schema_requires_exactly_the_top_level_keys():
    schema = json.loads(SCHEMA.read_text())
    assert set(schema["required"]) == set(sample().as_dict())
    assert set(schema["$defs"]["Registry"]["properties"]) == set(
        RegistryCheck(found=False).as_dict())


def test_as_dict_validates():
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(SCHEMA.read_text())
    jsonschema.validate(sample().as_dict(), schema)
    err = {"error": {"code": "not_found", "message": "Tidak ditemukan."}}
    jsonschema.validate(err, {"$defs": schema["$defs"], "$ref": "#/$defs/Error"})
