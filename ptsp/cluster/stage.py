"""The submitting side: one task per decree out, its PDF back, signing stays here.

:class:`RemoteConversions` keeps the Celery client on one thread of its own (Celery's result
consumer is not safe to share between threads): pipeline threads hand it jobs and wait on
futures. :class:`ClusterPipeline` is the ordinary :class:`~ptsp.pipeline.Pipeline` with render
and convert replaced by a task: numbering, signing, recording and re-runs are the local mode's.
"""

from __future__ import annotations

import base64
import itertools
import queue
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

from generator.applications import Application
from generator.errors import ConversionError, RenderError

from ..errors import describe
from ..pipeline import Pipeline, StageTimes
from ..profile import Profile
from ..registry import Record
from .app import ECHO, QUEUE, TASK, make_app
from .errors import ClusterError
from .jobs import (
    OfficeBundle,
    catalog_digest,
    file_digest,
    job_digest,
    make_job,
    office_key,
    task_id,
)
from .settings import ClusterSettings


@dataclass
class _Pending:
    result: Any
    future: Future[dict[str, Any]]
    digest: str
    deadline: float


@dataclass
class RemoteStats:
    sent: int = 0
    received: int = 0
    failed: int = 0
    thread_cpu_s: float = 0.0  # CPU of the thread that talks to the broker


class RemoteConversions:
    """Sends conversion tasks to the broker and collects their results.

    ``capacity`` is how many tasks the pipeline keeps in flight (the ``Converter`` protocol's
    ``capacity``): enough to keep every worker child busy while the results of others travel.
    """

    def __init__(self, settings: ClusterSettings, *, capacity: int = 16,
                 on_message: Callable[[str], None] | None = None) -> None:
        if not settings.broker:
            raise ClusterError("no broker: pass --broker URL, set PTSP_BROKER or "
                               "[cluster] broker in the profile")
        self.settings = settings
        self.capacity = capacity
        self.stats = RemoteStats()
        self._on_message = on_message or (lambda m: None)
        self.app = make_app(settings.broker, backend=settings.backend,
                            visibility_timeout=settings.visibility_timeout)
        self._redis_results = str(self.app.conf.result_backend).startswith("redis")
        self._inbox: queue.Queue[tuple[str, str, list[Any], str, Future[dict[str, Any]]]
                                 | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._closed = False

    # -- set-up ------------------------------------------------------------------------------
    def check(self) -> None:
        """Reach the broker now (before the key is unlocked), and say so when no worker
        answers: tasks would wait in the queue until one starts."""
        try:
            with self.app.connection_for_write() as conn:
                conn.ensure_connection(max_retries=1, timeout=5)
        except Exception as e:  # kombu / redis / amqp errors: one message
            raise ClusterError(f"broker {_safe(self.settings.broker)} cannot be reached: "
                               f"{e}") from e
        try:
            answers = self.app.control.ping(timeout=1.0)
        except Exception:  # noqa: BLE001 - only informative
            answers = []
        if not answers:
            self._on_message(f"no worker answered on {_safe(self.settings.broker)} yet: "
                             "conversions wait in the queue until one starts")
        self._thread = threading.Thread(target=self._loop, name="ptsp-cluster", daemon=True)
        self._thread.start()

    # -- the Converter-like interface --------------------------------------------------------
    def produce(self, tid: str, job: dict[str, Any],
                office: dict[str, Any] | None = None) -> bytes:
        """Send ``job`` as task ``tid``, wait for its PDF (raises ConversionError with the
        worker's reason when it could not make one). A job that names its office by digest
        only is sent again with ``office`` (the whole letterhead) when its worker lacks it."""
        if self._thread is None:
            self.check()
        meta = self._call(TASK, tid, [job], job_digest(job))
        if meta.get("need_office") and office is not None:
            job = job | {"office": office}
            meta = self._call(TASK, tid, [job], job_digest(job))
        if not meta.get("ok"):
            raise ConversionError(f"worker {meta.get('worker', '?')}: {meta.get('error')}")
        return base64.b64decode(meta["pdf"])

    def echo(self, payload: str, reply_size: int) -> dict[str, Any]:
        """One round trip through the broker and a worker, with no work done there."""
        import uuid

        return self._call(ECHO, f"ptsp:echo:{uuid.uuid4().hex}", [payload, reply_size], None)

    def _call(self, name: str, tid: str, args: list[Any],
              digest: str | None) -> dict[str, Any]:
        if self._thread is None:
            self.check()
        fut: Future[dict[str, Any]] = Future()
        self._inbox.put((name, tid, args, digest or "", fut))
        return fut.result()

    def convert(self, docx: bytes, name: str = "document") -> bytes:
        raise ConversionError("the distributed mode renders on its workers: use produce()")

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._inbox.put(None)
        if self._thread is not None:
            self._thread.join(timeout=30)
        self.app.close()

    def __enter__(self) -> RemoteConversions:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the Celery thread -------------------------------------------------------------------
    # Results are not polled task by task: each sent task's result registers a callback, and
    # the thread waits on the result backend's one subscription (Redis pub/sub, or the
    # ``rpc://`` reply queue) and hands each result to its decree as it comes, in any order.
    # (``AsyncResult.get`` per task would also fetch the task's key from Redis on every call:
    # every result read twice, and a GET every few milliseconds while it is not there.)

    #: how long the thread waits for a result before it looks for new tasks to send
    WAIT = 0.02
    #: a task whose result has not come for this long is looked up directly (a safety net
    #: for a result published while the subscription was being re-established)
    LOOKUP_AFTER = 5.0

    def _loop(self) -> None:
        outstanding: OrderedDict[str, _Pending] = OrderedDict()
        arrived: list[tuple[str, _Pending, Any]] = []
        consumer = self.app.backend.result_consumer
        stopping = False
        clock = time.thread_time()
        last_news = time.monotonic()
        while True:
            now = time.thread_time()
            self.stats.thread_cpu_s += now - clock
            clock = now
            items: list[tuple[str, str, list[Any], str, Future[dict[str, Any]]]] = []
            while not stopping:
                try:
                    item = self._inbox.get_nowait() if outstanding or items else \
                        self._inbox.get(timeout=0.2)
                except queue.Empty:
                    break
                if item is None:
                    stopping = True
                    break
                items.append(item)
            # a result an earlier run left under one of these numbers is not its task's:
            # removed before the tasks go, all in one command
            self._forget([tid for _, tid, _, digest, _ in items if digest])
            for item in items:
                self._send(*item, outstanding, arrived)
            if not outstanding:
                if stopping:
                    return
                continue
            if stopping:
                self._forget(list(outstanding))
                for tid, p in list(outstanding.items()):
                    del outstanding[tid]
                    self._settle(p, error="the batch stopped")
                continue
            try:
                consumer.drain_events(timeout=self.WAIT)
            except (TimeoutError, OSError) as e:  # socket.timeout: nothing came (rpc://)
                if not isinstance(e, TimeoutError):
                    self._on_message(f"result backend: {describe(e)}")
                    time.sleep(0.5)
            except Exception as e:  # noqa: BLE001 - broker trouble: say so, deadlines apply
                self._on_message(f"result backend: {describe(e)}")
                time.sleep(0.5)
            if arrived:
                last_news = time.monotonic()
            for tid, p, value in arrived:
                if outstanding.pop(tid, None) is p:
                    self._finish(p, value)
            # the PDFs need not stay in Redis for an hour: one command for what came
            self._forget([tid for tid, _, _ in arrived])
            arrived.clear()
            mono = time.monotonic()
            for tid, p in list(outstanding.items()):
                if mono <= p.deadline:
                    break  # sent in order: the first not yet due ends the check
                del outstanding[tid]
                self._settle(p, error=f"no worker answered in "
                             f"{self.settings.result_timeout:.0f} s")
            # (Redis only: reading an ``rpc://`` reply queue directly would take other
            # tasks' results off the subscription)
            if self._redis_results and outstanding and mono - last_news > self.LOOKUP_AFTER:
                last_news = mono
                self._lookup(next(iter(outstanding.items())), outstanding)

    def _lookup(self, head: tuple[str, _Pending], outstanding: OrderedDict[str, _Pending]) -> None:
        """Read the oldest task's result directly (no result for LOOKUP_AFTER seconds)."""
        tid, p = head
        try:
            meta = self.app.backend.get_task_meta(tid)
        except Exception:  # noqa: BLE001 - the subscription stays the way results come
            return
        if meta.get("status") in ("SUCCESS", "FAILURE"):
            del outstanding[tid]
            self._finish(p, meta.get("result"))
            self._forget([tid])

    def _finish(self, p: _Pending, value: Any) -> None:
        """One task's result: check it is this task's, hand it to the waiting decree."""
        if not isinstance(value, dict):
            self._settle(p, error=f"task failed: {type(value).__name__}: {value}")
        elif p.digest and value.get("job") != p.digest:
            self._settle(p, error="a result of an older task for the same number came "
                         "back; run the batch again")
        else:
            self._settle(p, value=value)

    def _forget(self, tids: list[str]) -> None:
        """Remove these tasks' results from the Redis result store (one command)."""
        if not tids or not self._redis_results:
            return
        backend = self.app.backend
        try:
            backend.client.delete(*[backend.get_key_for_task(t) for t in tids])
        except Exception:  # noqa: BLE001 - they expire anyway (result_expires)
            pass

    def _send(self, name: str, tid: str, args: list[Any], digest: str,
              fut: Future[dict[str, Any]], outstanding: OrderedDict[str, _Pending],
              arrived: list[tuple[str, _Pending, Any]]) -> None:
        try:
            # argsrepr: Celery would otherwise write a printable copy of the job into the
            # message headers (a fifth of this thread's CPU per task, measured)
            result = self.app.send_task(name, args=args, task_id=tid, queue=QUEUE,
                                        argsrepr=f"<{name} {tid}>", kwargsrepr="{}")
        except Exception as e:  # noqa: BLE001
            fut.set_result({"ok": False, "worker": "-", "error":
                            f"could not send the task to {_safe(self.settings.broker)}: {e}"})
            return
        self.stats.sent += 1
        p = _Pending(result, fut, digest, time.monotonic() + self.settings.result_timeout)
        outstanding[tid] = p
        # called by drain_events on this thread when the result comes (failures included:
        # the task never raises, a result of another kind is reported as it is)
        result.then(lambda r, tid=tid, p=p: arrived.append((tid, p, r.result)),
                    on_error=lambda *e, tid=tid, p=p: arrived.append((tid, p, e[-1] if e
                                                                        else None)))

    def _settle(self, p: _Pending, *, value: dict[str, Any] | None = None,
                error: str | None = None) -> None:
        if value is None:
            value = {"ok": False, "worker": "-", "error": error}
        self.stats.received += 1
        if not value.get("ok"):
            self.stats.failed += 1
        p.future.set_result(value)


def _safe(url: str) -> str:
    """A broker URL without its password, for messages."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        user = creds.split(":", 1)[0]
        return f"{scheme}://{user}:***@{host}" if ":" in creds else url
    return url


class ClusterPipeline(Pipeline):
    """The batch pipeline with render + convert done by the workers."""

    #: how many first tasks of a batch carry the whole letterhead (None: the remote's
    #: capacity, enough for every worker to have it)
    FULL_FIRST: int | None = None

    def __init__(self, *, remote: RemoteConversions, **kwargs: Any) -> None:
        super().__init__(converter=remote, **kwargs)  # type: ignore[arg-type]
        self.remote = remote
        profile: Profile = kwargs["profile"]
        # the same context the local renderer has (the signing CA named in the statement)
        office = OfficeBundle(profile.office.name, dict(self.renderer.common),
                              profile.office.emblem.read_bytes() if profile.office.emblem
                              else None)
        # The letterhead (about 18 kB with the emblem) goes with the first tasks of the batch,
        # enough for every worker to have one; after that tasks name it by digest, and a
        # worker that lacks it (one that started later) asks for it once.
        self._office = office.as_json()
        self._office_ref = office.as_ref()
        self._full = itertools.count()
        self._full_first = max(1, remote.capacity) if self.FULL_FIRST is None \
            else self.FULL_FIRST
        self._office_key = office_key(profile.office.short_name, profile.office.regency)
        self._catalog_sha = catalog_digest(self.renderer.templates_dir)

    def _unsigned(self, app: Application, record: Record, times: StageTimes) -> bytes:
        service = self.catalog.get(app.permit)
        if service.template is None or service.decree is None:
            raise RenderError(f"{service.code} has no decree template")
        full = next(self._full) < self._full_first
        job = make_job(
            office=self._office if full else self._office_ref, catalog_sha256=self._catalog_sha,
            template_sha256=file_digest(self.renderer.templates_dir / service.template),
            app=app, number=record.number, verify_url=self.profile.verify_url(record.token),
            issued_on=self.issued_on or self.profile.office.today(), replaces=record.replaces)
        w = time.perf_counter()
        pdf = self.remote.produce(task_id(self._office_key, record.number), job,
                                  None if full else self._office)
        times.add("convert_wall", time.perf_counter() - w)
        return pdf
