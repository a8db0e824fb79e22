"""Shared helpers for the verification, attack and portal tests: a few real decrees.

:func:`shared_decrees` issues a small batch of real, signed decrees (LibreOffice + pyHanko +
the test PKI) into a temporary directory once per test process, whichever module asks first;
``pytest`` fixtures in the test modules wrap it. :class:`LiveServer` runs the portal under
uvicorn in a background thread on a free port of 127.0.0.1.
"""

from __future__ import annotations

import atexit
import json
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from signer.pki import DemoPki

N_DECREES = 4


@dataclass(frozen=True)
class Decrees:
    """A batch of real decrees and what is needed to check them."""

    tmp: Path
    pki: DemoPki
    profile_path: Path
    db: str
    """Registry URL (sqlite:///...)."""
    pdfs: tuple[Path, ...]

    def registry(self) -> Any:
        from ptsp.profile import load_profile
        from ptsp.registry import NumberingPolicy, open_registry

        p = load_profile(self.profile_path)
        return open_registry(self.db, numbering=NumberingPolicy(
            pattern=p.numbering.pattern, scope=p.numbering.scope,  # type: ignore[arg-type]
            pad=p.numbering.pad))

    def profile(self) -> Any:
        from ptsp.profile import load_profile

        return load_profile(self.profile_path)

    def record_for(self, pdf: Path) -> Any:
        import hashlib

        reg = self.registry()
        try:
            return reg.by_sha256(hashlib.sha256(pdf.read_bytes()).hexdigest())
        finally:
            reg.close()


_SHARED: dict[str, Decrees] = {}


def shared_decrees(count: int = N_DECREES) -> Decrees:
    """Issue ``count`` real decrees once per process (about 15 s) and return them."""
    from click.testing import CliRunner

    from generator.catalog import load_catalog
    from ptsp.cli import cli
    from ptsp.samples import sample_batch
    from tests.ptsp_support import write_profile
    from tests.signer_support import shared_services, shared_test_pki

    if "decrees" in _SHARED:
        return _SHARED["decrees"]
    tmp = Path(tempfile.mkdtemp(prefix="ptsp-test-decrees-"))
    atexit.register(shutil.rmtree, tmp, True)
    pki = shared_test_pki()
    shared_services()
    profile = write_profile(tmp, pki)
    db = f"sqlite:///{tmp / 'registry.sqlite'}"
    apps = sample_batch(load_catalog(), count=count, seed=11)
    src = tmp / "approved.jsonl"
    src.write_text("".join(json.dumps(a) + "\n" for a in apps))
    out = tmp / "out"
    r = CliRunner().invoke(cli, ["--profile", str(profile), "--db", db, "issue", "--input",
                                 str(src), "--out", str(out), "--json"],
                           catch_exceptions=False)
    assert r.exit_code == 0, r.stderr
    pdfs = tuple(sorted(out.glob("*.pdf")))
    assert len(pdfs) == count
    decrees = Decrees(tmp=tmp, pki=pki, profile_path=profile, db=db, pdfs=pdfs)
    _SHARED["decrees"] = decrees
    return decrees


class LiveServer:
    """The portal under uvicorn in a daemon thread on a free 127.0.0.1 port."""

    def __init__(self, app: Any) -> None:
        import uvicorn

        from tests.signer_support import free_port

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning",
                                lifespan="off")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the portal did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
