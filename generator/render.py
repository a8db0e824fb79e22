"""Rendering a permit's DOCX template with docxtpl.

Values are autoescaped, so ``PT Maju & Jaya <Baru>`` prints literally; a rendered document that
still holds template markup is an error, never a decree.
"""

from __future__ import annotations

import io
import re
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
from .dates import add_years, long_date, roman, spell
from .errors import CatalogError, RenderError

_LEFTOVER = re.compile(r"\{\{|\}\}|\{%|%\}|\{#|#\}")


def _tanggal(value: Any) -> str:
    if isinstance(value, date):
        return long_date(value)
    if value in (None, ""):
        return "-"
    return long_date(date.fromisoformat(str(value)))


def _angka(value: Any) -> str:
    """Indonesian thousands separator: 1250.5 -> "1.250,5"."""
    if isinstance(value, float) and not value.is_integer():
        whole, frac = f"{value:.2f}".split(".")
        return f"{int(whole):,}".replace(",", ".") + "," + frac.rstrip("0")
    return f"{int(value):,}".replace(",", ".")


def make_env() -> jinja2.Environment:
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    env.filters.update(tanggal=_tanggal, angka=_angka, terbilang=spell, romawi=roman)
    return env


def qr_png(url: str) -> bytes:
    """A QR code for ``url`` as PNG (error correction M, survives a stamp or a fold)."""
    buf = io.BytesIO()
    segno.make(url, error="m", micro=False).save(buf, kind="png", scale=8, border=2)
    return buf.getvalue()


@dataclass(frozen=True)
class RenderInput:
    """Everything that varies per decree besides the application itself."""

    number: str
    verify_url: str
    issued_on: date


@lru_cache(maxsize=256)
def _template_bytes(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except FileNotFoundError as e:
        raise CatalogError(f"template not found: {path} (run `make templates`)") from e


class DecreeRenderer:
    """Renders decrees; ``common`` holds the office-wide context (office, signer, footer, ...)."""

    def __init__(self, common: Mapping[str, Any], *, templates_dir: Path | None = None,
                 emblem: Path | None = None) -> None:
        self.templates_dir = Path(templates_dir or TEMPLATES_DIR)
        self.common = dict(common)
        self.emblem = emblem.read_bytes() if emblem else None
        self.env = make_env()

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
            verify_url=inp.verify_url,
            issued_on=inp.issued_on,
            issued_on_long=long_date(inp.issued_on),
            valid_until=valid_until,
            valid_until_long=long_date(valid_until) if valid_until else None,
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
        return ctx

    def render(self, service: Service, app: Application, inp: RenderInput) -> bytes:
        """The filled-in DOCX as bytes."""
        if service.template is None:
            raise RenderError(f"{service.code} has no decree template")
        path = self.templates_dir / service.template
        tpl = DocxTemplate(io.BytesIO(_template_bytes(str(path))))
        ctx = self.context(service, app, inp)
        assert service.decree is not None
        ctx["qr"] = InlineImage(tpl, io.BytesIO(qr_png(inp.verify_url)), width=Mm(24))
        if self.emblem is not None:
            ctx["emblem"] = InlineImage(tpl, io.BytesIO(self.emblem), width=Mm(21))
        else:
            ctx["emblem"] = ""
        tpl.init_docx()
        props = tpl.docx.core_properties
        props.title = f"Keputusan Nomor {inp.number} tentang {service.decree.title}"
        props.subject = service.name
        # The verifier reads the number back from the PDF's /Keywords to name the decree a
        # tampered copy claims to be.
        props.keywords = f"nomor={inp.number}"
        try:
            tpl.render(ctx, jinja_env=self.env, autoescape=True)
        except jinja2.UndefinedError as e:
            raise RenderError(f"{path.name}: {e.message} (application {app.application_id})") from e
        except jinja2.TemplateError as e:
            raise RenderError(f"{path.name}: template error: {e}") from e
        out = io.BytesIO()
        tpl.save(out)
        data = out.getvalue()
        leftover = find_leftover_markup(data)
        if leftover:
            raise RenderError(
                f"{path.name}: template markup left in the document: {leftover!r} "
                f"(application {app.application_id})"
            )
        return data


def docx_text(data: bytes) -> str:
    """The visible text of a DOCX (body, headers, footers), for checks and tests."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        parts = [n for n in z.namelist()
                 if n.startswith("word/") and n.endswith(".xml")
                 and n.split("/")[-1].startswith(("document", "header", "footer"))]
        texts = []
        for n in sorted(parts):
            xml = z.read(n).decode("utf-8")
            for para in re.findall(r"<w:p[ >].*?</w:p>", xml, flags=re.S):
                runs = re.findall(r"<w:t(?: [^>]*)?>([^<]*)</w:t>", para)
                texts.append("".join(runs))
    import html

    return html.unescape("\n".join(texts))


def find_leftover_markup(data: bytes) -> str | None:
    text = docx_text(data)
    m = _LEFTOVER.search(text)
    if not m:
        return None
    return text[max(0, m.start() - 30): m.end() + 30]
