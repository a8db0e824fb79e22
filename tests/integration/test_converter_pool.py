"""The LibreOffice pool survives what long-running LibreOffice does: crashes, hangs, growth
(issue 7, robustness)."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import threading
import time
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.applications import RecordRef, validate_record
from generator.catalog import load_catalog
from generator.convert import LibreOfficePool, PoolSettings, resolve_allocator
from generator.errors import ConversionError
from generator.render import DecreeRenderer, RenderInput
from ptsp.cli import cli
from ptsp.profile import load_profile
from ptsp.samples import sample_application
from tests.ptsp_support import issued_count, write_batch, write_profile
from tests.signer_support import shared_services, shared_test_pki

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def docx() -> bytes:
    profile, catalog = load_profile(), load_catalog()
    service = catalog.get("SIPB")
    app = validate_record(sample_application(service, 1), RecordRef("t", 1), catalog)
    r = DecreeRenderer(profile.render_context(), emblem=profile.office.emblem)
    return r.render(service, app, RenderInput("503/0001/SIPB/X/XI/2026", "https://x/v/t",
                                              date(2026, 11, 27)))


def _gone(pid: int, wait: float = 5.0) -> bool:
    """The process has ended (or is a zombie waiting for a parent that may never reap it)."""
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            return True
        if state in ("Z", "X"):
            return True
        time.sleep(0.1)
    return False


def test_killed_libreoffice_is_replaced(tmp_path, docx):
    with LibreOfficePool(PoolSettings(size=1), workdir=tmp_path) as pool:
        assert pool.convert(docx).startswith(b"%PDF-")
        (pid,) = pool.soffice_pids
        os.kill(pid, signal.SIGKILL)
        time.sleep(0.5)
        assert pool.convert(docx).startswith(b"%PDF-")
        assert pool.soffice_pids != [pid]
        assert pool.stats.crashes >= 1


def test_hung_conversion_is_killed_and_retried(tmp_path, docx):
    with LibreOfficePool(PoolSettings(size=1, timeout=4), workdir=tmp_path) as pool:
        pool.start()
        (pid,) = pool.soffice_pids
        os.kill(pid, signal.SIGSTOP)  # LibreOffice stops answering, as when it hangs
        t = time.monotonic()
        pdf = pool.convert(docx)
        assert pdf.startswith(b"%PDF-")
        assert 4 <= time.monotonic() - t < 60
        assert pool.stats.timeouts == 1 and pool.soffice_pids != [pid]
        assert _gone(pid), "the hung LibreOffice was left running"


def test_instances_are_recycled_after_max_docs(tmp_path, docx):
    with LibreOfficePool(PoolSettings(size=1, max_docs=2), workdir=tmp_path) as pool:
        pids = set()
        for _ in range(5):
            pool.convert(docx)
            pids.update(pool.soffice_pids)
        assert pool.stats.restarts >= 2 and len(pids) >= 3


def test_garbage_input_is_an_error_not_a_crash(tmp_path, docx):
    with LibreOfficePool(PoolSettings(size=1), workdir=tmp_path) as pool:
        with pytest.raises(ConversionError):
            pool.convert(b"PK\x03\x04 this is no document", name="broken.docx")
        assert pool.convert(docx).startswith(b"%PDF-")  # and the pool still works


def _soffice_pids_under(folder: Path) -> list[int]:
    pids = []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            cmd = (d / "cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:
            continue
        if b"soffice" in cmd and str(folder).encode() in cmd:
            pids.append(int(d.name))
    return pids


def test_batch_completes_when_libreoffice_dies_midway(tmp_path):
    pki = shared_test_pki()
    shared_services()
    profile = write_profile(tmp_path, pki, level="B-T")
    db = tmp_path / "r.sqlite"
    n = 12
    src = write_batch(tmp_path, n, seed=9)
    killed: list[int] = []

    def killer() -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            done = issued_count(db)
            if done >= 3:
                for pid in _soffice_pids_under(tmp_path / "var" / "lo"):
                    os.kill(pid, signal.SIGKILL)
                    killed.append(pid)
                return
            time.sleep(0.05)

    t = threading.Thread(target=killer)
    t.start()
    r = CliRunner().invoke(cli, ["--profile", str(profile), "--db", f"sqlite:///{db}", "issue",
                                 "--input", str(src), "--out", str(tmp_path / "out"), "--json"],
                           catch_exceptions=False)
    t.join()
    assert killed, "no LibreOffice process was killed"
    report = json.loads(r.stdout)
    assert report["counts"]["issued"] == n and report["counts"]["failed"] == 0, report
    with sqlite3.connect(db) as con:
        rows = con.execute("select application_id, number from registry_records").fetchall()
    assert len(rows) == n == len({a for a, _ in rows}) == len({b for _, b in rows})
    assert len(list((tmp_path / "out").glob("*.pdf"))) == n


def test_instances_are_recycled_past_the_memory_bound(tmp_path, docx):
    with LibreOfficePool(PoolSettings(size=1, max_rss_mb=50), workdir=tmp_path) as pool:
        pool.convert(docx)
        assert pool.stats.restarts == 1  # soffice.bin holds ~200 MB: past 50 MB, recycled
        assert pool.convert(docx).startswith(b"%PDF-")


def _numbered(n: int) -> tuple[str, bytes]:
    profile, catalog = load_profile(), load_catalog()
    service = catalog.get("SIPB")
    app = validate_record(sample_application(service, n), RecordRef("t", n), catalog)
    number = f"503/{n:04d}/SIPB/X/XI/2026"
    r = DecreeRenderer(profile.render_context(), emblem=profile.office.emblem)
    return number, r.render(service, app, RenderInput(number, "https://x/v/t", date(2026, 11, 27)))


def _pdf_text(pdf: bytes, tmp_path: Path) -> str:
    import subprocess
    import uuid

    f = tmp_path / f"{uuid.uuid4().hex}.pdf"
    f.write_bytes(pdf)
    return subprocess.run(["pdftotext", str(f), "-"], capture_output=True, text=True,
                          check=True).stdout


def _convert_all(pool: LibreOfficePool, docs: list[tuple[str, bytes]],
                 during: callable | None = None) -> dict[str, bytes | Exception]:
    results: dict[str, bytes | Exception] = {}

    def one(number: str, data: bytes) -> None:
        try:
            results[number] = pool.convert(data, name=number)
        except Exception as e:  # noqa: BLE001 - the test looks at it
            results[number] = e

    threads = [threading.Thread(target=one, args=d) for d in docs]
    for t in threads:
        t.start()
    if during is not None:
        during()
    for t in threads:
        t.join(120)
    return results


def test_queued_requests_come_back_to_their_own_callers(tmp_path):
    """Six callers, one instance taking two requests at a time: every caller gets the PDF of
    its own document (replies are matched to requests, in order)."""
    docs = [_numbered(n) for n in range(1, 7)]
    with LibreOfficePool(PoolSettings(size=1, depth=2), workdir=tmp_path / "lo") as pool:
        results = _convert_all(pool, docs)
        assert pool.stats.conversions == 6 and pool.stats.crashes == 0
    for number, _ in docs:
        pdf = results[number]
        assert isinstance(pdf, bytes), pdf
        text = _pdf_text(pdf, tmp_path)
        assert f"NOMOR {number}" in text
        assert sum(f"NOMOR {other}" in text for other, _ in docs) == 1


def test_a_hang_does_not_lose_the_queued_request(tmp_path):
    """LibreOffice hangs with one request converting and one waiting in its pipe: the hung
    one times out and is retried, the waiting one is sent again; both come back."""
    docs = [_numbered(n) for n in (11, 12)]
    with LibreOfficePool(PoolSettings(size=1, depth=2, timeout=4),
                         workdir=tmp_path / "lo") as pool:
        pool.start()
        (pid,) = pool.soffice_pids
        os.kill(pid, signal.SIGSTOP)
        results = _convert_all(pool, docs)
        assert pool.stats.timeouts == 1, pool.stats  # the waiting one is not a timeout
        assert _gone(pid)
    for number, _ in docs:
        assert isinstance(results[number], bytes), results[number]
        assert f"NOMOR {number}" in _pdf_text(results[number], tmp_path)


def test_a_crash_with_requests_queued_loses_none(tmp_path):
    docs = [_numbered(n) for n in range(21, 27)]
    killed: list[int] = []
    with LibreOfficePool(PoolSettings(size=1, depth=2), workdir=tmp_path / "lo") as pool:
        pool.start()

        def kill_after_first() -> None:
            deadline = time.monotonic() + 60
            while pool.stats.conversions < 1 and time.monotonic() < deadline:
                time.sleep(0.01)
            killed.extend(pool.soffice_pids)
            for pid in killed:
                os.kill(pid, signal.SIGKILL)

        results = _convert_all(pool, docs, during=kill_after_first)
        assert killed and pool.soffice_pids and pool.soffice_pids != killed
    for number, _ in docs:
        assert isinstance(results[number], bytes), results[number]
        assert f"NOMOR {number}" in _pdf_text(results[number], tmp_path)


def _maps(pid: int) -> str:
    return Path(f"/proc/{pid}/maps").read_text()


@pytest.mark.skipif(resolve_allocator("auto") is None, reason="libjemalloc2 is not installed")
def test_libreoffice_runs_with_jemalloc_unless_told_otherwise(tmp_path, docx):
    """jemalloc saves ~15% of LibreOffice's CPU per decree; "system" keeps glibc's malloc."""
    with LibreOfficePool(PoolSettings(size=1), workdir=tmp_path / "a") as fast, \
            LibreOfficePool(PoolSettings(size=1, allocator="system"),
                            workdir=tmp_path / "b") as plain:
        assert fast.convert(docx).startswith(b"%PDF-")
        assert plain.convert(docx).startswith(b"%PDF-")
        assert fast.allocator is not None and plain.allocator is None
        assert "libjemalloc" in _maps(fast.soffice_pids[0])
        assert "libjemalloc" not in _maps(plain.soffice_pids[0])
        assert "LD_PRELOAD" not in os.environ  # only LibreOffice's environment had it


def test_missing_allocator_library_is_a_clear_error(tmp_path, docx):
    with LibreOfficePool(PoolSettings(size=1, allocator=str(tmp_path / "libnope.so")),
                         workdir=tmp_path / "lo") as pool:
        with pytest.raises(ConversionError, match="libnope.so.*no such library"):
            pool.convert(docx)
