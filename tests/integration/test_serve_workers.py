"""``ptsp serve --workers N``: several worker processes behind one port, as a real server."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.signer_support import free_port
from tests.web_support import shared_decrees

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]


def _children(pid: int) -> list[int]:
    out: list[int] = []
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{task}/children") as f:
                out.extend(int(x) for x in f.read().split())
        except OSError:
            continue
    return out


def test_serve_with_two_workers_answers_uploads_qr_and_reports():
    decrees = shared_decrees()
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "ptsp.cli", "--profile", str(decrees.profile_path), "--db",
         decrees.db, "serve", "--port", str(port), "--workers", "2"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
            try:
                if httpx.get(url + "/", timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "ptsp serve --workers 2 did not start"
            time.sleep(0.3)
        # uvicorn's supervisor with two worker processes (a multiprocessing helper may add one)
        assert len(_children(proc.pid)) >= 2
        rec = decrees.record_for(decrees.pdfs[1])
        data = decrees.pdfs[1].read_bytes()
        for _ in range(6):  # new connections: spread over both workers
            assert httpx.get(f"{url}/v/{rec.token}", timeout=30).status_code == 200
            r = httpx.post(url + "/periksa", files={"file": ("k.pdf", data, "application/pdf")},
                           timeout=60)
            assert r.status_code == 200 and 'id="vonis">SAH<' in r.text
            token = re.search(r'name="hasil" value="([^"]+)"', r.text)
            assert token is not None
            # the report form may land on the other worker: they share the signing key
            pdf = httpx.post(url + "/laporan", data={"hasil": token.group(1)}, timeout=60)
            assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
        forged = httpx.post(url + "/laporan", data={"hasil": token.group(1)[:-4] + "0000"},
                            timeout=30)
        assert forged.status_code == 400
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
