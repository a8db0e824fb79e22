"""Errors raised by :mod:`signer`.

Everything that ``signer`` raises is a :class:`SignerError`; third-party exception types
(pyHanko, python-pkcs11, cryptography, certomancer, OS errors) are wrapped at the boundary
and kept as ``__cause__``::

    SignerError
    ├── KeyUnlockError     the key could not be unlocked (wrong PIN or passphrase, no token,
    │                      unreadable key file); raised by ``KeySource.unlock()``, before
    │                      any document is touched
    ├── SigningError       a document could not be signed (bad input PDF, timestamp server
    │                      unreachable, revocation data unavailable for B-LT/B-LTA, ...)
    ├── DelegationError    the signer is not (or not now, or not for this permit type)
    │                      a delegate of the Bupati
    ├── CertificateError   a certificate file cannot be read or parsed (also a ValueError)
    ├── PkiError           the demo PKI or its local services could not be built or started
    ├── SettingsError      signature settings are inconsistent (also a ValueError)
    └── ValidationError    a document could not be *checked* at all (misconfigured trust
                           roots, ...). A signature that does not verify is not an error:
                           it is a :class:`signer.validate.ValidationReport` with reasons.

Messages say what went wrong and, where possible, what to do about it. They never contain
a PIN, passphrase or key material.
"""

from __future__ import annotations

__all__ = [
    "CertificateError",
    "DelegationError",
    "KeyUnlockError",
    "PkiError",
    "SettingsError",
    "SignerError",
    "SigningError",
    "ValidationError",
]


class SignerError(Exception):
    """Root of every error raised by :mod:`signer`."""


class KeyUnlockError(SignerError):
    """The signing key could not be unlocked (wrong PIN/passphrase, missing token or file)."""


class SigningError(SignerError):
    """A document could not be signed."""


class DelegationError(SignerError):
    """The signer holds no delegation that covers this decree; the message says why."""

    def __init__(self, message: str, reasons: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.reasons = reasons


class CertificateError(SignerError, ValueError):
    """A certificate file cannot be read (``__cause__``: the OSError) or is not a PEM or DER
    certificate."""


class PkiError(SignerError):
    """The demo PKI, its local TSA/OCSP/CRL services, or a token could not be set up."""


class ValidationError(SignerError):
    """A document could not be checked at all (not: "the signature is invalid")."""


class SettingsError(SignerError, ValueError):
    """Signature or trust settings are inconsistent (e.g. B-T without a timestamp server)."""
