"""Sample decrees of five families through LibreOffice: F4 pages, 1-3 pages, the holder named.

Also runs ``scripts/previews.py`` for two permits and checks its PNGs and index page.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from generator.applications import Application, RecordRef, validate_record
from generator.catalog import load_catalog
from generator.convert import LibreOfficePool, PoolSettings
from generator.render import DecreeRenderer, RenderInput
from ptsp.profile import load_profile
from ptsp.samples import sample_application

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
# One permit each from different families: practice permit, building, environment (variants),
# agriculture (variants), social collection with a period.
CODES = ["SIPD", "IMB", "IL", "IUP", "IPUB"]
F4_PT = (609.9, 935.4)  # 215 mm x 330 mm

needs_tools = pytest.mark.skipif(
    not all(shutil.which(t) for t in ("soffice", "pdfinfo", "pdftotext", "pdftoppm")),
    reason="needs LibreOffice and poppler-utils",
)


@pytest.fixture(scope="module")
def pdfs(tmp_path_factory) -> dict[str, tuple[dict, Path]]:
    catalog = load_catalog()
    profile = load_profile()
    on = date(2026, 11, 27)
    renderer = DecreeRenderer(profile.render_context(on), emblem=profile.office.emblem)
    out = tmp_path_factory.mktemp("pdf")
    result: dict[str, tuple[dict, Path]] = {}
    with LibreOfficePool(PoolSettings(size=2)) as pool:
        for i, code in enumerate(CODES, start=1):
            service = catalog.get(code)
            raw = sample_application(service, i, approved_on=on)
            app = validate_record(raw, RecordRef(code, 1), catalog)
            assert isinstance(app, Application), app
            number = f"503/{i:04d}/{code}/DPMPTSP-BLG/XI/2026"
            docx = renderer.render(service, app, RenderInput(number, profile.verify_url("T"), on))
            path = out / f"{code}.pdf"
            path.write_bytes(pool.convert(docx, code))
            result[code] = (raw, path)
    return result


def _pdfinfo(path: Path) -> dict[str, str]:
    text = subprocess.run(["pdfinfo", str(path)], check=True, capture_output=True,
                          text=True).stdout
    return {k.strip(): v.strip() for k, _, v in (line.partition(":") for line in
                                                  text.splitlines())}


@needs_tools
@pytest.mark.parametrize("code", CODES)
def test_decree_pdf_is_f4_short_and_names_the_holder(pdfs, code):
    raw, path = pdfs[code]
    info = _pdfinfo(path)
    m = re.match(r"([\d.]+) x ([\d.]+) pts", info["Page size"])
    assert m, info["Page size"]
    w, h = float(m.group(1)), float(m.group(2))
    assert abs(w - F4_PT[0]) < 2 and abs(h - F4_PT[1]) < 2, (w, h)
    # Arial 12 (Permendagri 1/2023) and the full Mengingat (issue 14): up to four F4 pages
    assert 1 <= int(info["Pages"]) <= 4
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True,
                          capture_output=True, text=True).stdout
    flat = " ".join(text.split())
    assert raw["applicant"]["name"] in flat
    assert "NOMOR" in flat
    assert "MEMUTUSKAN" in flat


@needs_tools
def test_previews_script_writes_pngs_and_index(tmp_path):
    out = tmp_path / "previews"
    proc = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "previews.py"), "--out", str(out),
         "--permit", "SIPB", "--permit", "SLF", "--workers", "1"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    for code in ("SIPB", "SLF"):
        png = out / f"{code}.png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "SIPB.png" in index and "SLF.png" in index
    assert "IMB.png" not in index
