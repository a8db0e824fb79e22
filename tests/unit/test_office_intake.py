"""Reading uploads: XLSX next to CSV/JSON, errors by row and field, limits."""

from __future__ import annotations

import io
import json
from datetime import date

import pytest

from generator.catalog import load_catalog
from ptsp.office.intake import IntakeError, read_upload
from ptsp.samples import sample_batch
from tests.office_support import applications_csv, flatten


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


def xlsx_bytes(records, *, as_cells=False) -> bytes:
    from openpyxl import Workbook

    rows = [flatten(r) for r in records]
    cols: list[str] = []
    for r in rows:
        cols.extend(k for k in r if k not in cols)
    wb = Workbook()
    ws = wb.active
    ws.append(cols)
    for r in rows:
        values = [r.get(c) for c in cols]
        if as_cells:  # what a clerk's spreadsheet holds: real dates, NIK as a number
            values = [date.fromisoformat(v) if isinstance(v, str) and c.endswith(("_on", "date"))
                      else int(v) if c == "applicant.nik" else v
                      for c, v in zip(cols, values, strict=True)]
        ws.append(values)
    ws.append([None] * len(cols))  # an empty row is skipped
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_xlsx_reads_like_csv(catalog):
    apps = sample_batch(catalog, count=4, seed=3)
    broken = {**apps[1], "application_id": "APP-X-1", "applicant": {
        **apps[1]["applicant"], "nik": "12345"}}
    records = apps[:2] + [broken] + apps[2:]
    from_xlsx = read_upload("data.xlsx", xlsx_bytes(records, as_cells=True), catalog)
    from_csv = read_upload("data.csv", applications_csv(records).encode(), catalog)
    assert [row for row, _, _ in from_xlsx.valid] == [2, 3, 5, 6]
    assert [row for row, _, _ in from_csv.valid] == [2, 3, 5, 6]
    assert [s["application_id"] for _, _, s in from_xlsx.valid] == \
        [s["application_id"] for _, _, s in from_csv.valid]
    assert from_xlsx.errors == from_csv.errors == [{
        "row": 4, "application_id": "APP-X-1",
        "fields": [{"field": "applicant.nik", "message": from_csv.errors[0]["fields"][0][
            "message"]}]}]
    # the NIK kept its digits and the dates their day
    raw = from_xlsx.valid[0][1]
    assert raw["applicant"]["nik"] == apps[0]["applicant"]["nik"]
    assert raw["approved_on"] == apps[0]["approved_on"]


def test_json_and_duplicates(catalog):
    apps = sample_batch(catalog, count=2, seed=4)
    intake = read_upload("a.json", json.dumps(apps + [apps[0]]).encode(), catalog)
    assert len(intake.valid) == 2
    assert intake.errors[0]["row"] == 3
    assert intake.errors[0]["fields"][0]["message"] == \
        "nomor permohonan yang sama sudah ada di baris 1 berkas a.json"
    x = read_upload("a.xlsx", xlsx_bytes(apps + [apps[0]]), catalog)
    assert len(x.valid) == 2
    assert "sudah ada di baris 2 berkas a.xlsx" in x.errors[0]["fields"][0]["message"]


@pytest.mark.parametrize(("name", "data", "message"), [
    ("a.exe", b"MZ", "Jenis berkas"),
    ("a.csv", b"", "kosong"),
    ("a.xlsx", b"bukan zip", "tidak dapat dibaca"),
    ("a.json", b"{", "tidak dapat dibaca"),
    ("a.csv", b"\xff\xfe\x00", "tidak dapat dibaca"),
])
def test_unreadable_files(catalog, name, data, message):
    with pytest.raises(IntakeError, match=message):
        read_upload(name, data, catalog)


def test_file_names_are_cleaned(catalog):
    apps = sample_batch(catalog, count=1, seed=4)
    intake = read_upload("../../etc/<x>.csv", applications_csv(apps).encode(), catalog)
    assert intake.filename == "x.csv"


def test_field_problems_are_in_bahasa_indonesia(catalog):
    """The office pages speak Bahasa Indonesia: every problem a record can have is said in it
    (the CLI keeps the English text)."""
    good = sample_batch(catalog, count=1, seed=5)[0]
    bad = [
        {**good, "application_id": "A-1", "approved_on": "kemarin"},
        {**good, "application_id": "A-2", "applicant": {**good["applicant"], "nik": "12",
                                                        "email": "bukan-surel", "x": 1}},
        {**good, "application_id": "A-3", "permit": "TIDAK-ADA"},
        {k: v for k, v in good.items() if k != "approved_on"} | {"application_id": "A-4"},
        {**good, "application_id": "A 5!", "received_on": "2099-01-01"},
    ]
    intake = read_upload("a.json", json.dumps(bad).encode(), catalog)
    messages = {f["field"]: f["message"] for e in intake.errors for f in e["fields"]}
    assert messages["approved_on"] in ("wajib diisi", "bukan tanggal: kemarin (tulis TTTT-BB-HH, "
                                       "misalnya 2026-11-28)")
    assert messages["applicant.nik"].startswith("NIK 12 tidak sah")
    assert messages["applicant.email"] == "bukan alamat surel: bukan-surel"
    assert messages["applicant.x"] == "kolom tidak dikenal"
    assert messages["permit"] == "kode izin tidak dikenal: TIDAK-ADA"
    assert messages["application_id"].startswith("nomor permohonan tidak sah: A 5!")
    assert messages["received_on"] == "tanggalnya sesudah tanggal persetujuan (approved_on)"
    english = ("missing", "not a ", "invalid", "unknown", "must ", " is after")
    for m in messages.values():
        assert not any(w in m for w in english), m


def test_every_problem_code_has_an_indonesian_message():
    import re
    from pathlib import Path

    import generator.applications as apps_module
    from ptsp.office.messages import PESAN

    source = Path(apps_module.__file__).read_text()
    codes = set(re.findall(r'Problem\(\s*"(\w+)"', source))
    codes |= set(re.findall(r'_error\(\s*[^,]+,\s*"(\w+)"', source))
    assert len(codes) >= 25
    assert codes <= set(PESAN), codes - set(PESAN)


def test_unreadable_rows_are_said_in_bahasa_indonesia_and_the_rest_go_on(catalog):
    """A row that cannot even be read (broken JSON, a cell under no column, a column that is
    also another's prefix) is one rejected row with its reason in Indonesian, in CSV and XLSX
    alike; the good rows are still read."""
    from openpyxl import Workbook

    good = sample_batch(catalog, count=2, seed=6)
    broken = '{"application_id": "X-1",'  # cut off after 25 characters
    jsonl = "\n".join([json.dumps(good[0]), broken, json.dumps(good[1])]).encode()
    intake = read_upload("a.jsonl", jsonl, catalog)
    assert len(intake.valid) == 2 and [e["row"] for e in intake.errors] == [2]
    assert intake.errors[0]["fields"] == [{
        "field": "(record)", "message": "baris ini bukan JSON yang sah (kesalahan di kolom 26)"}]

    header, first, second = applications_csv(good).splitlines()[:3]
    intake = read_upload("a.csv", "\n".join([header, first + ",sel lebih", second]).encode(),
                         catalog)
    assert len(intake.valid) == 1
    assert intake.errors[0]["fields"][0]["message"] == \
        "baris ini berisi lebih banyak sel daripada kolom judul"

    row = flatten(good[0]) | {"applicant": "x"}  # beside applicant.name, applicant.nik ...
    wb = Workbook()
    wb.active.append(list(row))
    wb.active.append(list(row.values()))
    xlsx = io.BytesIO()
    wb.save(xlsx)
    csv_rows = "\n".join([",".join(row), ",".join(f'"{v}"' for v in row.values())])
    for name, data in (("a.xlsx", xlsx.getvalue()), ("a.csv", csv_rows.encode())):
        (err,) = read_upload(name, data, catalog).errors
        assert err["fields"][0]["message"].startswith("kolom applicant") and \
            "bertabrakan" in err["fields"][0]["message"], (name, err)
