import json
from pathlib import Path

import pytest

from generator.applications import (
    Application,
    RecordError,
    RecordRef,
    mask_nik,
    read_applications,
    validate_record,
)
from generator.catalog import load_catalog
from generator.errors import InputError
from ptsp.samples import sample_application, sample_batch


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


def good(catalog, code="SIPB", seq=1):
    return sample_application(catalog.get(code), seq)


def errors_of(result):
    assert isinstance(result, RecordError), result
    return {e.field: e.message for e in result.errors}


def test_sample_is_valid(catalog):
    for code in ("SIPB", "IREK", "ITO"):
        res = validate_record(good(catalog, code), RecordRef("f.json", 1), catalog)
        assert isinstance(res, Application), getattr(res, "errors", None)
        assert res.permit == code


def test_every_problem_is_named_by_field(catalog):
    raw = good(catalog)
    raw["applicant"]["nik"] = "1234"
    raw["fields"].pop("str_number")
    raw["approved_on"] = "31-31-2026"
    raw["surprise"] = 1
    errs = errors_of(validate_record(raw, RecordRef("batch.csv", 7), catalog))
    assert "applicant.nik" in errs and "NIK" in errs["applicant.nik"]
    assert "fields.str_number" in errs
    assert "approved_on" in errs
    assert errs["surprise"] == "unknown field"


def test_unknown_permit_and_missing_recommendation(catalog):
    raw = good(catalog)
    raw["permit"] = "NOPE"
    assert "permit" in errors_of(validate_record(raw, RecordRef("f", 1), catalog))
    raw = good(catalog)
    del raw["recommendation"]
    assert "recommendation" in errors_of(validate_record(raw, RecordRef("f", 1), catalog))


def test_dates_in_order(catalog):
    raw = good(catalog)
    raw["received_on"] = "2030-01-01"
    assert "received_on" in errors_of(validate_record(raw, RecordRef("f", 1), catalog))


def test_special_characters_survive_validation(catalog):
    raw = good(catalog)
    raw["applicant"]["name"] = "Hj. Siti Nur'aini"
    raw["fields"]["practice_name"] = "PT Maju & Jaya <Baru>"
    res = validate_record(raw, RecordRef("f", 1), catalog)
    assert isinstance(res, Application)
    assert res.fields["practice_name"] == "PT Maju & Jaya <Baru>"


def test_mask_nik():
    assert mask_nik("6308014101900001") == "630801********01"


def _write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_json_jsonl_csv_agree(tmp_path, catalog):
    from ptsp.samples import dump_applications

    apps = sample_batch(catalog, count=6)
    results = {}
    for fmt in ("json", "jsonl", "csv"):
        p = _write(tmp_path, f"a.{fmt}", dump_applications(apps, fmt))
        out = list(read_applications(p, catalog))
        assert all(isinstance(r, Application) for r in out), [getattr(r, "errors", 0) for r in out]
        results[fmt] = [(a.application_id, dict(a.fields)) for a in out]
    assert results["json"] == results["jsonl"] == results["csv"]


def test_bad_records_do_not_stop_the_rest(tmp_path, catalog):
    apps = sample_batch(catalog, count=5)
    lines = [json.dumps(a) for a in apps]
    lines.insert(2, "{not json")
    lines.append(json.dumps(apps[0]))  # duplicate application id
    p = _write(tmp_path, "b.jsonl", "\n".join(lines) + "\n")
    out = list(read_applications(p, catalog))
    assert sum(isinstance(r, Application) for r in out) == 5
    bad = [r for r in out if isinstance(r, RecordError)]
    assert [b.ref.record for b in bad] == [3, 7]
    assert "invalid JSON" in bad[0].errors[0].message
    assert "duplicate" in bad[1].errors[0].message
    assert "b.jsonl, record 3" in bad[0].describe()[0]


def test_csv_row_numbers_are_lines(tmp_path, catalog):
    from ptsp.samples import dump_applications

    apps = sample_batch(catalog, count=3)
    apps[1]["applicant"]["nik"] = "99"
    p = _write(tmp_path, "c.csv", dump_applications(apps, "csv"))
    out = list(read_applications(p, catalog))
    bad = [r for r in out if isinstance(r, RecordError)]
    assert len(bad) == 1 and bad[0].ref.record == 3  # header is line 1
    assert bad[0].errors[0].field == "applicant.nik"


def test_unreadable_file_is_an_input_error(tmp_path, catalog):
    with pytest.raises(InputError):
        list(read_applications(_write(tmp_path, "x.txt", "hello"), catalog))
    with pytest.raises(InputError):
        list(read_applications(_write(tmp_path, "x.json", "{\"a\": 1}"), catalog))
