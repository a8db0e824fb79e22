"""``ptsp issue --broker URL``: the batch with conversions done by the cluster's workers."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from generator.catalog import Catalog

from ..issue import signed_batch
from ..pipeline import BatchReport, Progress
from ..profile import Profile
from ..registry import Registry
from ..signing import key_source
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
        return signed_batch(ClusterPipeline, profile, catalog, registry_factory, input_path,
                            source, out_dir=out_dir, level=level, actor=actor,
                            on_progress=on_progress, on_message=on_message, remote=remote)
