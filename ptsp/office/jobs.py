"""Background jobs of the back office: generating drafts and signing them.

Each job runs on its own thread (generation with its own LibreOffice pool) and writes its
progress to ``office_jobs``, which the job page polls. Applications are claimed by moving them
to a transient stage (``generating``, ``signing``) in one transaction, so two clicks never
process one application twice; whatever a job could not finish goes back to where it was.
The signing PIN or passphrase unlocks the key in the request (a wrong one keeps the Kepala
Dinas on his page) and is dropped there; the job gets only the unlocked key.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from generator.applications import Application, RecordRef, validate_record
from generator.catalog import Catalog
from generator.convert import Converter
from signer.errors import KeyUnlockError, SignerError
from signer.keys import KeySource, Pkcs11KeySource, Pkcs12KeySource, UnlockedKey

from ..conversion import libreoffice_pool
from ..drafts import Draft, sign_drafts
from ..errors import ProfileError
from ..pipeline import ISSUED_ANY, OutcomeStatus, Pipeline, display_data
from ..profile import Profile
from ..registry import Registry, Status
from ..signing import batch_signer, local_services, sign_stage
from .errors import OfficeError
from .roles import BACKOFFICE, KADIS, SYSTEM
from .stages import Stage
from .store import AppRow, ItemStatus, JobKind, JobState, OfficeStore, utcnow

log = logging.getLogger(__name__)
#: What people read about one failed item; the technical detail (English) goes to the log and
#: to the job's ``detail`` field.
DRAFT_FAILED = ("Draf tidak dapat disusun karena kesalahan teknis. Coba susun ulang; bila "
                "gagal lagi, hubungi administrator (rincian di log layanan).")
SIGN_FAILED = ("Keputusan ini tidak dapat ditandatangani karena kesalahan teknis. Coba lagi; "
               "bila gagal lagi, hubungi administrator (rincian di log layanan).")
ConverterFactory = Callable[[], AbstractContextManager[Converter]]


def pin_key_source(profile: Profile, secret: str) -> KeySource:
    """The configured key with the PIN or passphrase the Kepala Dinas typed.

    Unlike :func:`ptsp.signing.key_source`, no environment variable or demo passphrase is
    consulted: in the office the person signing must enter it.
    """
    k = profile.keys
    if k.source in ("csc", "bsre"):  # a remote signing service: the secret is its PIN/passphrase
        from ..signing import remote_key_source

        return remote_key_source(profile, secret)
    if k.source == "pkcs12":
        if k.pkcs12 is None:
            raise ProfileError("[keys].pkcs12 is not set in the office profile")
        return Pkcs12KeySource(k.pkcs12, secret)
    return Pkcs11KeySource(k.pkcs11_module, k.token_label, k.key_label, secret)


def key_refused(key: UnlockedKey) -> KeyUnlockError | None:
    """For a service that signs whole documents (BSrE), the refusal that stopped its batch:
    a wrong passphrase or TOTP, an unknown signer. BSrE can check a passphrase only by
    signing, so this is known after its first answer, not at unlock."""
    stopped = getattr(key.document_signer, "stopped", None)
    return stopped if isinstance(stopped, KeyUnlockError) else None


def _same_holder(rec: Any, app: Application, catalog: Catalog) -> bool:
    """Whether the registry's record of a reserved number still describes ``app``."""
    old = {k: v for k, v in (rec.data or {}).items() if k != "source"}
    new = {k: v for k, v in display_data(app, catalog).items() if k != "source"}
    return (rec.permit == app.permit and rec.holder_name == str(app.applicant.get("name", ""))
            and rec.holder_nik_masked == app.nik_masked and rec.received_on == app.received_on
            and rec.approved_on == app.approved_on and old == new)


class JobRunner:
    """Starts and tracks the office's background jobs."""

    def __init__(self, *, profile: Profile, catalog: Catalog,
                 registry_factory: Callable[[], Registry], store: OfficeStore, data_dir: Path,
                 converter_factory: ConverterFactory | None = None) -> None:
        self.profile = profile
        self.catalog = catalog
        self.registry_factory = registry_factory
        self.store = store
        self.data_dir = data_dir
        self.drafts_dir = data_dir / "draf"
        self.converter_factory = converter_factory or (lambda: libreoffice_pool(data_dir,
                                                                                size=1))
        self.threads: dict[int, threading.Thread] = {}
        self._sign_lock = threading.Lock()

    def _start(self, job_id: int, target: Callable[..., None], *args: Any) -> int:
        def run() -> None:
            try:
                target(job_id, *args)
            except Exception:  # noqa: BLE001 - a job must end with a state, not silently
                log.exception("job %s failed", job_id)
                self.store.update_job(job_id, state=JobState.FAILED, message=(
                    "Pekerjaan gagal karena kesalahan pada server. Permohonan yang belum "
                    "selesai kembali ke antrean; administrator dapat melihat rinciannya di "
                    f"log layanan (pekerjaan #{job_id})."))

        t = threading.Thread(target=run, name=f"kantor-job-{job_id}", daemon=True)
        self.threads[job_id] = t
        t.start()
        return job_id

    def wait(self, job_id: int, timeout: float | None = None) -> None:
        t = self.threads.get(job_id)
        if t is not None:
            t.join(timeout)

    # -- generation -------------------------------------------------------------------------
    def start_generate(self, app_ids: list[str], actor: str) -> int | None:
        """Generate drafts of the given applications that wait for it; None if none do."""
        claimed = self.store.move(app_ids, from_stages=(Stage.UPLOADED,),
                                  to=Stage.GENERATING, role=BACKOFFICE)
        if not claimed:
            return None
        job_id = self.store.add_job(JobKind.GENERATE, actor, len(claimed))
        return self._start(job_id, self._generate, claimed, actor)

    def _generate(self, job_id: int, app_ids: list[str], actor: str) -> None:
        rows = [r for r in (self.store.application(a) for a in app_ids) if r is not None]
        items = [validate_record(r.raw, RecordRef(r.source_file, r.source_row), self.catalog)
                 for r in rows]
        by_id = {r.application_id: r for r in rows}
        registry = self.registry_factory()
        results: list[dict[str, Any]] = []
        try:
            for row, item in zip(rows, items, strict=True):
                self._void_if_changed(registry, row, item, actor)

            def progress(done: int, total: int | None) -> None:
                self.store.update_job(job_id, done=done)

            try:
                with self.converter_factory() as converter:
                    pipeline = Pipeline(
                        profile=self.profile, catalog=self.catalog, registry=registry,
                        converter=converter, signer=None, out_dir=self.drafts_dir, actor=actor,
                        on_progress=progress)
                    report = pipeline.run(items, source=f"job {job_id}", total=len(items))
            except Exception as e:
                self.store.move(app_ids, from_stages=(Stage.GENERATING,), to=Stage.UPLOADED,
                                role=SYSTEM)
                raise OfficeError(f"drafting could not run: {e}") from e
            for o in report.outcomes:
                app_id = o.application_id or ""
                known = by_id.get(app_id)
                if o.status == OutcomeStatus.DRAFTED:
                    self.store.update_application(
                        app_id, role=SYSTEM, stage=Stage.KASI, number=o.number, draft_path=o.path,
                        last_error=None, kasi_by=None, kabid_by=None)
                    results.append({"application_id": app_id, "number": o.number,
                                    "status": ItemStatus.DRAFTED})
                else:
                    detail = "; ".join(o.errors) or o.status
                    log.warning("job %s: no draft of %s: %s", job_id, app_id, detail)
                    if known is not None:
                        self.store.update_application(app_id, role=SYSTEM, stage=Stage.FAILED,
                                                      last_error=DRAFT_FAILED,
                                                      number=o.number or known.number)
                    results.append({"application_id": app_id, "number": o.number,
                                    "status": ItemStatus.FAILED, "error": DRAFT_FAILED,
                                    "detail": detail})
            # anything the pipeline did not report on goes back to the queue
            self.store.move(app_ids, from_stages=(Stage.GENERATING,), to=Stage.UPLOADED,
                            role=SYSTEM)
            drafted = [r["number"] for r in results if r["status"] == ItemStatus.DRAFTED]
            registry.record_event(action="generate", actor=actor, detail={
                "job": job_id, "drafted": drafted,
                "failed": [r["application_id"] for r in results
                           if r["status"] != ItemStatus.DRAFTED]})
        finally:
            registry.close()
        failed = sum(1 for r in results if r["status"] != ItemStatus.DRAFTED)
        self.store.update_job(
            job_id, state=JobState.DONE, done=len(rows), results=results,
            message=f"{len(results) - failed} draf disusun, {failed} gagal.")

    def _void_if_changed(self, registry: Registry, row: AppRow, item: Any, actor: str) -> None:
        """A corrected application whose holder data changed gets a new number: the reserved
        one is voided (it stays in the book), so the registry never describes an old draft."""
        if not isinstance(item, Application):
            return
        rec = registry.by_application(row.application_id)
        if rec is None or rec.status is not Status.RESERVED:
            return
        if not _same_holder(rec, item, self.catalog):
            registry.void(rec.number, actor=actor,
                          reason="data permohonan dikoreksi setelah draf dikembalikan")

    # -- signing ----------------------------------------------------------------------------
    def start_sign(self, app_ids: list[str], key: UnlockedKey, actor: str, *,
                   whole_stage: bool = False) -> int | None:
        """Sign exactly the chosen drafts with ``key`` (unlocked by the caller, with the PIN or
        passphrase the Kepala Dinas typed). None, and the key closed, when one of them no
        longer waits for him or, with ``whole_stage``, when others wait too: the list he saw
        has changed."""
        with self._sign_lock:
            claimed = self.store.move_exactly(app_ids, from_stage=Stage.KADIS,
                                              to=Stage.SIGNING, role=KADIS,
                                              whole_stage=whole_stage)
            if not claimed:
                key.close()
                return None
            job_id = self.store.add_job(JobKind.SIGN, actor, len(claimed))
        return self._start(job_id, self._sign, claimed, key, actor)

    def first_answer(self, job_id: int, key: UnlockedKey,
                     timeout: float = 180.0) -> KeyUnlockError | None:
        """For a key whose service signs whole documents (BSrE): wait for the service's first
        answer in job ``job_id``; if it refused the passphrase/TOTP, wait for the job to end
        (nothing signed, its drafts back with the Kepala Dinas) and return the refusal.
        None at once for other keys, and when the first answer was a signature."""
        wait = getattr(key.document_signer, "wait_first_answer", None)
        if wait is None:
            return None
        thread = self.threads.get(job_id)
        deadline = time.monotonic() + timeout
        while not wait(0.2):
            if thread is None or not thread.is_alive() or time.monotonic() > deadline:
                break
        refused = key_refused(key)
        if refused is not None:
            self.wait(job_id, timeout)
        return refused

    def _sign(self, job_id: int, app_ids: list[str], key: UnlockedKey, actor: str) -> None:
        rows = [r for r in (self.store.application(a) for a in app_ids) if r is not None]
        results: list[dict[str, Any]] = []
        registry = self.registry_factory()
        try:
            with key, local_services(self.profile), \
                    batch_signer(self.profile, key) as signer:
                stage = sign_stage(self.profile, key, signer)
                for i, row in enumerate(rows, start=1):
                    if key_refused(key) is not None:
                        break  # a wrong BSrE passphrase: nothing more is sent
                    results.append(self._sign_one(registry, stage, row, actor, key))
                    self.store.update_job(job_id, done=i, results=results)
            issued = [r["number"] for r in results if r["status"] == ItemStatus.ISSUED]
            registry.record_event(action="sign", actor=actor, detail={
                "job": job_id, "issued": issued,
                "failed": [r["number"] for r in results if r["status"] != ItemStatus.ISSUED]})
        finally:
            key.close()
            self.store.move(app_ids, from_stages=(Stage.SIGNING,), to=Stage.KADIS, role=SYSTEM)
            registry.close()
        failed = sum(1 for r in results if r["status"] != ItemStatus.ISSUED)
        refused = key_refused(key)
        if refused is not None:
            self.store.update_job(
                job_id, state=JobState.FAILED, done=len(rows), results=results,
                message=f"Layanan tanda tangan menolak: {refused}. "
                        f"{len(results) - failed} keputusan ditandatangani; yang lain kembali "
                        "ke antrean tanda tangan.")
            return
        self.store.update_job(job_id, state=JobState.DONE, done=len(rows), results=results,
                              message=f"{len(results) - failed} keputusan ditandatangani, "
                                      f"{failed} gagal.")

    def _sign_one(self, registry: Registry, stage: Any, row: AppRow, actor: str,
                  key: UnlockedKey | None = None) -> dict[str, Any]:
        out = {"application_id": row.application_id, "number": row.number}
        if not row.number or not row.draft_path:
            self.store.update_application(row.application_id, role=SYSTEM, stage=Stage.KADIS,
                                          last_error="draf tidak ditemukan")
            return out | {"status": ItemStatus.FAILED, "error": "draf tidak ditemukan"}
        try:
            outcome = sign_drafts([Draft(row.number, Path(row.draft_path))], registry=registry,
                                  stage=stage, out_dir=self.profile.storage.output_dir,
                                  actor=actor)[0]
        except (SignerError, OSError) as e:
            outcome = None
            error = str(e)
        if outcome is not None and outcome.status in ISSUED_ANY:
            self.store.update_application(row.application_id, role=SYSTEM, stage=Stage.SIGNED,
                                          signed_path=outcome.path, signed_by=actor,
                                          signed_at=utcnow(), last_error=None)
            return out | {"status": ItemStatus.ISSUED}
        if outcome is not None:
            error = "; ".join(outcome.errors) or outcome.status
        log.warning("%s could not be signed: %s", row.number, error)
        if key is not None and key_refused(key) is not None:
            # the passphrase, not this decree: it goes back unmarked (the finally of _sign)
            return out | {"status": ItemStatus.FAILED, "error": str(key_refused(key))}
        self.store.update_application(row.application_id, role=SYSTEM, stage=Stage.KADIS,
                                      last_error=SIGN_FAILED)
        return out | {"status": ItemStatus.FAILED, "error": SIGN_FAILED, "detail": error}
