"""The permit catalog: services of the regulation plus the decree content of each permit.

Two data files under ``templates/``:

- ``catalog.json``: extracted from the regulation by ``scripts/extract_catalog.py`` (names, sector,
  channel, legal basis, requirements, SOP steps, standard times, recorded source defects);
- ``decrees.toml``: what each permit's decree says and which data it needs (fields with types and
  checks, the diktum text), by family with per-permit overrides.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from .citations import Citation, LegalData, load_legal
from .errors import CatalogError, GeneratorError

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"

FIELD_TYPES = frozenset(
    {"text", "date", "int", "number", "choice", "nik", "npwp", "nib", "kbli", "phone", "email",
     "bool", "name"}  # name: a person's name, text without markup
)


@dataclass(frozen=True)
class StandardTime:
    working_days: int
    minutes: int

    def as_dict(self) -> dict[str, int]:
        return {"working_days": self.working_days, "minutes": self.minutes}

    def describe(self) -> str:
        parts = []
        if self.working_days:
            parts.append(f"{self.working_days} hari kerja")
        if self.minutes:
            h, m = divmod(self.minutes, 60)
            if h:
                parts.append(f"{h} jam")
            if m:
                parts.append(f"{m} menit")
        return " ".join(parts) or "-"


@dataclass(frozen=True)
class FieldSpec:
    """One permit-specific datum the decree needs."""

    name: str
    label: str
    type: str = "text"
    required: bool = True
    choices: tuple[str, ...] = ()
    pattern: str | None = None
    max_length: int | None = None
    example: Any = None


@dataclass(frozen=True)
class Step:
    activity: str
    input: str
    time: StandardTime | None
    output: str


@dataclass(frozen=True)
class Variant:
    code: str
    name: str
    requirements: tuple[str, ...]
    standard_time: StandardTime | None


@dataclass(frozen=True)
class DecreeSpec:
    """What a permit's decree says; strings may hold Jinja expressions over the render context."""

    title: str
    grant: str
    # (label, value) or (label, value, condition): a row shown only when the Jinja condition
    # holds (a variant's own rows, e.g. ton TBS/jam for a processing plant)
    details: tuple[tuple[str, ...], ...]
    menimbang: tuple[str, ...]
    diktum: tuple[str, ...]
    fields: tuple[FieldSpec, ...]
    validity_years: int | None = None
    tembusan: tuple[str, ...] = ()
    needs_recommendation: bool = False
    family: str | None = None
    validity: str = ""  # the one statement of how long the permit is valid (Jinja)


@dataclass(frozen=True)
class Service:
    code: str
    kind: str
    name: str
    names: Mapping[str, str | None]
    sector: str
    channel: str
    legal_basis: tuple[str, ...]
    definition: str | None
    requirements: tuple[str, ...]
    sop_number: str | None
    related_sops: tuple[str, ...]
    steps: tuple[Step, ...]
    standard_time: StandardTime | None
    variants: tuple[Variant, ...] = ()
    defects: tuple[Mapping[str, Any], ...] = ()
    decree: DecreeSpec | None = None
    # The permit's legal grounds (Lampiran I basis and sector law), structured; the office's
    # own grounds are added at render time (office profile).
    citations: tuple[Citation, ...] = ()

    @property
    def is_permit(self) -> bool:
        return self.kind == "permit"

    @property
    def template(self) -> str | None:
        """Path of the permit's DOCX template, relative to the templates folder."""
        return f"permits/{self.code}.docx" if self.decree is not None else None

    def variant(self, code: str | None) -> Variant | None:
        if code is None:
            return None
        for v in self.variants:
            if v.code == code:
                return v
        return None


@dataclass(frozen=True)
class Catalog:
    services: tuple[Service, ...]
    source: Mapping[str, Any] = field(default_factory=dict)

    def get(self, code: str) -> Service:
        for s in self.services:
            if s.code == code:
                return s
        raise CatalogError(f"unknown permit code {code!r}; see `ptsp catalog list`")

    def find(self, code: str) -> Service | None:
        return next((s for s in self.services if s.code == code), None)

    @property
    def permits(self) -> tuple[Service, ...]:
        return tuple(s for s in self.services if s.is_permit)

    @property
    def with_templates(self) -> tuple[Service, ...]:
        return tuple(s for s in self.services if s.decree is not None)


def _time(d: Mapping[str, Any] | None) -> StandardTime | None:
    """None where the source gives no defensible time (recorded as a defect)."""
    if not d:
        return None
    if d.get("working_days") is None and d.get("minutes") is None:
        return None
    return StandardTime(int(d.get("working_days") or 0), int(d.get("minutes") or 0))


def _field(raw: Mapping[str, Any], where: str) -> FieldSpec:
    unknown = set(raw) - {"name", "label", "type", "required", "choices", "pattern", "max_length",
                          "example"}
    if unknown:
        raise CatalogError(f"{where}: unknown field keys {sorted(unknown)}")
    ftype = raw.get("type", "text")
    if ftype not in FIELD_TYPES:
        raise CatalogError(f"{where}: field {raw.get('name')!r} has unknown type {ftype!r}")
    if ftype == "choice" and not raw.get("choices"):
        raise CatalogError(f"{where}: choice field {raw.get('name')!r} needs choices")
    return FieldSpec(
        name=raw["name"], label=raw["label"], type=ftype, required=raw.get("required", True),
        choices=tuple(raw.get("choices", ())), pattern=raw.get("pattern"),
        max_length=raw.get("max_length"), example=raw.get("example"),
    )


_DECREE_KEYS = {"family", "title", "grant", "details", "menimbang", "diktum", "fields",
                "extra_fields", "validity_years", "tembusan", "needs_recommendation",
                "validity"}


def _decree(
    code: str, name: str, raw: Mapping[str, Any], families: Mapping[str, Any]
) -> DecreeSpec:
    where = f"decrees.toml [permit.{code}]"
    unknown = set(raw) - _DECREE_KEYS
    if unknown:
        raise CatalogError(f"{where}: unknown keys {sorted(unknown)}")
    merged: dict[str, Any] = {}
    fam_name = raw.get("family")
    if fam_name is not None:
        if fam_name not in families:
            raise CatalogError(f"{where}: unknown family {fam_name!r}")
        fam = families[fam_name]
        unknown = set(fam) - _DECREE_KEYS
        if unknown:
            raise CatalogError(f"decrees.toml [family.{fam_name}]: unknown keys {sorted(unknown)}")
        merged.update(fam)
    merged.update({k: v for k, v in raw.items() if k != "family"})
    fields = [*merged.get("fields", ()), *merged.get("extra_fields", ())]
    for key in ("title", "grant", "diktum", "validity"):
        if not merged.get(key):
            raise CatalogError(f"{where}: missing {key!r}")
    specs = tuple(_field(f, where) for f in fields)
    names = [f.name for f in specs]
    if len(names) != len(set(names)):
        raise CatalogError(f"{where}: duplicate field names in {names}")
    def named(text: str) -> str:
        return text.replace("{{PERMIT}}", name)

    return DecreeSpec(
        title=named(merged["title"]),
        grant=named(merged["grant"]),
        details=tuple(_detail(row, where) for row in merged.get("details", ())),
        menimbang=tuple(merged.get("menimbang", ())),
        diktum=tuple(merged["diktum"]),
        fields=specs,
        validity_years=merged.get("validity_years"),
        tembusan=tuple(merged.get("tembusan", ())),
        needs_recommendation=bool(merged.get("needs_recommendation", False)),
        family=fam_name,
        validity=named(merged.get("validity", "")),
    )


def _legal(raw: Mapping[str, Any], decree: DecreeSpec | None,
           legal: LegalData | None) -> tuple[tuple[Citation, ...], list[dict[str, Any]]]:
    """The permit's citations and the defects found in them (publication data missing, ...)."""
    if decree is None or legal is None:
        return (), []
    code = raw["code"]
    cites: list[Citation] = []
    defects: list[dict[str, Any]] = []
    for text in raw.get("legal_basis") or ():
        try:
            cites.append(legal.resolve_text(text, source=f"Perbup Balangan 16/2021 Lampiran I "
                                                         f"({code})"))
        except CatalogError as e:
            defects.append({"kind": "unreadable_citation", "field": "legal_basis",
                            "reason": str(e), "action": "not cited"})
    fam = decree.family or ""
    for cid in (*legal.family_grounds.get(fam, ()), *legal.permit_grounds.get(code, ())):
        cites.append(legal.get(cid))
    from .citations import order

    cites = order(cites)
    for c in cites:
        for why in c.defects():
            defects.append({"kind": "missing_publication", "field": "legal_basis",
                            "reason": why, "action": "dicetak tanpa data pengundangan; "
                            "perlu diverifikasi", "source": c.source})
    for text in legal.defects.get(fam, ()):
        defects.append({"kind": "legal_data", "field": "decree", "reason": text,
                        "action": "recorded, not invented"})
    ob = legal.obligations.get(fam)
    if ob is None:
        defects.append({"kind": "missing_obligations_source", "field": "decree.diktum",
                        "reason": f"legal.toml gives no source for the obligations of family "
                                  f"{fam!r}", "action": "perlu diverifikasi"})
    elif ob.defect:
        defects.append({"kind": "obligations", "field": "decree.diktum", "reason": ob.defect,
                        "action": "perlu diverifikasi"})
    return tuple(cites), defects


def _detail(row: Any, where: str) -> tuple[str, ...]:
    if not isinstance(row, list | tuple) or len(row) not in (2, 3):
        raise CatalogError(f"{where}: a details row is [label, value] or "
                           f"[label, value, condition], not {row!r}")
    return tuple(str(x) for x in row)


def _service(raw: Mapping[str, Any], decree: DecreeSpec | None,
             legal: LegalData | None = None) -> Service:
    citations, legal_defects = _legal(raw, decree, legal)
    return Service(
        code=raw["code"], kind=raw["kind"], name=raw["name"], names=raw.get("names", {}),
        sector=raw.get("sector", ""), channel=raw.get("channel", ""),
        legal_basis=tuple(raw.get("legal_basis") or ()), definition=raw.get("definition"),
        requirements=tuple(raw.get("requirements") or ()), sop_number=raw.get("sop_number"),
        related_sops=tuple(raw.get("related_sops") or ()),
        steps=tuple(
            Step(s.get("activity", ""), s.get("input", ""), _time(s.get("time")),
                 s.get("output", ""))
            for s in raw.get("steps") or ()
        ),
        standard_time=_time(raw.get("standard_time")),
        variants=tuple(
            Variant(v["code"], v["name"], tuple(v.get("requirements") or ()),
                    _time(v.get("standard_time")))
            for v in raw.get("variants") or ()
        ),
        defects=tuple(raw.get("defects") or ()) + tuple(legal_defects),
        decree=decree,
        citations=citations,
    )


def load_catalog(templates_dir: Path | None = None) -> Catalog:
    """Read ``catalog.json`` and ``decrees.toml`` from ``templates_dir`` and check they agree."""
    tdir = Path(templates_dir or TEMPLATES_DIR)
    return _load_cached(str(tdir.resolve()))


@cache
def _load_cached(tdir_s: str) -> Catalog:
    try:
        return _read_catalog(Path(tdir_s))
    except GeneratorError:
        raise
    except OSError as e:
        raise CatalogError(f"cannot read the catalog in {tdir_s}: {e}") from e
    except (KeyError, TypeError, ValueError, AttributeError) as e:  # a file of the wrong shape
        raise CatalogError(f"malformed catalog in {tdir_s}: {type(e).__name__}: {e}") from e


def _read_catalog(tdir: Path) -> Catalog:
    cat_path = tdir / "catalog.json"
    dec_path = tdir / "decrees.toml"
    try:
        raw_cat = json.loads(cat_path.read_text(encoding="utf-8"))
    except FileNotFoundError as e:
        raise CatalogError(f"catalog not found: {cat_path} (run `make catalog`)") from e
    except json.JSONDecodeError as e:
        raise CatalogError(f"{cat_path}: invalid JSON at line {e.lineno}: {e.msg}") from e
    try:
        raw_dec = tomllib.loads(dec_path.read_text(encoding="utf-8")) if dec_path.exists() else {}
    except tomllib.TOMLDecodeError as e:
        raise CatalogError(f"{dec_path}: {e}") from e
    unknown = set(raw_dec) - {"family", "permit"}
    if unknown:
        raise CatalogError(f"{dec_path}: unknown top-level tables {sorted(unknown)}")
    families = raw_dec.get("family", {})
    permits = raw_dec.get("permit", {})
    codes = {s["code"] for s in raw_cat.get("services", ())}
    stray = set(permits) - codes
    if stray:
        raise CatalogError(
            f"{dec_path}: decree specs for codes not in the catalog: {sorted(stray)}")
    legal_path = tdir / "legal.toml"
    legal = load_legal(legal_path) if legal_path.exists() else None
    services = []
    for raw in raw_cat.get("services", ()):
        spec = permits.get(raw["code"])
        decree = _decree(raw["code"], raw["name"], spec, families) if spec else None
        services.append(_service(raw, decree, legal))
    return Catalog(services=tuple(services), source=raw_cat.get("source", {}))
