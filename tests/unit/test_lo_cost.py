"""scripts/lo_cost.py: each feature it takes out of a decree, and only that."""

from __future__ import annotations

import importlib.util
import io
import sys
import zipfile
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "lo_cost.py"

DOC = (
    '<w:document><w:body><w:tbl><w:tr><w:trPr><w:cantSplit/></w:trPr></w:tr></w:tbl>'
    '<w:p><w:pPr><w:keepNext/><w:jc w:val="both"/></w:pPr><w:r><w:rPr>'
    '<w:rFonts w:ascii="Arial" w:hAnsi="Arial"/></w:rPr><w:drawing><wp:inline>x</wp:inline>'
    '</w:drawing><w:t>MEMUTUSKAN</w:t></w:r></w:p><w:sectPr>'
    '<w:headerReference w:type="default" r:id="rId1"/>'
    '<w:footerReference w:type="first" r:id="rId2"/><w:titlePg/></w:sectPr></w:body></w:document>'
)
GONE = {"cantsplit": "<w:cantSplit/>", "keepnext": "<w:keepNext/>", "rfonts": "<w:rFonts",
        "drawings": "<w:drawing>", "hdrftr": "Reference", "titlepg": "<w:titlePg/>",
        "justify": '<w:jc w:val="both"/>'}


def _script():
    spec = importlib.util.spec_from_file_location("ptsp_lo_cost", SCRIPT)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    spec.loader.exec_module(mod)
    return mod


def _docx() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("word/document.xml", DOC)
        z.writestr("word/footer1.xml", "<w:ftr><w:keepNext/></w:ftr>")
    return out.getvalue()


@pytest.mark.parametrize("feature", sorted(GONE))
def test_without_takes_out_one_feature(feature):
    mod = _script()
    assert set(mod.WITHOUT) == set(GONE)
    z = zipfile.ZipFile(io.BytesIO(mod.without(_docx(), feature)))
    doc = z.read("word/document.xml").decode()
    assert GONE[feature] not in doc
    for other, mark in GONE.items():
        if other != feature and not (feature == "drawings" and other == "rfonts"):
            assert mark in doc, (feature, other)
    assert "MEMUTUSKAN" in doc
    assert z.read("word/footer1.xml") == b"<w:ftr><w:keepNext/></w:ftr>"
