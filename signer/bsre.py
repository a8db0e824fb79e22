"""Whole-document signing by BSrE's eSign API (Balai Besar Sertifikasi Elektronik).

BSrE has no hash-signing endpoint: the whole PDF goes to the service with the signer's NIK (or
e-mail) and passphrase (or TOTP), and comes back signed, without long-term validation data.
:class:`BsreKeySource` is a :class:`~signer.keys.KeySource` whose unlocked key carries a
:class:`BsreDocumentSigner`; :class:`signer.sign.BatchSigner` then sends each document through
it, checks the answer (:func:`signer.remote_pdf.check_service_result`: our bytes plus one
signature by the expected certificate, nothing else changed) and adds the DSS and the document
timestamp itself (B-LTA).

The wire format sits behind :class:`BsreTransport`: :class:`BsreV2Transport` speaks
``POST /api/v2/sign/pdf`` (JSON, base64 file arrays, several files per request) and
``/api/v2/user/check/status``; :class:`BsreV1Transport` speaks the older multipart
``POST /api/sign/pdf`` (one file per request).

Batches: documents signed at the same time go together, ``files_per_request`` per request, at
most ``max_concurrency`` requests at once; the passphrase is given once for the batch and kept
in memory only. A request is retried only when it surely was not applied (the connection was
never made, or the service said 429/503 before reading it); a timeout after sending is not
retried (the service may have signed: the decree's number stays reserved and the next run signs
it again). A wrong passphrase (2031) or an unregistered signer (2011) stops the batch: no
further request is made.
"""

from __future__ import annotations

import base64
import queue
import threading
import time
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from asn1crypto import x509

from .errors import KeyUnlockError, SigningError
from .keys import UnlockedKey, load_certificate

__all__ = [
    "BSRE_MESSAGES",
    "BsreDocumentSigner",
    "BsreError",
    "BsreIdentity",
    "BsreKeySource",
    "BsreTransport",
    "BsreV1Transport",
    "BsreV2Transport",
    "SignatureProperties",
]

#: BSrE status codes said in Bahasa Indonesia. BSrE publishes no error table; where each code
#: comes from (public clients of the API, found in the code index of this project's library):
#:
#: - 2011 (signer not registered) and 2031 (wrong passphrase): SOURCED. The body
#:   ``{"status_code": 2011|2031, "error": ...}`` and the meanings "User tidak terdaftar" /
#:   "Passphrase Anda salah": ugunNet21/laravel-crud-iou,
#:   app/Http/Controllers/Tte/DTKSController.php; "Passphrase anda salah" with 2031 and HTTP
#:   400 also in several other public clients. An integration report in the same index
#:   (a Markdown "Phase 1 Sandbox Contract Proof Report", repository not named by the index)
#:   saw ``/api/v2/user/check/status`` answer HTTP 200 with ``status`` NOT_REGISTERED and code
#:   2011 for an unknown identity, and HTTP 401 (no BSrE code) for wrong client credentials.
#: - 2021 (no active certificate): SOURCED by that report only (HTTP 200, ``status``
#:   NO_CERTIFICATE, code 2021, from the status check).
#: - 2032, 2041, 2051, 5001: PLACEHOLDERS chosen by ptsp for the test service
#:   (scripts/bsre_stub.py); no public source shows them. Replace them with BSrE's codes when
#:   its integration documents are at hand.
#:
#: Any other code gets a generic message that names it (:func:`bsre_error`).
BSRE_MESSAGES: dict[int, str] = {
    2011: "Penanda tangan belum terdaftar di layanan BSrE (NIK/e-mail tidak dikenal).",
    2021: "Penanda tangan tidak memiliki sertifikat elektronik yang aktif di BSrE.",
    2031: "Passphrase sertifikat elektronik salah.",
    2032: "Kode TOTP salah atau sudah kedaluwarsa.",  # placeholder code
    2041: "Dokumen PDF tidak dapat dibaca oleh layanan BSrE.",  # placeholder code
    2051: "Parameter tampilan tanda tangan (signatureProperties) tidak sah.",  # placeholder
    5001: "Terjadi kesalahan di server BSrE; coba lagi nanti.",  # placeholder code
}
#: Codes that stop the batch: every further request would fail the same way (and repeated
#: wrong passphrases can lock the signer's certificate).
STOP_CODES = frozenset({2011, 2021, 2031, 2032})
#: ...and of those, the ones about the signer's identity or secret (an unlock failure)
_UNLOCK_CODES = frozenset({2011, 2021, 2031, 2032})
#: the account statuses of ``/api/v2/user/check/status`` with which signing can work
_ACTIVE = frozenset({"ISSUE"})
#: HTTP 401: BSrE answers wrong client credentials with a plain HTTP 401 (no status code)
CLIENT_REFUSED = ("Kredensial aplikasi (client ID/secret, HTTP Basic) ditolak oleh layanan "
                  "BSrE (HTTP 401): periksa variabel lingkungan yang dinamai profil kantor.")


class BsreError(SigningError):
    """The BSrE service refused a request; ``code`` is its status code (0: no answer)."""

    def __init__(self, message: str, *, code: int = 0, stops_batch: bool = False,
                 applied_unknown: bool = False) -> None:
        super().__init__(message)
        self.code = code
        self.stops_batch = stops_batch
        #: the request may have been carried out (a timeout after sending): not retried
        self.applied_unknown = applied_unknown


class BsreUnlockError(BsreError, KeyUnlockError):
    """Wrong passphrase/TOTP or unknown signer: the batch stops before further requests."""


def bsre_error(code: int, detail: str = "") -> BsreError:
    """BSrE's ``status_code`` as an error with an Indonesian message (unknown codes: a
    generic one that names the code)."""
    text = BSRE_MESSAGES.get(code, f"Layanan BSrE menolak permintaan dengan kode {code} "
                                   "yang tidak dikenal ptsp.")
    msg = f"BSrE {code}: {text}" + (f" ({detail})" if detail else "")
    if code in _UNLOCK_CODES:
        return BsreUnlockError(msg, code=code, stops_batch=True)
    return BsreError(msg, code=code, stops_batch=code in STOP_CODES)


class _NotSent(Exception):
    """The request surely was not applied (no connection, or 429/503): safe to retry."""


@dataclass(frozen=True)
class BsreIdentity:
    """Who signs: NIK or e-mail, and passphrase or TOTP (never shown in ``repr``)."""

    nik: str = ""
    email: str = ""
    passphrase: str = field(default="", repr=False)
    totp: str = field(default="", repr=False)

    def as_json(self) -> dict[str, str]:
        out = {"nik": self.nik} if self.nik else {"email": self.email}
        out.update({"passphrase": self.passphrase} if self.passphrase else {"totp": self.totp})
        return out


@dataclass(frozen=True)
class SignatureProperties:
    """Where and how the service places its signature (v2 ``signatureProperties`` entry)."""

    page: int  # 1-based, as the API counts
    box: tuple[float, float, float, float] | None
    reason: str
    location: str

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"tampilan": "INVISIBLE", "page": self.page,
                               "reason": self.reason, "location": self.location}
        if self.box is not None:
            x1, y1, x2, y2 = self.box
            out.update({"originX": x1, "originY": y1, "width": x2 - x1, "height": y2 - y1})
        return out


class BsreTransport(Protocol):
    """One wire format of the BSrE API."""

    #: the most files one request may carry
    max_files: int

    def check_status(self, identity: BsreIdentity) -> dict[str, Any]:
        """Ask whether the signer is registered and active; raise :class:`BsreError`."""
        ...

    def sign(self, identity: BsreIdentity, files: Sequence[bytes],
             props: Sequence[SignatureProperties]) -> list[bytes]:
        """Sign ``files``; return them signed, in order. Raise :class:`BsreError`, or
        ``_NotSent`` when the request surely was not applied."""
        ...

    def close(self) -> None:
        ...


class _HttpTransport:
    def __init__(self, base_url: str, client_id: str, client_secret: str, *,
                 timeout: float = 60.0) -> None:
        import httpx

        self.base_url = base_url.rstrip("/")
        self._client = httpx.Client(base_url=self.base_url, auth=(client_id, client_secret),
                                    timeout=httpx.Timeout(timeout, connect=10.0))

    def close(self) -> None:
        self._client.close()

    def _request(self, method: str, path: str, **kw: Any) -> Any:
        import httpx

        try:
            resp = self._client.request(method, path, **kw)
        except (httpx.ConnectError, httpx.ConnectTimeout) as e:
            raise _NotSent(f"cannot connect to {self.base_url}: {e}") from e
        except httpx.TimeoutException as e:
            raise BsreError(
                f"Layanan BSrE tidak menjawab dalam batas waktu ({path}); tidak diketahui "
                "apakah dokumen sudah ditandatangani. Nomor tetap dicadangkan; ulangi "
                "penandatanganan.", applied_unknown=True) from e
        except httpx.HTTPError as e:
            raise BsreError(f"Gagal menghubungi layanan BSrE ({path}): {e}",
                            applied_unknown=True) from e
        if resp.status_code in (429, 503):
            raise _NotSent(f"{self.base_url}{path}: HTTP {resp.status_code}")
        if resp.status_code == 401:
            raise BsreUnlockError(CLIENT_REFUSED, code=401, stops_batch=True)
        return resp

    @staticmethod
    def _error_of(resp: Any) -> BsreError:
        try:
            body = resp.json()
            code = int(body.get("status_code") or 0)
            detail = str(body.get("error") or "")
        except Exception:  # noqa: BLE001 - not JSON: say the HTTP status
            code, detail = 0, f"HTTP {resp.status_code}"
        if code:
            return bsre_error(code, detail)
        return BsreError(f"Layanan BSrE menjawab dengan kesalahan: {detail}",
                         applied_unknown=resp.status_code >= 500)


def _active_or_raise(resp: Any) -> dict[str, Any]:
    """The status check answers HTTP 200 also for an unknown signer (``status``
    NOT_REGISTERED, code 2011) or one without a certificate (NO_CERTIFICATE, 2021)."""
    try:
        body = dict(resp.json())
    except Exception as e:  # noqa: BLE001 - not JSON
        raise BsreError(f"Jawaban pemeriksaan status BSrE tidak dapat dibaca: {e}") from e
    status = str(body.get("status") or "")
    if status in _ACTIVE:
        return body
    try:
        code = int(body.get("status_code") or 0)
    except (TypeError, ValueError):
        code = 0
    detail = status or str(body.get("message") or body.get("error") or "")
    if code:
        raise bsre_error(code, detail)
    raise BsreUnlockError(f"Akun penanda tangan di BSrE tidak aktif (status {detail!r}).",
                          stops_batch=True)


class BsreV2Transport(_HttpTransport):
    """``POST /api/v2/sign/pdf`` (JSON, base64 arrays) and ``/api/v2/user/check/status``."""

    def __init__(self, base_url: str, client_id: str, client_secret: str, *,
                 timeout: float = 60.0, max_files: int = 10) -> None:
        super().__init__(base_url, client_id, client_secret, timeout=timeout)
        self.max_files = max_files

    def check_status(self, identity: BsreIdentity) -> dict[str, Any]:
        who = {"nik": identity.nik} if identity.nik else {"email": identity.email}
        resp = self._request("POST", "/api/v2/user/check/status", json=who)
        if resp.status_code != 200:
            raise self._error_of(resp)
        return _active_or_raise(resp)

    def sign(self, identity: BsreIdentity, files: Sequence[bytes],
             props: Sequence[SignatureProperties]) -> list[bytes]:
        body = {**identity.as_json(), "signatureProperties": [p.as_json() for p in props],
                "file": [base64.b64encode(f).decode("ascii") for f in files]}
        resp = self._request("POST", "/api/v2/sign/pdf", json=body)
        if resp.status_code != 200:
            raise self._error_of(resp)
        try:
            out = [base64.b64decode(f, validate=True) for f in resp.json()["file"]]
        except Exception as e:
            raise BsreError(f"Jawaban layanan BSrE tidak dapat dibaca: {e}") from e
        if len(out) != len(files):
            raise BsreError(f"Layanan BSrE mengembalikan {len(out)} berkas untuk "
                            f"{len(files)} dokumen.")
        return out


class BsreV1Transport(_HttpTransport):
    """The older ``POST /api/sign/pdf`` (multipart, one file per request, PDF bytes back)."""

    max_files = 1

    def check_status(self, identity: BsreIdentity) -> dict[str, Any]:
        resp = self._request("GET", f"/api/user/status/{identity.nik}")
        if resp.status_code != 200:
            raise self._error_of(resp)
        return _active_or_raise(resp)

    def sign(self, identity: BsreIdentity, files: Sequence[bytes],
             props: Sequence[SignatureProperties]) -> list[bytes]:
        out = []
        for f, p in zip(files, props, strict=True):
            form = {"nik": identity.nik, "passphrase": identity.passphrase,
                    "tampilan": "invisible", "page": str(p.page), "reason": p.reason,
                    "location": p.location}
            if p.box is not None:
                x1, y1, x2, y2 = p.box
                form.update({"xAxis": str(x1), "yAxis": str(y1), "width": str(x2 - x1),
                             "height": str(y2 - y1)})
            resp = self._request("POST", "/api/sign/pdf", data=form,
                                 files={"file": ("dokumen.pdf", f, "application/pdf")})
            if resp.status_code != 200:
                raise self._error_of(resp)
            out.append(resp.content)
        return out


@dataclass
class _Job:
    pdf: bytes
    props: SignatureProperties
    future: Future[bytes]


class BsreDocumentSigner:
    """Sends documents to BSrE in batches: callers on many threads each wait for their own.

    ``sign_document`` blocks until the document comes back (or fails). Documents that arrive
    within ``linger`` seconds of each other go in one request, up to the transport's
    ``max_files``; at most ``max_concurrency`` requests run at once.
    """

    def __init__(self, transport: BsreTransport, identity: BsreIdentity, *,
                 max_concurrency: int = 2, linger: float = 0.3, retries: int = 2,
                 retry_wait: float = 1.0) -> None:
        self.transport = transport
        self._identity = identity
        self.max_concurrency = max(1, max_concurrency)
        self.linger = linger
        self.retries = retries
        self.retry_wait = retry_wait
        self._queue: queue.Queue[_Job | None] = queue.Queue()
        self._pool = ThreadPoolExecutor(self.max_concurrency, thread_name_prefix="bsre")
        self._slots = threading.Semaphore(self.max_concurrency)
        self._stopped: BsreError | None = None
        self._first_done = threading.Event()
        self._lock = threading.Lock()
        self.requests = 0
        self._dispatcher = threading.Thread(target=self._dispatch, name="bsre-dispatch",
                                            daemon=True)
        self._dispatcher.start()

    def __repr__(self) -> str:
        return f"BsreDocumentSigner({type(self.transport).__name__}, {self._identity!r})"

    def sign_document(self, pdf: bytes, *, placement: Any, reason: str, location: str,
                      signer_name: str = "") -> bytes:
        if self._stopped is not None:
            raise self._stopped
        if placement is None:
            props = SignatureProperties(1, None, reason, location)
        else:
            props = SignatureProperties(placement.page + 1, tuple(placement.box), reason,
                                        location)
        fut: Future[bytes] = Future()
        self._queue.put(_Job(pdf, props, fut))
        return fut.result()

    @property
    def stopped(self) -> BsreError | None:
        """The error that stopped the batch (wrong passphrase or TOTP, unknown signer, ...),
        or None while requests may still be made."""
        return self._stopped

    def wait_first_answer(self, timeout: float | None = None) -> bool:
        """Wait until the service has answered the first request (True), or ``timeout``
        seconds (False). BSrE has no way to check a passphrase but signing: a caller that
        must tell the signer "wrong passphrase" before it answers him waits for this, then
        looks at :attr:`stopped`."""
        return self._first_done.wait(timeout)

    def close(self) -> None:
        self._queue.put(None)
        self._dispatcher.join(timeout=30)
        self._pool.shutdown(wait=True)
        self.transport.close()

    # -- internals ------------------------------------------------------------------------

    def _dispatch(self) -> None:
        while True:
            job = self._queue.get()
            if job is None:
                return
            batch = [job]
            deadline = time.monotonic() + self.linger
            end = False
            while len(batch) < self.transport.max_files:
                try:
                    nxt = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
                except queue.Empty:
                    break
                if nxt is None:
                    end = True
                    break
                batch.append(nxt)
                deadline = time.monotonic() + self.linger
            if self._stopped is not None:  # no further requests after a wrong passphrase
                for j in batch:
                    j.future.set_exception(self._stopped)
                if end:
                    return
                continue
            self._slots.acquire()
            self._pool.submit(self._send, batch)
            if not self._first_done.is_set():
                # the first request alone: a wrong passphrase shows there, before any other
                # request carries it again
                self._first_done.wait()
            if end:
                return

    def _send(self, batch: list[_Job]) -> None:
        try:
            results = self._send_with_retries(batch)
        except BaseException as e:  # noqa: BLE001 - every waiting caller gets the error
            err = e if isinstance(e, SigningError) else BsreError(str(e))
            if isinstance(err, BsreError) and err.stops_batch:
                with self._lock:
                    self._stopped = self._stopped or err
            for j in batch:
                j.future.set_exception(err)
            return
        finally:
            self._slots.release()
            self._first_done.set()
        for j, r in zip(batch, results, strict=True):
            j.future.set_result(r)

    def _send_with_retries(self, batch: list[_Job]) -> list[bytes]:
        attempt = 0
        while True:
            if self._stopped is not None:  # a wrong passphrase elsewhere: do not send
                raise self._stopped
            try:
                with self._lock:
                    self.requests += 1
                return self.transport.sign(self._identity, [j.pdf for j in batch],
                                           [j.props for j in batch])
            except _NotSent as e:
                attempt += 1
                if attempt > self.retries:
                    raise BsreError(f"Layanan BSrE tidak dapat dihubungi: {e}") from e
                time.sleep(self.retry_wait * attempt)


class BsreKeySource:
    """The signer's BSrE account, as a key source.

    :param transport: the wire format and endpoint (:class:`BsreV2Transport`, ...).
    :param identity: NIK/e-mail and passphrase/TOTP for the whole batch.
    :param certificate: the signer's certificate as BSrE issued it (PEM/DER file): the
        delegation is checked against it, and every returned signature must be by it.
    :param chain: its CA certificates, for the DSS.
    """

    def __init__(self, transport: BsreTransport, identity: BsreIdentity, certificate: Path,
                 chain: Sequence[Path] = (), *, max_concurrency: int = 2,
                 linger: float = 0.3) -> None:
        self.transport = transport
        self.identity = identity
        self.certificate = Path(certificate)
        self.chain = tuple(Path(p) for p in chain)
        self.max_concurrency = max_concurrency
        self.linger = linger

    def __repr__(self) -> str:
        return f"BsreKeySource({type(self.transport).__name__}, {self.identity!r})"

    def unlock(self) -> UnlockedKey:
        try:
            cert: x509.Certificate = load_certificate(self.certificate)
            chain = [load_certificate(p) for p in self.chain]
        except (OSError, ValueError) as e:
            raise KeyUnlockError(f"cannot read the BSrE signer's certificate: {e}") from e
        try:
            self.transport.check_status(self.identity)
        except BsreError as e:
            self.transport.close()
            if isinstance(e, KeyUnlockError):
                raise
            raise KeyUnlockError(str(e)) from e
        except _NotSent as e:
            self.transport.close()
            raise KeyUnlockError(f"Layanan BSrE tidak dapat dihubungi: {e}") from e
        doc_signer = BsreDocumentSigner(self.transport, self.identity,
                                        max_concurrency=self.max_concurrency,
                                        linger=self.linger)
        return UnlockedKey(
            _NoDigestSigner.make(cert, chain), cert, chain, on_close=doc_signer.close,
            concurrency=self.transport.max_files * doc_signer.max_concurrency,
            document_signer=doc_signer)


class _NoDigestSigner:
    """The pyHanko signer slot of a BSrE key: BSrE signs documents, never digests."""

    @staticmethod
    def make(cert: x509.Certificate, chain: Sequence[x509.Certificate]) -> Any:
        from pyhanko.sign.signers.pdf_cms import Signer
        from pyhanko_certvalidator.registry import SimpleCertificateStore

        class NoDigest(Signer):
            async def async_sign_raw(self, data: bytes, digest_algorithm: str,
                                     dry_run: bool = False) -> bytes:
                raise SigningError("a BSrE key signs whole documents, not digests")

        store = SimpleCertificateStore()
        store.register_multiple([cert, *chain])
        return NoDigest(signing_cert=cert, cert_registry=store)
