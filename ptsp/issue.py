"""``ptsp issue``: one batch from an input file to signed decrees in the registry."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from generator.applications import read_applications
from generator.catalog import Catalog
from signer.keys import KeySource

from .conversion import libreoffice_pool
from .pipeline import BatchReport, Pipeline, Progress
from .profile import Profile
from .registry import Registry
from .signing import batch_signer, key_source, local_services, sign_stage


def count_records(path: Path) -> int | None:
    """Cheap record count for the progress bar (None when unknown)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError):
        return None
    if path.suffix.lower() in (".jsonl", ".ndjson"):
        return sum(1 for line in text.splitlines() if line.strip())
    if path.suffix.lower() == ".csv":
        return max(0, sum(1 for line in text.splitlines() if line.strip()) - 1)
    return None


def run_issue(
    profile: Profile, catalog: Catalog, registry_factory: Callable[[], Registry],
    input_path: Path, *, out_dir: Path | None = None, level: str | None = None,
    secret_env: str | None = None, workers: int | None = None, actor: str = "cli",
    prompt: Callable[[str], str] | None = None, on_progress: Progress | None = None,
    on_message: Callable[[str], None] | None = None, broker: str | None = None,
) -> BatchReport:
    """Unlock the key once (a wrong passphrase fails here, before any document), then run.

    With a broker (``broker``, ``PTSP_BROKER`` or the profile's ``[cluster] broker``) the
    decrees are rendered and converted by that cluster's workers (:mod:`ptsp.cluster`)."""
    from .cluster.settings import cluster_settings

    cluster = cluster_settings(profile.path, broker=broker)
    if cluster.broker:
        from .cluster.issue import run_issue_cluster

        return run_issue_cluster(
            profile, catalog, registry_factory, input_path, settings=cluster, out_dir=out_dir,
            level=level, secret_env=secret_env, actor=actor, prompt=prompt,
            on_progress=on_progress, on_message=on_message)
    source = key_source(profile, secret_env=secret_env, prompt=prompt)
    with libreoffice_pool(profile.storage.data_dir, size=workers, on_event=on_message) as pool:
        # LibreOffice starts (about a second) while the registry opens, the key is unlocked
        # and the timestamp service comes up; a wrong passphrase still stops the batch
        # before any document.
        pool.start(wait=False)
        return signed_batch(Pipeline, profile, catalog, registry_factory, input_path, source,
                            out_dir=out_dir, level=level, actor=actor, on_progress=on_progress,
                            on_message=on_message, converter=pool)


def signed_batch(
    pipeline: Callable[..., Pipeline], profile: Profile, catalog: Catalog,
    registry_factory: Callable[[], Registry], input_path: Path, source: KeySource, *,
    out_dir: Path | None, level: str | None, actor: str, on_progress: Progress | None,
    on_message: Callable[[str], None] | None, **converter: Any,
) -> BatchReport:
    """The batch once its converter is ready, the same in the local and the distributed
    mode: open the registry, unlock the key once (a wrong passphrase fails here, before any
    document), start the local services, and run ``pipeline`` (made with ``converter``: the
    LibreOffice pool, or the cluster's ``remote``) over the input."""
    registry = registry_factory()
    try:
        with source.unlock() as key, local_services(profile), \
                batch_signer(profile, key, level=level) as signer:
            run = pipeline(
                profile=profile, catalog=catalog, registry=registry,
                signer=sign_stage(profile, key, signer),
                out_dir=out_dir or profile.storage.output_dir, actor=actor,
                on_progress=on_progress, on_message=on_message, **converter)
            return run.run(read_applications(input_path, catalog), source=str(input_path),
                           total=count_records(input_path))
    finally:
        registry.close()


def run_generate(
    profile: Profile, catalog: Catalog, registry_factory: Callable[[], Registry],
    input_path: Path, *, drafts_dir: Path, workers: int | None = None, actor: str = "cli",
    on_progress: Progress | None = None, on_message: Callable[[str], None] | None = None,
) -> BatchReport:
    """Reserve numbers and write unsigned drafts (render + convert), for review before signing."""
    registry = registry_factory()
    try:
        with libreoffice_pool(profile.storage.data_dir, size=workers,
                              on_event=on_message) as pool:
            pipeline = Pipeline(
                profile=profile, catalog=catalog, registry=registry, converter=pool,
                signer=None, out_dir=drafts_dir, actor=actor, on_progress=on_progress,
                on_message=on_message)
            return pipeline.run(read_applications(input_path, catalog), source=str(input_path),
                                total=count_records(input_path))
    finally:
        registry.close()


def run_sign(
    profile: Profile, registry_factory: Callable[[], Registry], *, drafts_dir: Path,
    out_dir: Path | None = None, level: str | None = None, secret_env: str | None = None,
    actor: str = "cli", prompt: Callable[[str], str] | None = None,
    on_progress: Progress | None = None,
) -> BatchReport:
    """Sign every draft in ``drafts_dir`` with one unlock of the key."""
    from datetime import UTC, datetime

    from .drafts import find_drafts, sign_drafts
    from .legal import check_real_use

    check_real_use(profile)
    source = key_source(profile, secret_env=secret_env, prompt=prompt)
    report = BatchReport(input=str(drafts_dir), started_at=datetime.now(UTC))
    registry = registry_factory()
    try:
        with source.unlock() as key, local_services(profile), \
                batch_signer(profile, key, level=level) as signer:
            report.outcomes = sign_drafts(
                find_drafts(drafts_dir), registry=registry,
                stage=sign_stage(profile, key, signer),
                out_dir=out_dir or profile.storage.output_dir, actor=actor,
                on_progress=on_progress)
    finally:
        registry.close()
    report.finished_at = datetime.now(UTC)
    return report


def run_correct(
    profile: Profile, catalog: Catalog, registry_factory: Callable[[], Registry], number: str,
    input_path: Path, *, reason: str, out_dir: Path | None = None, level: str | None = None,
    secret_env: str | None = None, actor: str = "cli",
    prompt: Callable[[str], str] | None = None, on_message: Callable[[str], None] | None = None,
) -> BatchReport:
    """Issue a corrected decree that replaces issued decree ``number`` (Pasal 10(2)).

    ``input_path`` holds the corrected application (one record). When it carries the original
    application id, the correction gets ``<id>-K<n>``. The old decree becomes ``replaced`` when
    the new one is issued, atomically.
    """
    from dataclasses import replace

    from generator.applications import Application, RecordError

    from .errors import PipelineError

    records = list(read_applications(input_path, catalog))
    if len(records) != 1:
        raise PipelineError(f"{input_path}: a correction takes exactly one application, "
                            f"found {len(records)}")
    app = records[0]
    registry = registry_factory()
    try:
        old = registry.get(number)
        if old is None:
            raise PipelineError(f"decree {number} is not in the registry")
        if isinstance(app, Application):
            if app.permit != old.permit:
                raise PipelineError(f"the correction is for permit {app.permit}, but {number} "
                                    f"is a {old.permit}")
            if app.application_id == old.application_id:
                for n in range(1, 100):
                    candidate = f"{old.application_id}-K{n}"
                    taken = registry.by_application(candidate)
                    if taken is None or taken.replaces == number:
                        break
                app = replace(app, application_id=candidate)
        items: list[Application | RecordError] = [app]
    finally:
        registry.close()
    source = key_source(profile, secret_env=secret_env, prompt=prompt)
    registry = registry_factory()
    try:
        with source.unlock() as key, local_services(profile), \
                batch_signer(profile, key, level=level) as signer, \
                libreoffice_pool(profile.storage.data_dir, size=1,
                                 on_event=on_message) as pool:
            replacements = {app.application_id: (number, reason)} \
                if isinstance(app, Application) else {}
            pipeline = Pipeline(
                profile=profile, catalog=catalog, registry=registry, converter=pool,
                signer=sign_stage(profile, key, signer),
                out_dir=out_dir or profile.storage.output_dir, actor=actor,
                on_message=on_message, replacements=replacements)
            return pipeline.run(items, source=str(input_path), total=1)
    finally:
        registry.close()


def run_archive_renew(
    profile: Profile, registry_factory: Callable[[], Registry], *, within_days: int,
    actor: str = "cli", now: object = None,
) -> list[dict[str, object]]:
    """Renew the archive timestamp of every issued decree whose last timestamp's TSA
    certificate expires within ``within_days``; the registry keeps the old and new hashes."""
    from datetime import UTC, datetime, timedelta

    from signer.archive import archive_state, renew_archive
    from signer.errors import SignerError

    from .pipeline import sha256_hex, write_atomic
    from .registry import Status

    moment = now if isinstance(now, datetime) else datetime.now(UTC)
    results: list[dict[str, object]] = []
    registry = registry_factory()
    try:
        with local_services(profile):
            for rec in registry.list(status=Status.ISSUED):
                path = Path(rec.path) if rec.path else None
                row: dict[str, object] = {"number": rec.number, "path": str(path)}
                try:
                    if path is None or not path.exists():
                        raise FileNotFoundError(f"{path} is missing")
                    data = path.read_bytes()
                    state = archive_state(data)
                    row["tsa_not_after"] = state.tsa_not_after.isoformat() \
                        if state.tsa_not_after else None
                    if state.tsa_not_after is not None and \
                            state.tsa_not_after - moment > timedelta(days=within_days):
                        row["action"] = "kept"
                    else:
                        new = renew_archive(data, trust_roots=list(profile.trust.roots),
                                            timestamp_url=profile.signature.timestamp_url)
                        write_atomic(path, new)
                        row.update(action="renewed", sha256=sha256_hex(new))
                        registry.record_event(action="archive_renewed", actor=actor,
                                              number=rec.number,
                                              detail={"old_sha256": sha256_hex(data),
                                                      "new_sha256": sha256_hex(new)})
                except (OSError, SignerError) as e:
                    row.update(action="failed", error=str(e))
                results.append(row)
    finally:
        registry.close()
    return results
