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
from collections.abc import Iterator
from contextlib import contextmanager
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

    def __init__(self, app: Any, port: int | None = None) -> None:
        import uvicorn

        from tests.signer_support import free_port

        self.port = port or free_port()  # a port chosen earlier when the app must know its URL
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


# -- crafting altered decrees (pyHanko's IncrementalPdfFileWriter) -------------------------


def incremental(data: bytes, change: Any) -> bytes:
    """``data`` plus one incremental update made by ``change(writer)``."""
    from io import BytesIO

    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    w = IncrementalPdfFileWriter(BytesIO(data), strict=False)
    change(w)
    out = BytesIO()
    w.write(out)
    return out.getvalue()


def appearance(w: Any, box: tuple[float, float, float, float], text: str) -> Any:
    """A form XObject painting a white box with ``text`` over ``box`` (width x height)."""
    from pyhanko.pdf_utils import generic

    width, height = box[2] - box[0], box[3] - box[1]
    font = w.add_object(generic.DictionaryObject({
        generic.NameObject("/Type"): generic.NameObject("/Font"),
        generic.NameObject("/Subtype"): generic.NameObject("/Type1"),
        generic.NameObject("/BaseFont"): generic.NameObject("/Helvetica")}))
    ops = (f"1 1 1 rg 0 0 {width:.1f} {height:.1f} re f "
           f"BT 0 0 0 rg /F1 10 Tf 2 {height / 3:.1f} Td ({text}) Tj ET").encode()
    stream = generic.StreamObject({
        generic.NameObject("/Type"): generic.NameObject("/XObject"),
        generic.NameObject("/Subtype"): generic.NameObject("/Form"),
        generic.NameObject("/BBox"): generic.ArrayObject(
            [generic.FloatObject(0), generic.FloatObject(0), generic.FloatObject(width),
             generic.FloatObject(height)]),
        generic.NameObject("/Resources"): generic.DictionaryObject({
            generic.NameObject("/Font"): generic.DictionaryObject({
                generic.NameObject("/F1"): font})}),
    }, stream_data=ops)
    return w.add_object(stream)


def add_annotation(data: bytes, subtype: str = "/FreeText",
                   box: tuple[float, float, float, float] = (200, 780, 420, 800),
                   text: str = "503/9999/PALSU") -> bytes:
    """An annotation with an appearance over the top of page 1 (where the number is)."""
    from pyhanko.pdf_utils import generic

    def change(w: Any) -> None:
        page_ref = w.find_page_for_modification(0)[0]
        page = page_ref.get_object()
        annot = generic.DictionaryObject({
            generic.NameObject("/Type"): generic.NameObject("/Annot"),
            generic.NameObject("/Subtype"): generic.NameObject(subtype),
            generic.NameObject("/Rect"): generic.ArrayObject(
                [generic.FloatObject(x) for x in box]),
            generic.NameObject("/F"): generic.NumberObject(4),
            generic.NameObject("/Contents"): generic.TextStringObject(text),
            generic.NameObject("/AP"): generic.DictionaryObject({
                generic.NameObject("/N"): appearance(w, box, text)}),
        })
        if subtype == "/FreeText":
            annot[generic.NameObject("/DA")] = generic.TextStringObject("/Helv 10 Tf 0 g")
        ref = w.add_object(annot)
        annots = page.get("/Annots", generic.ArrayObject())
        annots = generic.ArrayObject(list(annots) + [ref])
        page[generic.NameObject("/Annots")] = annots
        w.update_container(page)

    return incremental(data, change)


def add_signature_field_with_appearance(data: bytes,
                                        box: tuple[float, float, float, float] =
                                        (200, 780, 420, 800)) -> bytes:
    """A new (unsigned) signature field whose widget paints over the number (sneaky
    signature)."""
    from pyhanko.pdf_utils import generic

    def change(w: Any) -> None:
        page_ref = w.find_page_for_modification(0)[0]
        page = page_ref.get_object()
        field = w.add_object(generic.DictionaryObject({
            generic.NameObject("/FT"): generic.NameObject("/Sig"),
            generic.NameObject("/T"): generic.TextStringObject("Signature2"),
            generic.NameObject("/Type"): generic.NameObject("/Annot"),
            generic.NameObject("/Subtype"): generic.NameObject("/Widget"),
            generic.NameObject("/F"): generic.NumberObject(4),
            generic.NameObject("/Rect"): generic.ArrayObject(
                [generic.FloatObject(x) for x in box]),
            generic.NameObject("/P"): page_ref,
            generic.NameObject("/AP"): generic.DictionaryObject({
                generic.NameObject("/N"): appearance(w, box, "503/9999/PALSU")}),
        }))
        page[generic.NameObject("/Annots")] = generic.ArrayObject(
            list(page.get("/Annots", [])) + [field])
        w.update_container(page)
        acro = w.root["/AcroForm"]
        acro[generic.NameObject("/Fields")] = generic.ArrayObject(list(acro["/Fields"]) + [field])
        w.update_container(acro)

    return incremental(data, change)


def unsigned_original(data: bytes) -> bytes:
    """The document as it was before the first signature (the bytes before its revision)."""
    import re as _re
    from io import BytesIO

    from pyhanko.pdf_utils.reader import PdfFileReader

    reader = PdfFileReader(BytesIO(data), strict=False)
    first = reader.embedded_signatures[0]
    start = int(first.byte_range[1])  # the signature value lies inside the signing revision
    ends = [m.end() for m in _re.finditer(rb"%%EOF\r?\n?", data[:start])]
    return data[:ends[-1]]


# Headless Chromium from Debian, driven by Playwright (never `playwright install`).
CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def require_chromium() -> None:
    """Skip the calling test module without Chromium, except in CI where that is a failure."""
    import os

    import pytest

    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            raise RuntimeError(f"{CHROMIUM} is missing: CI must run the browser tests")
        pytest.skip(f"{CHROMIUM} not installed (apt-get install chromium)",
                    allow_module_level=True)


# -- the browser tests' common parts --------------------------------------------------------

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


@contextmanager
def chromium() -> Iterator[Any]:
    """Debian's Chromium through Playwright, for a module's ``browser`` fixture. Start it after
    the set-up that signs (Playwright's sync API keeps an event loop running in this thread)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield browser
        browser.close()


def office_login(browser: Any, base_url: str, username: str, password: str, *,
                 viewport: dict[str, int] | None = None, accept_downloads: bool = False,
                 start: str = "/kantor/masuk") -> tuple[Any, Any]:
    """A new browser context logged into the office pages as ``username``: (context, page).
    ``start`` is the first page opened; it must lead to the login form."""
    context = browser.new_context(viewport=viewport or DESKTOP, locale="id-ID",
                                  accept_downloads=accept_downloads)
    page = context.new_page()
    page.goto(base_url + start)
    assert "/kantor/masuk" in page.url, page.url
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    assert "/kantor/masuk" not in page.url, page.content()
    return context, page


def shots_dir(default: Path) -> Path:
    """Where screenshots go: ``$PTSP_SHOTS`` when set, else ``default`` (made if missing)."""
    import os

    path = Path(os.environ.get("PTSP_SHOTS") or default)
    path.mkdir(parents=True, exist_ok=True)
    return path
