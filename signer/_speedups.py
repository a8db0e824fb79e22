"""Two hot spots of validation in pure Python, made fast without changing their results.

Installed once by :mod:`signer.validate` (:func:`install`):

* pyHanko reads a PDF hex string (a signature's ``/Contents``, 16-32 kB of hex) one byte at a
  time through a generator: about a fifth of the CPU of checking a decree. The fast path reads
  up to the closing ``>`` at once; whenever the string holds anything but hex digits and PDF
  white space (a comment, a bad token, no end), it rewinds and calls pyHanko's own function, so
  every result and every error stays pyHanko's.
* asn1crypto prepares every name attribute for comparison (RFC 4518 string preparation) per
  parsed certificate; each decree brings fresh copies of the same names. The preparation is a
  pure function of the string: it is memoised (bounded).

``tests/unit/test_signer_speedups.py`` checks both against the originals.
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
        _installed = True
