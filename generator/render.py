"""Rendering a permit's DOCX template with docxtpl.

Values are autoescaped, so ``PT Maju & Jaya <Baru>`` prints literally; a rendered document that
still holds template markup is an error, never a decree.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import threading
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
import segno
from docx.shared import Mm
from docxtpl import DocxTemplate, InlineImage

from .applications import Application
from .catalog import TEMPLATES_DIR, Service
from .citations import mengingat
from .dates import ORDINALS, add_years, long_date, roman, spell
from .errors import CatalogError, GeneratorError, RenderError
from .slim import slim_parts
from .typeset import lines

_LEFTOVER = re.compile(r"\{\{|\}\}|\{%|%\}|\{#|#\}")


NBSP = "\u00a0"


def _nb(text: str) -> str:
    """Non-breaking spaces: a date or a number never breaks across lines ("9 / Desember")."""
    return text.replace(" ", NBSP)


def _utuh(value: Any) -> str:
    """A number printed whole ("APP-IOLK-000005", "440/12/DINKES"): non-breaking hyphens, and a
    word joiner after each slash, so a line never breaks inside it."""
    return str(value).replace("-", "\u2011").replace("/", "/\u2060")


def _tanggal(value: Any) -> str:
    if isinstance(value, date):
        return _nb(long_date(value))
    if value in (None, ""):
        return "-"
    return _nb(long_date(date.fromisoformat(str(value))))


def _tambah_tahun(value: Any, years: int) -> date:
    """``issued_on|tambah_tahun(5)``: the same day ``years`` later, less one day (a permit
    issued on 10 Desember 2026 for a year is valid until 9 Desember 2027)."""
    from datetime import timedelta

    start = value if isinstance(value, date) else date.fromisoformat(str(value))
    return add_years(start, years) - timedelta(days=1)


def _angka(value: Any) -> str:
    """Indonesian thousands separator: 1250.5 -> "1.250,5"."""
    if isinstance(value, float) and not value.is_integer():
        whole, frac = f"{value:.2f}".split(".")
        return f"{int(whole):,}".replace(",", ".") + "," + frac.rstrip("0")
    return f"{int(value):,}".replace(",", ".")


def make_env() -> jinja2.Environment:
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    env.filters.update(tanggal=_tanggal, angka=_angka, terbilang=spell, romawi=roman,
                       tambah_tahun=_tambah_tahun, nb=_nb, baris=lines,
                       utuh=_utuh)
    return env


def qr_png(url: str) -> bytes:
    """A QR code for ``url`` as PNG (error correction M, survives a stamp or a fold).

    The mask is fixed: choosing the "best" of eight costs more CPU than the rest of the code
    and buys nothing a phone camera notices.
    """
    matrix = segno.make(url, error="m", micro=False, mask=0).matrix
    return _png_1bit(matrix, scale=8, border=2)


def _png_1bit(matrix: Any, *, scale: int, border: int) -> bytes:
    """A black-on-white 1-bit PNG of a QR matrix (segno's writer is pure Python per pixel)."""
    import struct
    import zlib

    n = len(matrix) + 2 * border
    width = n * scale
    rows = []
    blank = bytes(width // 8 + (1 if width % 8 else 0))
    white_row = bytes([0xFF]) * len(blank)
    for _ in range(border * scale):
        rows.append(b"\x00" + white_row)
    for line in matrix:
        bits = "1" * (border * scale)
        bits += "".join(("0" if cell else "1") * scale for cell in line)
        bits += "1" * (border * scale)
        bits += "1" * (-len(bits) % 8)
        row = b"\x00" + int(bits, 2).to_bytes(len(bits) // 8, "big")
        rows.extend([row] * scale)
    for _ in range(border * scale):
        rows.append(b"\x00" + white_row)

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + \
            struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, width, 1, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"".join(rows), 6)) + chunk(b"IEND", b""))


@dataclass(frozen=True)
class RenderInput:
    """Everything that varies per decree besides the application itself."""

    number: str
    verify_url: str
    issued_on: date
    replaces: str | None = None


@lru_cache(maxsize=256)
def _template_bytes(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except FileNotFoundError as e:
        raise CatalogError(f"template not found: {path} (run `make templates`)") from e


class DecreeRenderer:
    """Renders decrees; ``common`` holds the office-wide context (office, signer, footer, ...)."""

    def __init__(self, common: Mapping[str, Any], *, templates_dir: Path | None = None,
                 emblem: Path | None = None, cache_dir: Path | None = None) -> None:
        self.templates_dir = Path(templates_dir or TEMPLATES_DIR)
        self.common = dict(common)
        self.emblem = emblem.read_bytes() if emblem else None
        self.env = make_env()
        self.cache_dir = cache_dir
        if cache_dir is not None:
            # Compiled Jinja code of each template part, kept across runs: preparing all 84
            # templates costs seconds, a cached one a millisecond.
            cache_dir.mkdir(parents=True, exist_ok=True)
            self.env.bytecode_cache = jinja2.FileSystemBytecodeCache(str(cache_dir))
        self._cache: dict[str, CompiledTemplate | None] = {}
        self._mengingat: dict[str, list[str]] = {}
        self._titles: dict[str, jinja2.Template] = {}
        self._lock = threading.Lock()  # worker threads render in parallel: compile once

    def context(self, service: Service, app: Application, inp: RenderInput) -> dict[str, Any]:
        spec = service.decree
        assert spec is not None
        variant = service.variant(app.variant)
        valid_until = (
            add_years(inp.issued_on, spec.validity_years) if spec.validity_years else None
        )
        ctx = dict(self.common)
        ctx.update(
            number=inp.number,
            replaces=inp.replaces,
            ordinals=list(ORDINALS),
            verify_url=inp.verify_url,
            issued_on=inp.issued_on,
            issued_on_long=_nb(long_date(inp.issued_on)),
            valid_until=valid_until,
            valid_until_long=_nb(long_date(valid_until)) if valid_until else None,
            mengingat=self.mengingat(service),
            validity_years=spec.validity_years,
            permit={"code": service.code, "name": service.name, "sector": service.sector},
            variant={"code": variant.code, "name": variant.name} if variant else None,
            app={
                "application_id": app.application_id,
                "applicant": dict(app.applicant),
                "fields": dict(app.fields),
                "approved_on": app.approved_on,
                "received_on": app.received_on,
                "nik_masked": app.nik_masked,
            },
            rec=dict(app.recommendation) if app.recommendation else None,
        )
        # The title may depend on the variant (Izin Lingkungan (UKL-UPL)).
        title = spec.title
        if "{" in title:
            compiled = self._titles.get(title)
            if compiled is None:
                compiled = self._titles[title] = self.env.from_string(title)
            title = compiled.render(ctx)
        ctx["decree_title"] = title
        return ctx

    def mengingat(self, service: Service) -> list[str]:
        """The decree's Mengingat items: the permit's grounds and the office's
        (``common["legal_grounds"]``), one item per regulation with its amendments, ordered
        by hierarchy and date."""
        items = self._mengingat.get(service.code)
        if items is None:
            items = mengingat([*service.citations, *self.common.get("legal_grounds", ())])
            self._mengingat[service.code] = items
        return items

    def render(self, service: Service, app: Application, inp: RenderInput) -> bytes:
        """The filled-in DOCX as bytes."""
        if service.template is None or service.decree is None:
            raise RenderError(f"{service.code} has no decree template")
        path = self.templates_dir / service.template
        # Everything that reads the template or runs its code is inside: a damaged template,
        # a syntax error or a filter refusing a value is a GeneratorError, never a zipfile,
        # jinja2 or ValueError escaping the library.
        try:
            compiled = self._compiled(path)
            ctx = self.context(service, app, inp)
            # The verifier reads the number back from the PDF's /Keywords to name the decree a
            # tampered copy claims to be.
            props = {"title": f"Keputusan Nomor {inp.number} tentang {ctx['decree_title']}",
                     "subject": service.name, "keywords": f"nomor={inp.number}"}
            if compiled is None:  # a template without the named pictures: plain docxtpl
                data = self._render_docxtpl(ctx, qr_png(inp.verify_url), props, path)
            else:
                data = compiled.render(ctx, qr_png(inp.verify_url), props)
        except GeneratorError:
            raise
        except jinja2.UndefinedError as e:
            raise RenderError(f"{path.name}: {e.message} (application {app.application_id})") from e
        except jinja2.TemplateError as e:
            raise RenderError(f"{path.name}: template error: {e}") from e
        except zipfile.BadZipFile as e:
            raise CatalogError(f"{path}: not a readable DOCX template ({e}); rebuild it "
                               "(`make templates`) or save it again from Word") from e
        except OSError as e:
            raise CatalogError(f"{path}: template cannot be read: {e}") from e
        except ValueError as e:  # a filter refusing a value (romawi, tanggal, ...)
            raise RenderError(f"{path.name}: {e} (application {app.application_id})") from e
        leftover = find_leftover_markup(data)
        if leftover:
            raise RenderError(
                f"{path.name}: template markup left in the document: {leftover!r} "
                f"(application {app.application_id})"
            )
        return data

    def _compiled(self, path: Path) -> CompiledTemplate | None:
        key = str(path)
        if key not in self._cache:
            with self._lock:
                if key not in self._cache:
                    self._cache[key] = CompiledTemplate.load(path, self.env, self.emblem,
                                                             self.cache_dir)
        return self._cache[key]

    def _render_docxtpl(self, ctx: dict[str, Any], qr: bytes, props: dict[str, str],
                        path: Path) -> bytes:
        tpl = DocxTemplate(io.BytesIO(_template_bytes(str(path))))
        ctx = {**ctx, "qr": InlineImage(tpl, io.BytesIO(qr), width=Mm(24)),
               "emblem": InlineImage(tpl, io.BytesIO(self.emblem), width=Mm(21))
               if self.emblem is not None else ""}
        tpl.init_docx()
        core = tpl.docx.core_properties
        core.title, core.subject, core.keywords = props["title"], props["subject"], \
            props["keywords"]
        tpl.render(ctx, jinja_env=self.env, autoescape=True)
        out = io.BytesIO()
        tpl.save(out)
        return out.getvalue()


def docx_text(data: bytes) -> str:
    """The visible text of a DOCX (body, headers, footers), for checks and tests."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        parts = [n for n in z.namelist()
                 if n.startswith("word/") and n.endswith(".xml")
                 and n.split("/")[-1].startswith(("document", "header", "footer"))]
        texts = []
        for n in sorted(parts):
            xml = z.read(n).decode("utf-8")
            # a line break inside a paragraph (a title broken at word groups) reads as a space
            xml = re.sub(r"<w:br/>", "<w:t> </w:t>", xml)
            for para in re.findall(r"<w:p[ >].*?</w:p>", xml, flags=re.S):
                runs = re.findall(r"<w:t(?: [^>]*)?>([^<]*)</w:t>", para)
                texts.append("".join(runs))
    import html

    # Read as a person reads it: a non-breaking space is a space, a non-breaking hyphen a hyphen.
    text = html.unescape("\n".join(texts))
    return text.replace(NBSP, " ").replace("\u2011", "-").replace("\u2060", "")


def find_leftover_markup(data: bytes) -> str | None:
    text = docx_text(data)
    m = _LEFTOVER.search(text)
    if not m:
        return None
    return text[max(0, m.start() - 30): m.end() + 30]


_NS_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
# docxtpl turns a line break, tab or page break inside a value into Word markup; only worth the
# regex work when a text node holds one.
_NEEDS_LISTING = re.compile(r"<w:t(?: [^>]*)?>[^<]*[\n\t\a\f]")
_XML_PARTS = re.compile(r"^word/(document|header\d*|footer\d*)\.xml$")


def _png_size(data: bytes) -> tuple[int, int]:
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise RenderError("the emblem must be a PNG image")
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


class CompiledTemplate:
    """A docxtpl template prepared once: its XML parts patched by docxtpl and compiled by Jinja,
    its other parts kept as bytes. Rendering fills the parts and swaps the QR picture's bytes,
    without python-docx parsing and re-serialising the whole package for every decree."""

    def __init__(self, entries: list[tuple[str, bytes]], templates: dict[str, jinja2.Template],
                 qr_part: str, helper: DocxTemplate) -> None:
        self.entries = entries
        self.templates = templates
        self.qr_part = qr_part
        self.helper = helper

    @classmethod
    def load(cls, path: Path, env: jinja2.Environment, emblem: bytes | None,
             cache_dir: Path | None = None) -> CompiledTemplate | None:
        data = _template_bytes(str(path))
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            parts = slim_parts({n: z.read(n) for n in z.namelist()})
        names = list(parts)
        doc = parts.get("word/document.xml", b"").decode("utf-8")
        rels = parts.get("word/_rels/document.xml.rels", b"").decode("utf-8")
        targets: dict[str, str | None] = {}
        for name in ("ptsp-qr", "ptsp-emblem"):
            m = re.search(rf'<wp:docPr[^>]*name="{name}"[^>]*/>.*?r:embed="([^"]+)"', doc,
                          flags=re.S)
            if not m:
                targets[name] = None
                continue
            t = re.search(rf'<Relationship [^>]*Id="{m.group(1)}"[^>]*Target="([^"]+)"', rels)
            t = t or re.search(rf'<Relationship [^>]*Target="([^"]+)"[^>]*Id="{m.group(1)}"',
                               rels)
            targets[name] = "word/" + t.group(1) if t else None
        if targets["ptsp-qr"] is None:
            return None
        if emblem is not None and targets["ptsp-emblem"] is not None:
            parts[targets["ptsp-emblem"]] = emblem
            doc = _fit_picture(doc, "ptsp-emblem", _png_size(emblem))
            parts["word/document.xml"] = doc.encode("utf-8")
        helper = DocxTemplate(io.BytesIO(data))
        sources = _patched_sources(parts, helper, cache_dir)
        if cache_dir is None:
            templates = {name: env.from_string(src) for name, src in sources.items()}
        else:
            # Through a loader, so that the environment's bytecode cache is used.
            # Named by content: the cache keys compiled code by template name, and every
            # template has a "word/document.xml" (same name, different code).
            keyed = {f"{hashlib.sha256(src.encode('utf-8')).hexdigest()[:32]}/{name}": src
                     for name, src in sources.items()}
            loader_env = env.overlay(loader=jinja2.DictLoader(keyed))
            loader_env.bytecode_cache = env.bytecode_cache
            templates = {key.split("/", 1)[1]: loader_env.get_template(key) for key in keyed}
        entries = [(n, parts[n]) for n in names]
        return cls(entries, templates, targets["ptsp-qr"], helper)

    def render(self, ctx: dict[str, Any], qr: bytes, props: dict[str, str]) -> bytes:
        out = io.BytesIO()
        # Stored, not deflated: the package only travels to LibreOffice and back.
        with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as z:
            for name, raw in self.entries:
                if name in self.templates:
                    xml = self.templates[name].render(ctx)
                    xml = re.sub(r"\n<w:p([ >])", r"<w:p\1", xml)
                    if _NEEDS_LISTING.search(xml):
                        xml = self.helper.resolve_listing(xml)
                    data = xml.encode("utf-8")
                elif name == self.qr_part:
                    data = qr
                elif name == "docProps/core.xml":
                    data = _core_props(raw, props)
                else:
                    data = raw
                z.writestr(zipfile.ZipInfo(name, (2021, 1, 1, 0, 0, 0)), data)
        return out.getvalue()


def _patched_sources(parts: dict[str, bytes], helper: DocxTemplate,
                     cache_dir: Path | None) -> dict[str, str]:
    """docxtpl's preprocessing of each XML part (tags split across runs joined, {%tr %} and
    {%p %} turned into plain Jinja), cached by the parts' content."""
    import json

    import docxtpl

    names = sorted(n for n in parts if _XML_PARTS.match(n))
    digest = hashlib.sha256(docxtpl.__version__.encode())
    for n in names:
        digest.update(n.encode() + b"\0" + parts[n])
    cached = cache_dir / f"patched-{digest.hexdigest()[:32]}.json" if cache_dir else None
    if cached is not None and cached.exists():
        try:
            return json.loads(cached.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            pass
    sources = {}
    for n in names:
        src = helper.patch_xml(parts[n].decode("utf-8"))
        sources[n] = re.sub(r"<w:p([ >])", r"\n<w:p\1", src)
    if cached is not None:
        # A cache that cannot be written only costs time; never a decree.
        tmp = cached.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
        try:
            tmp.write_text(json.dumps(sources), encoding="utf-8")
            os.replace(tmp, cached)
        except OSError:
            tmp.unlink(missing_ok=True)
    return sources


def _fit_picture(doc: str, name: str, size: tuple[int, int]) -> str:
    """Keep the drawing's width and give it the new image's aspect ratio."""
    w, h = size
    m = re.search(rf'<wp:inline[^>]*>.*?<wp:docPr[^>]*name="{name}"', doc, flags=re.S)
    if not m or not w:
        return doc
    start = doc.rfind("<wp:inline", 0, m.end())
    end = doc.find("</wp:inline>", start)
    block = doc[start:end]
    cx = re.search(r'<wp:extent cx="(\d+)"', block)
    if not cx:
        return doc
    new_cy = int(int(cx.group(1)) * h / w)
    block = re.sub(r'(<wp:extent cx="\d+" cy=")\d+', lambda x: f"{x.group(1)}{new_cy}", block)
    block = re.sub(r'(<a:ext cx="\d+" cy=")\d+', lambda x: f"{x.group(1)}{new_cy}", block)
    return doc[:start] + block + doc[end:]


def _core_props(raw: bytes, props: dict[str, str]) -> bytes:
    from xml.sax.saxutils import escape

    xml = raw.decode("utf-8")
    for tag, key in (("dc:title", "title"), ("dc:subject", "subject"),
                     ("cp:keywords", "keywords")):
        value = escape(props.get(key, ""))
        if re.search(rf"<{tag}>.*?</{tag}>|<{tag}/>", xml, flags=re.S):
            xml = re.sub(rf"<{tag}>.*?</{tag}>|<{tag}/>", f"<{tag}>{value}</{tag}>", xml,
                         count=1, flags=re.S)
        else:
            xml = xml.replace("</cp:coreProperties>", f"<{tag}>{value}</{tag}></cp:coreProperties>")
    return xml.encode("utf-8")
