"""Pasal 10 after issue: a corrected decree replaces the old one, a revoked one stops being
valid, and `ptsp verify` says so (issue 4)."""

from __future__ import annotations

import json

import pytest

from generator.catalog import load_catalog
from ptsp.samples import sample_batch
from tests.ptsp_support import run_cli as run
from tests.ptsp_support import write_profile
from tests.signer_support import shared_services, shared_test_pki

pytestmark = pytest.mark.integration


def test_correct_revoke_and_verify(tmp_path):
    pki = shared_test_pki()
    shared_services()
    profile = write_profile(tmp_path, pki)
    base = ["--profile", str(profile), "--db", f"sqlite:///{tmp_path / 'r.sqlite'}"]
    apps = sample_batch(load_catalog(), permit="SIPB", count=2, seed=11)
    src = tmp_path / "apps.json"
    src.write_text(json.dumps(apps))
    out = tmp_path / "out"
    code, stdout, stderr = run(*base, "issue", "--input", str(src), "--out", str(out), "--json")
    assert code == 0, stderr
    first, second = [o for o in json.loads(stdout)["outcomes"]]

    # a correction: same application, corrected practice address
    fixed = dict(apps[0])
    fixed["fields"] = {**fixed["fields"], "practice_address": "Jl. Pangeran Antasari No. 9"}
    fsrc = tmp_path / "fixed.json"
    fsrc.write_text(json.dumps([fixed]))
    code, stdout, stderr = run(*base, "correct", first["number"], "--input", str(fsrc),
                               "--reason", "alamat praktik salah ketik", "--out", str(out),
                               "--json")
    assert code == 0, stderr
    new = json.loads(stdout)["outcomes"][0]
    assert new["status"] == "issued" and new["number"] != first["number"]
    assert new["application_id"] == f"{apps[0]['application_id']}-K1"

    import subprocess

    text = subprocess.run(["pdftotext", new["path"], "-"], capture_output=True,
                          text=True).stdout
    assert "Jl. Pangeran Antasari No. 9" in text
    assert f"Keputusan Nomor {first['number']} dicabut" in " ".join(text.split())

    code, stdout, _ = run(*base, "verify", "--json", first["path"])
    doc = json.loads(stdout)
    assert code == 1 and doc["verdict"] == "TIDAK SAH"
    assert doc["registry"]["status"] == "replaced"
    assert doc["registry"]["replaced_by"] == new["number"]
    assert any(new["number"] in r["message"] for r in doc["reasons"])
    code, stdout, _ = run(*base, "verify", "--json", new["path"])
    assert code == 0 and json.loads(stdout)["verdict"] == "SAH", stdout

    # revocation of the second decree
    code, _, stderr = run(*base, "revoke", second["number"], "--reason",
                          "izin praktik tidak lagi digunakan", "--decree",
                          "Keputusan Kepala Dinas Nomor 503/12/2026", "--kind", "revoked")
    assert code == 0, stderr
    code, stdout, _ = run(*base, "verify", "--json", second["path"])
    doc = json.loads(stdout)
    assert code == 1 and doc["verdict"] == "TIDAK SAH"
    assert doc["registry"]["status"] == "revoked"
    assert any("izin praktik tidak lagi digunakan" in r["message"] for r in doc["reasons"])

    # running the same correction again issues nothing new
    code, stdout, _ = run(*base, "correct", first["number"], "--input", str(fsrc), "--reason",
                          "alamat praktik salah ketik", "--out", str(out), "--json")
    assert code == 0
    assert json.loads(stdout)["outcomes"][0]["status"] == "already_issued"
    # another correction of the replaced decree is refused
    other = {**fixed, "application_id": "KOREKSI-LAIN-1"}
    fsrc.write_text(json.dumps([other]))
    code, stdout, stderr = run(*base, "correct", first["number"], "--input", str(fsrc),
                               "--reason", "lagi", "--out", str(out), "--json")
    assert code == 1
    assert "replaced" in stderr and first["number"] in stderr

    code, stdout, _ = run(*base, "registry", "audit", "--check", "--json")
    assert code == 0 and json.loads(stdout)["ok"] is True
