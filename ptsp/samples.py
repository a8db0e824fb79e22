"""Synthetic approved applications that pass validation (demo, benchmarks, tests).

Names, NIKs and addresses are invented; NIKs carry Balangan's region code (6308) and a birth
date consistent with the sample's gender, so python-stdnum accepts them.
"""

from __future__ import annotations

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
_AGENCY = {
    "Kesehatan": "Dinas Kesehatan Kabupaten Balangan",
    "Pekerjaan Umum": "Dinas Pekerjaan Umum dan Penataan Ruang Kabupaten Balangan",
}


def _nik(rng: random.Random, birth: date, female: bool, seq: int) -> str:
    day = birth.day + (40 if female else 0)
    return f"630801{day:02d}{birth.month:02d}{birth.year % 100:02d}{seq % 10000 or 1:04d}"


def _value(spec: FieldSpec, rng: random.Random, seq: int, approved: date) -> Any:
    if spec.example is not None:
        ex = spec.example
        if isinstance(ex, str):
            return ex.replace("{{seq}}", f"{seq:05d}")
        return ex
    t = spec.type
    if t == "date":
        return (approved + timedelta(days=365 * 3)).isoformat()
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
    if service.variants:
        app["variant"] = service.variants[seq % len(service.variants)].code
    decree = service.decree
    if decree is not None:
        fields = {f.name: _value(f, rng, seq, approved) for f in decree.fields}
        for f in decree.fields:
            if f.name in ("business_name", "company_name") and f.example is None:
                fields[f.name] = rng.choice(_BUSINESS)
        app["fields"] = fields
        if decree.needs_recommendation:
            app["recommendation"] = {
                "number": f"503/{seq:04d}/REK/{approved.year}",
                "date": (approved - timedelta(days=1)).isoformat(),
                "agency": _AGENCY.get(service.sector, f"Perangkat Daerah teknis bidang "
                                                      f"{service.sector or 'terkait'}"),
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
