"""Issue 13 item 4: batches started together share the demo TSA/OCSP/CRL services (whose port is
baked into the certificates) instead of failing with "port in use"; a foreign program on the port
is a clear error naming the port; a killed batch leaves no stale lock."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from generator.catalog import load_catalog
from ptsp.samples import sample_batch
from signer.pki import DEFAULT_CONFIG
from signer.pki_services import demo_services_lease, probe
from tests.ptsp_support import run_cli, write_profile
from tests.signer_support import TEST_PASSPHRASE, build_test_pki

pytestmark = pytest.mark.integration
PTSP = [sys.executable, "-c", "from ptsp.cli import main; main()"]


def demo_profile(tmp: Path):
    pki = build_test_pki(tmp / "pki")
    keys = f"""demo_services = true
[keys]
source = "pkcs12"
pkcs12 = "{pki.signer_p12}"
passphrase_env = "PTSP_TEST_KEY_PASSPHRASE"
demo_pki = "{DEFAULT_CONFIG}"
demo_passphrase = "{TEST_PASSPHRASE}"
"""
    return pki, write_profile(tmp, pki, keys_section=keys)


def write_apps(path: Path, count: int, start: int) -> Path:
    apps = sample_batch(load_catalog(), count=count, seed=start, start=start)
    path.write_text("".join(json.dumps(a) + "\n" for a in apps))
    return path


def wait_free(pki, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if probe(pki, timeout=1) == "free":
            return True
        time.sleep(0.2)
    return False


def test_four_concurrent_batches_share_the_demo_services(tmp_path):
    pki, profile = demo_profile(tmp_path)
    db = f"sqlite:///{tmp_path / 'registry.sqlite'}"
    procs = []
    for i in range(4):
        src = write_apps(tmp_path / f"apps{i}.jsonl", 3, start=100 * (i + 1))
        procs.append(subprocess.Popen(
            [*PTSP, "--profile", str(profile), "--db", db, "issue", "--input", str(src),
             "--out", str(tmp_path / f"out{i}"), "--json"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    results = [(p.wait(timeout=600), p.stdout.read(), p.stderr.read()) for p in procs]
    for code, out, err in results:
        assert code == 0, err
        assert json.loads(out)["counts"]["issued"] == 3
    numbers = []
    for i in range(4):
        for pdf in sorted((tmp_path / f"out{i}").glob("*.pdf")):
            code, out, _ = run_cli("--profile", str(profile), "--db", db, "verify", "--json",
                                   str(pdf))
            doc = json.loads(out)
            assert (code, doc["verdict"]) == (0, "SAH"), doc["reasons"]
            numbers.append(doc["number"])
    assert len(numbers) == 12 and len(set(numbers)) == 12
    # the last batch gone, the services go too, and the lock is free again
    assert wait_free(pki)


def test_a_foreign_program_on_the_port_is_named(tmp_path):
    pki, profile = demo_profile(tmp_path)
    host, port = pki.host_port
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((host, port))
        s.listen(8)
        s.settimeout(0.1)
        code, out, err = run_cli("--profile", str(profile), "--db",
                                 f"sqlite:///{tmp_path / 'r.sqlite'}", "issue", "--input",
                                 str(write_apps(tmp_path / "a.jsonl", 1, start=1)),
                                 "--out", str(tmp_path / "out"))
    assert code == 1
    assert f"port {port}" in err and "another program" in err


def test_services_of_another_demo_pki_on_the_port_are_foreign(tmp_path):
    from signer.pki import DemoServices, build_demo_pki

    pki = build_test_pki(tmp_path / "a")
    other = build_demo_pki(DEFAULT_CONFIG, tmp_path / "b", TEST_PASSPHRASE,
                           service_url=pki.service_url)
    with DemoServices(other):
        assert probe(other) == "ours"
        assert probe(pki) == "foreign"


def test_a_killed_user_leaves_no_stale_lease(tmp_path):
    pki = build_test_pki(tmp_path / "pki")
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys,time\nfrom signer.pki import load_demo_pki\n"
         "from signer.pki_services import demo_services_lease\n"
         "with demo_services_lease(load_demo_pki(sys.argv[1])):\n"
         "    print('in', flush=True); time.sleep(600)\n", str(pki.out_dir)],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "in"
        with demo_services_lease(pki):  # a second user shares the running services
            assert probe(pki) == "ours"
        time.sleep(1.5)
        assert probe(pki) == "ours"  # the killed-to-be holder still holds its lease
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait()
        assert wait_free(pki), "the services outlived their last user"
        with demo_services_lease(pki):  # and they start again for the next one
            assert probe(pki) == "ours"
    finally:
        if holder.poll() is None:
            holder.kill()
    assert wait_free(pki)
