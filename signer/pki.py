"""The DEMO PKI: a stand-in national root, an issuing CA, signer certificates, TSA, OCSP, CRLs,
and a second, "BSrE-like" hierarchy (root, CA, TSA) for the BSrE-shaped test service.

Everything here is for demonstrations and tests only: certificate names carry "DEMO"/"CONTOH".
A real office uses its own certificate (see ``keys/README.md``).

:func:`build_demo_pki` turns the certomancer description ``keys/demo-pki.yml`` into keys,
certificates and PKCS#12 files in a directory; :class:`DemoServices` serves the matching
time-stamping, OCSP and CRL endpoints on 127.0.0.1 for as long as it runs.
"""

from __future__ import annotations

import copy
import json
import os
import threading
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml
from cryptography import x509 as pyca_x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12

from .errors import PkiError

__all__ = [
    "ARCH_LABEL",
    "DEFAULT_CONFIG",
    "DemoPki",
    "DemoServices",
    "IDENTITY_PATH",
    "build_demo_pki",
    "load_demo_pki",
    "pki_identity",
    "default_config_path",
    "signer_validity",
]

ARCH_LABEL = "ptsp-demo"
MANIFEST = "pki.json"
RESOLVED_CONFIG = "pki.yml"
_MANIFEST_VERSION = 1

#: CA-side keys (served by the local services, which sign with them per request):
#: ECDSA P-256, cheap to load. Signer keys: RSA-2048, as most Indonesian CAs issue.
_SERVICE_KEYS = ("root", "issuing-ca", "tsa", "ocsp-responder", "bsre-root", "bsre-ca",
                 "bsre-tsa")
_SIGNER_KEYS = ("kepala-dinas", "other-signer", "expired-signer", "revoked-signer",
                "kepala-dinas-bsre", "other-signer-bsre")

#: Validity of end-entity certificates relative to the build day: (from, to) in days.
RELATIVE_VALIDITY: dict[str, tuple[int, int]] = {
    "kepala-dinas": (-30, 730),
    "other-signer": (-30, 730),
    "revoked-signer": (-30, 730),
    "expired-signer": (-800, -70),
    "kepala-dinas-bsre": (-30, 730),
    "other-signer-bsre": (-30, 730),
}
#: Revocation of the revoked signer, days relative to the build day.
REVOKED_SINCE_DAYS = -7


def default_config_path() -> Path:
    """``keys/demo-pki.yml`` of the source tree this module belongs to."""
    return Path(__file__).resolve().parent.parent / "keys" / "demo-pki.yml"


DEFAULT_CONFIG = default_config_path()


@dataclass(frozen=True)
class DemoPki:
    """Paths of a built demo PKI. All certificates are PEM; all ``*_p12`` share one passphrase."""

    out_dir: Path
    config: Path
    """The resolved certomancer description (``pki.yml``) the services load."""
    root_cert: Path
    issuing_ca_cert: Path
    signer_cert: Path
    signer_p12: Path
    other_signer_cert: Path
    other_signer_p12: Path
    expired_signer_cert: Path
    expired_signer_p12: Path
    revoked_signer_cert: Path
    revoked_signer_p12: Path
    tsa_cert: Path
    ocsp_cert: Path
    service_url: str
    """Base URL of the local services, e.g. ``http://127.0.0.1:8807``."""
    built_at: datetime
    signer_not_after: datetime
    """End of validity of the Kepala Dinas certificate."""
    bsre_root_cert: Path
    """The DEMO "BSrE-like" hierarchy's root (stands in for the national root above BSrE)."""
    bsre_ca_cert: Path
    """The DEMO "BSrE-like" CA that issues the Kepala Dinas's BSrE certificate."""
    bsre_tsa_cert: Path
    bsre_signer_cert: Path
    """The Kepala Dinas's certificate from the DEMO BSrE-like CA (same subject, own key)."""
    bsre_signer_p12: Path
    """Its key: the DEMO BSrE service's (scripts/bsre_stub.py); a real BSrE key never
    leaves BSrE."""
    bsre_other_signer_cert: Path
    bsre_other_signer_p12: Path

    @property
    def tsa_url(self) -> str:
        return f"{self.service_url}/{ARCH_LABEL}/tsa/tsa"

    @property
    def ocsp_url(self) -> str:
        return f"{self.service_url}/{ARCH_LABEL}/ocsp/issuing-ca"

    @property
    def crl_url(self) -> str:
        return f"{self.service_url}/{ARCH_LABEL}/crls/issuing-ca/latest.crl"

    @property
    def bsre_tsa_url(self) -> str:
        """The DEMO BSrE-like timestamp server (the BSrE service's signature timestamps)."""
        return f"{self.service_url}/{ARCH_LABEL}/tsa/bsre-tsa"

    @property
    def bsre_chain(self) -> tuple[Path, ...]:
        """The BSrE signer certificate's chain: CA, then root."""
        return (self.bsre_ca_cert, self.bsre_root_cert)

    @property
    def host_port(self) -> tuple[str, int]:
        parts = urlsplit(self.service_url)
        if parts.hostname is None or parts.port is None:
            raise PkiError(f"service URL {self.service_url!r} has no host:port")
        return parts.hostname, parts.port

    @property
    def trust_roots(self) -> tuple[Path, ...]:
        return (self.root_cert,)


def _paths(out_dir: Path, service_url: str, built_at: datetime, not_after: datetime) -> DemoPki:
    certs = out_dir / "certs"
    return DemoPki(
        out_dir=out_dir,
        config=out_dir / RESOLVED_CONFIG,
        root_cert=certs / "root.cert.pem",
        issuing_ca_cert=certs / "issuing-ca.cert.pem",
        signer_cert=certs / "kepala-dinas.cert.pem",
        signer_p12=out_dir / "kepala-dinas.p12",
        other_signer_cert=certs / "other-signer.cert.pem",
        other_signer_p12=out_dir / "other-signer.p12",
        expired_signer_cert=certs / "expired-signer.cert.pem",
        expired_signer_p12=out_dir / "expired-signer.p12",
        revoked_signer_cert=certs / "revoked-signer.cert.pem",
        revoked_signer_p12=out_dir / "revoked-signer.p12",
        tsa_cert=certs / "tsa.cert.pem",
        ocsp_cert=certs / "ocsp-responder.cert.pem",
        service_url=service_url,
        built_at=built_at,
        signer_not_after=not_after,
        bsre_root_cert=certs / "bsre-root.cert.pem",
        bsre_ca_cert=certs / "bsre-ca.cert.pem",
        bsre_tsa_cert=certs / "bsre-tsa.cert.pem",
        bsre_signer_cert=certs / "kepala-dinas-bsre.cert.pem",
        bsre_signer_p12=out_dir / "kepala-dinas-bsre.p12",
        bsre_other_signer_cert=certs / "other-signer-bsre.cert.pem",
        bsre_other_signer_p12=out_dir / "other-signer-bsre.p12",
    )


def _all_files(pki: DemoPki) -> Iterator[Path]:
    for value in asdict(pki).values():
        if isinstance(value, Path) and value != pki.out_dir:
            yield value


def _load_existing(out_dir: Path, service_url: str | None) -> DemoPki | None:
    manifest = out_dir / MANIFEST
    if not manifest.is_file():
        return None
    try:
        data = json.loads(manifest.read_text("utf-8"))
        if data.get("version") != _MANIFEST_VERSION:
            return None
        pki = _paths(
            out_dir,
            data["service_url"],
            datetime.fromisoformat(data["built_at"]),
            datetime.fromisoformat(data["signer_not_after"]),
        )
    except (ValueError, KeyError, TypeError):
        return None
    if service_url is not None and pki.service_url != service_url:
        return None
    if not all(p.is_file() for p in _all_files(pki)):
        return None
    return pki


def _fmt(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%S+0000")


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)


def build_demo_pki(
    config: Path,
    out_dir: Path,
    passphrase: str,
    *,
    service_url: str | None = None,
    now: datetime | None = None,
) -> DemoPki:
    """Build (or reuse) the demo PKI described by ``config`` in ``out_dir``.

    :param config: certomancer description, normally ``keys/demo-pki.yml``.
    :param out_dir: where keys, certificates and PKCS#12 files go (created if missing).
    :param passphrase: protects every signer PKCS#12 file.
    :param service_url: base URL baked into the certificates (AIA/CRL) and served by
        :class:`DemoServices`; default: ``external-url-prefix`` of the description. Tests
        pass a free port here so parallel sessions do not collide.
    :param now: the build day (default: today, UTC); validity windows are relative to it.

    Idempotent: if ``out_dir`` already holds a complete PKI for the same service URL whose
    PKCS#12 files open with ``passphrase``, it is reused as it is.
    """
    out_dir = Path(out_dir).resolve()
    existing = _load_existing(out_dir, service_url)
    if existing is not None:
        try:
            pkcs12.load_key_and_certificates(existing.signer_p12.read_bytes(), passphrase.encode())
        except ValueError as e:
            raise PkiError(
                f"the demo PKI in {out_dir} was made with another passphrase: use that one, "
                "or delete the directory to build a new demo PKI"
            ) from e
        return existing
    try:
        return _build(Path(config), out_dir, passphrase.encode(), service_url, now)
    except PkiError:
        raise
    except Exception as e:  # certomancer/yaml/OS errors: one boundary
        raise PkiError(f"could not build the demo PKI in {out_dir}: {e}") from e


def _build(
    config: Path, out_dir: Path, passphrase: bytes, service_url: str | None, now: datetime | None
) -> DemoPki:
    from certomancer.registry import ArchLabel, CertLabel, CertomancerConfig

    cfg: dict[str, Any] = yaml.safe_load(config.read_text("utf-8"))
    if service_url is None:
        service_url = str(cfg.get("external-url-prefix", "http://127.0.0.1:8807"))
    service_url = service_url.rstrip("/")
    cfg["external-url-prefix"] = service_url

    day = (now or datetime.now(UTC)).astimezone(UTC).date()
    midnight = datetime.combine(day, time(0, 0), tzinfo=UTC)
    arch = cfg["pki-architectures"][ARCH_LABEL]
    certs_cfg = arch["certs"]
    for label, (start, end) in RELATIVE_VALIDITY.items():
        certs_cfg[label]["validity"] = {
            "valid-from": _fmt(midnight + timedelta(days=start)),
            "valid-to": _fmt(midnight + timedelta(days=end)),
        }
    certs_cfg["revoked-signer"]["revocation"]["revoked-since"] = _fmt(
        midnight + timedelta(days=REVOKED_SINCE_DAYS)
    )
    keyset = cfg["keysets"][arch["keyset"]]
    keyset["path-prefix"] = "."

    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / MANIFEST).unlink(missing_ok=True)
    certs_dir = out_dir / "certs"
    certs_dir.mkdir(exist_ok=True)

    signer_keys: dict[str, rsa.RSAPrivateKey] = {}
    for label in _SERVICE_KEYS:
        ec_key = ec.generate_private_key(ec.SECP256R1())
        pem = ec_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        _write_private(out_dir / keyset["keys"][label]["path"], pem)
    for label in _SIGNER_KEYS:
        rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        signer_keys[label] = rsa_key
        pub = rsa_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        (out_dir / keyset["keys"][label]["path"]).write_bytes(pub)

    cmc = CertomancerConfig(copy.deepcopy(cfg), key_search_dir=str(out_dir))
    pki_arch = cmc.get_pki_arch(ArchLabel(ARCH_LABEL))
    cert_ders: dict[str, bytes] = {}
    for label in certs_cfg:
        cert = pki_arch.get_cert(CertLabel(label))
        cert_ders[label] = cert.dump()
        pem_cert = pyca_x509.load_der_x509_certificate(cert.dump()).public_bytes(
            serialization.Encoding.PEM
        )
        (certs_dir / f"{label}.cert.pem").write_bytes(pem_cert)
        # the services must serve exactly these certificates (ECDSA is not deterministic)
        certs_cfg[label]["certificate-file"] = f"certs/{label}.cert.pem"

    encryption = (
        serialization.PrivateFormat.PKCS12.encryption_builder()
        .kdf_rounds(50_000)
        .key_cert_algorithm(pkcs12.PBES.PBESv2SHA256AndAES256CBC)
        .hmac_hash(hashes.SHA256())
        .build(passphrase)
    )
    for label, rsa_key in signer_keys.items():
        chain = [
            pyca_x509.load_der_x509_certificate(cert_ders[str(c)])
            for c in pki_arch.get_chain(CertLabel(label))
        ]
        p12 = pkcs12.serialize_key_and_certificates(
            name=label.encode(),
            key=rsa_key,
            cert=pyca_x509.load_der_x509_certificate(cert_ders[label]),
            cas=chain,
            encryption_algorithm=encryption,
        )
        _write_private(out_dir / f"{label}.p12", p12)

    header = (
        "# Resolved from the DEMO PKI description by signer.pki.build_demo_pki.\n"
        "# DEMO / CONTOH only. Loaded by signer.pki.DemoServices.\n"
    )
    (out_dir / RESOLVED_CONFIG).write_text(
        header + yaml.safe_dump(cfg, sort_keys=False, allow_unicode=True), "utf-8"
    )
    not_after = midnight + timedelta(days=RELATIVE_VALIDITY["kepala-dinas"][1])
    pki = _paths(out_dir, service_url, midnight, not_after)
    manifest = {
        "version": _MANIFEST_VERSION,
        "service_url": service_url,
        "built_at": midnight.isoformat(),
        "signer_not_after": not_after.isoformat(),
        "note": "DEMO / CONTOH PKI - not for real documents",
    }
    tmp = out_dir / (MANIFEST + ".tmp")
    tmp.write_text(json.dumps(manifest, indent=2), "utf-8")
    tmp.replace(out_dir / MANIFEST)  # written last: its presence means "complete"
    return pki


#: Where :class:`DemoServices` says which PKI it serves (JSON of :func:`pki_identity`), so a
#: second batch can tell "our services, already running" from a foreign program on the port.
IDENTITY_PATH = f"/{ARCH_LABEL}/identity"


def pki_identity(pki: DemoPki) -> dict[str, str]:
    """What identifies a demo PKI: the SHA-256 of its root and issuing CA certificates."""
    import hashlib

    return {
        "root_sha256": hashlib.sha256(pki.root_cert.read_bytes()).hexdigest(),
        "issuing_ca_sha256": hashlib.sha256(pki.issuing_ca_cert.read_bytes()).hexdigest(),
    }


def load_demo_pki(out_dir: Path) -> DemoPki:
    """The complete demo PKI already built in ``out_dir`` (no passphrase needed)."""
    pki = _load_existing(Path(out_dir).resolve(), None)
    if pki is None:
        raise PkiError(f"no complete demo PKI in {out_dir} (run `ptsp keys init`)")
    return pki


def signer_validity(pki: DemoPki) -> tuple[date, date]:
    """Validity window (days) of the Kepala Dinas certificate."""
    cert = pyca_x509.load_pem_x509_certificate(pki.signer_cert.read_bytes())
    return cert.not_valid_before_utc.date(), cert.not_valid_after_utc.date()


class DemoServices:
    """TSA, OCSP and CRL endpoints of a demo PKI on 127.0.0.1, served from a thread.

    Use as a context manager, or call :meth:`start` and :meth:`stop`. The server runs in a
    daemon thread, so it never keeps the process alive; :meth:`stop` waits at most
    ``timeout`` seconds for it to finish.
    """

    def __init__(self, pki: DemoPki, *, timeout: float = 5.0) -> None:
        self.pki = pki
        self.timeout = timeout
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._counts: dict[str, int] = {}
        self._count_lock = threading.Lock()

    @property
    def requests_served(self) -> dict[str, int]:
        """Requests answered so far, by kind ("ocsp", "tsa", "crls", ...)."""
        with self._count_lock:
            return dict(self._counts)

    def _counting(self, app: Any) -> Any:
        identity = json.dumps(pki_identity(self.pki)).encode()

        def wrapped(environ: dict[str, Any], start_response: Any) -> Any:
            if environ.get("PATH_INFO") == IDENTITY_PATH:  # "which PKI is this?" (see below)
                start_response("200 OK", [("Content-Type", "application/json"),
                                          ("Content-Length", str(len(identity)))])
                return [identity]
            parts = environ.get("PATH_INFO", "").strip("/").split("/")
            kind = parts[1] if len(parts) > 1 else "other"
            with self._count_lock:
                self._counts[kind] = self._counts.get(kind, 0) + 1
            return app(environ, start_response)

        return wrapped

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _app(self) -> Any:
        from certomancer.integrations.animator import Animator, AnimatorArchStore
        from certomancer.registry import ArchLabel, CertomancerConfig

        cmc = CertomancerConfig.from_file(
            str(self.pki.config),
            key_search_dir=str(self.pki.out_dir),
            config_search_dir=str(self.pki.out_dir),
        )
        arch = cmc.get_pki_arch(ArchLabel(ARCH_LABEL))
        return Animator(
            AnimatorArchStore({ArchLabel(ARCH_LABEL): arch}),
            with_web_ui=False,
            allow_time_override=False,
        )

    def start(self) -> DemoServices:
        if self.running:
            return self
        from werkzeug.serving import WSGIRequestHandler, make_server

        class _QuietHandler(WSGIRequestHandler):
            def log_request(self, *args: Any, **kwargs: Any) -> None:  # no access log
                pass

        host, port = self.pki.host_port
        try:
            app = self._counting(self._app())
        except Exception as e:
            raise PkiError(f"could not load the demo PKI from {self.pki.config}: {e}") from e
        try:
            self._server = make_server(
                host, port, app, threaded=True, request_handler=_QuietHandler
            )
        except (OSError, SystemExit) as e:
            raise PkiError(
                f"could not listen on {host}:{port} for the demo PKI services "
                f"(is another instance running?): {e}"
            ) from e
        self._server.timeout = 0.5
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.1},
            name="ptsp-demo-pki-services",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join(self.timeout)

    def __enter__(self) -> DemoServices:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
