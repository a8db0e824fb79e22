"""What a verification says: the verdict words, the result and its JSON shape (its times are
formatted by :mod:`ptsp.timefmt`).

The JSON shape of :meth:`VerifyResult.as_dict` is documented in ``docs/verification-json.md`` and
``docs/verification.schema.json``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SAH = "SAH"
TIDAK_SAH = "TIDAK SAH"
TIDAK_DAPAT_DIPASTIKAN = "TIDAK DAPAT DIPASTIKAN"
SCHEMA_VERSION = "1"


@dataclass(frozen=True)
class VerifyReason:
    code: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


@dataclass(frozen=True)
class RegistryCheck:
    found: bool
    status: str | None = None
    status_label: str | None = None
    hash_match: bool | None = None
    matched_on: str | None = None
    """"file" (the file as issued) | "signed_revision" (later validation data only) | None."""
    number: str | None = None
    permit: str | None = None
    permit_name: str | None = None
    holder_name: str | None = None
    holder_nik_masked: str | None = None
    issued_at: str | None = None
    replaced_by: str | None = None
    replaces: str | None = None
    status_reason: str | None = None
    status_decree: str | None = None
    status_changed_at: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class VerifyResult:
    verdict: str
    reasons: tuple[VerifyReason, ...]
    number: str | None
    permit: str | None
    permit_name: str | None
    holder_name: str | None
    holder_nik_masked: str | None
    signer: str | None
    signer_title: str | None
    signed_at: str | None
    pades_level: str | None
    delegation: str | None
    registry: RegistryCheck
    file_sha256: str
    signatures: tuple[dict[str, Any], ...] = field(default=())
    checks: tuple[dict[str, str], ...] = field(default=())
    delegation_detail: dict[str, Any] | None = None
    signed_revision_sha256: str | None = None
    later_revisions: str | None = None
    """"none" | "validation_data" (DSS / document timestamps only) | "other" | None."""
    checked_at: str | None = None
    """When the check ran (ISO 8601, WITA offset)."""
    claimed_number: str | None = None
    """The number the signed revision of the file itself carries (its metadata)."""
    best_signature_time: str | None = None
    """The earliest time the file is proven to have existed signed: the trusted signature
    timestamp (ISO 8601, WITA offset); None without one."""
    trust_roots: tuple[dict[str, str], ...] = field(default=())
    """The roots the chains were checked against: ``{subject, fingerprint}``."""

    @property
    def valid(self) -> bool:
        return self.verdict == SAH

    def as_dict(self) -> dict[str, Any]:
        """The documented JSON shape (``docs/verification-json.md``)."""
        return {
            "schema_version": SCHEMA_VERSION,
            "valid": self.valid,
            "verdict": self.verdict,
            "reasons": [r.as_dict() for r in self.reasons],
            "checks": list(self.checks),
            "number": self.number,
            "permit": self.permit,
            "permit_name": self.permit_name,
            "holder": {"name": self.holder_name, "nik_masked": self.holder_nik_masked},
            "signer": self.signer,
            "signer_title": self.signer_title,
            "signed_at": self.signed_at,
            "pades_level": self.pades_level,
            "delegation": self.delegation,
            "delegation_detail": self.delegation_detail,
            "registry": self.registry.as_dict(),
            "file_sha256": self.file_sha256,
            "signed_revision_sha256": self.signed_revision_sha256,
            "later_revisions": self.later_revisions,
            "signatures": list(self.signatures),
            "checked_at": self.checked_at,
            "claimed_number": self.claimed_number,
            "best_signature_time": self.best_signature_time,
            "trust_roots": list(self.trust_roots),
        }
