"""The batch pipeline: validate -> reserve a number -> render -> convert -> sign -> record.

Rendering, conversion and signing of different decrees overlap: worker threads render and sign
(short bursts of Python) while the LibreOffice pool converts (other processes). At most
``in_flight`` decrees are in the pipe at once, so memory does not grow with the batch. All
registry calls happen on the calling thread, in order.

Re-running a batch is safe: the registry gives an application the number it already has, an
issued decree whose file is in place is skipped, and files are written under a temporary name and
renamed, so a crash never leaves a half-written PDF under a decree's name.
"""

from __future__ import annotations

import gc
import hashlib
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from generator.applications import Application, RecordError
from generator.catalog import Catalog
from generator.convert import Converter
from generator.errors import GeneratorError
from generator.layout import Box, qr_box_in
from generator.render import DecreeRenderer, RenderInput
from signer.signed import SignedPdf

from .errors import describe
from .profile import Profile
from .registry import (
    ConflictError,
    InvalidRequest,
    InvalidTransition,
    IssueMark,
    Record,
    Registry,
    RegistryError,
    Status,
)

Progress = Callable[[int, int | None], None]


class OutcomeStatus(StrEnum):
    """What happened to one record (the values are the JSON report's ``status``)."""

    ISSUED = "issued"
    ALREADY_ISSUED = "already_issued"
    DRAFTED = "drafted"
    REJECTED = "rejected"
    FAILED = "failed"


#: A decree exists signed (now or by an earlier run).
ISSUED_ANY = frozenset({OutcomeStatus.ISSUED, OutcomeStatus.ALREADY_ISSUED})
#: The record did not become a decree.
NOT_OK = frozenset({OutcomeStatus.REJECTED, OutcomeStatus.FAILED})


@dataclass(frozen=True, slots=True)
class Outcome:
    """What happened to one record of a batch (one per record is kept: slots keep it small)."""

    status: OutcomeStatus
    application_id: str | None
    source: str
    number: str | None = None
    path: str | None = None
    sha256: str | None = None
    errors: tuple[str, ...] = ()
    fields: tuple[dict[str, str], ...] = ()

    def as_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "status": self.status, "application_id": self.application_id,
            "source": self.source, "number": self.number, "path": self.path,
            "sha256": self.sha256, "errors": list(self.errors),
        }
        if self.fields:
            d["fields"] = list(self.fields)
        return d


@dataclass
class StageTimes:
    """CPU seconds spent per stage (thread CPU time), summed over the batch."""

    validate: float = 0.0
    reserve: float = 0.0
    render: float = 0.0
    convert_wall: float = 0.0
    locate: float = 0.0
    sign: float = 0.0
    record: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, stage: str, seconds: float) -> None:
        with self.lock:
            setattr(self, stage, getattr(self, stage) + seconds)

    def as_dict(self) -> dict[str, float]:
        return {k: round(getattr(self, k), 4) for k in
                ("validate", "reserve", "render", "convert_wall", "locate", "sign", "record")}


@dataclass
class BatchReport:
    input: str
    started_at: datetime
    finished_at: datetime | None = None
    outcomes: list[Outcome] = field(default_factory=list)
    times: StageTimes = field(default_factory=StageTimes)

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def ok(self) -> bool:
        return not any(o.status in NOT_OK for o in self.outcomes)

    def as_dict(self) -> dict[str, Any]:
        return {
            "input": self.input,
            "started_at": self.started_at.isoformat(),
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "counts": {s: self.count(s) for s in
                       ("issued", "already_issued", "rejected", "failed")}
            | ({"drafted": self.count("drafted")} if self.count("drafted") else {}),
            "outcomes": [o.as_dict() for o in self.outcomes],
            "stage_cpu_seconds": self.times.as_dict(),
        }

    def summary(self) -> list[str]:
        drafted = f"{self.count('drafted')} drafted, " if self.count("drafted") else ""
        lines = [
            f"{drafted}{self.count('issued')} issued, {self.count('already_issued')} already "
            f"issued, {self.count('rejected')} rejected, {self.count('failed')} failed"
        ]
        for o in self.outcomes:
            if o.status in NOT_OK:
                for e in o.errors:
                    lines.append(f"  {o.status}: {e}")
        return lines


# given the document's pages (signer.sign.PdfPages), the 0-based page and box of the field
Locate = Callable[[Any], tuple[int, Box]]


def locate_qr(pages: Any) -> tuple[int, Box]:
    """Where a decree's signature field goes: over the QR code of its signature block, found
    in the pages the signer has parsed (see :func:`generator.layout.qr_box_in`)."""
    def page(index: int) -> tuple[bytes, frozenset[str]]:
        p = pages.page(index)
        return p.content, p.images

    qr = qr_box_in(pages.count, page)
    return qr.page, qr.box


class SignStage:
    """What the pipeline needs from the signer: a callable that signs one decree,
    ``sign(pdf, locate, permit)``, where ``locate`` finds the field on the parsed pages.

    Built by :mod:`ptsp.signing` from the key source, the profile and the delegation; the
    pipeline stays independent of how the key is held.
    """

    def __init__(self, sign: Callable[[bytes, Locate, str], SignedPdf],
                 check: Callable[[str, datetime], None], subject: str, fingerprint: str,
                 now: Callable[[], datetime] | None = None, issuer_name: str = "",
                 concurrency: int = 1) -> None:
        self.sign = sign
        # the issuing CA of the signer's certificate, named in the decree's signature statement
        self.issuer_name = issuer_name
        # decrees that may wait on the signer at once (a remote service batching them)
        self.concurrency = concurrency
        self.check = check
        self.now = now or (lambda: datetime.now(UTC))
        self.subject = subject
        self.fingerprint = fingerprint


def safe_filename(number: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "-" for c in number) + ".pdf"


def write_atomic(path: Path, data: bytes) -> None:
    """Write to a temporary name in the same folder, fsync, then rename over ``path``."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def remove_stale_temporaries(folder: Path) -> int:
    """Delete temporary files left by writers that died (their pid is gone)."""
    removed = 0
    for tmp in folder.glob(".*.tmp"):
        parts = tmp.name.split(".")
        try:
            pid = int(parts[-3])
        except (IndexError, ValueError):
            continue
        try:
            os.kill(pid, 0)
            alive = pid != os.getpid()  # our own pid here is a dead namesake
        except ProcessLookupError:
            alive = False
        except PermissionError:
            alive = True
        if not alive:
            tmp.unlink(missing_ok=True)
            removed += 1
    return removed


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def display_data(app: Application, catalog: Catalog) -> dict[str, Any]:
    """The small set of display fields kept in the registry (portal, reports); no full NIK."""
    service = catalog.get(app.permit)
    return {
        "permit_name": service.name,
        "variant": app.variant,
        "holder_address": str(app.applicant.get("address", "")),
        "source": str(app.ref) if app.ref else "",
    }


class Pipeline:
    def __init__(
        self, *, profile: Profile, catalog: Catalog, registry: Registry, converter: Converter,
        signer: SignStage | None, out_dir: Path, actor: str, workers: int | None = None,
        in_flight: int | None = None, issued_on: date | None = None,
        on_progress: Progress | None = None, on_message: Callable[[str], None] | None = None,
        replacements: dict[str, tuple[str, str]] | None = None, record_batch: int = 16,
    ) -> None:
        self.profile = profile
        # application id -> (number of the decree it corrects, reason): Pasal 10(2) corrections
        self.replacements = replacements or {}
        self.catalog = catalog
        self.registry = registry
        self.converter = converter
        self.signer = signer
        self.out_dir = out_dir
        self.actor = actor
        # Enough threads that every conversion slot of the converter is used while others
        # render and sign: with two LibreOffice instances taking two requests each, six.
        cores = os.cpu_count() or 2
        self.workers = workers or max(2, int(getattr(converter, "capacity", cores)) + cores)
        if signer is not None and signer.concurrency > 1 and workers is None:
            # a remote signer batches the decrees that wait on it: let a batch's worth wait
            self.workers += signer.concurrency
        # issued decrees recorded this many at a time, in one transaction
        self.record_batch = record_batch
        self.in_flight = in_flight or self.workers * 2
        self.issued_on = issued_on
        from .legal import check_real_use, configured_ca_name

        check_real_use(profile)
        signing_ca = getattr(signer, "issuer_name", "") or configured_ca_name(profile, issued_on)
        self.renderer = DecreeRenderer(
            profile.render_context(issued_on, signing_ca=signing_ca), templates_dir=None,
            emblem=profile.office.emblem,
            cache_dir=profile.storage.data_dir / "cache" / "templates",
        )
        self.on_progress = on_progress or (lambda done, total: None)
        self.on_message = on_message or (lambda msg: None)

    # -- per-decree work, on a worker thread -------------------------------------------------
    def _unsigned(self, app: Application, record: Record, times: StageTimes) -> bytes:
        """The decree's PDF before signing: rendered here, converted by the converter
        (the distributed mode does both on its workers: :mod:`ptsp.cluster.stage`)."""
        service = self.catalog.get(app.permit)
        t = time.thread_time()
        issued_on = self.issued_on or self.profile.office.today()
        docx = self.renderer.render(service, app, RenderInput(
            number=record.number, verify_url=self.profile.verify_url(record.token),
            issued_on=issued_on, replaces=record.replaces))
        times.add("render", time.thread_time() - t)
        w = time.perf_counter()
        pdf = self.converter.convert(docx, name=app.application_id)
        times.add("convert_wall", time.perf_counter() - w)
        return pdf

    def _produce(self, app: Application, record: Record,
                 times: StageTimes) -> tuple[bytes, str, str | None]:
        pdf = self._unsigned(app, record, times)
        if self.signer is None:
            return pdf, sha256_hex(pdf), None
        located = 0.0

        def locate(pages: Any) -> tuple[int, Box]:
            nonlocal located
            t = time.thread_time()  # the signer calls back on this thread
            try:
                return locate_qr(pages)
            finally:
                located += time.thread_time() - t

        t = time.thread_time()
        signed = self.signer.sign(pdf, locate, app.permit)
        times.add("locate", located)
        times.add("sign", time.thread_time() - t - located)
        return signed.data, signed.sha256, signed.signed_revision_sha256

    # -- the batch, on the calling thread ----------------------------------------------------
    def run(self, items: Iterable[Application | RecordError], *, source: str,
            total: int | None = None) -> BatchReport:
        report = BatchReport(input=source, started_at=datetime.now(UTC))
        self.out_dir.mkdir(parents=True, exist_ok=True)
        if remove_stale_temporaries(self.out_dir):
            self.on_message("removed half-written files left by an interrupted run")
        # What exists now (modules, catalog, compiled templates, the signer's validation
        # data) lives as long as the batch: keep the cycle collector from walking it again
        # and again while each decree's short-lived objects come and go (~0.5 ms a decree).
        gc.freeze()
        try:
            self._run(items, report, total)
        finally:
            gc.unfreeze()
        report.finished_at = datetime.now(UTC)
        return report

    def _run(self, items: Iterable[Application | RecordError], report: BatchReport,
             total: int | None) -> None:
        done = 0
        pending: deque[tuple[Application, Record, Future[tuple[bytes, str, str | None]]]] = deque()
        # Outcomes in order; signed decrees have their file in place and are recorded as
        # issued ``record_batch`` at a time, in one registry transaction.
        finished: list[Outcome | _Written] = []

        def record_finished() -> None:
            nonlocal done
            batch = finished[:]
            finished.clear()
            written = [f for f in batch if isinstance(f, _Written)]
            marked = iter(self._mark_issued(written, report.times) if written else ())
            for f in batch:
                report.outcomes.append(next(marked) if isinstance(f, _Written) else f)
                done += 1
                self.on_progress(done, total)

        def finish(result: Outcome | _Written) -> None:
            finished.append(result)
            if len(finished) >= self.record_batch:
                record_finished()

        def finish_one() -> None:
            app, record, fut = pending.popleft()
            finish(self._written(app, record, fut, report.times))

        try:
            with ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="ptsp") as pool:
                for item in items:
                    if isinstance(item, RecordError):
                        finish(Outcome(
                            OutcomeStatus.REJECTED, item.application_id, str(item.ref),
                            errors=tuple(item.describe()),
                            fields=tuple({"field": e.field, "message": e.message}
                                         for e in item.errors)))
                        continue
                    outcome, record = self._reserve(item, report.times)
                    if outcome is not None:
                        finish(outcome)
                        continue
                    assert record is not None
                    pending.append((item, record, pool.submit(self._produce, item, record,
                                                              report.times)))
                    while len(pending) >= self.in_flight:
                        finish_one()
                while pending:
                    finish_one()
        finally:
            # What is written is recorded, also when the batch stops early. (A decree whose
            # file is in place but not recorded is made again by the next run, same number.)
            if finished:
                record_finished()

    def _reserve(self, app: Application, times: StageTimes) -> tuple[Outcome | None, Record | None]:
        src = str(app.ref) if app.ref else ""
        t = time.thread_time()
        try:
            existing = self.registry.by_application(app.application_id)
            if existing is not None and existing.status != Status.RESERVED:
                path = Path(existing.path) if existing.path else None
                if existing.status == Status.ISSUED and path is not None and path.exists():
                    return Outcome(OutcomeStatus.ALREADY_ISSUED, app.application_id, src,
                                   existing.number, str(path), existing.sha256), None
                return Outcome(OutcomeStatus.FAILED, app.application_id, src, existing.number,
                               errors=(
                    f"{src}: application {app.application_id} already has decree "
                    f"{existing.number} with status {existing.status.value}"
                    + ("" if path is None or path.exists() else f"; its file {path} is missing"),
                )), None
            if self.signer is not None:
                try:
                    self.signer.check(app.permit, self.profile.office.now())
                except Exception as e:  # DelegationError: refuse before taking a number
                    return Outcome(OutcomeStatus.FAILED, app.application_id, src,
                                   errors=(f"{src}: {e}",)), None
            if existing is not None:
                return None, existing
            common: dict[str, Any] = dict(
                application_id=app.application_id, permit=app.permit,
                holder_name=str(app.applicant.get("name", "")),
                holder_nik_masked=app.nik_masked, received_on=app.received_on,
                approved_on=app.approved_on, data=display_data(app, self.catalog),
                actor=self.actor)
            replaced = self.replacements.get(app.application_id)
            try:
                if replaced is not None:
                    old, reason = replaced
                    return None, self.registry.reserve_replacement(old, reason=reason, **common)
                return None, self.registry.reserve(**common)
            except (ConflictError, InvalidTransition, InvalidRequest) as e:
                # this application cannot take a number (e.g. its id is already used for
                # another permit): report it, go on with the rest
                return Outcome(OutcomeStatus.FAILED, app.application_id, src,
                               errors=(f"{src}: {e}",)), None
        finally:
            times.add("reserve", time.thread_time() - t)

    def _written(self, app: Application, record: Record,
                 fut: Future[tuple[bytes, str, str | None]], times: StageTimes,
                 ) -> Outcome | _Written:
        """The decree's file in place (or why there is none); issued once it is recorded."""
        src = str(app.ref) if app.ref else ""
        try:
            data, digest, signed_digest = fut.result()
        except GeneratorError as e:
            return Outcome(OutcomeStatus.FAILED, app.application_id, src, record.number,
                           errors=(f"{src}: {e}",))
        except Exception as e:  # signer errors and anything unexpected: report, go on
            if getattr(e, "stops_batch", False):
                # e.g. a wrong passphrase at a remote signing service: every further decree
                # would fail the same way; what is written is still recorded (see _run)
                raise
            return Outcome(OutcomeStatus.FAILED, app.application_id, src, record.number,
                           errors=(f"{src}: {describe(e)}",))
        t = time.thread_time()
        try:
            path = self.out_dir / safe_filename(record.number)
            write_atomic(path, data)
            if self.signer is None:
                return Outcome(OutcomeStatus.DRAFTED, app.application_id, src, record.number,
                               str(path), digest)
            return _Written(app, src, record.number, str(path), digest, signed_digest)
        finally:
            times.add("record", time.thread_time() - t)

    def _mark_issued(self, written: list[_Written], times: StageTimes) -> list[Outcome]:
        """Record decrees whose files are in place as issued, in one transaction."""
        assert self.signer is not None
        t = time.thread_time()
        try:
            results = self.registry.mark_issued_many([IssueMark(
                w.number, sha256=w.sha256, path=w.path, signer_subject=self.signer.subject,
                signer_fingerprint=self.signer.fingerprint, actor=self.actor,
                signed_sha256=w.signed_sha256) for w in written])
            return [
                Outcome(OutcomeStatus.FAILED, w.app.application_id, w.src, w.number,
                        errors=(f"{w.src}: {r}",)) if isinstance(r, RegistryError)
                else Outcome(OutcomeStatus.ISSUED, w.app.application_id, w.src, w.number, w.path,
                             w.sha256)
                for w, r in zip(written, results, strict=True)]
        finally:
            times.add("record", time.thread_time() - t)


@dataclass(frozen=True, slots=True)
class _Written:
    """A signed decree whose file is in place, waiting to be recorded as issued."""

    app: Application
    src: str
    number: str
    path: str
    sha256: str
    signed_sha256: str | None
