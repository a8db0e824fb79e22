"""Verification with the office's settings: trust anchors, delegations and the registry."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from signer.cache import ValidationCache, default_cache
from signer.validate import TrustSettings

from ..profile import Profile
from ..registry import Registry
from ..signing import delegations
from .result import VerifyResult
from .verdict import verify_pdf


def verify_bytes(profile: Profile, registry: Registry | None, data: bytes, *,
                 cache: ValidationCache | None = None) -> VerifyResult:
    """Check ``data`` with the office's settings, using the process-wide cache of parsed
    certificates and revocation data unless ``cache`` is given."""
    return verify_pdf(data, trust=TrustSettings(roots=tuple(profile.trust.roots)),
                      delegations=delegations(profile), registry=registry,
                      cache=cache if cache is not None else default_cache())


def verify_file(profile: Profile, registry_factory: Callable[[], Registry],
                path: Path) -> VerifyResult:
    """Read and check ``path``; an unreadable file is a TIDAK SAH result, not an error."""
    try:
        data = path.read_bytes()
    except OSError:
        data = b""
    try:
        registry: Registry | None = registry_factory()
    except Exception:  # the verdict says the registry could not be reached
        registry = None
    try:
        return verify_bytes(profile, registry, data)
    finally:
        if registry is not None:
            registry.close()


def verify_files(profile: Profile, registry_factory: Callable[[], Registry],
                 paths: list[Path]) -> list[VerifyResult]:
    """Check many files in one process: one registry connection, the shared cache."""
    try:
        registry: Registry | None = registry_factory()
    except Exception:  # the verdicts say the registry could not be reached
        registry = None
    try:
        out = []
        for path in paths:
            try:
                data = path.read_bytes()
            except OSError:
                data = b""
            out.append(verify_bytes(profile, registry, data))
        return out
    finally:
        if registry is not None:
            registry.close()
