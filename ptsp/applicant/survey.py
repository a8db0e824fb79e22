"""SKM, Survei Kepuasan Masyarakat (Pasal 11(3); Permenpan RB Nomor 14 Tahun 2017).

Nine elements (unsur), each answered 1..4. Per element the mean (NRR); the index is the sum of
the means each weighted 1/9, an interval value from 1 to 4, times 25 for the converted IKM
(25..100). The regulation's conversion table:

    persepsi  interval IKM      konversi IKM    mutu  kinerja unit pelayanan
    1         1,00   - 2,5996   25,00 - 64,99   D     Tidak Baik
    2         2,60   - 3,064    65,00 - 76,60   C     Kurang Baik
    3         3,0644 - 3,532    76,61 - 88,30   B     Baik
    4         3,5324 - 4,00     88,31 - 100,00  A     Sangat Baik

The grade is read from the converted IKM rounded to two decimals, against the table's lower
bounds (a value in one of the table's rounding gaps, such as 76,605, takes the lower grade).
The regulation writes the weight as 0,111 (1/9 rounded); we use 1/9 exactly, so a unit answering
4 on every element scores 100,00 rather than 99,90.
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import exc
from sqlalchemy.engine import Engine

from ..registry import engine as db
from ..registry.errors import StorageError
from .errors import SurveyError
from .schema import survey_imports, surveys

#: (column, element name, the questionnaire's question, the four answers 1..4)
ELEMENTS: tuple[tuple[str, str, str, tuple[str, str, str, str]], ...] = (
    ("u1", "Persyaratan",
     "Bagaimana pendapat Saudara tentang kesesuaian persyaratan pelayanan dengan jenis "
     "pelayanannya?", ("Tidak sesuai", "Kurang sesuai", "Sesuai", "Sangat sesuai")),
    ("u2", "Prosedur",
     "Bagaimana pemahaman Saudara tentang kemudahan prosedur pelayanan di unit ini?",
     ("Tidak mudah", "Kurang mudah", "Mudah", "Sangat mudah")),
    ("u3", "Waktu pelayanan",
     "Bagaimana pendapat Saudara tentang kecepatan waktu dalam memberikan pelayanan?",
     ("Tidak cepat", "Kurang cepat", "Cepat", "Sangat cepat")),
    ("u4", "Biaya/tarif",
     "Bagaimana pendapat Saudara tentang kewajaran biaya/tarif dalam pelayanan?",
     ("Sangat mahal", "Cukup mahal", "Murah", "Gratis")),
    ("u5", "Produk layanan",
     "Bagaimana pendapat Saudara tentang kesesuaian produk pelayanan antara yang tercantum "
     "dalam standar pelayanan dengan hasil yang diberikan?",
     ("Tidak sesuai", "Kurang sesuai", "Sesuai", "Sangat sesuai")),
    ("u6", "Kompetensi pelaksana",
     "Bagaimana pendapat Saudara tentang kompetensi/kemampuan petugas dalam pelayanan?",
     ("Tidak kompeten", "Kurang kompeten", "Kompeten", "Sangat kompeten")),
    ("u7", "Perilaku pelaksana",
     "Bagaimana pendapat Saudara tentang perilaku petugas dalam pelayanan terkait kesopanan "
     "dan keramahan?",
     ("Tidak sopan dan ramah", "Kurang sopan dan ramah", "Sopan dan ramah",
      "Sangat sopan dan ramah")),
    ("u8", "Sarana dan prasarana",
     "Bagaimana pendapat Saudara tentang kualitas sarana dan prasarana?",
     ("Buruk", "Cukup", "Baik", "Sangat baik")),
    ("u9", "Penanganan pengaduan",
     "Bagaimana pendapat Saudara tentang penanganan pengaduan pengguna layanan?",
     ("Tidak ada", "Ada tetapi tidak berfungsi", "Berfungsi kurang maksimal",
      "Dikelola dengan baik")),
)
COLUMNS = tuple(e[0] for e in ELEMENTS)
WEIGHT = 1 / 9
#: (lower bound of the converted IKM, grade, performance words), best first
GRADES = ((88.31, "A", "Sangat Baik"), (76.61, "B", "Baik"), (65.00, "C", "Kurang Baik"),
          (25.00, "D", "Tidak Baik"))
MAX_IMPORT = 5 * 1024 * 1024


def grade(ikm: float) -> tuple[str, str]:
    """The grade and performance words of a converted IKM (25..100)."""
    value = round(ikm, 2)
    for lower, letter, words in GRADES:
        if value >= lower:
            return letter, words
    return "D", "Tidak Baik"


@dataclass(frozen=True)
class ElementResult:
    column: str
    name: str
    mean: float      # NRR per unsur
    weighted: float  # NRR x 1/9
    converted: float  # mean x 25, the element's own score on the 25..100 scale
    grade: str


@dataclass(frozen=True)
class SurveyReport:
    respondents: int
    start: date | None
    end: date | None
    elements: tuple[ElementResult, ...]
    interval: float | None  # sum of weighted means, 1..4
    ikm: float | None       # converted, 25..100
    grade: str | None
    performance: str | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "respondents": self.respondents,
            "from": self.start.isoformat() if self.start else None,
            "to": self.end.isoformat() if self.end else None,
            "elements": [{"column": e.column, "name": e.name, "mean": round(e.mean, 4),
                          "weighted": round(e.weighted, 4), "converted": round(e.converted, 2),
                          "grade": e.grade} for e in self.elements],
            "interval": round(self.interval, 4) if self.interval is not None else None,
            "ikm": round(self.ikm, 2) if self.ikm is not None else None,
            "grade": self.grade, "performance": self.performance,
            "weight": "1/9", "regulation": "Permenpan RB Nomor 14 Tahun 2017",
        }


def compute(rows: list[tuple[int, ...]], start: date | None = None,
            end: date | None = None) -> SurveyReport:
    """The report of ``rows`` (each nine answers 1..4)."""
    n = len(rows)
    if n == 0:
        return SurveyReport(0, start, end, tuple(
            ElementResult(c, name, 0.0, 0.0, 0.0, "-") for c, name, _q, _a in ELEMENTS),
            None, None, None, None)
    elements = []
    for i, (col, name, _q, _a) in enumerate(ELEMENTS):
        mean = sum(r[i] for r in rows) / n
        elements.append(ElementResult(col, name, mean, mean * WEIGHT, mean * 25,
                                      grade(mean * 25)[0]))
    interval = sum(e.weighted for e in elements)
    ikm = interval * 25
    letter, words = grade(ikm)
    return SurveyReport(n, start, end, tuple(elements), interval, ikm, letter, words)


def check_answers(values: dict[str, Any]) -> tuple[int, ...]:
    """Nine answers 1..4 from a form or a CSV row; SurveyError names the first bad one."""
    out = []
    for col, name, _q, _a in ELEMENTS:
        raw = str(values.get(col) or "").strip()
        if raw not in ("1", "2", "3", "4"):
            raise SurveyError(f"Jawaban unsur {name} ({col}) harus 1, 2, 3 atau 4.")
        out.append(int(raw))
    return tuple(out)


class SurveyStore:
    """The ``applicant_surveys`` table."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def answered(self, application_id: str) -> bool:
        with db.read(self.engine, "reading a survey") as conn:
            return conn.execute(sa.select(surveys.c.id).where(
                surveys.c.application_id == application_id)).first() is not None

    def add(self, answers: tuple[int, ...], *, application_id: str | None, permit: str | None,
            answered_on: date, source: str = "portal") -> bool:
        """Store one questionnaire; False if this application has answered already."""
        values = dict(zip(COLUMNS, answers, strict=True))
        try:
            with db.write(self.engine, "storing a survey") as conn:
                if application_id is not None and conn.execute(sa.select(surveys.c.id).where(
                        surveys.c.application_id == application_id)).first():
                    return False
                conn.execute(surveys.insert().values(
                    application_id=application_id, permit=permit, answered_on=answered_on,
                    source=source, created_at=datetime.now(UTC), **values))
        except StorageError as e:
            if isinstance(e.__cause__, exc.IntegrityError):  # a second click at the same time
                return False
            raise
        return True

    def rows(self, start: date | None = None, end: date | None = None) -> list[tuple[int, ...]]:
        q = sa.select(*(surveys.c[c] for c in COLUMNS))
        if start:
            q = q.where(surveys.c.answered_on >= start)
        if end:
            q = q.where(surveys.c.answered_on <= end)
        with db.read(self.engine, "reading survey answers") as conn:
            return [tuple(int(v) for v in r) for r in conn.execute(q)]

    def report(self, start: date | None = None, end: date | None = None) -> SurveyReport:
        return compute(self.rows(start, end), start, end)

    def import_csv(self, filename: str, data: bytes, *, known_permits: set[str],
                   today: date) -> tuple[int, list[dict[str, Any]]]:
        """Import paper questionnaires (columns ``u1``..``u9``, optional ``date``, ``permit``).

        All or nothing: with any bad row nothing is stored and the errors are returned as
        ``[{row, field, message}]`` (row 2 is the first line under the header). A file already
        imported (same SHA-256) is refused."""
        if len(data) > MAX_IMPORT:
            raise SurveyError("Berkas terlalu besar (maksimal 5 MB).")
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as e:
            raise SurveyError(f"{filename}: bukan teks UTF-8 ({e.reason}).") from e
        sample = text[:4096]
        try:
            dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t")
        except csv.Error:
            dialect = csv.excel
        reader = csv.DictReader(io.StringIO(text), dialect=dialect)
        header = [h.strip().lower() for h in (reader.fieldnames or [])]
        missing = [c for c in COLUMNS if c not in header]
        if missing:
            raise SurveyError(f"{filename}: kolom tidak ada: {', '.join(missing)}")
        unknown = [h for h in header if h not in (*COLUMNS, "date", "permit")]
        if unknown:
            raise SurveyError(f"{filename}: kolom tidak dikenal: {', '.join(unknown)}")
        good: list[tuple[tuple[int, ...], date, str | None]] = []
        errors: list[dict[str, Any]] = []
        for n, raw in enumerate(reader, start=2):
            row = {str(k).strip().lower(): (v or "").strip() for k, v in raw.items()
                   if k is not None}
            if None in raw:
                errors.append({"row": n, "field": "-", "message": "terlalu banyak kolom"})
                continue
            if not any(row.values()):
                continue  # blank line
            bad = False
            answers = []
            for col, name, _q, _a in ELEMENTS:
                v = row.get(col, "")
                if v not in ("1", "2", "3", "4"):
                    errors.append({"row": n, "field": col,
                                   "message": f"{name}: harus 1, 2, 3 atau 4, bukan {v!r}"})
                    bad = True
                else:
                    answers.append(int(v))
            day = today
            if row.get("date"):
                try:
                    day = date.fromisoformat(row["date"])
                except ValueError:
                    errors.append({"row": n, "field": "date",
                                   "message": f"tanggal {row['date']!r} bukan YYYY-MM-DD"})
                    bad = True
                else:
                    if day > today:
                        errors.append({"row": n, "field": "date",
                                       "message": f"tanggal {row['date']} di masa depan"})
                        bad = True
            permit = row.get("permit") or None
            if permit and permit not in known_permits:
                errors.append({"row": n, "field": "permit",
                               "message": f"kode layanan {permit!r} tidak ada di katalog"})
                bad = True
            if not bad:
                good.append((tuple(answers), day, permit))
        if errors:
            return 0, errors
        if not good:
            raise SurveyError(f"{filename}: tidak ada baris jawaban.")
        digest = hashlib.sha256(data).hexdigest()
        now = datetime.now(UTC)
        with db.write(self.engine, "importing survey answers") as conn:
            if conn.execute(sa.select(survey_imports.c.sha256).where(
                    survey_imports.c.sha256 == digest)).first():
                raise SurveyError(f"{filename}: berkas ini sudah pernah diimpor.")
            conn.execute(survey_imports.insert().values(
                sha256=digest, filename=filename[:300], rows=len(good), imported_at=now))
            conn.execute(surveys.insert(), [
                dict(zip(COLUMNS, a, strict=True), application_id=None, permit=p,
                     answered_on=d, source=f"import:{digest[:16]}", created_at=now)
                for a, d, p in good])
        return len(good), []
