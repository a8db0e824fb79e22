"""Drafts: decrees rendered and converted but not yet signed, and signing them later in a batch.

The office's SOP has the decree drafted by the back office, initialled by the Kasi and Kabid,
then signed by the Kepala Dinas. ``generate_drafts`` does the first step (a number is reserved
and printed on the draft); ``sign_drafts`` signs any set of drafts with one unlocked key. Signing
is resumable: a draft whose number is already issued with its file in place is skipped, so an
interrupted run can simply be run again.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from generator.errors import GeneratorError
from signer.signed import SignedPdf

from .errors import describe
from .pipeline import (
    Outcome,
    OutcomeStatus,
    SignStage,
    locate_qr,
    safe_filename,
    write_atomic,
)
from .registry import Registry, Status


@dataclass(frozen=True)
class Draft:
    number: str | None  # None: the file's registration number could not be read
    path: Path


def draft_number(pdf: bytes) -> str | None:
    """The registration number a draft carries (its PDF /Keywords ``nomor=...``)."""
    from pypdf import PdfReader

    try:
        meta = PdfReader(io.BytesIO(pdf)).metadata
    except Exception:  # not a PDF we made
        return None
    m = re.search(r"nomor=(\S+)", str(meta.get("/Keywords") or "")) if meta else None
    return m.group(1) if m else None


def find_drafts(folder: Path) -> list[Draft]:
    """Every PDF in ``folder`` (sorted by name, i.e. by number); one whose number cannot be
    read is kept, so that signing reports it instead of passing over it."""
    return [Draft(draft_number(path.read_bytes()), path) for path in sorted(folder.glob("*.pdf"))]


def sign_drafts(
    drafts: Iterable[Draft], *, registry: Registry, stage: SignStage, out_dir: Path, actor: str,
    on_progress: Callable[[int, int | None], None] | None = None, remove_drafts: bool = True,
) -> list[Outcome]:
    """Sign drafts whose numbers are reserved; each one failing is reported, the rest go on."""
    drafts = list(drafts)
    out_dir.mkdir(parents=True, exist_ok=True)
    if stage.concurrency > 1:
        return _sign_concurrently(drafts, registry, stage, out_dir, actor, on_progress,
                                  remove_drafts)
    outcomes: list[Outcome] = []
    for i, draft in enumerate(drafts, start=1):
        outcomes.append(_sign_one(draft, registry, stage, out_dir, actor, remove_drafts))
        if on_progress:
            on_progress(i, len(drafts))
    return outcomes


def _sign_one(draft: Draft, registry: Registry, stage: SignStage, out_dir: Path, actor: str,
              remove: bool) -> Outcome:
    src = str(draft.path)
    if draft.number is None:
        return Outcome(OutcomeStatus.FAILED, None, src, errors=(
            f"{src}: not a draft of this office, or damaged: no registration number in it",))
    rec = registry.get(draft.number)
    if rec is None:
        return Outcome(OutcomeStatus.FAILED, None, src, draft.number,
                       errors=(f"{src}: number {draft.number} is not in the registry",))
    target = out_dir / safe_filename(rec.number)
    if rec.status == Status.ISSUED:
        if rec.path and Path(rec.path).exists():
            if remove:
                draft.path.unlink(missing_ok=True)
            return Outcome(OutcomeStatus.ALREADY_ISSUED, rec.application_id, src, rec.number,
                           rec.path, rec.sha256)
        return Outcome(OutcomeStatus.FAILED, rec.application_id, src, rec.number, errors=(
            f"{src}: {rec.number} is issued but its file {rec.path} is missing",))
    if rec.status != Status.RESERVED:
        return Outcome(OutcomeStatus.FAILED, rec.application_id, src, rec.number, errors=(
            f"{src}: {rec.number} has status {rec.status.value}; only reserved drafts are signed",))
    try:
        stage.check(rec.permit, stage.now())
        pdf = draft.path.read_bytes()
        signed = stage.sign(pdf, locate_qr, rec.permit)
    except (GeneratorError, OSError) as e:
        return Outcome(OutcomeStatus.FAILED, rec.application_id, src, rec.number,
                       errors=(f"{src}: {e}",))
    except Exception as e:  # delegation refused, signer errors: report and go on
        return Outcome(OutcomeStatus.FAILED, rec.application_id, src, rec.number,
                       errors=(f"{src}: {describe(e)}",))
    write_atomic(target, signed)
    digest = signed.sha256
    registry.mark_issued(rec.number, sha256=digest, path=str(target),
                         signer_subject=stage.subject, signer_fingerprint=stage.fingerprint,
                         actor=actor, signed_sha256=signed.signed_revision_sha256)
    if remove:
        draft.path.unlink(missing_ok=True)
    return Outcome(OutcomeStatus.ISSUED, rec.application_id, src, rec.number, str(target), digest)


def _sign_concurrently(drafts: list[Draft], registry: Registry, stage: SignStage, out_dir: Path,
                       actor: str, on_progress: Callable[[int, int | None], None] | None,
                       remove: bool) -> list[Outcome]:
    """For a remote signer that batches what waits on it (CSC, BSrE): up to
    ``stage.concurrency`` drafts wait on it at once. Registry reads and writes stay on this
    thread, in the drafts' order, as in :func:`_sign_one`."""
    from collections import deque
    from concurrent.futures import Future, ThreadPoolExecutor

    outcomes: list[Outcome] = []
    pending: deque[tuple[Draft, Any, Future[SignedPdf] | None, Outcome | None]] = deque()

    def start(draft: Draft) -> None:
        # the checks of _sign_one, made here; a draft that passes them goes to the signer
        rec = registry.get(draft.number) if draft.number is not None else None
        if rec is None or rec.status != Status.RESERVED:
            pending.append((draft, None, None, _sign_one(draft, registry, stage, out_dir, actor,
                                                         remove)))
            return
        try:
            stage.check(rec.permit, stage.now())
        except Exception as e:  # delegation refused
            pending.append((draft, rec, None, Outcome(
                OutcomeStatus.FAILED, rec.application_id, str(draft.path), rec.number,
                errors=(f"{draft.path}: {describe(e)}",))))
            return

        def sign() -> SignedPdf:
            return stage.sign(draft.path.read_bytes(), locate_qr, rec.permit)

        pending.append((draft, rec, pool.submit(sign), None))

    def finish() -> None:
        draft, rec, fut, outcome = pending.popleft()
        src = str(draft.path)
        if outcome is None:
            assert fut is not None
            try:
                signed = fut.result()
            except Exception as e:  # signer errors: report and go on
                outcome = Outcome(OutcomeStatus.FAILED, rec.application_id, src, rec.number,
                                  errors=(f"{src}: {describe(e)}",))
            else:
                target = out_dir / safe_filename(rec.number)
                write_atomic(target, signed)
                digest = signed.sha256
                registry.mark_issued(
                    rec.number, sha256=digest, path=str(target), signer_subject=stage.subject,
                    signer_fingerprint=stage.fingerprint, actor=actor,
                    signed_sha256=signed.signed_revision_sha256)
                if remove:
                    draft.path.unlink(missing_ok=True)
                outcome = Outcome(OutcomeStatus.ISSUED, rec.application_id, src, rec.number,
                                  str(target), digest)
        outcomes.append(outcome)
        if on_progress:
            on_progress(len(outcomes), len(drafts))

    with ThreadPoolExecutor(stage.concurrency, thread_name_prefix="ptsp-sign") as pool:
        for draft in drafts:
            start(draft)
            while len(pending) >= 2 * stage.concurrency:
                finish()
        while pending:
            finish()
    return outcomes
