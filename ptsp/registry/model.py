"""Values of the registry (records, audit entries, policies) and the ``Registry`` protocol."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any, Literal, Protocol, runtime_checkable

from .errors import RegistryError


class Status(StrEnum):
    """Lifecycle state of a registration number.

    ``reserved`` -> ``issued`` | ``voided``; ``issued`` -> ``withdrawn`` | ``cancelled`` |
    ``revoked`` (Pasal 10) | ``replaced`` (when its correction is issued). Only ``reserved`` and
    ``issued`` ever change; a number is never deleted nor reused.
    """

    RESERVED = "reserved"
    ISSUED = "issued"
    VOIDED = "voided"
    WITHDRAWN = "withdrawn"
    CANCELLED = "cancelled"
    REVOKED = "revoked"
    REPLACED = "replaced"


#: The kinds ``Registry.revoke`` accepts (Pasal 10: ditarik kembali, dibatalkan, dicabut).
REVOCATION_KINDS = frozenset({Status.WITHDRAWN, Status.CANCELLED, Status.REVOKED})


@dataclass(frozen=True)
class NumberingPolicy:
    """How registration numbers look and which counter they draw from.

    ``pattern`` fields: ``{seq}`` (zero-padded to ``pad``), ``{permit}``, ``{month_roman}``
    (I..XII), ``{month}`` (01..12), ``{year}``, ``{office}``. Month and year are those of the
    reservation date in the office's ``timezone`` (Balangan is on WITA, UTC+8), so a number taken
    at 07:00 on 1 January belongs to the new year. ``scope`` ``office_year`` keeps one counter per
    year for the whole office, ``permit_year`` one per permit code per year; both restart at 1
    each year.
    """

    pattern: str = "503/{seq}/{permit}/DPMPTSP-BLG/{month_roman}/{year}"
    scope: Literal["office_year", "permit_year"] = "office_year"
    pad: int = 4
    office: str = "DPMPTSP-BLG"
    timezone: str = "Asia/Makassar"

    def __post_init__(self) -> None:
        from .numbering import validate_policy  # local import: numbering imports this module

        validate_policy(self)


@dataclass(frozen=True)
class Record:
    """One registration number and what the registry knows about its decree."""

    number: str
    application_id: str
    permit: str
    status: Status
    seq: int
    scope: str
    year: int
    token: str
    holder_name: str
    holder_nik_masked: str | None
    received_on: date | None
    approved_on: date | None
    reserved_at: datetime
    issued_at: datetime | None
    sha256: str | None
    signed_sha256: str | None
    path: str | None
    signer_subject: str | None
    signer_fingerprint: str | None
    replaces: str | None
    replaced_by: str | None
    status_reason: str | None
    status_decree: str | None
    status_changed_at: datetime | None
    data: dict[str, Any] = field(default_factory=dict)

    def as_dict(self, *, include_token: bool = False) -> dict[str, Any]:
        """JSON-ready dict (dates as ISO 8601). The verification token only on request."""
        out: dict[str, Any] = {}
        for name in self.__dataclass_fields__:
            if name == "token" and not include_token:
                continue
            value = getattr(self, name)
            if isinstance(value, Status):
                value = value.value
            elif isinstance(value, date | datetime):
                value = value.isoformat()
            out[name] = value
        return out


@dataclass(frozen=True)
class AuditEntry:
    """One link of the audit chain; ``hash`` covers ``prev_hash`` and every other field."""

    id: int
    at: datetime
    actor: str
    action: str
    number: str | None
    detail: dict[str, Any]
    prev_hash: str
    hash: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "at": self.at.isoformat(),
            "actor": self.actor,
            "action": self.action,
            "number": self.number,
            "detail": self.detail,
            "prev_hash": self.prev_hash,
            "hash": self.hash,
        }


@dataclass(frozen=True)
class AuditCheck:
    """Result of recomputing the audit chain. ``first_bad`` is the id of the first broken entry."""

    ok: bool
    entries: int
    first_bad: int | None
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "entries": self.entries,
            "first_bad": self.first_bad,
            "message": self.message,
        }


@dataclass(frozen=True)
class IssueMark:
    """One ``reserved -> issued`` step for :meth:`Registry.mark_issued_many` (the arguments of
    :meth:`Registry.mark_issued`)."""

    number: str
    sha256: str
    path: str
    signer_subject: str
    signer_fingerprint: str
    actor: str
    when: datetime | None = None
    signed_sha256: str | None = None


@runtime_checkable
class Registry(Protocol):
    """Where registration numbers are allocated and permit states are kept, with an audit trail."""

    def reserve(
        self,
        *,
        application_id: str,
        permit: str,
        holder_name: str,
        holder_nik_masked: str | None,
        received_on: date | None,
        approved_on: date | None,
        data: dict[str, Any],
        actor: str,
        when: datetime | None = None,
    ) -> Record: ...

    def mark_issued(
        self,
        number: str,
        *,
        sha256: str,
        path: str,
        signer_subject: str,
        signer_fingerprint: str,
        actor: str,
        when: datetime | None = None,
        signed_sha256: str | None = None,
    ) -> Record: ...

    def mark_issued_many(self, marks: Sequence[IssueMark]) -> list[Record | RegistryError]:
        """Several :meth:`mark_issued` in one transaction; per mark the record as issued, or
        the error that mark alone met (the others still go in)."""
        ...

    def void(self, number: str, *, reason: str, actor: str) -> Record: ...

    def revoke(
        self, number: str, *, kind: Status, reason: str, decree: str, actor: str
    ) -> Record: ...

    def reserve_replacement(
        self,
        old_number: str,
        *,
        application_id: str,
        permit: str,
        holder_name: str,
        holder_nik_masked: str | None,
        received_on: date | None,
        approved_on: date | None,
        data: dict[str, Any],
        actor: str,
        reason: str,
        when: datetime | None = None,
    ) -> Record: ...

    def get(self, number: str) -> Record | None: ...

    def by_token(self, token: str) -> Record | None: ...

    def by_application(self, application_id: str) -> Record | None: ...

    def by_sha256(self, sha256: str) -> Record | None: ...

    def list(
        self,
        *,
        status: Status | None = None,
        permit: str | None = None,
        limit: int | None = None,
    ) -> list[Record]: ...

    def record_event(
        self,
        *,
        action: str,
        actor: str,
        number: str | None = None,
        detail: dict[str, Any] | None = None,
    ) -> None: ...

    def record_verification(self, *, channel: str, verdict: str,
                            number: str | None = None) -> None:
        """Count one public-portal verification, outside the audit trail."""
        ...

    def audit_check(self) -> AuditCheck: ...

    def audit_entries(self, number: str | None = None) -> builtins.list[AuditEntry]: ...

    def close(self) -> None: ...
