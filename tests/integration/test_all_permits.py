"""Every permit of the catalog, end to end: its sample application is rendered, converted by
LibreOffice, signed (PAdES B-LTA) and verified as SAH (issue 3)."""

from __future__ import annotations

import json
import subprocess

import pytest
from click.testing import CliRunner

from generator.catalog import load_catalog
from ptsp.cli import cli
from ptsp.legal import certificate_issuer_name
from ptsp.profile import load_profile
from ptsp.registry import open_registry
from ptsp.samples import sample_application
from ptsp.verify import verify_bytes
from signer.keys import load_certificate
from tests.ptsp_support import write_profile
from tests.signer_support import shared_services, shared_test_pki

pytestmark = pytest.mark.integration


def test_every_permit_issues_and_verifies(tmp_path):
    catalog = load_catalog()
    permits = catalog.permits
    assert len(permits) == 84 and all(s.decree is not None for s in permits)
    pki = shared_test_pki()
    shared_services()
    profile_path = write_profile(tmp_path, pki)
    db = f"sqlite:///{tmp_path / 'r.sqlite'}"
    apps = [sample_application(s, i) for i, s in enumerate(permits, start=1)]
    src = tmp_path / "all.jsonl"
    src.write_text("".join(json.dumps(a) + "\n" for a in apps))
    out = tmp_path / "out"
    r = CliRunner().invoke(cli, ["--profile", str(profile_path), "--db", db, "issue",
                                 "--input", str(src), "--out", str(out), "--json"],
                           catch_exceptions=False)
    report = json.loads(r.stdout)
    failed = [o for o in report["outcomes"] if o["status"] != "issued"]
    assert not failed, failed
    assert r.exit_code == 0
    profile = load_profile(profile_path)
    ca_name = certificate_issuer_name(load_certificate(pki.signer_cert))
    registry = open_registry(db)
    try:
        by_app = {o["application_id"]: o for o in report["outcomes"]}
        for app, service in zip(apps, permits, strict=True):
            o = by_app[app["application_id"]]
            data = open(o["path"], "rb").read()
            res = verify_bytes(profile, registry, data)
            assert res.verdict == "SAH", (service.code, [r.code for r in res.reasons])
            assert res.permit == service.code
            text = subprocess.run(["pdftotext", o["path"], "-"], capture_output=True,
                                  text=True).stdout
            flat = " ".join(text.split())
            assert service.name.upper() in flat.upper(), service.code
            assert app["applicant"]["name"] in flat, service.code
            assert "{{" not in text and "{%" not in text, service.code
            # issue 14: the e-signature statement names the CA of the signer's certificate
            assert f"diterbitkan oleh {ca_name}" in flat, service.code
    finally:
        registry.close()
