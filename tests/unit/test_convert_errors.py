"""LibreOfficePool.convert lets no foreign exception out (issue 18): a worker that cannot be
started, a scratch file that cannot be written or read, a reply that is not JSON all end as
ConversionError. A fake worker script stands in for python3-uno + LibreOffice (unit test)."""

from __future__ import annotations

import shutil
import sys

import pytest

from generator.convert import LibreOfficePool, PoolSettings
from generator.errors import ConversionError

FAKE = f"""#!{sys.executable}
import json, os, sys
print(json.dumps({{"ready": True, "soffice_pid": os.getpid()}}), flush=True)
mode = os.environ.get("FAKE_LO_MODE", "")
for line in sys.stdin:
    req = json.loads(line)
    if mode == "garbage":
        print("this is not json", flush=True)
    else:  # says it converted, writes nothing
        print(json.dumps({{"id": req["id"], "ok": True}}), flush=True)
"""


def _pool(tmp_path, monkeypatch, mode: str, *, executable: bool = True) -> LibreOfficePool:
    script = tmp_path / "fake-worker"
    script.write_text(FAKE)
    script.chmod(0o755 if executable else 0o644)
    monkeypatch.setenv("FAKE_LO_MODE", mode)
    settings = PoolSettings(size=1, timeout=10, start_timeout=10, python=str(script),
                            soffice=sys.executable, allocator="system")
    return LibreOfficePool(settings, workdir=tmp_path / "lo")


def test_a_worker_that_cannot_be_executed(tmp_path, monkeypatch):
    with _pool(tmp_path, monkeypatch, "", executable=False) as pool, \
            pytest.raises(ConversionError, match="cannot start the LibreOffice worker"):
        pool.convert(b"PK", "a.docx")


def test_a_reply_that_is_not_json(tmp_path, monkeypatch):
    with _pool(tmp_path, monkeypatch, "garbage") as pool, \
            pytest.raises(ConversionError, match="a.docx"):
        pool.convert(b"PK", "a.docx")


def test_no_pdf_where_the_worker_said_it_wrote_one(tmp_path, monkeypatch):
    with _pool(tmp_path, monkeypatch, "nopdf") as pool, \
            pytest.raises(ConversionError, match="wrote no PDF"):
        pool.convert(b"PK", "a.docx")


def test_the_scratch_folder_gone(tmp_path, monkeypatch):
    with _pool(tmp_path, monkeypatch, "nopdf") as pool:
        pool.start()
        for inst in pool._all:
            shutil.rmtree(inst.scratch)
        with pytest.raises(ConversionError, match="cannot write the document"):
            pool.convert(b"PK", "a.docx")
