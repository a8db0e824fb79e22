"""A bounded queue in front of the portal's verifications.

A verification costs about 0.2 s of CPU and holds the upload (up to 10 MB) plus pyHanko's
working copies in memory; 60 concurrent 10 MB uploads once took the server from 259 to 907 MB.
So at most ``slots`` verifications run at once and at most ``queue`` more wait for a slot,
*before their bodies are read* (the server stops reading a waiting client's upload, so a
waiting request costs a connection, not memory). Anything beyond, or waiting longer than
``wait`` seconds, gets 503 with ``Retry-After``. A rejected upload is read to its end and thrown
away (nothing kept), so the client sees the answer instead of a connection reset.

The limits are per server process: with several worker processes multiply them.
"""

from __future__ import annotations

import asyncio
import math
import os
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.requests import ClientDisconnect, Request

__all__ = ["Busy", "VerifyGate", "default_gate"]

_DRAIN_LIMIT = 11 * 1024 * 1024
_DRAIN_SECONDS = 30.0


class Busy(Exception):
    """Too many verifications at once: answer 503 with ``Retry-After: retry_after``."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"busy, retry after {retry_after} s")
        self.retry_after = retry_after


async def drain(request: Request) -> None:
    """Read and discard what is left of the body (bounded in size and time)."""
    seen = 0
    deadline = time.monotonic() + _DRAIN_SECONDS
    try:
        async for chunk in request.stream():
            seen += len(chunk)
            if seen > _DRAIN_LIMIT or time.monotonic() > deadline:
                break
    except (ClientDisconnect, RuntimeError):  # gone, or the stream was already read
        pass


class VerifyGate:
    """At most ``slots`` verifications at once, ``queue`` more waiting at most ``wait`` s."""

    def __init__(self, slots: int, queue: int, wait: float = 20.0) -> None:
        if slots < 1 or queue < 0:
            raise ValueError("slots must be at least 1 and queue at least 0")
        self.slots = slots
        self.queue = queue
        self.wait = wait
        self._sem = asyncio.Semaphore(slots)
        self._admitted = 0  # running + waiting
        self._seconds = 0.5  # moving average of one verification (for Retry-After)
        self.rejected = 0

    @property
    def admitted(self) -> int:
        return self._admitted

    def retry_after(self) -> int:
        """Seconds until the queue has likely drained: whole seconds, at least 1."""
        return max(1, math.ceil(self._admitted * self._seconds / self.slots))

    async def _reject(self, request: Request) -> Busy:
        self.rejected += 1
        busy = Busy(self.retry_after())
        await drain(request)
        return busy

    @asynccontextmanager
    async def admit(self, request: Request) -> AsyncIterator[None]:
        """Hold a verification slot for the body of the ``async with``; raise :class:`Busy`
        when the queue is full or the wait too long."""
        if self._admitted >= self.slots + self.queue:
            raise await self._reject(request)
        self._admitted += 1
        try:
            try:
                await asyncio.wait_for(self._sem.acquire(), self.wait)
            except TimeoutError:
                raise await self._reject(request) from None
            start = time.monotonic()
            try:
                yield
            finally:
                self._sem.release()
                self._seconds = 0.8 * self._seconds + 0.2 * (time.monotonic() - start)
        finally:
            self._admitted -= 1


def _env_int(name: str, default: int) -> int:
    try:
        return int(os.environ.get(name, ""))
    except ValueError:
        return default


def default_gate() -> VerifyGate:
    """Slots: the CPU count (``PTSP_PORTAL_VERIFY_SLOTS``); queue: four per slot
    (``PTSP_PORTAL_VERIFY_QUEUE``)."""
    slots = max(1, _env_int("PTSP_PORTAL_VERIFY_SLOTS", os.cpu_count() or 2))
    return VerifyGate(slots, max(0, _env_int("PTSP_PORTAL_VERIFY_QUEUE", 4 * slots)))
