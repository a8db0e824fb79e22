"""What signing gives back, and the one computation of a signed revision's digest.

:meth:`signer.sign.BatchSigner.sign` returns a :class:`SignedPdf`: the signed file with its
SHA-256 and the SHA-256 of the revision the approval signature covers. The latter stays the same
when validation data or document timestamps are appended later (B-LT, B-LTA), so a registry
that keeps it still recognises the file after such an update. Validation
(:mod:`signer.validate`) and ptsp's verification hash that revision with
:func:`revision_sha256` too.
"""

from __future__ import annotations

import hashlib
import re

_BYTE_RANGE = re.compile(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]")


def revision_sha256(data: bytes, end: int) -> str | None:
    """SHA-256 of ``data[:end]``, the revision a signature covers (``end`` is the offset just
    past its byte range); None when ``end`` is not inside ``data``."""
    return hashlib.sha256(data[:end]).hexdigest() if 0 < end <= len(data) else None


def first_signature_end(data: bytes, after: int) -> int:
    """The end of the byte range of the first signature dictionary written at or after offset
    ``after`` (the length of the unsigned original); 0 when there is none."""
    m = _BYTE_RANGE.search(data, after)
    return int(m.group(3)) + int(m.group(4)) if m else 0


class SignedPdf(bytes):
    """A signed PDF: its bytes (this object is the file, so it writes and compares as bytes),
    ``sha256`` of the whole file and ``signed_revision_sha256`` of the revision the new
    signature covers (None if that cannot be found)."""

    sha256: str
    signed_revision_sha256: str | None

    def __new__(cls, data: bytes, original_length: int) -> SignedPdf:
        self = super().__new__(cls, data)
        self.sha256 = hashlib.sha256(data).hexdigest()
        self.signed_revision_sha256 = revision_sha256(data,
                                                      first_signature_end(data, original_length))
        return self

    @property
    def data(self) -> bytes:
        """The file as plain bytes."""
        return bytes(self)

    def __repr__(self) -> str:
        return f"SignedPdf({len(self)} bytes, sha256={self.sha256[:12]}...)"

    def __reduce__(self) -> tuple[object, tuple[bytes, str, str | None]]:  # pickle, copy
        return _rebuild, (bytes(self), self.sha256, self.signed_revision_sha256)


def _rebuild(data: bytes, sha256: str, signed_revision_sha256: str | None) -> SignedPdf:
    obj = bytes.__new__(SignedPdf, data)
    obj.sha256, obj.signed_revision_sha256 = sha256, signed_revision_sha256
    return obj
