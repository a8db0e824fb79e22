"""The portal's verification queue and the 10 MB cap enforced while reading (chunked uploads,
lying Content-Length)."""

from __future__ import annotations

import asyncio

import pytest
from fastapi.testclient import TestClient

from ptsp.profile import load_profile
from ptsp.web import create_app
from ptsp.web.limits import Busy, VerifyGate
from tests.ptsp_support import write_profile


class FakeRequest:
    """Just enough of a Starlette request for the gate: a body stream."""

    def __init__(self, chunks: int = 3) -> None:
        self.read = 0
        self._chunks = chunks

    async def stream(self):
        for _ in range(self._chunks):
            self.read += 1
            yield b"x" * 10


def test_gate_bounds_running_and_waiting():
    async def main() -> tuple[list[str], int]:
        gate = VerifyGate(slots=1, queue=1, wait=5)
        release = asyncio.Event()
        log: list[str] = []

        async def one(name: str) -> None:
            req = FakeRequest()
            try:
                async with gate.admit(req):  # type: ignore[arg-type]
                    log.append(f"{name} in")
                    await release.wait()
            except Busy as b:
                assert req.read == 3  # the rejected body was drained, not left unread
                log.append(f"{name} busy {b.retry_after}")

        tasks = [asyncio.create_task(one(n)) for n in "abc"]
        await asyncio.sleep(0.05)
        assert gate.admitted == 2
        release.set()
        await asyncio.gather(*tasks)
        return log, gate.admitted

    log, left = asyncio.run(main())
    assert log.index("a in") < log.index("b in")  # b waited for a's slot
    assert [x for x in log if "busy" in x] == ["c busy 1"]  # c found the queue full
    assert left == 0


def test_gate_times_out_waiters():
    async def main() -> str:
        gate = VerifyGate(slots=1, queue=5, wait=0.1)
        hold = asyncio.Event()

        async def holder() -> None:
            async with gate.admit(FakeRequest()):  # type: ignore[arg-type]
                await hold.wait()

        t = asyncio.create_task(holder())
        await asyncio.sleep(0.01)
        try:
            async with gate.admit(FakeRequest()):  # type: ignore[arg-type]
                return "admitted"
        except Busy:
            return "busy"
        finally:
            hold.set()
            await t

    assert asyncio.run(main()) == "busy"


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    profile = load_profile(write_profile(tmp_path_factory.mktemp("lim")))

    def no_registry():
        raise RuntimeError("not needed")

    with TestClient(create_app(profile, no_registry)) as c:
        yield c


def chunks(total: int, size: int = 1 << 20):
    sent = 0
    while sent < total:
        n = min(size, total - sent)
        sent += n
        yield b"%PDF-" if sent == n else b"0" * n


@pytest.mark.parametrize("path", ["/api/v1/verify", "/periksa"])
def test_chunked_upload_over_the_cap_is_refused_while_reading(client, path):
    # no Content-Length (chunked transfer): only counting while reading can catch it
    r = client.post(path, content=chunks(12 * 1024 * 1024),
                    headers={"content-type": "application/pdf"})
    assert r.status_code == 413
    body = (b"--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.pdf\"\r\n"
            b"Content-Type: application/pdf\r\n\r\n")

    def multipart():
        yield body
        yield from chunks(11 * 1024 * 1024)
        yield b"\r\n--XyZ--\r\n"

    r = client.post(path, content=multipart(),
                    headers={"content-type": "multipart/form-data; boundary=XyZ"})
    assert r.status_code == 413


def test_a_lying_content_length_does_not_help(client):
    r = client.post("/api/v1/verify", content=b"%PDF-" + b"0" * (11 * 1024 * 1024),
                    headers={"content-type": "application/pdf", "content-length": "100"})
    assert r.status_code in (400, 413)
