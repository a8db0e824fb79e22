"""Two hot spots of validation in pure Python, made fast without changing their results.

Installed once by :mod:`signer.validate` (:func:`install`):

* pyHanko reads a PDF hex string (a signature's ``/Contents``, 16-32 kB of hex) one byte at a
  time through a generator: about a fifth of the CPU of checking a decree. The fast path reads
  up to the closing ``>`` at once; whenever the string holds anything but hex digits and PDF
  white space (a comment, a bad token, no end), it rewinds and calls pyHanko's own function, so
  every result and every error stays pyHanko's.
* asn1crypto prepares every name attribute for comparison (RFC 4518 string preparation) per
  parsed certificate; each decree brings fresh copies of the same names, and path building
  compares them hundreds of times. The preparation is a pure function of the string, and the
  equality and the hashable form of a relative distinguished name are pure functions of its
  encoding: all three are memoised (bounded; an input that raises is not remembered).

* Every decree makes pyHanko's certificate validator check the same certificate, CRL and OCSP
  signatures again (the chain, the TSA's chain, the revocation data of a batch). Whether a
  signature verifies is a fact about its bytes: successful checks are remembered keyed by the
  SHA-256 of the signed bytes, the signature, the public key and the algorithm (bounded);
  a signature that fails is checked, and fails, every time.

``tests/unit/test_signer_speedups.py`` checks these against the originals.
"""

from __future__ import annotations

import binascii
import re
import threading
from typing import Any

_HEX_BODY = re.compile(rb"[0-9A-Fa-f \n\r\t\f\x00]*")
_WS = re.compile(rb"[ \n\r\t\f\x00]+")
_CHUNK = 64 * 1024
_MAX_FAST = 16 * 1024 * 1024
_PREP_MAX = 4096

_installed = False
_lock = threading.Lock()


def _fast_hex_reader(original: Any, pdf_string: Any) -> Any:
    def read_hex_string_from_stream(stream: Any) -> Any:
        start = stream.tell()
        parts: list[bytes] = []
        first = True
        total = 0
        while total < _MAX_FAST:
            chunk = stream.read(_CHUNK)
            if not chunk:
                break
            if first:
                chunk = chunk[1:]  # the opening '<'
                first = False
            end = chunk.find(b">")
            if end >= 0:
                parts.append(chunk[:end])
                body = b"".join(parts)
                if _HEX_BODY.fullmatch(body) is None:
                    break
                digits = _WS.sub(b"", body)
                if len(digits) % 2:
                    digits += b"0"
                stream.seek(start + 1 + total + end + 1)
                return pdf_string(binascii.unhexlify(digits))
            parts.append(chunk)
            total += len(chunk)
        stream.seek(start)
        return original(stream)

    read_hex_string_from_stream.__wrapped__ = original  # type: ignore[attr-defined]
    return read_hex_string_from_stream


def _memo_string_prep(original: Any) -> Any:
    memo: dict[str, str] = {}
    memo_lock = threading.Lock()

    def _ldap_string_prep(self: Any, string: str) -> str:
        found = memo.get(string)
        if found is not None:
            return found
        prepared: str = original(self, string)
        with memo_lock:
            if len(memo) >= _PREP_MAX:
                memo.clear()
            memo[string] = prepared
        return prepared

    _ldap_string_prep.__wrapped__ = original  # type: ignore[attr-defined]
    return _ldap_string_prep


def _memo_rdn(cls: Any) -> None:
    """Memoise ``RelativeDistinguishedName.__eq__`` and ``.hashable`` by DER encoding."""
    original_eq = cls.__eq__
    original_hashable = cls.hashable.fget
    eq_memo: dict[tuple[bytes, bytes], bool] = {}
    hashable_memo: dict[bytes, str] = {}

    def __eq__(self: Any, other: Any) -> Any:
        if not isinstance(other, cls):
            return original_eq(self, other)
        key = (self.dump(), other.dump())
        found = eq_memo.get(key)
        if found is None:
            found = bool(original_eq(self, other))
            if len(eq_memo) >= _PREP_MAX:
                eq_memo.clear()
            eq_memo[key] = found
        return found

    def hashable(self: Any) -> str:
        key = self.dump()
        found = hashable_memo.get(key)
        if found is None:
            found = original_hashable(self)
            if len(hashable_memo) >= _PREP_MAX:
                hashable_memo.clear()
            hashable_memo[key] = found
        return found

    __eq__.__wrapped__ = original_eq  # type: ignore[attr-defined]
    hashable.__wrapped__ = original_hashable  # type: ignore[attr-defined]
    cls.__eq__ = __eq__
    cls.__hash__ = None  # as before: __eq__ without __hash__
    cls.hashable = property(hashable)


def _memo_signature_checks(cls: Any) -> None:
    import hashlib

    original = cls.validate_signature
    ok: dict[tuple[bytes, bytes, bytes, bytes, str], bool] = {}
    ok_lock = threading.Lock()

    def validate_signature(self: Any, signature: bytes, signed_data: bytes,
                           public_key_info: Any, signature_algorithm: Any,
                           context: Any = None) -> None:
        key = (hashlib.sha256(signed_data).digest(), bytes(signature), public_key_info.dump(),
               signature_algorithm.dump(), repr(context))
        if key in ok:
            return
        if context is None:
            original(self, signature, signed_data, public_key_info, signature_algorithm)
        else:
            original(self, signature, signed_data, public_key_info, signature_algorithm,
                     context)
        with ok_lock:
            if len(ok) >= _PREP_MAX:
                ok.clear()
            ok[key] = True

    validate_signature.__wrapped__ = original  # type: ignore[attr-defined]
    cls.validate_signature = validate_signature


def install() -> None:
    """Install both speed-ups (idempotent)."""
    global _installed
    with _lock:
        if _installed:
            return
        from asn1crypto import x509
        from pyhanko.pdf_utils import generic

        generic.read_hex_string_from_stream = _fast_hex_reader(  # type: ignore[assignment]
            generic.read_hex_string_from_stream, generic.pdf_string)
        x509.NameTypeAndValue._ldap_string_prep = _memo_string_prep(  # type: ignore[method-assign]
            x509.NameTypeAndValue._ldap_string_prep)
        _memo_rdn(x509.RelativeDistinguishedName)
        from pyhanko_certvalidator.sig_validate import DefaultSignatureValidator

        _memo_signature_checks(DefaultSignatureValidator)
        _installed = True
