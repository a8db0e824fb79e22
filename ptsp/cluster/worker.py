"""The worker side: a Celery worker with warm LibreOffice instances.

The process loads the template sets it serves (``--templates DIR``, several allowed: one
worker pool serves offices with different templates) before it takes tasks. Two pools:

- ``threads`` (the default): one process with ``--concurrency`` LibreOffice instances, kept
  busy as the local mode keeps its pool: two tasks per instance run at once, so while one
  document converts the next is rendered and waits in LibreOffice's pipe, and LibreOffice
  never idles while a task renders, encodes its PDF or talks to the broker. Measured on 2
  cores this costs less CPU per decree than a child process per task (no hand-over of every
  task and result between processes) and keeps the throughput of the local mode.
- ``prefork``: ``--concurrency`` child processes, each with one LibreOffice started when the
  child starts (``worker_process_init``) and ended when it exits
  (``worker_process_shutdown``), one task at a time: a child that dies under a task puts
  that task back at once (``task_reject_on_worker_lost``).

Either way LibreOffice is recycled after ``max_docs`` documents as the local pool does, and a
process killed outright cannot end its LibreOffice: the LibreOffice driver sees its pipe
close and ends LibreOffice itself.

A task names the catalog and the permit's template by SHA-256. A worker with other templates
refuses it (the decree fails with a message saying so) instead of producing a different
decree.
"""

from __future__ import annotations

import base64
import os
import socket
import tempfile
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from generator.applications import RecordError, RecordRef, validate_record
from generator.catalog import TEMPLATES_DIR, Catalog, load_catalog
from generator.citations import Citation, citation_from_json
from generator.convert import LibreOfficePool, PoolSettings
from generator.errors import GeneratorError
from generator.render import DecreeRenderer, RenderInput

from ..errors import describe
from .app import ECHO, TASK, make_app
from .errors import ClusterError, OfficeMissing, TemplateMismatch
from .jobs import VERSION, OfficeBundle, catalog_digest, file_digest, job_digest


@dataclass(frozen=True)
class WorkerSettings:
    templates: tuple[Path, ...] = (TEMPLATES_DIR,)
    workdir: Path = field(default_factory=lambda: Path(tempfile.gettempdir()) / "ptsp-worker")
    max_docs: int = 300
    timeout: float = 60.0
    soffice: str = "soffice"
    depth: int = 2  # tasks at once per LibreOffice in the threads pool


POOLS = ("threads", "prefork")


class _State:
    """What one worker process holds (inherited by its children, then their own)."""

    def __init__(self) -> None:
        self.settings = WorkerSettings()
        self.sets: dict[str, tuple[Path, Catalog]] = {}
        self.pool: LibreOfficePool | None = None
        self.renderers: OrderedDict[tuple[str, str], DecreeRenderer] = OrderedDict()
        self.lock = threading.Lock()
        self.hostname = socket.gethostname()


STATE = _State()


def configure(settings: WorkerSettings) -> None:
    """Load the template sets this worker serves (in the main process, before the fork)."""
    STATE.settings = settings
    STATE.sets.clear()
    for d in settings.templates:
        d = Path(d).resolve()
        try:
            STATE.sets[catalog_digest(d)] = (d, load_catalog(d))
        except (OSError, GeneratorError) as e:
            raise ClusterError(f"templates folder {d}: {e}") from e
    settings.workdir.mkdir(parents=True, exist_ok=True)


def start_child(size: int = 1, depth: int = 1) -> None:
    """In a new worker child (prefork) or the worker process (threads): ``size``
    LibreOffice instances taking ``depth`` requests each, started now, in the background."""
    s = STATE.settings
    STATE.renderers.clear()
    STATE.pool = LibreOfficePool(
        PoolSettings(size=size, depth=depth, max_docs=s.max_docs, timeout=s.timeout,
                     soffice=s.soffice),
        workdir=s.workdir / "lo")
    STATE.pool.start(wait=False)


def stop_child() -> None:
    """The child is exiting: end its LibreOffice (no soffice outlives its worker)."""
    pool, STATE.pool = STATE.pool, None
    if pool is not None:
        pool.close()


def _template_set(job: dict[str, Any]) -> tuple[Path, Catalog]:
    found = STATE.sets.get(job["catalog_sha256"])
    if found is None:
        have = ", ".join(f"{d} ({k[:12]})" for k, (d, _) in STATE.sets.items()) or "none"
        raise TemplateMismatch(
            f"worker {STATE.hostname} has no catalog {job['catalog_sha256'][:12]} (it has "
            f"{have}): start it with the office's templates (--templates DIR)")
    return found


def _renderer(job: dict[str, Any], tdir: Path) -> DecreeRenderer:
    office = job["office"]
    key = (office["sha256"], job["catalog_sha256"])
    with STATE.lock:
        r = STATE.renderers.get(key)
        if r is not None:
            STATE.renderers.move_to_end(key)
            return r
    if "context" not in office:
        raise OfficeMissing(f"worker {STATE.hostname} does not hold the letterhead of "
                            f"{office.get('name')} ({office['sha256'][:12]}) yet")
    emblem = base64.b64decode(office["emblem"]) if office.get("emblem") else None
    if OfficeBundle(office["name"], office["context"], emblem).digest != office["sha256"]:
        raise ClusterError(f"the letterhead of {office.get('name')} does not match its "
                           f"digest {office['sha256'][:12]}: the task was altered on the way")
    context = dict(office["context"])
    context["legal_grounds"] = [c if isinstance(c, Citation) else citation_from_json(c)
                                for c in context.get("legal_grounds", ())]
    r = DecreeRenderer(context, templates_dir=tdir, emblem=None,
                       cache_dir=STATE.settings.workdir / "cache" / key[1][:16])
    r.emblem = emblem  # bytes as sent (the renderer otherwise reads a file)
    with STATE.lock:
        STATE.renderers[key] = r
        while len(STATE.renderers) > 16:
            STATE.renderers.popitem(last=False)
    return r


def produce(job: dict[str, Any]) -> bytes:
    """Render and convert one job: the decree's unsigned PDF."""
    if job.get("v") != VERSION:
        raise ClusterError(f"task format {job.get('v')} is not {VERSION}: run the same ptsp "
                           "version on the workers and the signer")
    tdir, catalog = _template_set(job)
    service = catalog.get(job["permit"])
    if service.template is None:
        raise ClusterError(f"{service.code} has no decree template on worker {STATE.hostname}")
    have = file_digest(tdir / service.template)
    if have != job["template_sha256"]:
        raise TemplateMismatch(
            f"worker {STATE.hostname} has template {service.template} version {have[:12]}, "
            f"the task needs {job['template_sha256'][:12]}: deploy the same templates to the "
            "workers and the signer")
    app = validate_record(job["record"], RecordRef(job["application_id"], 1), catalog)
    if isinstance(app, RecordError):
        raise ClusterError("; ".join(app.describe()))
    docx = _renderer(job, tdir).render(service, app, RenderInput(
        number=job["number"], verify_url=job["verify_url"],
        issued_on=date.fromisoformat(job["issued_on"]), replaces=job["replaces"]))
    if STATE.pool is None:  # not in a prefork child (tests, the solo pool)
        start_child()
    assert STATE.pool is not None
    return STATE.pool.convert(docx, name=job["number"])


def convert_task(job: dict[str, Any]) -> dict[str, Any]:
    """The Celery task: the PDF (base64) or why there is none. A refusal or a conversion
    failure is a result, not an exception: the task is done, the decree is reported failed,
    and nothing is redelivered."""
    t = time.perf_counter()
    base = {"job": job_digest(job), "number": job.get("number"), "worker": STATE.hostname,
            "pid": os.getpid()}
    try:
        pdf = produce(job)
    except OfficeMissing as e:
        return base | {"ok": False, "need_office": True, "error": str(e)}
    except (GeneratorError, ClusterError) as e:
        return base | {"ok": False, "error": str(e)}
    except Exception as e:  # noqa: BLE001 - anything else: logged with its type, reported
        return base | {"ok": False, "error": describe(e)}
    return base | {"ok": True, "pdf": base64.b64encode(pdf).decode(),
                   "ms": round((time.perf_counter() - t) * 1000, 1)}


def echo_task(payload: str, reply_size: int) -> dict[str, Any]:
    """Nothing but the trip: a job-sized payload in, a PDF-sized answer out (``make bench``
    measures the broker's cost per decree with it)."""
    return {"ok": True, "worker": STATE.hostname, "got": len(payload),
            "pdf": "A" * reply_size}


def worker_app(broker: str, *, backend: str = "", visibility_timeout: float = 300.0,
               pool: str = "prefork") -> Any:
    """The Celery app with the tasks registered (and, for prefork, the child start/stop
    hooks)."""
    app = make_app(broker, backend=backend, visibility_timeout=visibility_timeout)
    app.conf.worker_proc_alive_timeout = 60
    app.task(name=TASK, acks_late=True, reject_on_worker_lost=True)(convert_task)
    app.task(name=ECHO, acks_late=True, reject_on_worker_lost=True)(echo_task)
    if pool == "prefork":
        from celery.signals import worker_process_init, worker_process_shutdown

        worker_process_init.connect(lambda **_: start_child(), weak=False)
        worker_process_shutdown.connect(lambda **_: stop_child(), weak=False)
    return app


def celery_concurrency(pool: str, instances: int, depth: int) -> int:
    """Celery's concurrency for ``instances`` LibreOffice: threads keep ``depth`` tasks on
    each; prefork runs one child (one task) per LibreOffice."""
    if pool not in POOLS:
        raise ClusterError(f"pool {pool!r}: expected one of {', '.join(POOLS)}")
    return instances * max(1, depth) if pool == "threads" else instances


def run_worker(broker: str, settings: WorkerSettings, *, concurrency: int, backend: str = "",
               visibility_timeout: float = 300.0, hostname: str | None = None,
               loglevel: str = "WARNING", pool: str = "threads") -> int:
    """Serve conversion tasks until stopped (SIGTERM: finish the tasks at hand, then exit).
    ``concurrency`` is the number of LibreOffice instances."""
    import warnings

    # Celery warns about root once per start; containers commonly run as root.
    warnings.filterwarnings("ignore", message=".*superuser privileges.*")
    slots = celery_concurrency(pool, concurrency, settings.depth)
    configure(settings)
    app = worker_app(broker, backend=backend, visibility_timeout=visibility_timeout,
                     pool=pool)
    node = hostname or f"ptsp@{STATE.hostname}-{os.getpid()}"
    STATE.hostname = node  # how results name the worker that made (or refused) them
    if pool == "threads":
        # LibreOffice starts while Celery connects to the broker
        start_child(size=concurrency, depth=settings.depth)
    try:
        w = app.Worker(concurrency=slots, pool=pool, loglevel=loglevel, hostname=node,
                       without_heartbeat=True, without_mingle=True, without_gossip=True,
                       quiet=True, optimization="fair")
        w.start()
    finally:
        stop_child()
    return int(getattr(w, "exitcode", 0) or 0)
