"""``ptsp issue --broker URL``: the batch with conversions done by the cluster's workers."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from generator.applications import read_applications
from generator.catalog import Catalog

from ..issue import count_records
from ..pipeline import BatchReport, Progress
from ..profile import Profile
from ..registry import Registry
from ..signing import batch_signer, key_source, local_services, sign_stage
from .settings import ClusterSettings
from .stage import ClusterPipeline, RemoteConversions


def run_issue_cluster(
    profile: Profile, catalog: Catalog, registry_factory: Callable[[], Registry],
    input_path: Path, *, settings: ClusterSettings, out_dir: Path | None = None,
    level: str | None = None, secret_env: str | None = None, in_flight: int | None = None,
    actor: str = "cli", prompt: Callable[[str], str] | None = None,
    on_progress: Progress | None = None, on_message: Callable[[str], None] | None = None,
) -> BatchReport:
    """As :func:`ptsp.issue.run_issue`; the broker is checked before the key is unlocked."""
    source = key_source(profile, secret_env=secret_env, prompt=prompt)
    with RemoteConversions(settings, capacity=in_flight or 16, on_message=on_message) as remote:
        remote.check()
        registry = registry_factory()
        try:
            with source.unlock() as key, local_services(profile), \
                    batch_signer(profile, key, level=level) as signer:
                pipeline = ClusterPipeline(
                    remote=remote, profile=profile, catalog=catalog, registry=registry,
                    signer=sign_stage(profile, key, signer),
                    out_dir=out_dir or profile.storage.output_dir, actor=actor,
                    on_progress=on_progress, on_message=on_message)
                return pipeline.run(read_applications(input_path, catalog),
                                    source=str(input_path), total=count_records(input_path))
        finally:
            registry.close()
