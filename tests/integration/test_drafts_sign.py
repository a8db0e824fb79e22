"""`ptsp generate` then `ptsp sign`: one unlock for the batch, a broken draft reported while
the rest are signed, and a second run that signs nothing twice (issue 8)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.ptsp_support import run_cli as run
from tests.ptsp_support import write_batch, write_profile
from tests.signer_support import shared_services, shared_test_pki

pytestmark = pytest.mark.integration


def test_generate_then_sign_resumably(tmp_path):
    pki = shared_test_pki()
    shared_services()
    base = ["--profile", str(write_profile(tmp_path, pki)), "--db",
            f"sqlite:///{tmp_path / 'r.sqlite'}"]
    drafts, out = tmp_path / "drafts", tmp_path / "out"
    code, stdout, stderr = run(*base, "generate", "--input", str(write_batch(tmp_path, 5, 31)),
                               "--drafts", str(drafts), "--json")
    assert code == 0, stderr
    assert json.loads(stdout)["counts"]["drafted"] == 5
    files = sorted(drafts.glob("*.pdf"))
    assert len(files) == 5
    # nothing is issued yet: drafts only reserve their numbers
    code, stdout, _ = run(*base, "registry", "list", "--json")
    assert {r["status"] for r in json.loads(stdout)} == {"reserved"}
    # one draft is damaged on disk (keeps its metadata, loses its pages)
    broken = files[2]
    data = broken.read_bytes()
    broken.write_bytes(data[: len(data) // 3] + data[-2000:])

    code, stdout, stderr = run(*base, "sign", "--drafts", str(drafts), "--out", str(out),
                               "--json")
    report = json.loads(stdout)
    assert code == 1
    assert report["counts"]["issued"] == 4 and report["counts"]["failed"] == 1
    failed = [o for o in report["outcomes"] if o["status"] == "failed"][0]
    assert failed["source"] == str(broken) and failed["errors"]
    signed = {p.name: p.read_bytes() for p in out.glob("*.pdf")}
    assert len(signed) == 4
    assert sorted(p.name for p in drafts.glob("*.pdf")) == [broken.name]  # signed ones moved

    # run again: the four are not signed twice, the broken one still reported
    code, stdout, _ = run(*base, "sign", "--drafts", str(drafts), "--out", str(out), "--json")
    again = json.loads(stdout)
    assert again["counts"]["issued"] == 0 and again["counts"]["failed"] == 1
    assert {p.name: p.read_bytes() for p in out.glob("*.pdf")} == signed
    code, stdout, _ = run(*base, "registry", "list", "--json")
    statuses = sorted(r["status"] for r in json.loads(stdout))
    assert statuses == ["issued"] * 4 + ["reserved"]
    for pdf in out.glob("*.pdf"):
        code, stdout, _ = run(*base, "verify", "--json", str(pdf))
        assert json.loads(stdout)["verdict"] == "SAH"
    assert Path(failed["source"]).exists()
