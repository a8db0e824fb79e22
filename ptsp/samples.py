"""Synthetic approved applications that pass validation (demo, benchmarks, tests).

Names, NIKs and addresses are invented; NIKs carry Balangan's region code (6308) and a birth
date consistent with the sample's gender, so python-stdnum accepts them. Field values come from
the ``example`` of each field in ``decrees.toml``; a few permits get more fitting values from
``_PER_PERMIT`` (a doctor's practice is not a midwife's), and the technical recommendation names
the agency of the permit's sector.
"""

from __future__ import annotations

import csv
import io
import json
import random
from datetime import date, timedelta
from typing import Any

from generator.catalog import Catalog, FieldSpec, Service

_GIVEN_F = ["Siti", "Nur", "Rina", "Dewi", "Hj. Aisyah", "Fitri", "Rahmah", "Noor", "Lestari"]
_GIVEN_M = ["Ahmad", "Muhammad", "Budi", "H. Rahmadi", "Rizky", "Fajar", "Syahrani", "Hendra"]
_FAMILY = ["Nur'aini", "Rahmawati", "Hidayat", "Saputra", "Halimah", "Mahmud", "Ansyari",
           "Kurniawan", "Wahyuni", "Fauzi"]
_VILLAGES = ["Paringin Kota", "Batu Piring", "Lampihong", "Juai", "Halong", "Awayan",
             "Batumandi", "Tebing Tinggi"]
_STREETS = ["Jl. Jend. A. Yani", "Jl. Basuki Rahmat", "Jl. Pangeran Antasari",
            "Jl. Tugu Tani", "Jl. Merdeka", "Jl. Ir. P. H. M. Noor"]
_BUSINESS = ["CV Maju & Jaya <Baru>", "UD Sumber Rezeki", "PT Balangan Sejahtera",
             "Toko Berkah Amanah", "CV Karya Bersama"]
_REGENCY = "Kabupaten Balangan"
# The technical agency (SKPD teknis) that recommends, by sector, as the regulation names them.
_AGENCY = {
    "Kesehatan": "Dinas Kesehatan",
    "Pertanian": "Dinas Pertanian",
    "Perindustrian, Mikro Kecil dan Koperasi":
        "Dinas Perindustrian, Koperasi dan Usaha Mikro Kecil",
    "Pendidikan": "Dinas Pendidikan",
    "Kepariwisataan": "Dinas Pariwisata",
    "Perdagangan": "Dinas Perdagangan",
    "Pekerjaan Umum": "Dinas Pekerjaan Umum dan Penataan Ruang",
    "Lingkungan Hidup": "Dinas Lingkungan Hidup",
    "Ketenagakerjaan": "Dinas Tenaga Kerja dan Transmigrasi",
    "Perikanan": "Dinas Perikanan",
    "Perhubungan": "Dinas Perhubungan",
    "Perumahan dan Permukiman": "Dinas Perumahan Rakyat dan Kawasan Permukiman",
    "Sosial": "Dinas Sosial",
}
# Where the regulation names another recommending body than the sector's Dinas.
_AGENCY_BY_CODE = {
    "ISPAM": "Perusahaan Daerah Air Minum",
    "ISBW": "Tim Badan Koordinasi Penataan Ruang Daerah",
}
# More fitting sample values than the family's examples, per permit.
_PER_PERMIT: dict[str, dict[str, Any]] = {
    "SIPP": {"practice_name": "Praktik Mandiri Perawat Sehat Banua"},
    "SIPTGM": {"practice_name": "Klinik Gigi Senyum Banua"},
    "SIKPA": {"practice_name": "Rumah Sakit Umum Daerah Balangan",
              "practice_address": "Jl. Jend. A. Yani Km 4,5, Paringin Selatan"},
    "SIPA": {"practice_name": "Apotek Balangan Farma"},
    "SIPTTK": {"practice_name": "Apotek Balangan Farma"},
    "SIPF": {"practice_name": "Praktik Mandiri Fisioterapi Gerak Sehat"},
    "SIP-ATLM": {"practice_name": "Laboratorium Klinik Pratama Banua"},
    "SIPOT": {"practice_name": "Klinik Tumbuh Kembang Ceria"},
    "SIPTW": {"practice_name": "Klinik Tumbuh Kembang Ceria"},
    "SIPR": {"practice_name": "Rumah Sakit Umum Daerah Balangan",
             "practice_address": "Jl. Jend. A. Yani Km 4,5, Paringin Selatan"},
    "SIPOP": {"practice_name": "Praktik Mandiri Ortotis Prostetis Langkah Baru"},
    "SIPD": {"practice_name": "Klinik Pratama Paringin Sehat"},
    "SIPTGZ": {"practice_name": "Praktik Mandiri Gizi Seimbang"},
    "SIPTKT": {"practice_name": "Griya Sehat Banua"},
    "SIKRO": {"practice_name": "Optik Banua Jernih",
              "practice_address": "Jl. Jend. A. Yani No. 14, Paringin"},
    "SIKTS": {"practice_name": "Pusat Kesehatan Masyarakat Paringin",
              "practice_address": "Jl. Jend. Sudirman No. 5, Paringin"},
    "IMRS": {"facility_name": "Rumah Sakit Umum Banua Husada",
             "facility_type": "Rumah Sakit Umum Kelas D"},
    "IORS": {"facility_name": "Rumah Sakit Umum Banua Husada",
             "facility_type": "Rumah Sakit Umum Kelas D"},
    "IOLK": {"facility_name": "Laboratorium Klinik Pratama Banua",
             "facility_type": "Laboratorium Klinik Umum Pratama"},
    "IUTD": {"facility_name": "Unit Transfusi Darah Kabupaten Balangan",
             "facility_type": "Unit Transfusi Darah Tingkat Kabupaten"},
    "IPRD": {"owner_entity": "PT Balangan Medika Utama",
             "facility_name": "Instalasi Radiologi Rumah Sakit Umum Banua Husada",
             "facility_type": "Pelayanan Radiologi Diagnostik Pratama"},
    "SIA": {"business_name": "Apotek Balangan Farma",
            "pharmacist_name": "apt. Nur Hidayat, S.Farm.",
            "pharmacist_permit": "503/0021/SIPA/DPMPTSP-BLG/2025"},
    "IPPV": {"business_name": "CV Banua Bebas Hama", "kbli": "81291"},
    "SP-UKMOT": {"business_name": "UD Jamu Banua Sehat", "products": "Jamu serbuk dan jamu cair"},
    "SP-PRT-AKPKRT": {"business_name": "UD Bersih Banua",
                      "products": "Cairan pembersih lantai dan sabun cuci piring"},
    "SLHS-JB": {"business_name": "Jasa Boga Dapur Bunda"},
    "IUTP": {"commodity": "Padi", "scale": "50 hektare", "company_name": "PT Pangan Banua Lestari"},
    "IUH": {"commodity": "Cabai rawit", "scale": "30 hektare",
            "company_name": "PT Hortikultura Banua Makmur"},
    "PUTP": {"business_name": "Usaha Tani Padi Sumber Rezeki", "commodity": "Padi", "area_ha": 8},
    "PUH": {"business_name": "Kebun Jeruk Lestari", "commodity": "Jeruk siam", "area_ha": 5},
    "IPSPNF": {"school_name": "Lembaga Kursus dan Pelatihan Cendekia Komputer",
               "school_level": "Lembaga Kursus dan Pelatihan"},
    "IKC-KSP": {"office_address": "Jl. Merdeka No. 4, Desa Lampihong Kiri, Kecamatan Lampihong"},
    "IKCP-KSP": {"office_address": "Jl. Pangeran Antasari No. 9, Desa Juai, Kecamatan Juai"},
    "IKK-KSP": {"office_address": "Pasar Batumandi Blok B No. 3, Kecamatan Batumandi"},
    "IUKI": {"area_ha": 120},
    "IPKI": {"area_ha": 45.5},
}


def _nik(rng: random.Random, birth: date, female: bool, seq: int) -> str:
    day = birth.day + (40 if female else 0)
    return f"630801{day:02d}{birth.month:02d}{birth.year % 100:02d}{seq % 10000 or 1:04d}"


def _date_value(name: str, approved: date) -> str:
    """A sensible date for a field without an example, by what its name says."""
    if name.endswith(("_from", "_start")):
        return (approved + timedelta(days=7)).isoformat()
    if name.endswith(("_until", "_end")):
        return (approved + timedelta(days=7 + 364)).isoformat()
    if name.startswith(("previous", "prev")) or name.endswith("_date"):
        return (approved - timedelta(days=2 * 365)).isoformat()
    return (approved + timedelta(days=365 * 3)).isoformat()


def _value(spec: FieldSpec, rng: random.Random, seq: int, approved: date) -> Any:
    if spec.example is not None:
        ex = spec.example
        if isinstance(ex, str):
            return ex.replace("{{seq}}", f"{seq:05d}")
        return ex
    t = spec.type
    if t == "date":
        return _date_value(spec.name, approved)
    if t == "int":
        return rng.randint(1, 20)
    if t == "number":
        return round(rng.uniform(10, 500), 1)
    if t == "choice":
        return spec.choices[seq % len(spec.choices)]
    if t == "nib":
        return f"91200{seq:08d}"
    if t == "kbli":
        return "47111"
    if t == "bool":
        return True
    if t in ("nik",):
        return _nik(rng, date(1985, 5, 17), False, seq)
    return f"{spec.label} {seq}"


def recommendation_agency(service: Service) -> str:
    """The body whose technical recommendation a sample application carries."""
    base = _AGENCY_BY_CODE.get(service.code) or _AGENCY.get(service.sector)
    if base is None:
        base = f"Perangkat Daerah teknis bidang {service.sector or 'terkait'}"
    return f"{base} {_REGENCY}"


def sample_application(service: Service, seq: int, *, rng: random.Random | None = None,
                       approved_on: date | None = None) -> dict[str, Any]:
    """One valid application for ``service`` (deterministic for a given ``seq``)."""
    rng = rng or random.Random(seq * 7919 + sum(map(ord, service.code)))
    female = rng.random() < 0.5
    given = rng.choice(_GIVEN_F if female else _GIVEN_M)
    name = f"{given} {rng.choice(_FAMILY)}"
    birth = date(rng.randint(1965, 2000), rng.randint(1, 12), rng.randint(1, 28))
    approved = approved_on or date.today()
    received = approved - timedelta(days=rng.randint(1, 12))
    app: dict[str, Any] = {
        "application_id": f"APP-{service.code}-{seq:06d}",
        "permit": service.code,
        "received_on": received.isoformat(),
        "approved_on": approved.isoformat(),
        "applicant": {
            "name": name,
            "nik": _nik(rng, birth, female, seq),
            "address": f"{rng.choice(_STREETS)} No. {rng.randint(1, 120)}, "
                       f"Desa {rng.choice(_VILLAGES)}, Kabupaten Balangan",
            "birth_place": "Paringin",
            "birth_date": birth.isoformat(),
            "gender": "Perempuan" if female else "Laki-laki",
            "phone": f"0812{rng.randint(10000000, 99999999)}",
        },
    }
    variant = None
    if service.variants:
        variant = service.variants[seq % len(service.variants)].code
        app["variant"] = variant
    decree = service.decree
    if decree is not None:
        fields = {f.name: _value(f, rng, seq, approved) for f in decree.fields}
        for f in decree.fields:
            if f.name in ("business_name", "company_name") and f.example is None:
                fields[f.name] = rng.choice(_BUSINESS)
        fields.update({k: v for k, v in _PER_PERMIT.get(service.code, {}).items()
                       if k in fields})
        # A building without an IMB has no IMB number to print.
        if variant and "BELUM" in variant:
            fields.pop("imb_number", None)
        app["fields"] = fields
        if decree.needs_recommendation:
            app["recommendation"] = {
                "number": f"503/{seq:04d}/REK/{approved.year}",
                "date": (approved - timedelta(days=1)).isoformat(),
                "agency": recommendation_agency(service),
            }
    return app


def sample_batch(catalog: Catalog, *, permit: str | None = None, count: int = 10,
                 seed: int = 1, approved_on: date | None = None,
                 start: int = 1) -> list[dict[str, Any]]:
    """``count`` applications, cycling through every permit that has a template (or one)."""
    services = [catalog.get(permit)] if permit else list(catalog.with_templates)
    if not services:
        return []
    rng = random.Random(seed)
    return [
        sample_application(services[i % len(services)], start + i,
                           rng=random.Random(rng.random()), approved_on=approved_on)
        for i in range(count)
    ]


def flatten(record: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested record -> dotted columns (``applicant.name``), as CSV and XLSX uploads use."""
    out: dict[str, Any] = {}
    for k, v in record.items():
        if isinstance(v, dict):
            out.update(flatten(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = v
    return out


def dump_applications(apps: list[dict[str, Any]], fmt: str) -> str:
    """Applications as a JSON array, JSON Lines or CSV with dotted column names."""
    if fmt == "json":
        return json.dumps(apps, ensure_ascii=False, indent=1) + "\n"
    if fmt == "jsonl":
        return "".join(json.dumps(a, ensure_ascii=False) + "\n" for a in apps)
    if fmt != "csv":
        raise ValueError(f"unknown format {fmt!r}")
    rows = [flatten(a) for a in apps]
    cols: list[str] = []
    for r in rows:
        cols.extend(k for k in r if k not in cols)
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=cols, lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    return buf.getvalue()
