"""Issue 8 at the application level: the same batch signed with a PKCS#12 file and with a
SoftHSM2 token (one unlock each), and signing refused outside the delegation."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.catalog import load_catalog
from ptsp.cli import cli
from ptsp.profile import load_profile
from ptsp.registry import open_registry
from ptsp.samples import sample_batch
from ptsp.verify import verify_bytes
from signer.keys import load_certificate
from tests.ptsp_support import write_profile
from tests.signer_support import (
    SOFTHSM_MODULE,
    TEST_PASSPHRASE,
    shared_services,
    shared_test_pki,
)

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ptsp.cli", *args], capture_output=True,
                          text=True, timeout=600, env={**os.environ, "PYTHONPATH": str(ROOT),
                                                       **(env or {})})


@pytest.fixture(scope="module")
def batch_file(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("keys")
    src = tmp / "batch.jsonl"
    apps = sample_batch(load_catalog(), count=6, seed=21)
    src.write_text("".join(json.dumps(a) + "\n" for a in apps))
    return src


@pytest.mark.skipif(not Path(SOFTHSM_MODULE).exists(), reason="softhsm2 not installed")
def test_same_batch_with_pkcs12_and_pkcs11(tmp_path, batch_file):
    pki = shared_test_pki()
    shared_services()
    # a token made with ptsp's own commands, as an office would
    token_dir = tmp_path / "token"
    env = {"T_PIN": "123456", "T_SO": "12345678", "T_P12": TEST_PASSPHRASE}
    r = _cli("keys", "softhsm-init", "--dir", str(token_dir), "--label", "kadis",
             "--pin-env", "T_PIN", "--so-pin-env", "T_SO", env=env)
    assert r.returncode == 0, r.stderr
    conf = json.loads(r.stdout)["softhsm2_conf"]
    env["SOFTHSM2_CONF"] = conf
    r = _cli("keys", "import", "--p12", str(pki.signer_p12), "--module", SOFTHSM_MODULE,
             "--token-label", "kadis", "--key-label", "kepala-dinas", "--passphrase-env",
             "T_P12", "--pin-env", "T_PIN", env=env)
    assert r.returncode == 0, r.stderr
    keys11 = f"""
[keys]
source = "pkcs11"
pkcs11_module = "{SOFTHSM_MODULE}"
token_label = "kadis"
key_label = "kepala-dinas"
pin_env = "T_PIN"
"""
    results = {}
    for kind, section in (("pkcs12", None), ("pkcs11", keys11)):
        d = tmp_path / kind
        d.mkdir()
        profile = write_profile(d, pki, keys_section=section)
        r = _cli("--profile", str(profile), "--db", f"sqlite:///{d / 'r.sqlite'}", "issue",
                 "--input", str(batch_file), "--out", str(d / "out"), "--json", env=env)
        assert r.returncode == 0, r.stderr
        report = json.loads(r.stdout)
        assert report["counts"]["issued"] == 6
        prof = load_profile(profile)
        registry = open_registry(f"sqlite:///{d / 'r.sqlite'}")
        try:
            for o in report["outcomes"]:
                res = verify_bytes(prof, registry, Path(o["path"]).read_bytes())
                assert res.verdict == "SAH", (kind, [r.code for r in res.reasons])
        finally:
            registry.close()
        results[kind] = report
    # the same certificate signed both batches
    fp = {k: {o["sha256"] for o in rep["outcomes"]} for k, rep in results.items()}
    assert fp["pkcs12"].isdisjoint(fp["pkcs11"])  # distinct files, same signer
    # a wrong PIN fails before any document is touched
    d = tmp_path / "pkcs11"
    r = _cli("--profile", str(d / "profile.toml"), "--db", f"sqlite:///{tmp_path / 'x.sqlite'}",
             "issue", "--input", str(batch_file), "--out", str(tmp_path / "never"),
             env={**env, "T_PIN": "000000"})
    assert r.returncode == 1 and "PIN" in r.stderr.upper()
    assert not (tmp_path / "never").exists()


def _refused(tmp_path: Path, batch_file: Path, **profile_kw) -> list[str]:
    pki = shared_test_pki()
    shared_services()
    profile = write_profile(tmp_path, pki, **profile_kw)
    r = CliRunner().invoke(cli, ["--profile", str(profile), "--db",
                                 f"sqlite:///{tmp_path / 'r.sqlite'}", "issue", "--input",
                                 str(batch_file), "--out", str(tmp_path / "out"), "--json"],
                           catch_exceptions=False)
    report = json.loads(r.stdout)
    assert r.exit_code == 1
    assert report["counts"]["issued"] == 0 and report["counts"]["failed"] == 6
    assert not list((tmp_path / "out").glob("*.pdf"))
    # refused before a number was taken
    r = CliRunner().invoke(cli, ["--profile", str(profile), "--db",
                                 f"sqlite:///{tmp_path / 'r.sqlite'}", "registry", "list",
                                 "--json"])
    assert json.loads(r.stdout) == []
    return [e for o in report["outcomes"] for e in o["errors"]]


def test_refused_for_a_certificate_that_is_not_the_delegates(tmp_path, batch_file):
    other = load_certificate(shared_test_pki().other_signer_cert)
    import hashlib

    errors = _refused(tmp_path, batch_file,
                      delegate_fingerprint=hashlib.sha256(other.dump()).hexdigest())
    assert all("is not the delegate's" in e for e in errors)


def test_refused_for_a_permit_outside_the_scope(tmp_path, batch_file):
    errors = _refused(tmp_path, batch_file, scope=["IMB"])
    assert all("outside the scope" in e for e in errors)


def test_refused_outside_the_delegation_window(tmp_path, batch_file):
    errors = _refused(tmp_path, batch_file, valid_from="2021-01-04", valid_until="2022-12-31")
    assert all("after the delegation ended" in e for e in errors)
