"""DEMO remote signing services over the demo PKI (for tests and ``make demo KEYS=...``).

A remote signing service holds the signer's key on its side. For the demo, the CSC service
(``certomancer-csc``) is given the Kepala Dinas's demo key (taken out of its PKCS#12 file into
the service's own folder), so that it signs with the certificate the demo delegation names.
The BSrE-shaped test service (``scripts/bsre_stub.py``) signs, as BSrE does, under a CA of its
own: the DEMO "BSrE-like" hierarchy of the demo PKI, with the Kepala Dinas's certificate from
that CA (the demo profile trusts its root and its delegation names that certificate too).
DEMO ONLY: a real service's key never leaves it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import yaml
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12

from .errors import PkiError
from .pki import ARCH_LABEL, DemoPki

__all__ = ["BSRE_DEMO_NIK", "CSC_CREDENTIAL", "csc_service_config", "start_bsre_stub",
           "start_csc_service", "wait_for_http"]

#: the credential id of the Kepala Dinas's demo key in the demo CSC service
CSC_CREDENTIAL = f"{ARCH_LABEL}/kepala-dinas"
SERVICE_DIR = "remote-service"


def _extract_key(pki: DemoPki, passphrase: str, label: str) -> Path:
    p12 = pki.out_dir / f"{label}.p12"
    out = pki.out_dir / SERVICE_DIR / f"{label}.key.pem"
    if out.exists():
        return out
    key, _, _ = pkcs12.load_key_and_certificates(p12.read_bytes(), passphrase.encode())
    if key is None:
        raise PkiError(f"{p12} holds no key")
    out.parent.mkdir(mode=0o700, exist_ok=True)
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM,
                                  serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))
    return out


def csc_service_config(pki: DemoPki, passphrase: str) -> Path:
    """A certomancer description for the demo CSC service: the demo PKI with the Kepala
    Dinas's private key available (credential :data:`CSC_CREDENTIAL`)."""
    _extract_key(pki, passphrase, "kepala-dinas")
    cfg = yaml.safe_load(pki.config.read_text(encoding="utf-8"))
    keys = cfg["keysets"][ARCH_LABEL]["keys"]
    keys["kepala-dinas"] = {"path": f"{SERVICE_DIR}/kepala-dinas.key.pem"}
    out = pki.out_dir / "csc-service.yml"
    out.write_text("# DEMO CSC service description (generated; DEMO ONLY)\n"
                   + yaml.safe_dump(cfg, sort_keys=False), encoding="utf-8")
    return out


def wait_for_http(url: str, timeout: float = 20.0, proc: subprocess.Popen[bytes] | None = None,
                  method: str = "GET") -> None:
    """Wait until ``url`` answers (any HTTP status)."""
    deadline = time.monotonic() + timeout
    while True:
        if proc is not None and proc.poll() is not None:
            raise PkiError(f"the service for {url} exited with code {proc.returncode}")
        try:
            req = urllib.request.Request(url, method=method, data=b"{}" if method == "POST"
                                         else None)
            urllib.request.urlopen(req, timeout=2).close()
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            if time.monotonic() > deadline:
                raise PkiError(f"the service at {url} did not start in {timeout:.0f} s") \
                    from None
            time.sleep(0.1)


def start_csc_service(pki: DemoPki, passphrase: str, port: int, *, scal: int = 1,
                      log: Path | None = None) -> subprocess.Popen[bytes]:
    """Start ``certomancer-csc`` (package certomancer-csc-dummy) on 127.0.0.1:``port`` as its
    own process, as pyHanko's live tests run it; its request log goes to ``log``."""
    config = csc_service_config(pki, passphrase)
    exe = Path(sys.executable).with_name("certomancer-csc")
    cmd = [str(exe) if exe.exists() else "certomancer-csc", str(config), str(port), str(scal)]
    out = open(log, "ab") if log is not None else subprocess.DEVNULL  # noqa: SIM115
    try:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT,
                                cwd=str(pki.out_dir))
    finally:
        if log is not None:
            out.close()  # type: ignore[union-attr]
    try:
        wait_for_http(f"http://localhost:{port}/info", proc=proc)
    except BaseException:
        proc.kill()
        proc.wait()
        raise
    return proc


#: the BSrE-shaped test service (a script of this repository, not part of the library)
BSRE_STUB = Path(__file__).resolve().parents[1] / "scripts" / "bsre_stub.py"
#: the demo signer's NIK at the demo BSrE service (CONTOH, not anyone's)
BSRE_DEMO_NIK = "6308000101700001"


def start_bsre_stub(pki: DemoPki, passphrase: str, port: int, *,
                    users: dict[str, str], client_id: str = "", client_secret: str = "",
                    latency: float = 1.0, hostile: str | None = None,
                    log: Path | None = None, signer: str = "kepala-dinas-bsre"
                    ) -> subprocess.Popen[bytes]:
    """Start ``scripts/bsre_stub.py`` on 127.0.0.1:``port`` as its own process.

    Like BSrE, it signs under its own CA: the DEMO "BSrE-like" hierarchy of the demo PKI
    (``bsre-root`` -> ``bsre-ca``), with the Kepala Dinas's certificate from that CA
    (``signer="kepala-dinas-bsre"``) or, to test a signer the delegation does not cover,
    another employee's (``"other-signer-bsre"``); its signature timestamps come from the
    BSrE-like TSA. ``hostile``: see the script (``other-signer`` signs with the other
    employee's BSrE-like certificate).
    """
    p12s = {"kepala-dinas-bsre": pki.bsre_signer_p12,
            "other-signer-bsre": pki.bsre_other_signer_p12}
    if signer not in p12s:
        raise PkiError(f"the demo BSrE service has no certificate {signer!r}")
    other = "other-signer-bsre" if signer == "kepala-dinas-bsre" else "kepala-dinas-bsre"
    cmd = [sys.executable, str(BSRE_STUB), "--port", str(port),
           "--p12", str(p12s[signer]), "--other-p12", str(p12s[other]),
           "--tsa-url", pki.bsre_tsa_url, "--latency", str(latency)]
    for nik, secret in users.items():
        cmd += ["--user", f"{nik}:{secret}"]
    if client_id:
        cmd += ["--client-id", client_id]
    if hostile:
        cmd += ["--hostile", hostile]
    env = dict(os.environ, BSRE_STUB_P12_PASSPHRASE=passphrase,
               BSRE_STUB_CLIENT_SECRET=client_secret)
    out = open(log, "ab") if log is not None else subprocess.DEVNULL  # noqa: SIM115
    try:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env)
    finally:
        if log is not None:
            out.close()  # type: ignore[union-attr]
    try:
        wait_for_http(f"http://127.0.0.1:{port}/_stub/stats", proc=proc)
    except BaseException:
        proc.kill()
        proc.wait()
        raise
    return proc
