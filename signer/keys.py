"""Key sources: where the signing key lives and how it is unlocked.

A :class:`KeySource` is a recipe (a file and its passphrase, a token and its PIN);
``unlock()`` turns it into an :class:`UnlockedKey`, ready to sign many documents. Unlocking
is where a wrong passphrase or PIN shows up, as :class:`~signer.errors.KeyUnlockError`,
before any document is touched.

Two sources ship: :class:`Pkcs12KeySource` (a ``.p12``/``.pfx`` file from the certificate
authority) and :class:`Pkcs11KeySource` (a smart card, USB token or HSM through its PKCS#11
module). A remote signing service (e.g. BSrE's, or any Cloud Signature Consortium API) is a
third implementation of the same protocol: its ``unlock()`` authenticates, fetches the
certificate chain and returns an :class:`UnlockedKey` around a pyHanko ``Signer`` whose
``async_sign_raw`` calls the service. Nothing above this module changes.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from asn1crypto import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ec import ECDSA, EllipticCurvePrivateKey
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from cryptography.hazmat.primitives.serialization import pkcs12
from pyhanko.sign.signers.pdf_cms import Signer
from pyhanko_certvalidator.registry import SimpleCertificateStore
from pyhanko_certvalidator.util import get_pyca_cryptography_hash

from .errors import CertificateError, KeyUnlockError

__all__ = [
    "KeySource",
    "Pkcs11KeySource",
    "Pkcs12KeySource",
    "UnlockedKey",
    "load_certificate",
]


def load_certificate(path: Path) -> x509.Certificate:
    """Read one PEM or DER certificate file; :class:`CertificateError` when it cannot be
    read or is no certificate."""
    from asn1crypto import pem

    try:
        data = Path(path).read_bytes()
    except OSError as e:
        raise CertificateError(f"cannot read the certificate {path}: {e.strerror or e}") from e
    try:
        if pem.detect(data):
            _, _, data = pem.unarmor(data)
        return x509.Certificate.load(data)
    except (ValueError, TypeError) as e:
        raise CertificateError(f"{path} is not a PEM or DER certificate: {e}") from e


class UnlockedKey:
    """A key ready to sign: its certificate, its chain and a pyHanko signer.

    Usable as a context manager; :meth:`close` releases the key (logs out of a token).
    Not thread-safe on its own: :class:`signer.sign.BatchSigner` serialises its use.
    """

    def __init__(
        self,
        pyhanko_signer: Signer,
        signing_cert: x509.Certificate,
        chain: Iterable[x509.Certificate] = (),
        *,
        on_close: Callable[[], None] | None = None,
        concurrency: int = 1,
        document_signer: Any = None,
    ) -> None:
        self._signer = pyhanko_signer
        #: how many documents may wait on this key at once (a remote service that signs
        #: digests in batches: its batch size); 1 for a local key
        self.concurrency = max(1, concurrency)
        #: a service that signs whole documents itself (:class:`signer.bsre.BsreDocumentSigner`)
        #: instead of the pyHanko signer; None for a key that signs digests
        self.document_signer = document_signer
        self.signing_cert = signing_cert
        own = signing_cert.dump()
        self.chain: tuple[x509.Certificate, ...] = tuple(c for c in chain if c.dump() != own)
        self.fingerprint_sha256: str = hashlib.sha256(own).hexdigest()
        self.subject: str = signing_cert.subject.human_friendly
        self._on_close = on_close
        self._closed = False

    @property
    def pyhanko_signer(self) -> Signer:
        """The pyHanko signer (internal to :mod:`signer`)."""
        if self._closed:
            raise KeyUnlockError("this key has been closed; unlock it again")
        return self._signer

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._on_close is not None:
            self._on_close()

    def __enter__(self) -> UnlockedKey:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"UnlockedKey(subject={self.subject!r}, sha256={self.fingerprint_sha256[:16]}...)"


@runtime_checkable
class KeySource(Protocol):
    """Something that can produce an :class:`UnlockedKey`."""

    def unlock(self) -> UnlockedKey:
        """Unlock the key; raise :class:`~signer.errors.KeyUnlockError` if that fails."""
        ...


class _LoadedKeySigner(Signer):
    """A pyHanko signer over a private key object loaded once.

    pyHanko's ``SimpleSigner`` re-parses its key on every signature, and ``cryptography``
    re-validates an RSA key each time (about 40 ms); this one keeps the parsed key.
    """

    def __init__(
        self,
        key: RSAPrivateKey | EllipticCurvePrivateKey,
        signing_cert: x509.Certificate,
        cert_registry: SimpleCertificateStore,
    ) -> None:
        super().__init__(signing_cert=signing_cert, cert_registry=cert_registry)
        self._key = key

    async def async_sign_raw(self, data: bytes, digest_algorithm: str, dry_run: bool = False):
        return self.sign_raw(data, digest_algorithm)

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        hash_algo = get_pyca_cryptography_hash(digest_algorithm)
        if isinstance(self._key, RSAPrivateKey):
            return self._key.sign(data, PKCS1v15(), hash_algo)
        return self._key.sign(data, ECDSA(hash_algo))


def _to_asn1(cert: Any) -> x509.Certificate:
    return x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


class Pkcs12KeySource:
    """A key and certificate chain in a passphrase-protected PKCS#12 (``.p12``/``.pfx``) file.

    The passphrase is bytes (or str, encoded as UTF-8); it is kept only until ``unlock``.
    """

    def __init__(self, path: Path, passphrase: bytes | str) -> None:
        self.path = Path(path)
        self._passphrase = passphrase.encode() if isinstance(passphrase, str) else passphrase

    def __repr__(self) -> str:  # never show the passphrase
        return f"Pkcs12KeySource(path={str(self.path)!r})"

    def unlock(self) -> UnlockedKey:
        try:
            data = self.path.read_bytes()
        except OSError as e:
            raise KeyUnlockError(f"cannot read the key file {self.path}: {e.strerror}") from e
        try:
            key, cert, others = pkcs12.load_key_and_certificates(data, self._passphrase or None)
        except ValueError as e:
            raise KeyUnlockError(
                f"cannot open {self.path}: wrong passphrase, or not a PKCS#12 file"
            ) from e
        if key is None or cert is None:
            raise KeyUnlockError(f"{self.path} holds no private key with its certificate")
        if not isinstance(key, RSAPrivateKey | EllipticCurvePrivateKey):
            raise KeyUnlockError(
                f"{self.path}: unsupported key type {type(key).__name__} (use RSA or ECDSA)"
            )
        signing_cert = _to_asn1(cert)
        chain = [_to_asn1(c) for c in others]
        registry = SimpleCertificateStore()
        registry.register_multiple([signing_cert, *chain])
        signer = _LoadedKeySigner(key, signing_cert, registry)
        return UnlockedKey(signer, signing_cert, chain)


_PKCS11_LOCK = threading.Lock()


class Pkcs11KeySource:
    """A key on a PKCS#11 token (smart card, USB token, HSM; SoftHSM2 in tests).

    :param module: path of the PKCS#11 module, e.g. ``/usr/lib/softhsm/libsofthsm2.so``.
    :param token_label: label of the token.
    :param key_label: label of the private key object.
    :param pin: user PIN (kept only until ``unlock``).
    :param cert_label: label of the certificate object (default: ``key_label``).
    :param extra_certs: chain certificates to add when the token does not hold them.

    All certificates on the token are read, so a token that holds the CA chain next to
    the signer's certificate needs nothing else. One ``unlock`` = one login, for any
    number of signatures.
    """

    def __init__(
        self,
        module: str,
        token_label: str,
        key_label: str,
        pin: str,
        cert_label: str | None = None,
        *,
        extra_certs: Sequence[Path] = (),
    ) -> None:
        self.module = module
        self.token_label = token_label
        self.key_label = key_label
        self.cert_label = cert_label or key_label
        self.extra_certs = tuple(Path(p) for p in extra_certs)
        self._pin = pin

    def __repr__(self) -> str:  # never show the PIN
        return (
            f"Pkcs11KeySource(module={self.module!r}, token_label={self.token_label!r}, "
            f"key_label={self.key_label!r})"
        )

    def unlock(self) -> UnlockedKey:
        from pkcs11 import exceptions as p11e
        from pyhanko.config.pkcs11 import TokenCriteria
        from pyhanko.sign.pkcs11 import PKCS11Signer, open_pkcs11_session

        try:
            extra = [load_certificate(p) for p in self.extra_certs]
        except (OSError, ValueError) as e:
            raise KeyUnlockError(f"cannot read a chain certificate: {e}") from e
        where = f"token {self.token_label!r} via {self.module}"
        with _PKCS11_LOCK:
            try:
                session = open_pkcs11_session(
                    self.module,
                    token_criteria=TokenCriteria(label=self.token_label),
                    user_pin=self._pin,
                )
            except (p11e.PinIncorrect, p11e.PinInvalid, p11e.PinLenRange) as e:
                raise KeyUnlockError(f"wrong PIN for {where}") from e
            except p11e.PinLocked as e:
                raise KeyUnlockError(f"the PIN of {where} is locked; ask the token officer") from e
            except Exception as e:  # module missing, no such token, ...
                raise KeyUnlockError(f"cannot open {where}: {e or type(e).__name__}") from e
            try:
                signer = PKCS11Signer(
                    session,
                    cert_label=self.cert_label,
                    key_label=self.key_label,
                    ca_chain=extra,
                    other_certs_to_pull=None,  # every certificate on the token
                )
                signer._load_objects()  # fail now, not at the first document
                signing_cert = signer.signing_cert
            except Exception as e:
                session.close()
                raise KeyUnlockError(
                    f"no usable key {self.key_label!r} / certificate {self.cert_label!r} "
                    f"on {where}: {e or type(e).__name__}"
                ) from e
        chain = [c for c in signer.cert_registry if c.dump() != signing_cert.dump()]
        return UnlockedKey(signer, signing_cert, chain, on_close=session.close)
