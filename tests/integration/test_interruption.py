"""A batch killed with SIGKILL at several points, then run again, issues every application
exactly once, leaves no reservation unexplained and no half-written PDF (issue 4).

The batch records issued decrees 16 at a time, so the kills land with decrees written but not
yet recorded, and (the last one) with some recorded and more written after them."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.ptsp_support import write_batch, write_profile
from tests.signer_support import shared_services, shared_test_pki

pytestmark = pytest.mark.integration
N = 20
PTSP = [sys.executable, "-m", "ptsp.cli"]


def test_sigkill_and_rerun(tmp_path):
    pki = shared_test_pki()
    shared_services()
    profile = write_profile(tmp_path, pki, level="B-T")
    db = tmp_path / "registry.sqlite"
    src = write_batch(tmp_path, N, seed=3)
    out = tmp_path / "out"
    args = PTSP + ["--profile", str(profile), "--db", f"sqlite:///{db}", "issue", "--input",
                   str(src), "--out", str(out), "--json", "--workers", "1"]
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    kills = 0

    def written_since(start: float) -> int:
        return sum(1 for p in out.glob("*.pdf") if p.stat().st_mtime >= start)

    # kill once this many decree files are written by the run: 1 and 6 (none recorded yet),
    # 17 (the first 16 recorded as issued, one more written after them)
    for target in (1, 6, 17):
        log = open(tmp_path / f"run-{target}.log", "w")  # noqa: SIM115
        start = time.time()
        proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=log,
                                start_new_session=True)
        deadline = time.monotonic() + 120
        while (written_since(start) < target and proc.poll() is None
               and time.monotonic() < deadline):
            time.sleep(0.02)
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            kills += 1
        proc.wait()
        log.close()
    logs = "".join(p.read_text() for p in sorted(tmp_path.glob("run-*.log")))
    assert kills >= 2, f"the batch finished before it could be interrupted: {logs}"
    # the interrupted runs left reservations whose decrees are not issued yet
    with sqlite3.connect(db) as con:
        statuses = dict(con.execute("select status, count(*) from registry_records "
                                    "group by status"))
    assert statuses.get("issued", 0) == 16, statuses
    done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=600)
    report = json.loads(done.stdout)
    assert report["counts"] == {"issued": N - 16, "already_issued": 16, "rejected": 0,
                                "failed": 0}
    with sqlite3.connect(db) as con:
        rows = con.execute("select application_id, number, status, path "
                           "from registry_records").fetchall()
    assert len(rows) == N, "an application got two numbers"
    assert {r[2] for r in rows} == {"issued"}, "a reservation was left behind"
    assert len({r[0] for r in rows}) == N and len({r[1] for r in rows}) == N
    pdfs = sorted(out.glob("*.pdf"))
    assert len(pdfs) == N
    assert sorted(Path(r[3]).name for r in rows) == [p.name for p in pdfs]
    assert not list(out.glob(".*.tmp")), "half-written files were left"
    for pdf in pdfs:
        assert pdf.read_bytes().rstrip().endswith(b"%%EOF")
