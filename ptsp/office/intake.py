"""An uploaded file of approved applications: parse, validate every record, summarise.

CSV, JSON, JSON Lines (through :mod:`generator.applications`) and XLSX (:mod:`.xlsx`). The
result lists the valid records (to be kept for generation) and, per rejected record, its row
and the fields at fault.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import Any

from generator.applications import (
    Application,
    RecordError,
    read_applications,
    validate_records,
)
from generator.catalog import Catalog
from generator.errors import InputError

from .errors import OfficeError
from .messages import pesan, pesan_berkas
from .xlsx import iter_xlsx_records

SUFFIXES = (".csv", ".json", ".jsonl", ".xlsx")
MAX_UPLOAD = 10 * 1024 * 1024
MAX_RECORDS = 5000


class IntakeError(OfficeError):
    """The file as a whole cannot be read (message in Bahasa Indonesia)."""


@dataclass
class Intake:
    filename: str
    sha256: str
    valid: list[tuple[int, dict[str, Any], dict[str, Any]]] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.valid) + len(self.errors)


def _xlsx_records(filename: str, data: bytes,
                  catalog: Catalog) -> Iterator[Application | RecordError]:
    return validate_records(iter_xlsx_records(filename, data), catalog)


def safe_name(filename: str) -> str:
    name = PurePath(filename.replace("\\", "/")).name
    name = "".join(c for c in name if c.isprintable() and c not in "\"<>|")[:120]
    return name or "unggahan"


def read_upload(filename: str, data: bytes, catalog: Catalog) -> Intake:
    """Validate every record of an uploaded file; one bad record never rejects the rest."""
    name = safe_name(filename)
    suffix = PurePath(name).suffix.lower()
    if suffix not in SUFFIXES:
        raise IntakeError("Jenis berkas tidak dikenal: unggah berkas CSV, JSON, JSONL atau XLSX.")
    if not data:
        raise IntakeError("Berkas kosong.")
    if len(data) > MAX_UPLOAD:
        raise IntakeError("Berkas terlalu besar (maksimal 10 MB).")
    intake = Intake(name, hashlib.sha256(data).hexdigest())
    items = (_xlsx_records(name, data, catalog) if suffix == ".xlsx"
             else read_applications(Path(name), catalog, data=data))
    try:
        for item in items:
            if intake.total >= MAX_RECORDS:
                raise IntakeError(f"Terlalu banyak baris (maksimal {MAX_RECORDS} per unggahan).")
            if isinstance(item, RecordError):
                intake.errors.append({
                    "row": item.ref.record, "application_id": item.application_id,
                    "fields": [{"field": e.field, "message": pesan(e)} for e in item.errors]})
                continue
            assert item.ref is not None
            intake.valid.append((item.ref.record, dict(item.raw), {
                "application_id": item.application_id, "permit": item.permit,
                "holder_name": str(item.applicant.get("name", "")),
                "received_on": item.received_on, "approved_on": item.approved_on}))
    except InputError as e:
        raise IntakeError(f"Berkas tidak dapat dibaca: {pesan_berkas(e)}.") from e
    return intake
