"""DecreeRenderer.render lets no foreign exception out: a damaged template, a template syntax
error and a filter refusing a value are generator errors (issue 18)."""

import dataclasses
import io
import re
import zipfile
from datetime import date

import pytest

from generator.applications import RecordRef, validate_record
from generator.catalog import load_catalog
from generator.errors import CatalogError, GeneratorError, RenderError
from generator.render import TEMPLATES_DIR, DecreeRenderer, RenderInput
from ptsp.profile import load_profile
from ptsp.samples import sample_application

INP = RenderInput("503/0042/SIPB/DPMPTSP-BLG/III/2021", "https://verif.example/v/tok",
                  date(2021, 3, 10))


@pytest.fixture(scope="module")
def parts():
    profile, catalog = load_profile(), load_catalog()
    service = catalog.get("SIPB")
    app = validate_record(sample_application(service, 3), RecordRef("t", 1), catalog)
    return profile, service, app


def _renderer(profile, templates_dir=None):
    return DecreeRenderer(profile.render_context(), templates_dir=templates_dir,
                          emblem=profile.office.emblem)


def _template_at(tmp_path, service, data: bytes):
    target = tmp_path / service.template
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    return tmp_path


def test_a_template_that_is_not_a_docx_is_a_catalog_error(parts, tmp_path):
    profile, service, app = parts
    where = _template_at(tmp_path, service, b"PK\x03\x04 not really a zip")
    with pytest.raises(CatalogError, match="not a readable DOCX template") as e:
        _renderer(profile, where).render(service, app, INP)
    assert isinstance(e.value.__cause__, zipfile.BadZipFile)


def test_a_template_syntax_error_is_a_render_error(parts, tmp_path):
    profile, service, app = parts
    src = zipfile.ZipFile(io.BytesIO((TEMPLATES_DIR / service.template).read_bytes()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for n in src.namelist():
            data = src.read(n)
            if n == "word/document.xml":
                data = re.sub(rb"(<w:t(?: [^>]*)?>)", rb"\1{{ 1 + }}", data, count=1)
            z.writestr(n, data)
    where = _template_at(tmp_path, service, out.getvalue())
    with pytest.raises(RenderError, match="template error"):
        _renderer(profile, where).render(service, app, INP)


def test_a_filter_refusing_a_value_is_a_render_error(parts):
    profile, service, app = parts
    assert service.decree is not None
    bad = dataclasses.replace(service, decree=dataclasses.replace(
        service.decree, title="Izin {{ 0 | romawi }}"))
    with pytest.raises(RenderError, match="roman numeral out of range") as e:
        _renderer(profile).render(bad, app, INP)
    assert isinstance(e.value, GeneratorError) and isinstance(e.value.__cause__, ValueError)
