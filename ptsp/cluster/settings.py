"""Where the cluster is: ``--broker``, ``PTSP_BROKER`` or the profile's ``[cluster]`` table.

    [cluster]
    broker = "redis://10.0.0.5:6379/0"      # or amqp://user:pass@host:5672//
    backend = ""                            # results: default the Redis broker, rpc:// for AMQP
    visibility_timeout = 300                # seconds before Redis hands an unacked task again
    result_timeout = 600                    # seconds the signer waits for one decree's PDF
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from ..errors import ProfileError


@dataclass(frozen=True)
class ClusterSettings:
    broker: str = ""
    backend: str = ""
    visibility_timeout: float = 300.0
    result_timeout: float = 600.0


def cluster_settings(profile_path: Path | None, *, broker: str | None = None) -> ClusterSettings:
    """The profile's ``[cluster]`` table, then ``PTSP_BROKER``, then ``broker`` (the option)."""
    s = ClusterSettings()
    if profile_path is not None and Path(profile_path).exists():
        raw = tomllib.loads(Path(profile_path).read_text(encoding="utf-8")).get("cluster", {})
        s = _from_table(raw, f"{Path(profile_path).name} [cluster]")
    env = os.environ.get("PTSP_BROKER")
    if env:
        s = replace(s, broker=env)
    if broker:
        s = replace(s, broker=broker)
    return s


def _from_table(raw: Any, where: str) -> ClusterSettings:
    if not isinstance(raw, dict):
        raise ProfileError(f"{where}: expected a table")
    known = {f.name: f for f in fields(ClusterSettings)}
    unknown = sorted(set(raw) - set(known))
    if unknown:
        raise ProfileError(f"{where}: unknown key(s) {', '.join(unknown)}; "
                           f"known: {', '.join(sorted(known))}")
    out: dict[str, Any] = {}
    for key, value in raw.items():
        if known[key].type in ("float", float):
            if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
                raise ProfileError(f"{where}.{key}: expected a positive number of seconds")
            out[key] = float(value)
        else:
            if not isinstance(value, str):
                raise ProfileError(f"{where}.{key}: expected text")
            out[key] = value
    return ClusterSettings(**out)
