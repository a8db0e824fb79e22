"""Reading approved applications from an Excel workbook (.xlsx).

The first sheet holds one application per row under a header row of dotted column names, the
same as the CSV input (``application_id``, ``applicant.name``, ``fields.str_number`` ...).
Cells are turned into the text the CSV reader would give, so one validator checks both:
dates become ``YYYY-MM-DD``, whole numbers lose Excel's ``.0``, empty cells are dropped.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import date, datetime, time
from typing import Any

from generator.applications import Problem, RecordRef, unflatten_row
from generator.errors import InputError


def _cell_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "ya" if value else "tidak"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value).strip()
    return text or None


def iter_xlsx_records(filename: str, data: bytes) -> Iterator[tuple[RecordRef, Any]]:
    """Yield ``(ref, raw record)`` per non-empty row of the first sheet; ``ref.record`` is the
    sheet's row number. A row that cannot be read is yielded as ``(ref, Problem)``, as by the
    CSV reader."""
    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as e:  # openpyxl raises zipfile, KeyError, ValueError ... on bad input
        raise InputError(f"{filename}: not a readable Excel workbook (.xlsx): {e}",
                         "not_xlsx") from e
    try:
        sheet = wb.worksheets[0] if wb.worksheets else None
        if sheet is None:
            raise InputError(f"{filename}: the workbook has no sheet", "no_sheet")
        rows = sheet.iter_rows(values_only=True)
        header_row = next(rows, None)
        if header_row is None:
            raise InputError(f"{filename}: empty sheet (no header row)", "no_header")
        header = [_cell_text(c) for c in header_row]
        while header and header[-1] is None:
            header.pop()
        if not any(header):
            raise InputError(f"{filename}: the first row must name the columns", "no_header")
        for number, cells in enumerate(rows, start=2):
            values = [_cell_text(c) for c in cells]
            if not any(values):
                continue
            ref = RecordRef(filename, number)
            if any(v is not None for v in values[len(header):]):
                yield ref, Problem("extra_cells", "more cells than header columns")
                continue
            row: dict[str | None, str | None] = {
                h: v for h, v in zip(header, values, strict=False) if h and v is not None}
            try:
                yield ref, unflatten_row(row)
            except Problem as e:
                yield ref, e
    finally:
        wb.close()
