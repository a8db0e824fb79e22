"""Issue 2 end to end, with the real parts: LibreOffice, pyHanko, the certomancer PKI, pdfsig."""

from __future__ import annotations

import json
import shutil
from io import BytesIO

import pytest

from generator.catalog import load_catalog
from ptsp.samples import sample_batch
from tests.ptsp_support import run_cli as run
from tests.ptsp_support import write_profile
from tests.signer_support import (
    make_nss_db,
    pdfsig,
    shared_services,
    shared_test_pki,
)

pytestmark = pytest.mark.integration
N = 50


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("e2e")
    pki = shared_test_pki()
    shared_services()
    profile = write_profile(tmp, pki)
    db = f"sqlite:///{tmp / 'registry.sqlite'}"
    catalog = load_catalog()
    apps = sample_batch(catalog, count=N, seed=7)
    broken = [dict(a) for a in sample_batch(catalog, count=3, seed=8, start=900)]
    broken[0] = {**broken[0], "applicant": {**broken[0]["applicant"], "nik": "12345"}}
    broken[1] = {**broken[1], "permit": "XYZ"}
    broken[2] = {**broken[2], "fields": {}}
    records = apps[:10] + broken[:1] + apps[10:30] + broken[1:2] + apps[30:] + broken[2:]
    src = tmp / "approved.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in records))
    out = tmp / "out"
    code, stdout, stderr = run("--profile", str(profile), "--db", db, "issue", "--input",
                               str(src), "--out", str(out), "--json")
    return {"tmp": tmp, "pki": pki, "profile": profile, "db": db, "src": src, "out": out,
            "code": code, "report": json.loads(stdout), "stderr": stderr, "broken": broken}


def test_batch_issues_the_good_and_reports_the_bad(batch):
    counts = batch["report"]["counts"]
    assert counts == {"issued": N, "already_issued": 0, "rejected": 3, "failed": 0}
    assert batch["code"] == 1  # some records were rejected
    rejected = [o for o in batch["report"]["outcomes"] if o["status"] == "rejected"]
    assert [o["source"] for o in rejected] == [
        "approved.jsonl, record 11", "approved.jsonl, record 32", "approved.jsonl, record 53"]
    assert rejected[0]["fields"][0]["field"] == "applicant.nik"
    assert rejected[1]["fields"][0]["field"] == "permit"
    assert {f["field"] for f in rejected[2]["fields"]} >= {"fields.str_number"} or \
        any(f["field"].startswith("fields.") for f in rejected[2]["fields"])
    assert "record 11" in batch["stderr"] and "applicant.nik" in batch["stderr"]
    pdfs = sorted(batch["out"].glob("*.pdf"))
    assert len(pdfs) == N
    assert not list(batch["out"].glob(".*tmp"))


def test_every_decree_verifies(batch):
    for pdf in sorted(batch["out"].glob("*.pdf")):
        code, stdout, _ = run("--profile", str(batch["profile"]), "--db", batch["db"], "verify",
                              "--json", str(pdf))
        doc = json.loads(stdout)
        assert code == 0, (pdf.name, doc["reasons"])
        assert doc["valid"] is True and doc["verdict"] == "SAH"
        assert doc["registry"] == {**doc["registry"], "found": True, "status": "issued",
                                   "hash_match": True}
        assert doc["number"] and doc["permit"] and doc["signer"] and doc["signed_at"]
        assert doc["pades_level"] == "B-LTA"


@pytest.mark.skipif(shutil.which("pdfsig") is None, reason="poppler-utils not installed")
def test_pdfsig_accepts_every_decree(batch):
    nss = make_nss_db(batch["tmp"] / "nss", batch["pki"].root_cert)
    for pdf in sorted(batch["out"].glob("*.pdf")):
        text = pdfsig(pdf, nss)
        assert "Signature is Valid." in text, (pdf.name, text)


def test_one_changed_byte_is_rejected_by_both(batch):
    pdf = sorted(batch["out"].glob("*.pdf"))[0]
    data = bytearray(pdf.read_bytes())
    # a byte inside the first signed range, in a content stream
    i = data.index(b"stream", 2000) + 100
    data[i] ^= 0x01
    bad = batch["tmp"] / "altered.pdf"
    bad.write_bytes(bytes(data))
    code, stdout, _ = run("--profile", str(batch["profile"]), "--db", batch["db"], "verify",
                          "--json", str(bad))
    doc = json.loads(stdout)
    assert code == 1 and doc["valid"] is False and doc["verdict"] == "TIDAK SAH"
    codes = {r["code"] for r in doc["reasons"]}
    assert "digest_mismatch" in codes
    assert "hash_mismatch" in codes  # it claims a registered number but is not that decree
    nss = make_nss_db(batch["tmp"] / "nss2", batch["pki"].root_cert)
    assert "Digest Mismatch." in pdfsig(bad, nss)


def test_rerun_issues_nothing_twice(batch):
    code, stdout, _ = run("--profile", str(batch["profile"]), "--db", batch["db"], "issue",
                          "--input", str(batch["src"]), "--out", str(batch["out"]), "--json")
    counts = json.loads(stdout)["counts"]
    assert counts["issued"] == 0 and counts["already_issued"] == N
    code, stdout, _ = run("--profile", str(batch["profile"]), "--db", batch["db"], "registry",
                          "list", "--json")
    records = json.loads(stdout)
    assert len(records) == N
    assert len({r["number"] for r in records}) == N
    assert all(r["status"] == "issued" and len(r["sha256"]) == 64 for r in records)
    assert {"number", "application_id", "permit", "status", "sha256"} <= set(records[0])


def test_decrees_are_f4_with_number_and_text(batch):
    import subprocess

    pdf = sorted(batch["out"].glob("*.pdf"))[0]
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
    import re

    w, h = map(float, re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", info).groups())
    assert abs(w / 72 * 25.4 - 215) < 1 and abs(h / 72 * 25.4 - 330) < 1  # F4
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                          text=True).stdout
    number = pdf.stem.replace("-", "/", 2)
    assert "NOMOR 503/" in text
    assert "DENGAN RAHMAT TUHAN YANG MAHA ESA" in text
    assert "{{" not in text and "{%" not in text
    assert number.split("/")[1] in text
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True).stdout
    assert all(" yes " in line for line in fonts.splitlines()[2:] if line.strip())


@pytest.mark.parametrize("content", [b"", b"not a pdf at all", b"%PDF-1.7\n%truncated"])
def test_garbage_is_not_valid(batch, content):
    f = batch["tmp"] / "garbage.pdf"
    f.write_bytes(content)
    code, stdout, _ = run("--profile", str(batch["profile"]), "--db", batch["db"], "verify",
                          "--json", str(f))
    doc = json.loads(stdout)
    assert code == 1 and doc["valid"] is False and doc["verdict"] == "TIDAK SAH"
    assert doc["reasons"]


def test_missing_file_and_usage_errors(batch):
    code, stdout, _ = run("--profile", str(batch["profile"]), "verify", "--json",
                          str(batch["tmp"] / "nope.pdf"))
    assert code == 1 and json.loads(stdout)["valid"] is False
    code, _, _ = run("verify")
    assert code == 2
    code, _, _ = run("issue", "--bogus")
    assert code == 2


def test_wrong_passphrase_fails_before_any_document(batch, monkeypatch):
    from tests.ptsp_support import PASS_ENV

    monkeypatch.setenv(PASS_ENV, "wrong")
    out = batch["tmp"] / "out-wrong"
    code, _, stderr = run("--profile", str(batch["profile"]), "--db",
                          f"sqlite:///{batch['tmp'] / 'other.sqlite'}", "issue", "--input",
                          str(batch["src"]), "--out", str(out))
    assert code == 1
    assert "passphrase" in stderr.lower() or "pkcs#12" in stderr.lower()
    assert not out.exists() or not list(out.glob("*.pdf"))


def test_signature_field_sits_on_the_qr_code(batch):
    """The signature field is where the printed block's QR code is; the fast operator scan
    and pypdf's full content-stream parser find the same box."""
    from pypdf import PdfReader

    from generator.layout import find_qr_box

    for pdf in sorted(batch["out"].glob("*.pdf"))[:10]:
        data = pdf.read_bytes()
        fast, exact = find_qr_box(data), find_qr_box(data, exact=True)
        assert fast == exact
        reader = PdfReader(str(pdf))
        approvals = [(i, a.get_object()) for i, p in enumerate(reader.pages)
                     for a in (p.get("/Annots") or [])
                     if a.get_object().get("/FT") == "/Sig"
                     and a.get_object()["/V"].get_object().get("/Type") == "/Sig"]
        assert len(approvals) == 1  # one approval signature; the rest are document timestamps
        page_index, sig = approvals[0]
        assert page_index == fast.page
        rect = [float(x) for x in sig["/Rect"]]
        assert all(abs(a - b) < 1.0 for a, b in zip(rect, fast.box, strict=True))


def test_images_are_embedded_losslessly(batch):
    """The QR code and the emblem go into the PDF as they are in the DOCX: no JPEG
    artefacts on a code meant to be scanned, no resampling (LibreOffice's default is both)."""
    from pypdf import PdfReader

    for pdf in sorted(batch["out"].glob("*.pdf"))[:3]:
        images = []
        for page in PdfReader(str(pdf)).pages:
            xobjects = (page.get("/Resources") or {}).get("/XObject") or {}
            for xo in xobjects.values():
                xo = xo.get_object()
                if xo.get("/Subtype") == "/Image":
                    images.append(xo)
        assert len(images) >= 2  # the emblem and the QR code
        for xo in images:
            filters = xo.get("/Filter")
            filters = list(filters) if isinstance(filters, list) else [filters]
            assert "/DCTDecode" not in filters, (pdf.name, filters)
        qr = [xo for xo in images if xo["/Width"] == xo["/Height"]]
        assert qr and all(xo["/Width"] >= 200 for xo in qr)  # the QR at its own resolution


def test_qr_box_is_found_in_a_pdf_with_a_damaged_xref(batch, monkeypatch):
    """Every cross-reference entry one byte off: the box is still found. And when the strict
    reading fails outright, the lenient one is used."""
    import re

    import generator.layout as layout

    pdf = sorted(batch["out"].glob("*.pdf"))[0].read_bytes()
    data = pdf[: pdf.index(b"%%EOF") + 5]  # the unsigned revision, as LibreOffice wrote it
    want = layout.find_qr_box(data)
    m = re.search(rb"\nxref\r?\n0 (\d+)\r?\n0000000000 65535 f\s*\r?\n", data)
    assert m
    start, n = m.end(), int(m.group(1))
    table = data[start:start + 20 * (n - 1)]
    bumped = b"".join(b"%010d" % (int(table[i:i + 10]) + 1) + table[i + 10:i + 20]
                      for i in range(0, len(table), 20))
    broken = data[:start] + bumped + data[start + len(bumped):]
    assert layout.find_qr_box(broken) == want

    real = layout.PdfReader
    calls = []

    def picky(stream, strict=False):
        calls.append(strict)
        if strict:
            raise ValueError("strict reading refused")
        return real(stream, strict=strict)

    monkeypatch.setattr(layout, "PdfReader", picky)
    assert layout.find_qr_box(broken) == want and calls == [True, False]


def test_signing_leaves_the_decree_metadata_as_libreoffice_wrote_it(batch):
    """The signature and the document timestamp add no metadata of their own: the XMP
    packet and the Info dictionary of the final file are the ones LibreOffice wrote (PDF/A
    wants them equal; pyHanko's default re-wrote the XMP in every revision)."""
    from pyhanko.pdf_utils.reader import PdfFileReader

    for pdf in sorted(batch["out"].glob("*.pdf"))[:3]:
        reader = PdfFileReader(BytesIO(pdf.read_bytes()))
        revisions = reader.xrefs.total_revisions
        assert revisions == 3
        assert reader.xrefs.get_introducing_revision(reader.root.raw_get("/Metadata")) == 0
        assert reader.xrefs.get_introducing_revision(reader.trailer.raw_get("/Info")) == 0
        for rev in range(1, revisions):
            for ref in reader.xrefs.explicit_refs_in_revision(rev):
                obj = reader.get_object(ref, revision=rev)
                assert not (hasattr(obj, "get") and obj.get("/Type") == "/Metadata"), (pdf, rev)
        assert b"pdfaid:part" in reader.root["/Metadata"].data  # still says PDF/A
