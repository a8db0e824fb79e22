"""SKM (Permenpan RB 14/2017): the IKM of a hand-computed example, grades at the table's
bounds, CSV import with row/field errors, the portal questionnaire once per application, and
the printable PDF report."""

from __future__ import annotations

import json
import subprocess

import pytest
from fastapi.testclient import TestClient

from ptsp.applicant.survey import compute, grade
from ptsp.applicant.track import ReceiptStore
from tests.applicant_support import office_with_upload
from tests.office_support import put_at_stage
from tests.ptsp_support import run_cli

# Worked example, by hand. Four questionnaires of July 2026 and one of January:
#
#   row  date        u1 u2 u3 u4 u5 u6 u7 u8 u9
#   r1   2026-07-01   4  4  3  4  3  3  4  3  2
#   r2   2026-07-02   3  3  3  4  3  4  4  3  3
#   r3   2026-07-03   4  3  2  4  4  3  3  2  3
#   r4   2026-07-04   3  4  3  4  3  3  4  3  2
#   r5   2026-01-15   1  1  1  1  1  1  1  1  1
#
# July only (--from 2026-06-01 --to 2026-12-31), per element the mean (NRR):
#   u1 14/4 = 3.50   u2 14/4 = 3.50   u3 11/4 = 2.75   u4 16/4 = 4.00   u5 13/4 = 3.25
#   u6 13/4 = 3.25   u7 15/4 = 3.75   u8 11/4 = 2.75   u9 10/4 = 2.50
#   sum of the means = 29.25; weighted by 1/9 -> interval value 29.25 / 9 = 3.25
#   IKM = 3.25 x 25 = 81.25 -> 76.61 <= 81.25 <= 88.30: mutu B, "Baik"
# (with the regulation's rounded weight 0.111 it would be 29.25 x 0.111 x 25 = 81.17, also B)
#
# All five: every answer summed = 29.25 x 4 + 9 = 126 over 5 x 9 answers -> interval 2.80,
#   IKM 70.00 -> 65.00 <= 70.00 <= 76.60: mutu C, "Kurang Baik"
CSV = """u1,u2,u3,u4,u5,u6,u7,u8,u9,date,permit
4,4,3,4,3,3,4,3,2,2026-07-01,ITAK
3,3,3,4,3,4,4,3,3,2026-07-02,
4,3,2,4,4,3,3,2,3,2026-07-03,IMRS
3,4,3,4,3,3,4,3,2,2026-07-04,
1,1,1,1,1,1,1,1,1,2026-01-15,
"""


@pytest.mark.parametrize(("ikm", "letter", "words"), [
    (100.0, "A", "Sangat Baik"), (88.31, "A", "Sangat Baik"), (88.30, "B", "Baik"),
    (76.61, "B", "Baik"), (76.60, "C", "Kurang Baik"), (65.00, "C", "Kurang Baik"),
    (64.99, "D", "Tidak Baik"), (25.0, "D", "Tidak Baik")])
def test_grade_follows_the_conversion_table(ikm, letter, words):
    assert grade(ikm) == (letter, words)


def test_interval_bounds_of_the_regulation():
    # interval 3.5324 -> 88.31 (A); 3.0644 -> 76.61 (B); 2.60 -> 65.00 (C); 2.5996 -> 64.99 (D)
    assert grade(3.5324 * 25)[0] == "A"
    assert grade(3.532 * 25)[0] == "B"
    assert grade(3.0644 * 25)[0] == "B"
    assert grade(3.064 * 25)[0] == "C"
    assert grade(2.60 * 25)[0] == "C"
    assert grade(2.5996 * 25)[0] == "D"
    every_four = compute([(4,) * 9])
    assert every_four.ikm == pytest.approx(100.0) and every_four.grade == "A"
    assert compute([(1,) * 9]).ikm == pytest.approx(25.0)


@pytest.fixture()
def db(tmp_path, monkeypatch):
    from tests.ptsp_support import write_profile

    monkeypatch.setenv("PTSP_PROFILE", str(write_profile(tmp_path)))
    return f"sqlite:///{tmp_path / 'registry.sqlite'}"


def test_import_then_report_json_matches_the_hand_computation(db, tmp_path):
    src = tmp_path / "kuesioner.csv"
    src.write_text(CSV, encoding="utf-8")
    code, out, err = run_cli("--db", db, "survey", "import", str(src), "--json")
    assert code == 0, err
    assert json.loads(out) == {"imported": 5, "errors": []}
    code, out, err = run_cli("--db", db, "survey", "report", "--from", "2026-06-01",
                             "--to", "2026-12-31", "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["respondents"] == 4
    assert [e["mean"] for e in doc["elements"]] == \
        [3.5, 3.5, 2.75, 4.0, 3.25, 3.25, 3.75, 2.75, 2.5]
    assert [e["name"] for e in doc["elements"]][:4] == \
        ["Persyaratan", "Prosedur", "Waktu pelayanan", "Biaya/tarif"]
    assert doc["interval"] == 3.25
    assert doc["ikm"] == 81.25
    assert (doc["grade"], doc["performance"]) == ("B", "Baik")
    code, out, _ = run_cli("--db", db, "survey", "report", "--json")
    doc = json.loads(out)
    assert (doc["respondents"], doc["interval"], doc["ikm"], doc["grade"]) == \
        (5, 2.8, 70.0, "C")
    assert doc["performance"] == "Kurang Baik"
    # the same file twice would count the questionnaires twice: refused
    code, _out, err = run_cli("--db", db, "survey", "import", str(src))
    assert code == 1 and "sudah pernah diimpor" in err


def test_import_lists_every_bad_row_and_field_and_imports_nothing(db, tmp_path):
    src = tmp_path / "rusak.csv"
    src.write_text("u1,u2,u3,u4,u5,u6,u7,u8,u9,date,permit\n"
                   "4,4,3,4,3,3,4,3,2,2026-07-01,ITAK\n"
                   "4,4,5,4,3,3,4,3,,2026-13-01,NOPE\n"
                   "4,4,3,4,3,3,4,3,2,2026-07-01,\n", encoding="utf-8")
    code, out, _err = run_cli("--db", db, "survey", "import", str(src), "--json")
    assert code == 1
    doc = json.loads(out)
    assert doc["imported"] == 0
    assert [(e["row"], e["field"]) for e in doc["errors"]] == \
        [(3, "u3"), (3, "u9"), (3, "date"), (3, "permit")]
    code, out, _ = run_cli("--db", db, "survey", "report", "--json")
    assert json.loads(out)["respondents"] == 0 and json.loads(out)["ikm"] is None
    missing = tmp_path / "kurang.csv"
    missing.write_text("u1,u2,u3\n1,2,3\n", encoding="utf-8")
    code, _out, err = run_cli("--db", db, "survey", "import", str(missing))
    assert code == 1 and "kolom tidak ada: u4" in err


def test_pdf_report_has_the_index_and_a_bar_per_element(db, tmp_path):
    src = tmp_path / "kuesioner.csv"
    src.write_text(CSV, encoding="utf-8")
    assert run_cli("--db", db, "survey", "import", str(src))[0] == 0
    pdf = tmp_path / "skm.pdf"
    code, _out, err = run_cli("--db", db, "survey", "report", "--from", "2026-06-01",
                              "--pdf", str(pdf))
    assert code == 0, err
    from pypdf import PdfReader

    reader = PdfReader(str(pdf))
    assert len(reader.pages) == 1
    text = reader.pages[0].extract_text()
    assert "IKM unit pelayanan: 81,25" in text
    assert "Mutu pelayanan: B (Baik)" in text
    assert "Jumlah responden: 4" in text
    assert "U9 Penanganan pengaduan" in text and "2,50" in text
    content = reader.pages[0].get_contents().get_data().decode("latin-1")
    assert content.count(" re f Q") == 18  # a track and a bar for each of the nine elements
    try:
        subprocess.run(["pdftoppm", "-r", "50", "-png", "-singlefile", str(pdf),
                        str(tmp_path / "skm")], check=True, capture_output=True)
    except FileNotFoundError:
        pytest.skip("poppler-utils not installed")
    assert (tmp_path / "skm.png").stat().st_size > 1000


def test_portal_questionnaire_once_per_application_counted_in_the_report(tmp_path):
    s = office_with_upload(tmp_path, count=1)
    a = s["apps"][0]
    store = s["office"].store
    rec = ReceiptStore(store.engine).for_application(a["application_id"])
    portal = TestClient(s["portal"])
    early = portal.get(f"/survei/{rec.survey_token}")
    assert early.status_code == 200 and 'id="belum"' in early.text  # not before the decree
    put_at_stage(store, a["application_id"], "handed_over")
    form = portal.get(f"/survei/{rec.survey_token}")
    assert form.text.count('type="radio"') == 36
    answers = {f"u{i}": "3" for i in range(1, 10)}
    bad = portal.post(f"/survei/{rec.survey_token}", data={**answers, "u4": "7"})
    assert bad.status_code == 400 and "Biaya/tarif" in bad.text
    ok = portal.post(f"/survei/{rec.survey_token}", data={**answers, "u4": "4"})
    assert ok.status_code == 200 and "Terima kasih" in ok.text
    again = portal.post(f"/survei/{rec.survey_token}", data=answers)
    assert again.status_code == 409 and "hanya dapat diisi satu kali" in again.text
    assert 'id="sudah"' in portal.get(f"/survei/{rec.survey_token}").text
    assert portal.get("/survei/" + "x" * 32).status_code == 404
    from ptsp.applicant.survey import SurveyStore

    report = SurveyStore(store.engine).report()
    # 8 elements at 3 and one at 4: (8 x 3 + 4) / 9 = 3.1111 -> IKM 77.78 (B)
    assert report.respondents == 1 and round(report.ikm, 2) == 77.78 and report.grade == "B"
    events = [e.action for e in s["office"].registry.audit_entries()]
    assert "survey" in events
