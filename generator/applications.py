"""Approved applications: reading JSON, JSON Lines and CSV files and validating each record.

One bad record never sinks a batch: :func:`read_applications` yields, per record, either an
:class:`Application` or a :class:`RecordError` naming the file, the record and the field.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from stdnum.exceptions import ValidationError as StdnumError
from stdnum.id import nik as stdnum_nik
from stdnum.id import npwp as stdnum_npwp

from .catalog import Catalog, FieldSpec
from .errors import InputError
from .glyphs import undrawable

_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,63}$")
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE_RE = re.compile(r"^\+?[0-9][0-9 -]{6,18}$")
#: Markup in a person's name: angle brackets (no name has them) or a character entity.
_MARKUP_RE = re.compile(r"[<>]|&#?[A-Za-z0-9]+;")

APPLICANT_FIELDS = (
    FieldSpec("name", "Nama pemohon", "name", max_length=150),
    FieldSpec("nik", "NIK", "nik"),
    FieldSpec("address", "Alamat", "text", max_length=300),
    FieldSpec("birth_place", "Tempat lahir", "text", required=False, max_length=80),
    FieldSpec("birth_date", "Tanggal lahir", "date", required=False),
    FieldSpec("gender", "Jenis kelamin", "choice", required=False,
              choices=("Laki-laki", "Perempuan")),
    FieldSpec("phone", "Nomor telepon", "phone", required=False),
    FieldSpec("email", "Surel", "email", required=False),
    FieldSpec("npwp", "NPWP", "npwp", required=False),
)
RECOMMENDATION_FIELDS = (
    FieldSpec("number", "Nomor rekomendasi", "text", max_length=120),
    FieldSpec("date", "Tanggal rekomendasi", "date"),
    FieldSpec("agency", "Instansi pemberi rekomendasi", "text", max_length=200),
)


@dataclass(frozen=True)
class RecordRef:
    """Where a record came from: file and 1-based record number (CSV: the line number)."""

    file: str
    record: int

    def __str__(self) -> str:
        return f"{self.file}, record {self.record}"


@dataclass(frozen=True)
class FieldError:
    """One problem with one field. ``message`` is English (CLI, logs); ``code`` and ``params``
    let an interface say it in its own language (the office pages speak Bahasa Indonesia)."""

    field: str
    message: str
    code: str = ""
    params: Mapping[str, Any] = dataclasses.field(default_factory=dict, compare=False,
                                                  hash=False)


class Problem(ValueError):
    """A value that does not pass, with a stable ``code`` and the ``params`` of its message."""

    def __init__(self, code: str, message: str, **params: Any) -> None:
        super().__init__(message)
        self.code = code
        self.params = params


def _problem(field_name: str, e: ValueError) -> FieldError:
    if isinstance(e, Problem):
        return FieldError(field_name, str(e), e.code, e.params)
    return FieldError(field_name, str(e))


def _error(field_name: str, code: str, message: str, **params: Any) -> FieldError:
    return FieldError(field_name, message, code, params)


@dataclass(frozen=True)
class RecordError:
    """A record that cannot be issued, with every problem found in it."""

    ref: RecordRef
    application_id: str | None
    errors: tuple[FieldError, ...]

    def describe(self) -> list[str]:
        app = f" (application {self.application_id})" if self.application_id else ""
        return [f"{self.ref}{app}: field {e.field}: {e.message}" for e in self.errors]

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.ref.file, "record": self.ref.record,
            "application_id": self.application_id,
            "errors": [{"field": e.field, "message": e.message} for e in self.errors],
        }


@dataclass(frozen=True)
class Application:
    """A validated approved application, ready to be rendered."""

    application_id: str
    permit: str
    approved_on: date
    applicant: Mapping[str, Any]
    fields: Mapping[str, Any]
    received_on: date | None = None
    variant: str | None = None
    recommendation: Mapping[str, Any] | None = None
    ref: RecordRef | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def nik_masked(self) -> str:
        return mask_nik(str(self.applicant.get("nik", "")))


def mask_nik(nik: str) -> str:
    """Show only the region code and the last two digits: ``630801**********01``."""
    if len(nik) < 8:
        return "*" * len(nik)
    return nik[:6] + "*" * (len(nik) - 8) + nik[-2:]


def _parse_date(value: Any) -> date:
    if isinstance(value, date):
        return value
    s = str(value).strip()
    try:
        return date.fromisoformat(s)
    except ValueError:
        pass
    m = re.fullmatch(r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})", s)
    if m:
        return date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
    raise Problem("not_date", f"not a date: {s!r} (use YYYY-MM-DD)", value=s)


def check_value(spec: FieldSpec, value: Any) -> Any:
    """Return the normalised value or raise ``ValueError`` with a message for people."""
    t = spec.type
    if t == "date":
        return _parse_date(value)
    if t == "bool":
        if isinstance(value, bool):
            return value
        s = str(value).strip().lower()
        if s in ("1", "true", "ya", "yes"):
            return True
        if s in ("0", "false", "tidak", "no"):
            return False
        raise Problem("not_yes_no", f"expected yes/no, got {value!r}", value=value)
    if t == "int":
        try:
            n = int(str(value).replace(".", "").strip())
        except ValueError:
            raise Problem("not_integer", f"not a whole number: {value!r}",
                          value=value) from None
        if n < 0:
            raise Problem("negative", "must not be negative")
        return n
    if t == "number":
        try:
            x = float(str(value).replace(",", ".").strip())
        except ValueError:
            raise Problem("not_number", f"not a number: {value!r}", value=value) from None
        if x < 0:
            raise Problem("negative", "must not be negative")
        return x
    s = str(value).strip()
    if not s:
        raise Problem("empty", "is empty")
    if t in ("text", "name"):
        if spec.max_length and len(s) > spec.max_length:
            raise Problem("too_long", f"longer than {spec.max_length} characters",
                          max=spec.max_length)
        if any(ord(c) < 32 and c not in "\t\n" for c in s):
            raise Problem("control_characters", "contains control characters")
        if any(m in s for m in ("{{", "}}", "{%", "%}")):
            raise Problem("template_markup", "contains template markup ({{ or {%)")
        s = unicodedata.normalize("NFC", s)
        markup = _MARKUP_RE.search(s) if t == "name" else None
        if markup:
            raise Problem("markup", f"contains markup ({markup.group(0)!r}): plain text only",
                          value=markup.group(0))
        bad = undrawable(s)
        if bad:
            chars = ", ".join(f"{c} (U+{ord(c):04X})" for c in bad[:5])
            raise Problem("undrawable_characters",
                          f"contains characters the decree font cannot print: {chars}",
                          chars=chars)
    elif t == "choice":
        if s not in spec.choices:
            raise Problem("not_a_choice", f"{s!r} is not one of {', '.join(spec.choices)}",
                          value=s, choices=", ".join(spec.choices))
    elif t == "nik":
        try:
            s = stdnum_nik.validate(s)
        except StdnumError as e:
            raise Problem("bad_nik", f"invalid NIK {s!r}: {e}", value=s) from None
    elif t == "npwp":
        try:
            s = stdnum_npwp.format(stdnum_npwp.validate(s))
        except StdnumError as e:
            raise Problem("bad_npwp", f"invalid NPWP {s!r}: {e}", value=s) from None
    elif t == "nib":
        if not re.fullmatch(r"\d{13}", s):
            raise Problem("bad_nib", f"NIB must be 13 digits, got {s!r}", value=s)
    elif t == "kbli":
        if not re.fullmatch(r"\d{5}", s):
            raise Problem("bad_kbli", f"KBLI must be 5 digits, got {s!r}", value=s)
    elif t == "phone":
        if not _PHONE_RE.fullmatch(s):
            raise Problem("bad_phone", f"not a phone number: {s!r}", value=s)
    elif t == "email":
        if not _EMAIL_RE.fullmatch(s):
            raise Problem("bad_email", f"not an e-mail address: {s!r}", value=s)
    if spec.pattern and not re.fullmatch(spec.pattern, s):
        raise Problem("bad_form", f"{s!r} does not match the expected form", value=s)
    return s


def _check_group(
    specs: tuple[FieldSpec, ...], data: Any, prefix: str, errors: list[FieldError]
) -> dict[str, Any]:
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        errors.append(_error(prefix.rstrip("."), "not_an_object", "must be an object"))
        return {}
    out: dict[str, Any] = {}
    known = {s.name for s in specs}
    for key in data:
        if key not in known:
            errors.append(_error(f"{prefix}{key}", "unknown_field", "unknown field"))
    for spec in specs:
        value = data.get(spec.name)
        if value is None or (isinstance(value, str) and not value.strip()):
            if spec.required:
                errors.append(_error(f"{prefix}{spec.name}", "missing_field",
                                            f"missing ({spec.label})", label=spec.label))
            continue
        try:
            out[spec.name] = check_value(spec, value)
        except ValueError as e:
            errors.append(_problem(f"{prefix}{spec.name}", e))
    return out


_TOP_KEYS = {"application_id", "permit", "variant", "approved_on", "received_on", "applicant",
             "fields", "recommendation"}


def validate_record(
    raw: Any, ref: RecordRef, catalog: Catalog
) -> Application | RecordError:
    """Check one record against the catalog; collect every problem, not just the first."""
    errors: list[FieldError] = []
    if not isinstance(raw, Mapping):
        return RecordError(ref, None, (_error("(record)", "not_an_object", "must be an object"),))
    app_id = raw.get("application_id")
    app_id_s = str(app_id).strip() if app_id is not None else None
    for key in raw:
        if key not in _TOP_KEYS:
            errors.append(_error(str(key), "unknown_field", "unknown field"))
    if not app_id_s:
        errors.append(_error("application_id", "missing", "missing"))
    elif not _ID_RE.fullmatch(app_id_s):
        errors.append(_error("application_id", "bad_identifier",
                             f"invalid identifier {app_id_s!r}", value=app_id_s))
    permit_code = str(raw.get("permit") or "").strip()
    service = catalog.find(permit_code) if permit_code else None
    if not permit_code:
        errors.append(_error("permit", "missing", "missing"))
    elif service is None:
        errors.append(_error("permit", "unknown_permit", f"unknown permit code {permit_code!r}",
                             value=permit_code))
    elif service.decree is None:
        errors.append(_error("permit", "no_decree",
                             f"{permit_code} ends in no decree of this office", value=permit_code))
        service = None
    approved = received = None
    for key in ("approved_on", "received_on"):
        value = raw.get(key)
        if value in (None, ""):
            if key == "approved_on":
                errors.append(_error(key, "missing", "missing"))
            continue
        try:
            d = _parse_date(value)
        except ValueError as e:
            errors.append(_problem(key, e))
            continue
        if key == "approved_on":
            approved = d
        else:
            received = d
    if approved and received and received > approved:
        errors.append(_error("received_on", "after_approval", "is after approved_on"))
    variant = raw.get("variant") or None
    if service is not None:
        if service.variants and variant is None:
            choices = ", ".join(v.code for v in service.variants)
            errors.append(_error("variant", "missing_variant", "missing; one of " + choices,
                                 choices=choices))
        elif variant is not None and service.variant(str(variant)) is None:
            errors.append(_error("variant", "unknown_variant",
                                 f"unknown variant {variant!r} of {permit_code}",
                                 value=variant, permit=permit_code))
    applicant = _check_group(APPLICANT_FIELDS, raw.get("applicant"), "applicant.", errors)
    fields: dict[str, Any] = {}
    if service is not None and service.decree is not None:
        fields = _check_group(service.decree.fields, raw.get("fields"), "fields.", errors)
    rec_raw = raw.get("recommendation")
    recommendation = None
    if rec_raw in (None, {}) and service is not None and service.decree is not None \
            and service.decree.needs_recommendation:
        errors.append(_error("recommendation", "missing_recommendation",
                             "missing (this permit needs the technical recommendation: number, "
                             "date, agency)"))
    if rec_raw not in (None, {}):
        recommendation = _check_group(RECOMMENDATION_FIELDS, rec_raw, "recommendation.", errors)
        if recommendation.get("date") and approved and recommendation["date"] > approved:
            errors.append(_error("recommendation.date", "after_approval", "is after approved_on"))
    if errors:
        return RecordError(ref, app_id_s, tuple(errors))
    assert app_id_s is not None and approved is not None
    return Application(
        application_id=app_id_s, permit=permit_code, approved_on=approved, received_on=received,
        variant=str(variant) if variant else None, applicant=applicant, fields=fields,
        recommendation=recommendation, ref=ref, raw=dict(raw),
    )


def unflatten_row(row: Mapping[str | None, str | None]) -> dict[str, Any]:
    """Columns ``applicant.name`` -> nested ``{"applicant": {"name": ...}}``; empty cells are
    dropped. A row of a CSV file or a spreadsheet; a cell under no column (``None`` key) and
    a column that is also another's prefix (``fields`` beside ``fields.x``) are problems."""
    out: dict[str, Any] = {}
    for key, value in row.items():
        if key is None:
            raise Problem("extra_cells", "more cells than header columns")
        if value is None or value == "":
            continue
        parts = key.strip().split(".")
        node = out
        for p in parts[:-1]:
            node = node.setdefault(p, {})
            if not isinstance(node, dict):
                raise Problem("column_clash", f"column {key!r} clashes with another column",
                              column=key)
        if isinstance(node.get(parts[-1]), dict):
            raise Problem("column_clash", f"column {key!r} clashes with another column",
                          column=key)
        node[parts[-1]] = value
    return out


def _json_loads(text: str, path: Path) -> Any:
    try:
        return json.loads(text)
    except RecursionError as e:  # hundreds of nested arrays: hostile, not an application
        raise InputError(f"{path}: JSON nested too deeply", "too_deep") from e


def iter_raw_records(path: Path, data: bytes | None = None) -> Iterator[tuple[RecordRef, Any]]:
    """Yield ``(ref, raw record)`` from a JSON array, JSON Lines or CSV file.

    A record that cannot even be parsed is yielded as ``(ref, Problem)`` (the problem's code
    says what: ``invalid_json``, ``extra_cells``, ``column_clash``).
    """
    name = path.name
    if data is None:
        try:
            data = path.read_bytes()
        except OSError as e:
            raise InputError(f"cannot read {path}: {e.strerror}") from e
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise InputError(f"{path}: not UTF-8 text (byte {e.start})", "not_utf8",
                         byte=e.start) from e
    suffix = path.suffix.lower()
    if suffix == ".csv":
        reader = csv.DictReader(io.StringIO(text, newline=""))
        try:
            if not reader.fieldnames:
                raise InputError(f"{path}: empty CSV file (no header row)", "no_header")
            for row in reader:
                ref = RecordRef(name, reader.line_num)
                try:
                    yield ref, unflatten_row(row)
                except Problem as e:
                    yield ref, e
        except csv.Error as e:  # e.g. a cell past the csv module's field limit (128 kB)
            raise InputError(f"{path}: CSV line {reader.line_num} cannot be read: {e}",
                             "bad_csv", line=reader.line_num) from e
    elif suffix in (".jsonl", ".ndjson"):
        for i, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            ref = RecordRef(name, i)
            try:
                yield ref, _json_loads(line, path)
            except json.JSONDecodeError as e:
                yield ref, Problem("invalid_json", f"invalid JSON at column {e.colno}: {e.msg}",
                                   column=e.colno)
    elif suffix == ".json":
        try:
            doc = _json_loads(text, path)
        except json.JSONDecodeError as e:
            raise InputError(f"{path}: invalid JSON at line {e.lineno}: {e.msg}", "invalid_json",
                             line=e.lineno) from e
        if isinstance(doc, Mapping) and "applications" in doc:
            doc = doc["applications"]
        if not isinstance(doc, list):
            raise InputError(f"{path}: expected a JSON array of applications", "not_a_list")
        for i, rec in enumerate(doc, start=1):
            yield RecordRef(name, i), rec
    else:
        raise InputError(f"{path}: unknown input format {suffix!r} (use .json, .jsonl or .csv)",
                         "unknown_format")


def read_applications(
    path: Path, catalog: Catalog, data: bytes | None = None
) -> Iterator[Application | RecordError]:
    """Validate every record of ``path``; duplicates of an application id in one file are errors."""
    return validate_records(iter_raw_records(path, data), catalog)


def validate_records(
    records: Iterable[tuple[RecordRef, Any]], catalog: Catalog
) -> Iterator[Application | RecordError]:
    """Validate ``(ref, raw record or InputError)`` pairs from any reader."""
    seen: dict[str, RecordRef] = {}
    for ref, raw in records:
        if isinstance(raw, Problem):
            yield RecordError(ref, None, (_problem("(record)", raw),))
            continue
        result = validate_record(raw, ref, catalog)
        if isinstance(result, Application):
            first = seen.get(result.application_id)
            if first is not None:
                yield RecordError(ref, result.application_id, (_error(
                    "application_id", "duplicate", f"duplicate of {first}",
                    file=first.file, record=first.record),))
                continue
            seen[result.application_id] = ref
        yield result
