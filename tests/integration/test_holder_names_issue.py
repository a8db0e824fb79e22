"""Issue 13 item 11 through ``ptsp issue``: names with markup or glyphs the decree font lacks are
rejected as field errors before a number is reserved; the good record is issued."""

from __future__ import annotations

import json

import pytest

from generator.catalog import load_catalog
from ptsp.samples import sample_batch
from tests.ptsp_support import run_cli, write_profile
from tests.signer_support import shared_services, shared_test_pki

pytestmark = pytest.mark.integration


def test_issue_rejects_markup_and_undrawable_names(tmp_path):
    pki = shared_test_pki()
    shared_services()
    profile = write_profile(tmp_path, pki)
    apps = sample_batch(load_catalog(), count=3, seed=31, start=700)
    apps[1]["applicant"]["name"] = "<img src=x onerror=alert(1)>"
    apps[2]["applicant"]["name"] = "王小明"
    src = tmp_path / "apps.jsonl"
    src.write_text("".join(json.dumps(a) + "\n" for a in apps))
    db = f"sqlite:///{tmp_path / 'registry.sqlite'}"
    code, out, err = run_cli("--profile", str(profile), "--db", db, "issue", "--input", str(src),
                             "--out", str(tmp_path / "out"), "--json")
    report = json.loads(out)
    assert code == 1
    assert report["counts"] == {"issued": 1, "already_issued": 0, "rejected": 2, "failed": 0}
    rejected = [o for o in report["outcomes"] if o["status"] == "rejected"]
    fields = [f for o in rejected for f in o["fields"]]
    assert [f["field"] for f in fields] == ["applicant.name", "applicant.name"]
    assert "markup" in fields[0]["message"]
    assert "cannot print" in fields[1]["message"] and "U+738B" in fields[1]["message"]
    assert "markup" in err and "U+738B" in err
    assert len(list((tmp_path / "out").glob("*.pdf"))) == 1
    code, out, _ = run_cli("--profile", str(profile), "--db", db, "registry", "list", "--json")
    assert code == 0 and len(json.loads(out)) == 1  # no number spent on a rejected name
