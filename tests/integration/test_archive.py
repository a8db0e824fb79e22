"""Long-term validation of issued decrees (issue 8): B-LTA validates offline with pyHanko's AdES
engine, also simulated two years after the signer's certificate expires, and `ptsp archive
renew` adds a document timestamp that keeps the decree valid and registered."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from generator.catalog import load_catalog
from ptsp.samples import sample_batch
from signer.archive import archive_state
from signer.validate import TrustSettings, ades_validate, simulate_future
from tests.ptsp_support import run_cli as run
from tests.ptsp_support import write_profile
from tests.signer_support import shared_services, shared_test_pki

pytestmark = pytest.mark.integration


def test_lta_offline_future_and_renewal(tmp_path):
    pki = shared_test_pki()
    shared_services()
    profile = write_profile(tmp_path, pki)
    base = ["--profile", str(profile), "--db", f"sqlite:///{tmp_path / 'r.sqlite'}"]
    src = tmp_path / "a.json"
    src.write_text(json.dumps(sample_batch(load_catalog(), count=2, seed=5)))
    code, stdout, stderr = run(*base, "issue", "--input", str(src), "--out",
                               str(tmp_path / "out"), "--json")
    assert code == 0, stderr
    paths = [Path(o["path"]) for o in json.loads(stdout)["outcomes"]]
    trust = TrustSettings(roots=(pki.root_cert,))
    data = paths[0].read_bytes()
    assert ades_validate(data, trust).passed
    later = pki.signer_not_after + timedelta(days=730)
    assert simulate_future(data, trust, later).passed
    before = archive_state(data)
    assert before.doc_timestamps == 1

    code, stdout, _ = run(*base, "archive", "renew", "--within-days", "0", "--json")
    assert code == 0 and {r["action"] for r in json.loads(stdout)} == {"kept"}
    assert paths[0].read_bytes() == data
    code, stdout, _ = run(*base, "archive", "renew", "--within-days", "100000", "--json")
    assert code == 0 and {r["action"] for r in json.loads(stdout)} == {"renewed"}
    renewed = paths[0].read_bytes()
    assert renewed.startswith(data)  # an incremental update: the signed bytes are untouched
    assert archive_state(renewed).doc_timestamps == 2
    assert ades_validate(renewed, trust).passed
    code, stdout, _ = run(*base, "verify", "--json", str(paths[0]))
    doc = json.loads(stdout)
    assert code == 0 and doc["verdict"] == "SAH", doc["reasons"]
    assert doc["registry"]["hash_match"] is True
    code, stdout, _ = run(*base, "registry", "audit", "--check", "--json")
    assert code == 0 and json.loads(stdout)["ok"]
