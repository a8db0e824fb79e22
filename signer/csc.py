"""Remote hash signing through a Cloud Signature Consortium (CSC API v1) service.

Only hashes leave the office: pyHanko builds the PAdES signature here and sends the digest of
its signed attributes to ``signatures/signHash``; the key stays in the service.

:class:`CscKeySource` is a :class:`~signer.keys.KeySource`: ``unlock()`` reads the credential
(certificate and chain, ``credentials/info``) and authorises the whole batch once
(``credentials/authorize`` with the PIN/OTP the user gave once). The returned key's pyHanko
signer is pyHanko's own ``CSCSigner`` with its batching: digests of documents that are signed
at the same time are sent together, ``batch_size`` per ``signHash`` request. The HTTP client
runs on an event loop of its own (a thread), so any caller, from any loop or thread, can use
the key; :class:`signer.sign.BatchSigner` signs up to ``batch_size`` documents at once with
such a key (``UnlockedKey.concurrency``).

A partly filled batch is sent when no new digest has arrived for ``linger`` seconds (the end
of a batch of decrees, or a pause in it).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from .errors import KeyUnlockError
from .keys import UnlockedKey

__all__ = ["CscKeySource"]

T = TypeVar("T")


class _ServiceLoop:
    """An asyncio loop on a daemon thread: where the service's HTTP session lives."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="csc-client",
                                        daemon=True)
        self._thread.start()

    def run(self, coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def stop(self) -> None:
        if self.loop.is_closed():
            return
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=10)
        self.loop.close()


def _describe_http(e: BaseException) -> str:
    status = getattr(e, "status", None)
    text = str(e).strip() or type(e).__name__
    return f"HTTP {status}: {text}" if status else text


def _auth_manager_class() -> Any:
    import aiohttp
    from pyhanko.sign.signers.csc_signer import CSCAuthorizationInfo, CSCAuthorizationManager

    class BatchAuthorization(CSCAuthorizationManager):
        """One PIN/OTP entry for the whole batch.

        A service that does not pin the SAD to hashes (SCAL 1) is authorised once, for
        ``max_signatures`` signatures, when the key is unlocked; that SAD serves every
        ``signHash`` request until it is used up or expires. A service that pins (SCAL 2) is
        asked per request, with that request's hashes and the PIN/OTP held in memory.
        """

        def __init__(self, session_info: Any, credential_info: Any, session: Any, *,
                     pin: str | None, otp: str | None, max_signatures: int,
                     timeout: float) -> None:
            super().__init__(session_info, credential_info)
            self._session = session
            self._pin, self._otp = pin, otp
            self._max = max_signatures
            self._timeout = timeout
            self._sad: CSCAuthorizationInfo | None = None
            self._left = 0
            self.authorize_calls = 0

        async def authorize(self, hashes: list[str] | None) -> CSCAuthorizationInfo:
            body = self.format_csc_auth_request(
                num_signatures=self._max if hashes is None else len(hashes),
                pin=self._pin, otp=self._otp, hash_b64s=hashes,
                description="ptsp: penandatanganan keputusan perizinan")
            url = self.csc_session_info.endpoint_url("credentials/authorize")
            self.authorize_calls += 1
            async with self._session.post(
                    url, headers=self.auth_headers, json=body, raise_for_status=True,
                    timeout=aiohttp.ClientTimeout(total=self._timeout)) as resp:
                return self.parse_csc_auth_response(await resp.json())

        async def prefetch(self) -> None:
            if not self.credential_info.hash_pinning_required:
                self._sad = await self.authorize(None)
                self._left = self._max

        async def authorize_signature(self, hash_b64s: list[str]) -> CSCAuthorizationInfo:
            from datetime import datetime, timedelta

            if self.credential_info.hash_pinning_required:
                return await self.authorize(hash_b64s)
            sad = self._sad
            fresh = sad is not None and (
                sad.expires_at is None
                or sad.expires_at - timedelta(seconds=30) > datetime.now(sad.expires_at.tzinfo))
            if sad is None or not fresh or self._left < len(hash_b64s):
                sad = self._sad = await self.authorize(None)
                self._left = self._max
            self._left -= len(hash_b64s)
            return sad

    return BatchAuthorization


def _signer_class() -> Any:
    from pyhanko.sign.signers.csc_signer import CSCSigner

    class LingeringCscSigner(CSCSigner):
        """pyHanko's CSCSigner, driven on the service loop from any caller loop; a partial
        batch goes out after ``linger`` seconds without a new digest."""

        def __init__(self, *args: Any, service: _ServiceLoop, linger: float,
                     **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._service = service
            self._linger = linger
            self._timer: asyncio.TimerHandle | None = None
            self._started = 0.0
            self.sign_requests = 0
            #: documents being signed with this key right now (set by the caller, e.g.
            #: BatchSigner): a partial batch waits while some of them may still join it
            self.in_flight: Callable[[], int] = lambda: 0
            self.max_hold = max(5.0, 20 * linger)

        async def async_sign_raw(self, data: bytes, digest_algorithm: str,
                                 dry_run: bool = False) -> bytes:
            if dry_run:
                return bytes(self.est_raw_signature_size)
            fut = asyncio.run_coroutine_threadsafe(
                self._sign_on_service_loop(data, digest_algorithm), self._service.loop)
            return await asyncio.wrap_future(fut)

        async def _sign_on_service_loop(self, data: bytes, digest_algorithm: str) -> bytes:
            if self._current_batch is None or self._current_batch.initiated:
                self._started = time.monotonic()
            self._arm()
            return await CSCSigner.async_sign_raw(self, data, digest_algorithm)

        def _arm(self) -> None:
            """(Re)start the linger timer."""
            if self._timer is not None:
                self._timer.cancel()
            loop = asyncio.get_running_loop()
            self._timer = loop.call_later(
                self._linger, lambda: loop.create_task(self._commit_quietly()))

        async def _commit_quietly(self) -> None:
            batch = self._current_batch
            if batch is None:
                return
            if batch.initiated:
                # a full batch is on its way; digests that came meanwhile wait to join the
                # next one: give them the linger time again once this one is back
                await batch.notifier.wait()
                self._arm()
                return
            if (len(batch.b64_hashes) < self.in_flight()
                    and time.monotonic() - self._started < self.max_hold):
                # documents still on their way to this batch (being prepared, or finishing
                # after the previous one): wait for them rather than send a partial batch
                self._arm()
                return
            try:
                await self.commit()
            except Exception:  # noqa: BLE001 - the waiting signers raise it themselves
                pass

        async def _do_commit(self, batch: Any) -> None:
            self.sign_requests += 1
            await super()._do_commit(batch)

    return LingeringCscSigner


class CscKeySource:
    """A key held by a CSC API v1 signing service.

    :param service_url: the part of the URL before ``/csc/v1/...``.
    :param credential_id: the credential (key and certificate) to sign with.
    :param pin: the PIN for ``credentials/authorize`` (kept in memory for the batch only).
    :param otp: or a one-time password.
    :param oauth_token: a bearer token, when the service wants one.
    :param batch_size: digests per ``signatures/signHash`` request (capped by the
        credential's ``multisign``).
    :param max_signatures: signatures authorised at once (SCAL 1 services).
    :param timeout: seconds for each request to the service.
    :param linger: seconds without a new digest after which a partial batch is sent.
    """

    def __init__(self, service_url: str, credential_id: str, *, pin: str | None = None,
                 otp: str | None = None, oauth_token: str | None = None,
                 batch_size: int = 10, max_signatures: int = 10000, timeout: float = 60.0,
                 linger: float = 0.3) -> None:
        if batch_size < 1:
            raise KeyUnlockError("batch_size must be at least 1")
        self.service_url = service_url.rstrip("/")
        self.credential_id = credential_id
        self.batch_size = batch_size
        self.max_signatures = max_signatures
        self.timeout = timeout
        self.linger = linger
        self._pin, self._otp, self._token = pin or None, otp or None, oauth_token or None

    def __repr__(self) -> str:  # never the PIN, OTP or token
        return (f"CscKeySource(service_url={self.service_url!r}, "
                f"credential_id={self.credential_id!r}, batch_size={self.batch_size})")

    def unlock(self) -> UnlockedKey:
        service = _ServiceLoop()
        try:
            signer, info = service.run(self._open(service), timeout=self.timeout * 3)
        except KeyUnlockError:
            service.stop()
            raise
        except Exception as e:
            service.stop()
            raise KeyUnlockError(f"CSC service {self.service_url}: {_describe_http(e)}") from e

        def close() -> None:
            try:
                service.run(signer.session.close(), timeout=10)
            finally:
                service.stop()

        return UnlockedKey(signer, info.signing_cert, info.chain, on_close=close,
                           concurrency=signer.batch_size)

    async def _open(self, service: _ServiceLoop) -> tuple[Any, Any]:
        import aiohttp
        from pyhanko.sign.signers.csc_signer import (
            CSCServiceSessionInfo,
            fetch_certs_in_csc_credential,
        )

        session = aiohttp.ClientSession()
        try:
            session_info = CSCServiceSessionInfo(self.service_url, self.credential_id,
                                                 oauth_token=self._token)
            try:
                info = await fetch_certs_in_csc_credential(session, session_info,
                                                           timeout=int(self.timeout))
            except Exception as e:
                raise KeyUnlockError(
                    f"CSC service {self.service_url}: cannot read credential "
                    f"{self.credential_id!r}: {_describe_http(e.__cause__ or e)}") from e
            auth = _auth_manager_class()(
                session_info, info, session, pin=self._pin, otp=self._otp,
                max_signatures=self.max_signatures, timeout=self.timeout)
            try:
                await auth.prefetch()
            except aiohttp.ClientResponseError as e:
                if e.status in (400, 401, 403):
                    raise KeyUnlockError(
                        f"CSC service {self.service_url} refused to authorise credential "
                        f"{self.credential_id!r} (HTTP {e.status}): wrong PIN/OTP?") from e
                raise
            batch = max(1, min(self.batch_size, info.max_batch_size or self.batch_size))
            signer = _signer_class()(
                session, auth, sign_timeout=int(self.timeout), batch_size=batch,
                batch_autocommit=True, service=service, linger=self.linger)
            return signer, info
        except BaseException:
            await session.close()
            raise


def sign_requests(key: UnlockedKey) -> int:
    """How many ``signHash`` requests this key has made (for reports and tests)."""
    return int(getattr(key.pyhanko_signer, "sign_requests", 0))
