"""The distributed mode with real processes (issue 16): Redis (and RabbitMQ where it starts in
time), `ptsp worker` processes with their own LibreOffice, `ptsp issue --broker` signing what
comes back. A worker killed with SIGKILL mid-batch loses no decree and duplicates none; a
document that crashes LibreOffice fails alone; a worker with other templates refuses."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from tests.cluster_support import (
    PTSP,
    ROOT,
    gone,
    pids_matching,
    rabbitmq_server,
    redis_server,
    soffice_pids,
    start_worker,
    stop_worker,
    wait_workers,
)
from tests.ptsp_support import write_batch, write_profile
from tests.signer_support import shared_services, shared_test_pki

pytestmark = pytest.mark.integration
N = 60


@pytest.fixture(scope="module")
def redis_url():
    with redis_server() as url:
        yield url


def _issue(tmp_path: Path, profile: Path, src: Path, broker: str,
           name: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        PTSP + ["--profile", str(profile), "--db", f"sqlite:///{tmp_path / 'registry.sqlite'}",
                "issue", "--input", str(src), "--out", str(tmp_path / "out"), "--json",
                "--broker", broker],
        env=env, stdout=open(tmp_path / f"{name}.json", "w"),  # noqa: SIM115
        stderr=open(tmp_path / f"{name}.log", "w"), text=True,  # noqa: SIM115
        start_new_session=True)


def _report(tmp_path: Path, name: str) -> dict:
    text = (tmp_path / f"{name}.json").read_text()
    assert text.strip(), (tmp_path / f"{name}.log").read_text()
    return json.loads(text)


def _kill_test(tmp_path: Path, broker: str) -> None:
    pki = shared_test_pki()
    shared_services()
    profile = write_profile(tmp_path, pki)  # B-LTA: verifiable offline, as issued
    src = write_batch(tmp_path, N, seed=16)
    out = tmp_path / "out"
    wd = {n: tmp_path / f"worker-{n}" for n in ("w1", "w2")}
    workers = {n: start_worker(broker, wd[n], name=n, log=tmp_path / f"{n}.log")
               for n in ("w1", "w2")}
    try:
        wait_workers(broker, ["w1", "w2"])
        proc = _issue(tmp_path, profile, src, broker, "run1")
        deadline = time.monotonic() + 300
        while (len(list(out.glob("*.pdf"))) < 12 and proc.poll() is None
               and time.monotonic() < deadline):
            time.sleep(0.02)
        assert proc.poll() is None, "the batch ended before the kill"
        # everything of worker 1: its Celery processes and the LibreOffice they drive
        doomed = pids_matching(str(wd["w1"]).encode())
        assert soffice_pids(wd["w1"]), "worker 1 runs no LibreOffice"
        os.killpg(workers["w1"].pid, signal.SIGKILL)
        workers["w1"].wait()
        killed_at = len(list(out.glob("*.pdf")))
        assert killed_at < N
        # its LibreOffice ends on its own once its driver's pipe closes: no orphan
        assert gone(doomed, 30) == [], "worker 1's LibreOffice outlived it"
        assert proc.wait(600) == 0, (tmp_path / "run1.log").read_text()
        report = _report(tmp_path, "run1")
        assert report["counts"] == {"issued": N, "already_issued": 0, "rejected": 0,
                                    "failed": 0}, report["counts"]

        with sqlite3.connect(tmp_path / "registry.sqlite") as con:
            rows = con.execute("select application_id, number, status, path "
                               "from registry_records").fetchall()
        assert len(rows) == N and {r[2] for r in rows} == {"issued"}
        assert len({r[0] for r in rows}) == N, "an application got two numbers"
        seqs = sorted(int(re.match(r"503/(\d+)/", r[1]).group(1)) for r in rows)
        assert seqs == list(range(1, N + 1)), "a number was lost or duplicated"
        pdfs = sorted(out.glob("*.pdf"))
        assert len(pdfs) == N and not list(out.glob(".*.tmp"))

        from ptsp.cli import Ctx
        from ptsp.verify import verify_file

        ctx = Ctx(profile, f"sqlite:///{tmp_path / 'registry.sqlite'}", False)
        results = {p.name: verify_file(ctx.profile, ctx.registry, p) for p in pdfs}
        bad = {k: [r.message for r in v.reasons] for k, v in results.items()
               if v.verdict != "SAH"}
        assert not bad, bad

        # worker 1 back, the batch again: nothing new
        workers["w1"] = start_worker(broker, wd["w1"], name="w1", log=tmp_path / "w1.log")
        wait_workers(broker, ["w1", "w2"])
        again = _issue(tmp_path, profile, src, broker, "run2")
        assert again.wait(600) == 0, (tmp_path / "run2.log").read_text()
        assert _report(tmp_path, "run2")["counts"] == {
            "issued": 0, "already_issued": N, "rejected": 0, "failed": 0}
    finally:
        for w in workers.values():
            stop_worker(w)
    for n in ("w1", "w2"):
        assert gone(pids_matching(str(wd[n]).encode()), 30) == [], f"{n} left processes"


def test_sigkill_a_worker_mid_batch_redis(tmp_path, redis_url):
    _kill_test(tmp_path, redis_url)


@pytest.mark.skipif(not os.environ.get("PTSP_TEST_RABBITMQ"),
                    reason="RabbitMQ takes long to start here: set PTSP_TEST_RABBITMQ=1")
def test_sigkill_a_worker_mid_batch_rabbitmq(tmp_path):
    with rabbitmq_server() as (url, started):
        print(f"rabbitmq-server started in {started:.1f} s")
        _kill_test(tmp_path, url)


CRASHING_SOFFICE = """#!/usr/bin/python3
# LibreOffice that crashes (SIGSEGV) on converting any document naming CRASH-ME, like a real
# crash bug.
import glob, os, signal, subprocess, sys, time, zipfile
args = sys.argv[1:]
profile = next(a for a in args if a.startswith("-env:UserInstallation="))
profile = profile.split("file://", 1)[1]
scratch = os.path.join(os.path.dirname(profile),
                       os.path.basename(profile).replace("profile", "scratch"))
proc = subprocess.Popen(["soffice", *args])

def office_pids():
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                cmd = open(f"/proc/{d}/cmdline", "rb").read()
            except OSError:
                continue
            if b"soffice.bin" in cmd and profile.encode() in cmd:
                out.append(int(d))
    return out

def oldest(files):
    # documents are converted in the order they were sent, and each one's file is removed
    # once it is converted: the oldest file is the one LibreOffice is converting now (a
    # second one may wait in the pipe behind it)
    dated = []
    for f in files:
        try:
            dated.append((os.stat(f).st_mtime_ns, f))
        except OSError:
            pass
    return min(dated)[1] if dated else None

while proc.poll() is None:
    f = oldest(glob.glob(scratch + "/*.docx"))
    if f is not None:
        try:
            xml = zipfile.ZipFile(f).read("word/document.xml")
        except Exception:
            xml = b""
        if b"CRASH-ME" in xml:
            for pid in office_pids():
                os.kill(pid, signal.SIGSEGV)
    time.sleep(0.005)
"""


def test_a_document_that_crashes_libreoffice_fails_alone(tmp_path, redis_url):
    pki = shared_test_pki()
    shared_services()
    profile = write_profile(tmp_path, pki, level="B-T")
    src = write_batch(tmp_path, 6, seed=7)
    records = [json.loads(line) for line in src.read_text().splitlines()]
    records[2]["applicant"]["name"] = "PT CRASH-ME SENTOSA"
    src.write_text("".join(json.dumps(r) + "\n" for r in records))
    soffice = tmp_path / "soffice-crashing"
    soffice.write_text(CRASHING_SOFFICE)
    soffice.chmod(0o755)
    wd = tmp_path / "worker"
    w = start_worker(redis_url, wd, name="crashy", extra=("--soffice", str(soffice)),
                     log=tmp_path / "worker.log")
    try:
        wait_workers(redis_url, ["crashy"])
        proc = _issue(tmp_path, profile, src, redis_url, "run")
        assert proc.wait(300) == 1
        report = _report(tmp_path, "run")
        assert report["counts"]["issued"] == 5 and report["counts"]["failed"] == 1
        (bad,) = [o for o in report["outcomes"] if o["status"] == "failed"]
        assert bad["application_id"] == records[2]["application_id"]
        assert bad["number"], "the failed decree keeps its number for the re-run"
        assert "LibreOffice" in bad["errors"][0] and "worker crashy@test" in bad["errors"][0], bad
    finally:
        stop_worker(w)
    assert gone(pids_matching(str(wd).encode()), 30) == []


def test_a_worker_with_other_templates_refuses(tmp_path, redis_url):
    pki = shared_test_pki()
    shared_services()
    profile = write_profile(tmp_path, pki, level="B-T")
    src = write_batch(tmp_path, 3, seed=8)
    other = tmp_path / "templates"
    shutil.copytree(ROOT / "templates", other,
                    ignore=shutil.ignore_patterns("source", "*.pdf"))
    for docx in (other / "permits").glob("*.docx"):
        with open(docx, "ab") as f:  # another version of every template
            f.write(b"\0")
    wd = tmp_path / "worker"
    w = start_worker(redis_url, wd, name="stale", extra=("--templates", str(other)))
    try:
        wait_workers(redis_url, ["stale"])
        proc = _issue(tmp_path, profile, src, redis_url, "run")
        assert proc.wait(300) == 1
        report = _report(tmp_path, "run")
        assert report["counts"]["failed"] == 3 and report["counts"]["issued"] == 0
        for o in report["outcomes"]:
            assert "the task needs" in o["errors"][0] and "deploy the same templates" \
                in o["errors"][0], o
    finally:
        stop_worker(w)
    assert not list((tmp_path / "out").glob("*.pdf")) if (tmp_path / "out").exists() else True


def test_a_worker_without_the_letterhead_asks_for_it_once(tmp_path, redis_url, monkeypatch):
    """Tasks that name the office by digest only: a worker that does not hold its letterhead
    answers so, the signer sends that task again with it (same task id, through the real
    Redis); the next batch's tasks by digest render at once. Every decree issued, SAH."""
    from generator.catalog import load_catalog
    from ptsp.cli import Ctx
    from ptsp.cluster.stage import ClusterPipeline, RemoteConversions
    from ptsp.issue import run_issue
    from ptsp.registry import NumberingPolicy, open_registry
    from ptsp.verify import verify_file

    pki = shared_test_pki()
    shared_services()
    profile_path = write_profile(tmp_path, pki)  # B-LTA: verifiable offline, as issued
    batch = write_batch(tmp_path, 8, seed=9).read_text().splitlines(keepends=True)
    first, second = tmp_path / "first.jsonl", tmp_path / "second.jsonl"
    first.write_text("".join(batch[:4]))
    second.write_text("".join(batch[4:]))
    monkeypatch.setattr(ClusterPipeline, "FULL_FIRST", 0)  # every task by digest first
    answers: list[dict] = []
    call = RemoteConversions._call

    def spy(self, name, tid, args, digest):
        meta = call(self, name, tid, args, digest)
        answers.append({"tid": tid, "full": "context" in args[0]["office"],
                        "need_office": bool(meta.get("need_office")), "ok": meta.get("ok")})
        return meta

    monkeypatch.setattr(RemoteConversions, "_call", spy)
    wd = tmp_path / "worker"
    w = start_worker(redis_url, wd, name="fresh", concurrency=2, log=tmp_path / "worker.log")
    db = f"sqlite:///{tmp_path / 'registry.sqlite'}"
    ctx = Ctx(profile_path, db, False)
    profile = ctx.profile
    numbering = NumberingPolicy(pattern=profile.numbering.pattern,
                                scope=profile.numbering.scope, pad=profile.numbering.pad)
    reports, seen = [], []
    try:
        wait_workers(redis_url, ["fresh"])
        for src in (first, second):
            answers.clear()
            reports.append(run_issue(
                profile, load_catalog(), lambda: open_registry(db, numbering=numbering), src,
                out_dir=tmp_path / "out", actor="test", broker=redis_url))
            seen.append(list(answers))
    finally:
        stop_worker(w)
    for r in reports:
        assert r.count("issued") == 4, [o.errors for o in r.outcomes]
    one, two = seen
    asked = [a for a in one if a["need_office"]]
    assert asked and all(not a["full"] for a in asked), one
    for a in asked:  # each was sent again with the letterhead, under the same id
        assert {"tid": a["tid"], "full": True, "need_office": False, "ok": True} in one
    # the worker holds it now: the second batch goes by digest alone
    assert len(two) == 4 and all(a["ok"] and not a["full"] for a in two), two
    for pdf in sorted((tmp_path / "out").glob("*.pdf")):
        assert verify_file(profile, ctx.registry, pdf).verdict == "SAH", pdf


def test_the_prefork_pool_still_serves(tmp_path, redis_url):
    """``--pool prefork``: a child process per LibreOffice, one task at a time."""
    pki = shared_test_pki()
    shared_services()
    profile = write_profile(tmp_path, pki, level="B-T")
    src = write_batch(tmp_path, 3, seed=11)
    wd = tmp_path / "worker"
    w = start_worker(redis_url, wd, name="forked", extra=("--pool", "prefork"),
                     log=tmp_path / "worker.log")
    try:
        wait_workers(redis_url, ["forked"])
        proc = _issue(tmp_path, profile, src, redis_url, "run")
        assert proc.wait(300) == 0, (tmp_path / "run.log").read_text()
        assert _report(tmp_path, "run")["counts"]["issued"] == 3
        assert soffice_pids(wd), "the prefork child runs no LibreOffice"
    finally:
        stop_worker(w)
    assert gone(pids_matching(str(wd).encode()), 30) == []
