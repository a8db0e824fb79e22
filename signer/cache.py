"""What repeats across the decrees of one office, parsed once: a bounded cache.

Every decree of an office carries the same chain, the same TSA certificate and, within a batch,
the same OCSP responses and CRLs. :class:`ValidationCache` keeps the parsed objects keyed by the
SHA-256 of their bytes (so two different byte strings never share an entry), and the outcome of
certificate path validations keyed by everything that outcome depends on (see
:mod:`signer.validate`). It never holds a verdict on a document.

Memory is bounded: entries are charged by the size of their bytes (times a factor for the parsed
form) and the least recently used go first. Thread-safe.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from asn1crypto import crl, ocsp
from asn1crypto import x509 as asn1_x509

__all__ = ["ValidationCache", "default_cache"]

T = TypeVar("T")

_PARSED_FACTOR = 4
"""Rough memory of a parsed asn1crypto object per byte of its DER."""


class ValidationCache:
    """Parsed certificates, OCSP responses, CRLs and trust roots, and path outcomes.

    ``max_bytes`` bounds the memory charged to entries (default 32 MB); ``max_entries`` bounds
    their number. ``hits`` / ``misses`` count lookups, for benchmarks and tests.
    """

    def __init__(self, max_bytes: int = 32 * 1024 * 1024, max_entries: int = 20_000) -> None:
        self.max_bytes = max_bytes
        self.max_entries = max_entries
        self._entries: OrderedDict[tuple[str, bytes], tuple[Any, int]] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def size(self) -> int:
        """Bytes currently charged to entries."""
        return self._size

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._size = 0

    def get(self, kind: str, key: bytes) -> Any:
        """The entry ``(kind, key)``, or ``None``."""
        with self._lock:
            hit = self._entries.get((kind, key))
            if hit is None:
                self.misses += 1
                return None
            self._entries.move_to_end((kind, key))
            self.hits += 1
            return hit[0]

    def put(self, kind: str, key: bytes, value: Any, cost: int) -> None:
        """Keep ``value`` under ``(kind, key)``, charged ``cost`` bytes; evict what is oldest."""
        if cost > self.max_bytes:
            return
        with self._lock:
            old = self._entries.pop((kind, key), None)
            if old is not None:
                self._size -= old[1]
            self._entries[(kind, key)] = (value, cost)
            self._size += cost
            while self._size > self.max_bytes or len(self._entries) > self.max_entries:
                _, (_, c) = self._entries.popitem(last=False)
                self._size -= c

    def _parsed(self, kind: str, der: bytes, load: Callable[[bytes], T]) -> T:
        key = hashlib.sha256(der).digest()
        found = self.get(kind, key)
        if found is not None:
            return found  # type: ignore[no-any-return]
        value = load(der)
        self.put(kind, key, value, len(der) * _PARSED_FACTOR + 200)
        return value

    def certificate(self, der: bytes) -> asn1_x509.Certificate:
        """The certificate whose DER is ``der`` (parsed once)."""
        return self._parsed("cert", der, asn1_x509.Certificate.load)

    def ocsp_response(self, der: bytes) -> ocsp.OCSPResponse:
        return self._parsed("ocsp", der, ocsp.OCSPResponse.load)

    def crl(self, der: bytes) -> crl.CertificateList:
        return self._parsed("crl", der, crl.CertificateList.load)

    def root(self, path: Path) -> asn1_x509.Certificate:
        """A trust root read from ``path`` (PEM or DER): the file is read every time, the
        certificate parsed once per distinct content."""
        from asn1crypto import pem

        data = Path(path).read_bytes()
        if pem.detect(data):
            _, _, data = pem.unarmor(data)
        return self.certificate(data)


_DEFAULT: ValidationCache | None = None
_DEFAULT_LOCK = threading.Lock()


def default_cache() -> ValidationCache:
    """The process-wide cache (created on first use)."""
    global _DEFAULT
    with _DEFAULT_LOCK:
        if _DEFAULT is None:
            _DEFAULT = ValidationCache()
        return _DEFAULT
