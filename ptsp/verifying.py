"""Verification with the office's settings: trust anchors, delegations and the registry."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from signer.validate import TrustSettings

from .profile import Profile
from .registry import Registry
from .signing import delegations
from .verify import VerifyResult, verify_pdf


def verify_bytes(profile: Profile, registry: Registry | None, data: bytes) -> VerifyResult:
    return verify_pdf(data, trust=TrustSettings(roots=tuple(profile.trust.roots)),
                      delegations=delegations(profile), registry=registry)


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
