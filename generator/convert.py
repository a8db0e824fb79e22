"""DOCX -> PDF conversion with a pool of warm LibreOffice processes.

Each instance is one ``soffice`` with its own user profile, driven over UNO by a small worker
(``uno_worker.py``) that runs under the system Python where the ``uno`` module lives. The pool
restarts an instance after ``max_docs`` conversions or when its memory passes ``max_rss_mb``,
kills and retries a conversion that hangs past ``timeout``, and replaces an instance that dies.
"""

from __future__ import annotations

import itertools
import os
import queue
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Protocol

from .errors import ConversionError

WORKER = Path(__file__).with_name("uno_worker.py")


class Converter(Protocol):
    """Turns DOCX bytes into PDF bytes. ``close`` releases whatever it started."""

    def convert(self, docx: bytes, name: str = "document") -> bytes: ...

    def close(self) -> None: ...


def default_size() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
               else (os.cpu_count() or 1))


@dataclass(frozen=True)
class PoolSettings:
    size: int = field(default_factory=default_size)
    timeout: float = 60.0
    start_timeout: float = 90.0
    max_docs: int = 300
    max_rss_mb: int = 900
    pdfa: bool = True
    python: str = "/usr/bin/python3"
    soffice: str = "soffice"


@dataclass
class PoolStats:
    conversions: int = 0
    restarts: int = 0
    timeouts: int = 0
    crashes: int = 0
    retries: int = 0


class _Instance:
    """One soffice process and the UNO worker that drives it."""

    _ids = itertools.count(1)

    def __init__(self, settings: PoolSettings, workdir: Path) -> None:
        self.settings = settings
        self.id = next(self._ids)
        self.workdir = workdir
        self._lock_file: IO[str] | None = None
        self.profile = self._claim_profile()
        self.scratch = self.profile.with_name(self.profile.name.replace("profile", "scratch"))
        self.scratch.mkdir(parents=True, exist_ok=True)
        self.proc: subprocess.Popen[bytes] | None = None
        self._buf = b""
        self.soffice_pid: int | None = None
        self.docs = 0

    def _claim_profile(self) -> Path:
        """A LibreOffice user profile no other live process uses (two instances sharing one
        silently do nothing), kept across runs so later starts are warm."""
        import fcntl

        for k in itertools.count(1):
            lock = open(self.workdir / f"profile-{k}.lock", "w")  # noqa: SIM115 - held for life
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                lock.close()
                continue
            self._lock_file = lock
            return self.workdir / f"profile-{k}"
        raise AssertionError("unreachable")

    def release(self) -> None:
        if self._lock_file is not None:
            self._lock_file.close()
            self._lock_file = None

    def start(self) -> None:
        s = self.settings
        if not Path(s.python).exists():
            raise ConversionError(f"{s.python} not found: install python3 and python3-uno")
        if shutil.which(s.soffice) is None:
            raise ConversionError(
                f"{s.soffice!r} not found: install LibreOffice (Debian: libreoffice-writer-nogui)")
        self._buf = b""
        self.proc = subprocess.Popen(
            [s.python, str(WORKER), s.soffice, self.profile.as_uri(),
             f"ptsp-{os.getpid()}-{uuid.uuid4().hex[:8]}", "1" if s.pdfa else "0"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            bufsize=0, start_new_session=True,
        )
        try:
            hello = self._reply(s.start_timeout)
        except TimeoutError:
            hello = {"ready": False, "error": f"no answer in {s.start_timeout:.0f} s"}
        if hello is None or not hello.get("ready"):
            self.kill()
            why = hello.get("error") if hello else "no answer"
            raise ConversionError(f"LibreOffice did not start ({why}); is python3-uno installed?")
        self.soffice_pid = int(hello["soffice_pid"])
        self.docs = 0

    def _reply(self, timeout: float) -> dict | None:
        """The worker's next JSON line, read on the calling thread (no pump thread: fewer
        hand-offs of the GIL per conversion). None when the worker has gone."""
        import json
        import select

        assert self.proc is not None and self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        deadline = time.monotonic() + timeout
        while b"\n" not in self._buf:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError
            ready, _, _ = select.select([fd], [], [], remaining)
            if not ready:
                raise TimeoutError
            chunk = os.read(fd, 65536)
            if not chunk:
                return None
            self._buf += chunk
        line, _, self._buf = self._buf.partition(b"\n")
        return json.loads(line)

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def rss_mb(self) -> float:
        if self.soffice_pid is None:
            return 0.0
        try:
            with open(f"/proc/{self.soffice_pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1]) / 1024
        except OSError:
            pass
        return 0.0

    def convert(self, docx: bytes, name: str, timeout: float) -> bytes:
        import json

        assert self.proc is not None and self.proc.stdin is not None
        stem = f"{uuid.uuid4().hex}"
        src, dst = self.scratch / f"{stem}.docx", self.scratch / f"{stem}.pdf"
        src.write_bytes(docx)
        try:
            self.proc.stdin.write(
                (json.dumps({"in": str(src), "out": str(dst)}) + "\n").encode())
            reply = self._reply(timeout)
            if reply is None or reply.get("fatal"):
                raise _Crashed("LibreOffice exited during the conversion")
            if not reply.get("ok"):
                raise ConversionError(f"{name}: LibreOffice could not convert it: "
                                      f"{reply.get('error')}")
            self.docs += 1
            data = dst.read_bytes()
            if not data.startswith(b"%PDF-"):
                raise ConversionError(f"{name}: LibreOffice wrote no PDF")
            return data
        except BrokenPipeError:
            raise _Crashed("LibreOffice worker is gone") from None
        finally:
            src.unlink(missing_ok=True)
            dst.unlink(missing_ok=True)

    def kill(self) -> None:
        if self.proc is not None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
            for stream in (self.proc.stdin, self.proc.stdout):
                try:
                    if stream:
                        stream.close()
                except OSError:
                    pass
        if self.soffice_pid is not None:
            try:
                os.kill(self.soffice_pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        self.proc = None
        self.soffice_pid = None

    def stop(self) -> None:
        """Close stdin so the worker ends LibreOffice cleanly; kill what is left."""
        if self.proc is not None and self.proc.stdin is not None:
            try:
                self.proc.stdin.close()
                self.proc.wait(timeout=15)
            except (OSError, subprocess.TimeoutExpired):
                pass
        self.kill()


class _Crashed(Exception):
    pass


class LibreOfficePool:
    """A thread-safe pool of warm LibreOffice instances; ``convert`` may be called from threads."""

    def __init__(self, settings: PoolSettings | None = None, *, workdir: Path | None = None,
                 on_event: Callable[[str], None] | None = None) -> None:
        self.settings = settings or PoolSettings()
        self._own_dir = workdir is None
        base = Path(tempfile.gettempdir() if Path("/dev/shm").is_dir() is False else "/dev/shm")
        self.workdir = Path(workdir) if workdir else Path(tempfile.mkdtemp(prefix="ptsp-lo-",
                                                                         dir=base))
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.stats = PoolStats()
        self._on_event = on_event or (lambda msg: None)
        self._idle: queue.Queue[_Instance] = queue.Queue()
        self._all = [_Instance(self.settings, self.workdir) for _ in range(self.settings.size)]
        for inst in self._all:
            self._idle.put(inst)
        self._closed = False
        self._lock = threading.Lock()

    def __enter__(self) -> LibreOfficePool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self) -> None:
        """Start every instance now (in parallel) instead of on first use."""
        errors: list[BaseException] = []

        def go(inst: _Instance) -> None:
            try:
                if not inst.alive:
                    inst.start()
            except BaseException as e:  # noqa: BLE001 - collected and re-raised below
                errors.append(e)

        threads = [threading.Thread(target=go, args=(i,)) for i in self._all]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if errors:
            raise errors[0]

    @property
    def soffice_pids(self) -> list[int]:
        return [i.soffice_pid for i in self._all if i.soffice_pid is not None]

    def convert(self, docx: bytes, name: str = "document") -> bytes:
        if self._closed:
            raise ConversionError("converter pool is closed")
        inst = self._idle.get()
        try:
            return self._convert_on(inst, docx, name)
        finally:
            self._recycle(inst)
            self._idle.put(inst)

    def _convert_on(self, inst: _Instance, docx: bytes, name: str) -> bytes:
        last: Exception | None = None
        for attempt in (1, 2):
            if not inst.alive:
                if inst.proc is not None or inst.docs:
                    self.stats.crashes += 1
                inst.kill()
                inst.start()
                if attempt == 2 or last is not None:
                    self.stats.restarts += 1
            try:
                data = inst.convert(docx, name, self.settings.timeout)
                with self._lock:
                    self.stats.conversions += 1
                return data
            except TimeoutError:
                self.stats.timeouts += 1
                self._on_event(f"{name}: conversion timed out after "
                               f"{self.settings.timeout:.0f} s; restarting LibreOffice")
                last = ConversionError(f"{name}: conversion timed out after "
                                       f"{self.settings.timeout:.0f} s")
                inst.kill()
            except _Crashed as e:
                self.stats.crashes += 1
                self._on_event(f"{name}: {e}; restarting LibreOffice")
                last = ConversionError(f"{name}: {e}")
                inst.kill()
            if attempt == 1:
                self.stats.retries += 1
        assert last is not None
        raise last

    def _recycle(self, inst: _Instance) -> None:
        s = self.settings
        if inst.alive and (inst.docs >= s.max_docs or inst.rss_mb() > s.max_rss_mb):
            self._on_event(f"recycling LibreOffice instance {inst.id} after {inst.docs} documents")
            inst.stop()
            self.stats.restarts += 1

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        for inst in self._all:
            inst.stop()
            inst.release()
        if self._own_dir:
            shutil.rmtree(self.workdir, ignore_errors=True)
