"""The permit registry: gapless registration numbers, permit states and a hash-chained audit trail.

    >>> reg = open_registry("sqlite:///var/registry.sqlite")
    >>> rec = reg.reserve(application_id="A-1", permit="PBG", holder_name="Siti", ...)
    >>> reg.mark_issued(rec.number, sha256=..., path=..., signer_subject=..., ...)

Backends: SQLite (one office machine) and PostgreSQL (several clerks/machines), both through
``SqlRegistry``. Errors all derive from ``RegistryError`` (see ``errors``).
"""

from .audit import GENESIS, canonical_json, entry_hash
from .errors import (
    ConflictError,
    InvalidRequest,
    InvalidTransition,
    MigrationError,
    NumberingError,
    NumberNotFound,
    RegistryError,
    StorageError,
)
from .model import (
    REVOCATION_KINDS,
    AuditCheck,
    AuditEntry,
    IssueMark,
    NumberingPolicy,
    Record,
    Registry,
    Status,
)
from .numbering import format_number, month_roman, scope_key
from .report import SlaReport, SlaRow, export_csv, sla_report, working_days_between
from .store import SqlRegistry, open_registry

__all__ = [
    "GENESIS",
    "REVOCATION_KINDS",
    "AuditCheck",
    "AuditEntry",
    "ConflictError",
    "InvalidRequest",
    "InvalidTransition",
    "IssueMark",
    "MigrationError",
    "NumberNotFound",
    "NumberingError",
    "NumberingPolicy",
    "Record",
    "Registry",
    "RegistryError",
    "SlaReport",
    "SlaRow",
    "SqlRegistry",
    "StorageError",
    "Status",
    "canonical_json",
    "entry_hash",
    "export_csv",
    "format_number",
    "month_roman",
    "open_registry",
    "scope_key",
    "sla_report",
    "working_days_between",
]
