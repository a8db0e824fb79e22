"""DOCX -> PDF conversion with a pool of warm LibreOffice processes.

Each instance is one ``soffice`` with its own user profile, driven over UNO by a small worker
(``uno_worker.py``) that runs under the system Python where the ``uno`` module lives. The pool
restarts an instance after ``max_docs`` conversions or when its memory passes ``max_rss_mb``,
kills and retries a conversion that hangs past ``timeout``, and replaces an instance that dies.

Each instance is sent up to ``depth`` requests at a time (default 2): while LibreOffice converts
one document the next one already waits in its pipe, so it never idles while the Python side
(busy rendering and signing other decrees) gets round to asking. Without it each instance sat
idle about 13% of a batch. Replies come back in order; each caller reads its own.

LibreOffice runs with jemalloc preloaded when it is installed (``allocator="auto"``): glibc's
malloc and free were about a tenth of its CPU per decree, and with jemalloc a conversion costs
about 10% less CPU at the same memory.
"""

from __future__ import annotations

import glob
import itertools
import os
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
    """Turns DOCX bytes into PDF bytes. ``close`` releases whatever it started.

    A converter may also say how many ``convert`` calls it serves at once (``capacity``), so
    that a caller runs enough threads to keep it busy.
    """

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
    depth: int = 2
    pdfa: bool = True
    python: str = "/usr/bin/python3"
    soffice: str = "soffice"
    # "auto": jemalloc when installed (Debian: libjemalloc2), else the system's malloc;
    # "system": the system's malloc; or the path of an allocator library to preload.
    allocator: str = "auto"


_JEMALLOC = ("/usr/lib/*-linux-gnu/libjemalloc.so.2", "/usr/lib64/libjemalloc.so.2",
             "/usr/lib/libjemalloc.so.2", "/usr/local/lib/libjemalloc.so.2")


def resolve_allocator(allocator: str) -> str | None:
    """The library to preload into LibreOffice for ``PoolSettings.allocator``, or None for
    the system's malloc. A path that does not exist is an error (a typo must not quietly cost
    a tenth of every conversion); "auto" without jemalloc installed is not."""
    if allocator == "system":
        return None
    if allocator == "auto":
        for pattern in _JEMALLOC:
            found = sorted(glob.glob(pattern))
            if found:
                return found[0]
        return None
    if not os.path.isfile(allocator):
        raise ConversionError(f"allocator {allocator!r}: no such library (use \"auto\", "
                              "\"system\" or the path of a shared library)")
    return allocator


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
        # Requests in flight: sent in order, answered in order. ``generation`` changes when
        # the process is killed or replaced: requests of an older generation are lost.
        self.lock = threading.Lock()
        self.turn = threading.Condition(self.lock)
        self.generation = 0
        self.sent = 0
        self.answered = 0
        self.last_answer = 0.0
        self.outstanding = 0  # requests reserved on this instance by callers (pool-locked)
        self.draining = False
        self.crashed = False  # killed after a crash or hang: its next start is a restart

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
        env = dict(os.environ)
        preload = resolve_allocator(s.allocator)
        if preload is not None:
            env["LD_PRELOAD"] = " ".join(x for x in (preload, env.get("LD_PRELOAD")) if x)
        try:
            self.proc = subprocess.Popen(
                [s.python, str(WORKER), s.soffice, self.profile.as_uri(),
                 f"ptsp-{os.getpid()}-{uuid.uuid4().hex[:8]}", "1" if s.pdfa else "0"],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                bufsize=0, start_new_session=True, env=env,
            )
        except OSError as e:
            raise ConversionError(f"cannot start the LibreOffice worker with {s.python}: "
                                  f"{e}") from e
        try:
            hello = self._reply(s.start_timeout)
        except TimeoutError:
            hello = {"ready": False, "error": f"no answer in {s.start_timeout:.0f} s"}
        pid = hello.get("soffice_pid") if hello else None
        if hello is None or not hello.get("ready") or not isinstance(pid, int):
            self.kill()
            why = hello.get("error") if hello else "no answer"
            raise ConversionError(f"LibreOffice did not start ({why}); is python3-uno installed?")
        self.soffice_pid = pid
        self.docs = 0
        self.sent = self.answered = 0
        self.last_answer = 0.0

    def _reply(self, timeout: float) -> dict | None:
        """The worker's next JSON line, read on the calling thread (no pump thread: fewer
        hand-offs of the GIL per conversion). None when the worker has gone or says something
        that is not a JSON object (then it is out of step: the caller replaces it)."""
        import json
        import select

        assert self.proc is not None and self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        deadline = time.monotonic() + timeout
        while b"\n" not in self._buf:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError
            try:
                ready, _, _ = select.select([fd], [], [], remaining)
                chunk = os.read(fd, 65536) if ready else None
            except (OSError, ValueError):  # the pipe was closed under us: the worker is gone
                return None
            if chunk is None:
                raise TimeoutError
            if not chunk:
                return None
            self._buf += chunk
        line, _, self._buf = self._buf.partition(b"\n")
        try:
            reply = json.loads(line)
        except ValueError:  # not JSON (or not UTF-8)
            return None
        return reply if isinstance(reply, dict) else None

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
        """Send one request, wait for the ones sent before it, read its answer.

        Raises ``TimeoutError`` (this document hung: the process has been killed), ``_Crashed``
        (the process died during this document), ``_Lost`` (it was killed or died while another
        document was being converted: this one was never looked at) or ConversionError.
        """
        import json

        stem = uuid.uuid4().hex
        src, dst = self.scratch / f"{stem}.docx", self.scratch / f"{stem}.pdf"
        try:
            src.write_bytes(docx)
        except OSError as e:
            raise ConversionError(f"{name}: cannot write the document for LibreOffice: "
                                  f"{e}") from e
        try:
            with self.lock:
                if not self.alive:
                    raise _Lost("LibreOffice was restarted")
                assert self.proc is not None and self.proc.stdin is not None
                generation, seq = self.generation, self.sent
                try:
                    self.proc.stdin.write((json.dumps(
                        {"id": stem, "in": str(src), "out": str(dst)}) + "\n").encode())
                except OSError:
                    pass  # the worker is gone: whoever reads next finds out and restarts it
                self.sent += 1
                sent_at = time.monotonic()
                while self.answered != seq and self.generation == generation:
                    self.turn.wait()
                if self.generation != generation:
                    raise _Lost("LibreOffice was restarted while the document waited")
            # Our turn: only this thread reads, and nobody replaces the process while a
            # request is in flight. The conversion began when the one before it was answered,
            # or when it was sent.
            deadline = max(sent_at, self.last_answer) + timeout
            try:
                reply = self._reply(deadline - time.monotonic())
            except TimeoutError:
                with self.lock:
                    self._abandon()
                raise
            with self.lock:
                if reply is None or reply.get("fatal") or reply.get("id", stem) != stem:
                    self._abandon()
                    raise _Crashed("LibreOffice exited during the conversion" if reply is None
                                   or reply.get("fatal") else "LibreOffice worker out of step")
                self.answered += 1
                self.last_answer = time.monotonic()
                self.turn.notify_all()
                if reply.get("ok"):
                    self.docs += 1
            if not reply.get("ok"):
                raise ConversionError(f"{name}: LibreOffice could not convert it: "
                                      f"{reply.get('error')}")
            try:
                data = dst.read_bytes()
            except OSError as e:
                raise ConversionError(f"{name}: LibreOffice wrote no PDF ({e})") from e
            if not data.startswith(b"%PDF-"):
                raise ConversionError(f"{name}: LibreOffice wrote no PDF")
            return data
        finally:
            src.unlink(missing_ok=True)
            dst.unlink(missing_ok=True)

    def _abandon(self) -> None:
        """Kill the process; requests still waiting for it are lost (called with the lock,
        by the thread whose turn it is)."""
        self.generation += 1
        self.sent = self.answered = 0
        self.crashed = True
        self.turn.notify_all()
        self.kill()

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

    def ask_to_stop(self) -> None:
        """Close stdin: the worker ends LibreOffice cleanly (see :meth:`stop`)."""
        if self.proc is not None and self.proc.stdin is not None:
            try:
                self.proc.stdin.close()
            except OSError:
                pass

    def stop(self) -> None:
        """Close stdin so the worker ends LibreOffice cleanly; kill what is left."""
        self.ask_to_stop()
        if self.proc is not None:
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                pass
        self.kill()


class _Crashed(Exception):
    """The LibreOffice process died or hung during this document."""


class _Lost(_Crashed):
    """The process was replaced before this document's turn: not this document's fault."""


class LibreOfficePool:
    """A thread-safe pool of warm LibreOffice instances; ``convert`` may be called from threads
    (up to ``size * depth`` of them keep every instance busy)."""

    def __init__(self, settings: PoolSettings | None = None, *, workdir: Path | None = None,
                 on_event: Callable[[str], None] | None = None) -> None:
        self.settings = settings or PoolSettings()
        if self.settings.depth < 1:
            raise ValueError("depth must be at least 1")
        self._own_dir = workdir is None
        base = Path(tempfile.gettempdir() if Path("/dev/shm").is_dir() is False else "/dev/shm")
        self.workdir = Path(workdir) if workdir else Path(tempfile.mkdtemp(prefix="ptsp-lo-",
                                                                         dir=base))
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.stats = PoolStats()
        self._on_event = on_event or (lambda msg: None)
        self._all = [_Instance(self.settings, self.workdir) for _ in range(self.settings.size)]
        self._closed = False
        self._lock = threading.Lock()
        self._free = threading.Condition(self._lock)

    def __enter__(self) -> LibreOfficePool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self, *, wait: bool = True) -> None:
        """Start every instance now (in parallel) instead of on first use. With
        ``wait=False`` they start in the background while the caller gets on with other
        set-up (a conversion waits for its instance; a failed start is retried by it)."""
        if not wait:
            for inst in self._all:
                threading.Thread(target=self._start_quietly, args=(inst,), daemon=True,
                                 name=f"ptsp-lo-start-{inst.id}").start()
            return
        errors: list[BaseException] = []

        def go(inst: _Instance) -> None:
            try:
                with inst.lock:
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

    def _start_quietly(self, inst: _Instance) -> None:
        try:
            with inst.lock:
                if not inst.alive and not self._closed:
                    inst.start()
        except Exception:  # noqa: BLE001 - the first conversion on it starts it again and says why
            pass

    @property
    def capacity(self) -> int:
        """How many ``convert`` calls it serves at once (more wait their turn)."""
        return self.settings.size * self.settings.depth

    @property
    def allocator(self) -> str | None:
        """The allocator library LibreOffice runs with (None: the system's malloc)."""
        return resolve_allocator(self.settings.allocator)

    @property
    def soffice_pids(self) -> list[int]:
        return [i.soffice_pid for i in self._all if i.soffice_pid is not None]

    def convert(self, docx: bytes, name: str = "document") -> bytes:
        last: Exception | None = None
        attempts = lost = 0
        while attempts < 2:
            inst = self._acquire()
            try:
                data = inst.convert(docx, name, self.settings.timeout)
                with self._lock:
                    self.stats.conversions += 1
                return data
            except _Lost:
                # Another document hung or LibreOffice died while this one waited: send it
                # again, without counting it against this document.
                lost += 1
                if lost > 10:
                    raise ConversionError(f"{name}: LibreOffice keeps failing") from None
                continue
            except TimeoutError:
                with self._lock:
                    self.stats.timeouts += 1
                self._on_event(f"{name}: conversion timed out after "
                               f"{self.settings.timeout:.0f} s; restarting LibreOffice")
                last = ConversionError(f"{name}: conversion timed out after "
                                       f"{self.settings.timeout:.0f} s")
            except _Crashed as e:
                with self._lock:
                    self.stats.crashes += 1
                self._on_event(f"{name}: {e}; restarting LibreOffice")
                last = ConversionError(f"{name}: {e}")
            except (OSError, ValueError) as e:  # nothing foreign leaves the library
                raise ConversionError(f"{name}: conversion failed: {e}") from e
            finally:
                self._release(inst)
            attempts += 1
            if attempts < 2:
                with self._lock:
                    self.stats.retries += 1
        assert last is not None
        raise last

    def _acquire(self) -> _Instance:
        """Reserve a place on the least busy instance and make sure it runs."""
        depth = self.settings.depth
        with self._free:
            while True:
                if self._closed:
                    raise ConversionError("converter pool is closed")
                free = [i for i in self._all if not i.draining and i.outstanding < depth]
                if free:
                    inst = min(free, key=lambda i: i.outstanding)
                    inst.outstanding += 1
                    break
                self._free.wait()
        try:
            with inst.lock:
                # A process that died with requests in flight is restarted by the thread whose
                # turn it is (it reads the end of the pipe); wait for that.
                while not inst.alive and inst.sent != inst.answered:
                    inst.turn.wait(0.5)
                if not inst.alive:
                    if inst.proc is not None:  # it was running: it died while idle
                        inst.crashed = True
                        with self._lock:
                            self.stats.crashes += 1
                    inst.kill()
                    inst.generation += 1
                    inst.start()
                    if inst.crashed:
                        inst.crashed = False
                        with self._lock:
                            self.stats.restarts += 1
        except BaseException:
            self._release(inst)
            raise
        return inst

    def _release(self, inst: _Instance) -> None:
        s = self.settings
        grown = (inst.alive and not inst.draining
                 and (inst.docs >= s.max_docs or inst.rss_mb() > s.max_rss_mb))
        with self._free:
            inst.outstanding -= 1
            if grown:
                inst.draining = True
            stop = inst.draining and inst.outstanding == 0
            self._free.notify_all()
        if not stop:
            return
        self._on_event(f"recycling LibreOffice instance {inst.id} after {inst.docs} documents")
        with inst.lock:
            inst.generation += 1
            inst.stop()
            inst.docs = 0
        with self._free:
            self.stats.restarts += 1
            inst.draining = False
            self._free.notify_all()

    def close(self) -> None:
        with self._free:
            if self._closed:
                return
            self._closed = True
            self._free.notify_all()
        for inst in self._all:  # all at once: each LibreOffice takes ~0.1 s to shut down
            with inst.lock:
                inst.ask_to_stop()
        for inst in self._all:
            with inst.lock:
                inst.stop()
            inst.release()
        if self._own_dir:
            shutil.rmtree(self.workdir, ignore_errors=True)
