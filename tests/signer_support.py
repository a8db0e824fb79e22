"""Shared helpers for tests that sign: a demo PKI, small PDFs, pdfsig, SoftHSM2.

No pytest fixtures here, only functions, so any test module (or a benchmark script) can use
them; the fixtures live in the test modules (``scope="session"`` where the work is slow).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import zlib
from pathlib import Path

from signer.pki import DEFAULT_CONFIG, DemoPki, build_demo_pki

TEST_PASSPHRASE = "demo-passphrase-CONTOH"
SOFTHSM_MODULE = "/usr/lib/softhsm/libsofthsm2.so"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def build_test_pki(tmp_dir: Path, *, passphrase: str = TEST_PASSPHRASE) -> DemoPki:
    """A demo PKI in ``tmp_dir`` whose services listen on a free port of 127.0.0.1."""
    return build_demo_pki(
        DEFAULT_CONFIG,
        Path(tmp_dir),
        passphrase,
        service_url=f"http://127.0.0.1:{free_port()}",
    )


def make_pdf(text: str = "SURAT KEPUTUSAN CONTOH", *, pages: int = 1) -> bytes:
    """A small valid PDF (A4, Helvetica) with ``text`` on every page, written by hand."""
    objects: list[bytes] = []

    def add(body: bytes) -> int:
        objects.append(body)
        return len(objects)

    catalog = add(b"")  # filled below
    pages_obj = add(b"")
    font = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    kids = []
    for n in range(pages):
        safe = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        content = (
            f"BT /F1 14 Tf 72 770 Td ({safe}) Tj ET\n"
            f"BT /F1 10 Tf 72 740 Td (Halaman {n + 1}) Tj ET\n"
            "0.5 w 350 90 m 550 90 l S\n"
        ).encode("latin-1")
        packed = zlib.compress(content)
        stream = add(
            b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(packed)
            + packed
            + b"\nendstream"
        )
        kids.append(
            add(
                b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 595 842] "
                b"/Resources << /Font << /F1 %d 0 R >> >> /Contents %d 0 R >>"
                % (pages_obj, font, stream)
            )
        )
    objects[catalog - 1] = b"<< /Type /Catalog /Pages %d 0 R >>" % pages_obj
    objects[pages_obj - 1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (
        b" ".join(b"%d 0 R" % k for k in kids),
        len(kids),
    )
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    out += b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        catalog,
        xref,
    )
    return bytes(out)


# -- pdfsig (poppler) -----------------------------------------------------------------------


def have_program(name: str) -> bool:
    return shutil.which(name) is not None


def make_nss_db(db_dir: Path, root_cert: Path) -> str:
    """An NSS database trusting ``root_cert``; returns the ``sql:DIR`` spec for pdfsig."""
    db_dir.mkdir(parents=True, exist_ok=True)
    spec = f"sql:{db_dir}"
    subprocess.run(["certutil", "-N", "-d", spec, "--empty-password"], check=True,
                   capture_output=True, timeout=60)
    subprocess.run(
        ["certutil", "-A", "-d", spec, "-n", "ptsp-demo-root", "-t", "CT,C,C",
         "-a", "-i", str(root_cert)],
        check=True, capture_output=True, timeout=60,
    )
    return spec


def pdfsig(pdf: Path, nss_spec: str) -> str:
    """pdfsig's report (stdout+stderr). Its exit code says nothing: read the text."""
    proc = subprocess.run(
        ["pdfsig", "-nssdir", nss_spec, "-no-ocsp", str(pdf)],
        capture_output=True, text=True, timeout=60,
    )
    return proc.stdout + proc.stderr


def flip_byte_in_signed_range(data: bytes, marker: bytes = b"/BaseFont /Helvetica") -> bytes:
    """``data`` with one byte changed inside the first signed range (default: the font name
    of a :func:`make_pdf` document), the file staying a well-formed PDF."""
    i = data.index(marker) + len(marker) - 1
    assert i < data.index(b"/ByteRange"), "marker must lie before the signature"
    return data[:i] + (b"e" if data[i:i + 1] != b"e" else b"f") + data[i + 1:]


# -- SoftHSM2 ---------------------------------------------------------------------------------


def softhsm_env(conf: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["SOFTHSM2_CONF"] = str(conf)
    return env


# -- one demo PKI (and its services) per test process --------------------------------------

_SHARED: dict[str, object] = {}


def shared_test_pki() -> DemoPki:
    """The demo PKI of this test process: built once into a temporary directory (removed at
    exit), whichever test module asks first."""
    import atexit
    import tempfile

    pki = _SHARED.get("pki")
    if pki is None:
        tmp = Path(tempfile.mkdtemp(prefix="ptsp-test-pki-"))
        atexit.register(shutil.rmtree, tmp, True)
        pki = build_test_pki(tmp / "pki")
        _SHARED["pki"] = pki
    assert isinstance(pki, DemoPki)
    return pki


def shared_services():  # -> DemoServices
    """The running TSA/OCSP/CRL services of :func:`shared_test_pki` (stopped at exit)."""
    import atexit

    from signer.pki import DemoServices

    services = _SHARED.get("services")
    if services is None:
        services = DemoServices(shared_test_pki()).start()
        atexit.register(services.stop)
        _SHARED["services"] = services
    return services


def use_softhsm_conf(conf: Path) -> None:
    """Point this process at ``conf``. SoftHSM2 reads SOFTHSM2_CONF once, when the module is
    first loaded: call this before any PKCS#11 use in the process."""
    os.environ["SOFTHSM2_CONF"] = str(conf)


def in_process_timestamper(pki: DemoPki):  # -> signer.timestamps.LocalTimeStamper
    """An in-process TSA with the demo PKI's TSA certificate and key (no HTTP)."""
    from signer.timestamps import LocalTimeStamper

    return LocalTimeStamper.from_files(
        pki.tsa_cert, pki.out_dir / "tsa.key.pem", chain=[pki.root_cert]
    )
