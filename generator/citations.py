"""Legal grounds (Mengingat) as structured citations, printed the way a legal drafter cites them.

A citation has a kind (its place in the hierarchy of UU 12/2011 Pasal 7-8), a number, a year, a
title, its publication (Lembaran Negara and Tambahan, Berita Negara, Lembaran Daerah, Berita
Daerah with their numbers) and the regulations that amended it. A base regulation and its
amendments are one item ("... sebagaimana telah diubah dengan ...", "... sebagaimana telah
beberapa kali diubah, terakhir dengan ..."). Items are ordered by hierarchy, then by date.

The data lives in ``templates/legal.toml`` (national and sector law, the permits' own bases
mapped from Lampiran I of the regulation, obligations per family) and in the office profile
(the regency's own grounds). A citation may also be written as plain text, the way it is
printed: :func:`parse_citation` reads kind, number, year, title and publication back from it.
Publication data that is not known is never invented: the citation then carries a
``publication_defect`` that the catalog reports.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from .errors import CatalogError

# Rank in the hierarchy (UU 12/2011 Pasal 7 ayat (1) and Pasal 8 ayat (1)); lower prints first.
KINDS: dict[str, tuple[int, str]] = {
    "uud": (0, "Undang-Undang Dasar"),
    "tap_mpr": (1, "Ketetapan Majelis Permusyawaratan Rakyat"),
    "uu": (2, "Undang-Undang"),
    "perppu": (2, "Peraturan Pemerintah Pengganti Undang-Undang"),
    "pp": (3, "Peraturan Pemerintah"),
    "perpres": (4, "Peraturan Presiden"),
    "permen": (5, "Peraturan Menteri"),
    "kepmen": (6, "Keputusan Menteri"),
    "perda_prov": (7, "Peraturan Daerah Provinsi"),
    "pergub": (8, "Peraturan Gubernur"),
    "perda_kab": (9, "Peraturan Daerah Kabupaten"),
    "perbup": (10, "Peraturan Bupati"),
    "kepbup": (11, "Keputusan Bupati"),
}

# Longest prefix first: "Peraturan Pemerintah Pengganti" before "Peraturan Pemerintah".
_PREFIXES: list[tuple[str, str]] = sorted(
    [
        ("Undang-Undang Dasar", "uud"), ("Undang-Undang", "uu"),
        ("Peraturan Pemerintah Pengganti Undang-Undang", "perppu"),
        ("Peraturan Pemerintah", "pp"), ("Peraturan Presiden", "perpres"),
        ("Peraturan Menteri", "permen"), ("Peraturan Kepala Badan", "permen"),
        ("Keputusan Menteri", "kepmen"),
        ("Peraturan Daerah Provinsi", "perda_prov"), ("Peraturan Gubernur", "pergub"),
        ("Peraturan Daerah Kabupaten", "perda_kab"), ("Peraturan Daerah Kota", "perda_kab"),
        ("Peraturan Daerah", "perda_kab"),
        ("Peraturan Bupati", "perbup"), ("Peraturan Wali Kota", "perbup"),
        ("Keputusan Bupati", "kepbup"),
    ],
    key=lambda p: -len(p[0]),
)

PUBLICATION_KINDS = {
    "ln": "Lembaran Negara Republik Indonesia",
    "tln": "Tambahan Lembaran Negara Republik Indonesia",
    "bn": "Berita Negara Republik Indonesia",
    "ld": "Lembaran Daerah",
    "tld": "Tambahan Lembaran Daerah",
    "bd": "Berita Daerah",
}
NBSP = "\u00a0"


@dataclass(frozen=True)
class Publication:
    kind: str  # a key of PUBLICATION_KINDS
    number: str
    year: int | None = None  # not printed for the Tambahan
    region: str = ""  # "Kabupaten Balangan" for ld/tld/bd

    def text(self) -> str:
        name = PUBLICATION_KINDS[self.kind]
        if self.region:
            name = f"{name} {self.region}"
        year = f" Tahun {self.year}" if self.year and self.kind not in ("tln", "tld") else ""
        return f"{name}{year} Nomor {self.number}"


@dataclass(frozen=True)
class Citation:
    """One regulation (with the regulations that amended it, oldest first)."""

    kind: str
    number: str
    year: int
    title: str
    issuer: str = ""  # what follows the kind's name: "Menteri Kesehatan", "Kabupaten Balangan"
    enacted: date | None = None  # where known: orders items of one rank
    publication: tuple[Publication, ...] = ()
    publication_defect: str = ""  # why the publication data is missing (perlu diverifikasi)
    amendments: tuple[Citation, ...] = ()
    source: str = ""  # where the data comes from
    id: str = ""
    pasal: str = ""  # the provision, for Menimbang's authority item (not printed in Mengingat)

    @property
    def key(self) -> tuple[str, str, str, int]:
        """Identity: kind, issuer, number, year ("Permenkes 3/2020" is not "Permen PUPR 3/2020")."""
        issuer = " ".join(self.issuer.lower().replace("republik indonesia", "").split())
        return (self.kind, issuer, _norm_number(self.number), self.year)

    @property
    def rank(self) -> int:
        return KINDS[self.kind][0]

    @property
    def name(self) -> str:
        """"Peraturan Menteri Kesehatan Nomor 26 Tahun 2018"."""
        base = KINDS[self.kind][1]
        if self.kind == "perda_kab" and self.issuer:
            base = "Peraturan Daerah"
        head = f"{base} {self.issuer}".strip()
        if "/" in self.number or str(self.year) in self.number:
            # 889/MENKES/PER/V/2011, 27/PRT/M/2018: the number holds the year already
            return f"{head} Nomor {self.number}"
        return f"{head} Nomor {self.number} Tahun {self.year}"

    def own_text(self) -> str:
        text = f"{self.name} tentang {self.title}"
        if self.publication:
            text += " (" + ", ".join(p.text() for p in self.publication) + ")"
        return text

    def text(self) -> str:
        """The whole Mengingat item, without the closing semicolon."""
        text = self.own_text()
        if len(self.amendments) == 1:
            text += " sebagaimana telah diubah dengan " + self.amendments[0].own_text()
        elif self.amendments:
            text += (" sebagaimana telah beberapa kali diubah, terakhir dengan "
                     + self.amendments[-1].own_text())
        return text

    @property
    def sort_key(self) -> tuple[int, int, int, date]:
        """Hierarchy, then date: the year, then the number (numbers are given in order of
        enactment within a year), then the date where two kinds of one rank share a year."""
        m = re.search(r"\d+", self.number)
        return (self.rank, self.year, int(m.group()) if m else 0,
                self.enacted or date(self.year, 1, 1))

    def printed(self) -> tuple[Citation, ...]:
        """The citations whose publication data the printed item shows."""
        return (self, self.amendments[-1]) if self.amendments else (self,)

    def defects(self) -> list[str]:
        """Why this item, as printed, lacks publication data (empty when complete)."""
        return [f"{c.name}: {c.publication_defect or 'data pengundangan tidak ada'}"
                for c in self.printed() if not c.publication]


def _norm_number(number: str) -> str:
    n = number.strip().upper()
    return n.lstrip("0") or n


# "... Pasal 146,147 dan 148", "... pasal 5", "... Pasal 21 sd 39", "... Lampiran 2", "(Lampiran)"
_ARTICLE_TAIL = re.compile(
    r"\s+(?:[Pp]asal\s+\d.*|\(?Lampiran(?:\s+\d+)?\)?(?:\s+dan\s+\d+)?)$")
_CITE = re.compile(
    r"^(?P<head>.+?)\s+(?:Nomor|No\.)\s*(?P<number>(?:PM\s+)?[^\s]+(?:\s+Tahun\s+\d{4})?)"
    r"\s+[Tt]entang\s+(?P<rest>.+)$", re.S)
_PUB = re.compile(
    r"(?P<kind>Tambahan Lembaran Negara|Lembaran Negara|Berita Negara|Tambahan Lembaran Daerah"
    r"|Lembaran Daerah|Berita Daerah)(?P<where>[^,()]*?)(?:\s+Tahun\s+(?P<year>\d{4}))?"
    r"\s+Nomor\s+(?P<number>[\w./-]+)")
_PUB_KIND = {"Tambahan Lembaran Negara": "tln", "Lembaran Negara": "ln", "Berita Negara": "bn",
             "Tambahan Lembaran Daerah": "tld", "Lembaran Daerah": "ld", "Berita Daerah": "bd"}


def parse_citation(text: str, *, source: str = "") -> Citation:
    """A citation written out in full (as printed, or as Lampiran I lists it) as structure.

    Trailing article references are dropped; a parenthesised publication is read back."""
    text = " ".join(text.replace(NBSP, " ").split()).rstrip(" .;,")
    text = re.sub(r"\bNo\.\s*", "Nomor ", text)
    text = _ARTICLE_TAIL.sub("", text).rstrip(" .;,")
    pubs: tuple[Publication, ...] = ()
    m = re.search(r"\s*\(((?:Tambahan )?(?:Lembaran|Berita)[^()]*)\)\s*$", text)
    if m:
        pubs = tuple(
            Publication(_PUB_KIND[p.group("kind")], p.group("number"),
                        int(p.group("year")) if p.group("year") else None,
                        _region(p.group("where")))
            for p in _PUB.finditer(m.group(1)))
        text = text[: m.start()]
    m = _CITE.match(text)
    if not m:
        raise CatalogError(f"cannot read the citation {text!r}: expected "
                           "'<kind> Nomor <n> Tahun <yyyy> tentang <title>'")
    head = m.group("head").strip()
    kind, issuer = "", ""
    for prefix, k in _PREFIXES:
        if head.lower().startswith(prefix.lower()):
            kind, issuer = k, head[len(prefix):].strip()
            break
    if not kind:
        raise CatalogError(f"unknown kind of regulation {head!r} in {text!r}")
    if kind == "perda_kab" and not issuer.startswith(("Kabupaten", "Kota")) and issuer:
        issuer = f"Kabupaten {issuer}"
    issuer = re.sub(r"\s*Republik Indonesia$", "", issuer)
    number = m.group("number")
    year_m = re.search(r"Tahun\s+(\d{4})", number)
    if year_m:
        year = int(year_m.group(1))
        number = number[: year_m.start()].strip()
    else:
        tail = re.search(r"/(\d{2,4})$", number)
        if not tail:
            raise CatalogError(f"no year in the citation {text!r}")
        y = int(tail.group(1))
        year = y if y > 999 else (1900 + y if y > 40 else 2000 + y)
    number = re.sub(r"^0+(?=\d)", "", number)
    title = m.group("rest").strip()
    return Citation(kind=kind, number=number, year=year, title=title, issuer=issuer,
                    publication=pubs, source=source)


def _region(where: str) -> str:
    where = where.strip()
    return "" if where in ("", "Republik Indonesia") else where


def order(citations: Iterable[Citation]) -> list[Citation]:
    """Deduplicated (a regulation cited once), ordered by hierarchy then date."""
    seen: dict[tuple[str, str, str, int], Citation] = {}
    for c in citations:
        seen.setdefault(c.key, c)
    return sorted(seen.values(), key=lambda c: c.sort_key)


# -- the data file -----------------------------------------------------------------------------

_CITE_KEYS = {"kind", "number", "year", "title", "issuer", "date", "publication",
              "publication_defect", "amended_by", "source", "matches", "pasal"}


def citation_to_json(c: Citation) -> dict[str, Any]:
    """A citation as plain JSON values (for a render context sent to another process)."""
    return {
        "kind": c.kind, "number": c.number, "year": c.year, "title": c.title,
        "issuer": c.issuer, "enacted": c.enacted.isoformat() if c.enacted else None,
        "publication": [[p.kind, p.number, p.year, p.region] for p in c.publication],
        "publication_defect": c.publication_defect,
        "amendments": [citation_to_json(a) for a in c.amendments],
        "source": c.source, "id": c.id, "pasal": c.pasal,
    }


def citation_from_json(d: Mapping[str, Any]) -> Citation:
    """The inverse of :func:`citation_to_json`."""
    enacted = d.get("enacted")
    return Citation(
        kind=d["kind"], number=d["number"], year=d["year"], title=d["title"],
        issuer=d.get("issuer", ""), enacted=date.fromisoformat(enacted) if enacted else None,
        publication=tuple(Publication(*p) for p in d.get("publication", ())),
        publication_defect=d.get("publication_defect", ""),
        amendments=tuple(citation_from_json(a) for a in d.get("amendments", ())),
        source=d.get("source", ""), id=d.get("id", ""), pasal=d.get("pasal", ""))


@dataclass(frozen=True)
class Obligations:
    """Where a family's obligations and sanctions come from, or why the data has none."""

    source: str = ""
    defect: str = ""


@dataclass(frozen=True)
class LegalData:
    citations: Mapping[str, Citation]
    family_grounds: Mapping[str, tuple[str, ...]]
    permit_grounds: Mapping[str, tuple[str, ...]]
    obligations: Mapping[str, Obligations]
    defects: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # family -> texts
    _by_key: Mapping[tuple[str, str, str, int], str] = field(default_factory=dict)

    def get(self, cid: str) -> Citation:
        try:
            return self.citations[cid]
        except KeyError:
            raise CatalogError(f"legal.toml: unknown citation id {cid!r}") from None

    def lookup(self, c: Citation) -> Citation:
        """The registry's entry for a parsed citation (an amending regulation resolves to its
        base, so that base and amendment print as one item); the citation itself if none."""
        cid = self._by_key.get(c.key)
        return self.citations[cid] if cid else c

    def resolve_text(self, text: str, *, source: str) -> Citation:
        c = parse_citation(text, source=source)
        found = self.lookup(c)
        if found is c and not c.publication:
            return replace(c, publication_defect=(
                "data pengundangan (Lembaran/Berita Negara atau Daerah) tidak tercantum dalam "
                "sumber; perlu diverifikasi"))
        return found


def _publication(raw: Any, where: str, region: str) -> tuple[Publication, ...]:
    if not raw:
        return ()
    if not isinstance(raw, dict):
        raise CatalogError(f"{where}.publication: expected a table like {{ ln = \"2014/244\", "
                           "tln = \"5587\" }")
    out = []
    for kind in ("ln", "tln", "bn", "ld", "tld", "bd"):
        if kind not in raw:
            continue
        value = str(raw[kind])
        year, _, number = value.rpartition("/") if "/" in value else ("", "", value)
        out.append(Publication(kind, number, int(year) if year else None,
                               region if kind in ("ld", "tld", "bd") else ""))
    unknown = set(raw) - set(PUBLICATION_KINDS) - {"region"}
    if unknown:
        raise CatalogError(f"{where}.publication: unknown keys {sorted(unknown)}")
    return tuple(out)


def load_citation_table(raw: Mapping[str, Any], where: str) -> dict[str, Citation]:
    """``[cite.ID]`` tables (see ``templates/legal.toml``) as citations, amendments linked."""
    plain: dict[str, Citation] = {}
    amended_by: dict[str, list[str]] = {}
    for cid, entry in raw.items():
        w = f"{where} [cite.{cid}]"
        unknown = set(entry) - _CITE_KEYS
        if unknown:
            raise CatalogError(f"{w}: unknown keys {sorted(unknown)}")
        for key in ("kind", "number", "year", "title", "source"):
            if key not in entry:
                raise CatalogError(f"{w}: missing {key!r}")
        if entry["kind"] not in KINDS:
            raise CatalogError(f"{w}: unknown kind {entry['kind']!r}; "
                               f"known: {', '.join(KINDS)}")
        if not entry.get("publication") and not entry.get("publication_defect"):
            raise CatalogError(f"{w}: give the publication or say why it is missing "
                               "(publication_defect)")
        region = (entry.get("publication") or {}).get("region", "") if isinstance(
            entry.get("publication"), dict) else ""
        d = entry.get("date")
        plain[cid] = Citation(
            kind=entry["kind"], number=str(entry["number"]), year=int(entry["year"]),
            title=entry["title"], issuer=entry.get("issuer", ""),
            enacted=d if isinstance(d, date) or d is None else date.fromisoformat(d),
            publication=_publication(entry.get("publication"), w, region),
            publication_defect=entry.get("publication_defect", ""),
            source=entry["source"], id=cid, pasal=entry.get("pasal", ""))
        amended_by[cid] = list(entry.get("amended_by", ()))
    out: dict[str, Citation] = {}
    for cid, c in plain.items():
        amends = []
        for a in amended_by[cid]:
            if a not in plain:
                raise CatalogError(f"{where} [cite.{cid}].amended_by: unknown id {a!r}")
            amends.append(plain[a])
        out[cid] = replace(c, amendments=tuple(sorted(amends, key=lambda x: x.sort_key)))
    return out


def load_legal(path: Path) -> LegalData:
    return _load_legal(str(path))


@cache
def _load_legal(path_s: str) -> LegalData:
    path = Path(path_s)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as e:
        raise CatalogError(f"legal data not found: {path}") from e
    except tomllib.TOMLDecodeError as e:
        raise CatalogError(f"{path}: {e}") from e
    unknown = set(raw) - {"cite", "family", "permit"}
    if unknown:
        raise CatalogError(f"{path.name}: unknown top-level tables {sorted(unknown)}")
    cites = load_citation_table(raw.get("cite", {}), path.name)
    by_key: dict[tuple[str, str, str, int], str] = {}
    for cid, c in cites.items():
        by_key[c.key] = cid
    # An amending regulation resolves to the base it amends.
    for cid, c in cites.items():
        for a in c.amendments:
            by_key[a.key] = cid
    # Aliases: the way the source misprints a regulation (key of the misprint -> entry).
    for cid, entry in raw.get("cite", {}).items():
        for alias in entry.get("matches", ()):
            by_key[parse_citation(alias).key] = cid
    fam_grounds: dict[str, tuple[str, ...]] = {}
    obligations: dict[str, Obligations] = {}
    defects: dict[str, tuple[str, ...]] = {}
    for name, fam in raw.get("family", {}).items():
        unknown = set(fam) - {"grounds", "obligations_source", "obligations_defect", "defects"}
        if unknown:
            raise CatalogError(f"{path.name} [family.{name}]: unknown keys {sorted(unknown)}")
        fam_grounds[name] = tuple(fam.get("grounds", ()))
        if fam.get("obligations_source") or fam.get("obligations_defect"):
            obligations[name] = Obligations(fam.get("obligations_source", ""),
                                            fam.get("obligations_defect", ""))
        defects[name] = tuple(fam.get("defects", ()))
    permit_grounds = {code: tuple(p.get("grounds", ()))
                      for code, p in raw.get("permit", {}).items()}
    for owner, ids in [*fam_grounds.items(), *permit_grounds.items()]:
        for cid in ids:
            if cid not in cites:
                raise CatalogError(f"{path.name}: {owner} names unknown citation {cid!r}")
    return LegalData(cites, fam_grounds, permit_grounds, obligations, defects, by_key)


def mengingat(citations: Iterable[Citation]) -> list[str]:
    """The printed Mengingat items, ordered, each without its closing semicolon."""
    return [c.text() for c in order(citations)]


def enumerate_letters(n: int) -> str:
    """"huruf a", "huruf a dan huruf b", "huruf a, huruf b, dan huruf c" (UU 12/2011 style)."""
    letters = [f"huruf {chr(ord('a') + i)}" for i in range(n)]
    if n <= 1:
        return letters[0] if letters else ""
    if n == 2:
        return f"{letters[0]} dan {letters[1]}"
    return ", ".join(letters[:-1]) + ", dan " + letters[-1]
