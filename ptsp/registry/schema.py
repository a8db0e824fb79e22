"""Table definitions (SQLAlchemy Core) matching the head migration, and the UTC timestamp type.

Migrations in ``migrations/versions`` are self-contained; keep this module equal to their result
(``tests/integration/test_schema_migrations.py`` checks it, with the applicant and office tables).
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Dialect

metadata = sa.MetaData()

RECORDS = "registry_records"
COUNTERS = "registry_counters"
AUDIT = "registry_audit"
AUDIT_HEAD = "registry_audit_head"
VERIFICATIONS = "registry_verifications"
VERSION_TABLE = "registry_alembic_version"


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """Aware UTC datetimes in the API; UTC in the database (naive on SQLite, timestamptz on
    PostgreSQL). Naive datetimes are refused rather than guessed."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value.isoformat()} given where UTC is required")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


records = sa.Table(
    RECORDS,
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("number", sa.String(120), nullable=False, unique=True),
    sa.Column("application_id", sa.String(120), nullable=False, index=True),
    sa.Column("permit", sa.String(60), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("scope", sa.String(80), nullable=False),
    sa.Column("year", sa.Integer, nullable=False),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("token", sa.String(64), nullable=False, unique=True),
    sa.Column("holder_name", sa.Text, nullable=False),
    sa.Column("holder_nik_masked", sa.String(32)),
    sa.Column("received_on", sa.Date),
    sa.Column("approved_on", sa.Date),
    sa.Column("reserved_at", UTCDateTime, nullable=False),
    sa.Column("issued_at", UTCDateTime),
    sa.Column("sha256", sa.String(64), index=True),
    sa.Column("signed_sha256", sa.String(64), index=True),
    sa.Column("path", sa.Text),
    sa.Column("signer_subject", sa.Text),
    sa.Column("signer_fingerprint", sa.String(128)),
    sa.Column("replaces", sa.String(120), index=True),
    sa.Column("replaced_by", sa.String(120)),
    sa.Column("status_reason", sa.Text),
    sa.Column("status_decree", sa.Text),
    sa.Column("status_changed_at", UTCDateTime),
    sa.Column("data", sa.JSON, nullable=False),
    sa.UniqueConstraint("scope", "year", "seq", name="uq_registry_records_scope_year_seq"),
    sa.Index("ix_registry_records_status_permit", "status", "permit"),
)

counters = sa.Table(
    COUNTERS,
    metadata,
    sa.Column("scope", sa.String(80), primary_key=True),
    sa.Column("year", sa.Integer, primary_key=True),
    sa.Column("last_seq", sa.Integer, nullable=False),
)

audit = sa.Table(
    AUDIT,
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Column("actor", sa.Text, nullable=False),
    sa.Column("action", sa.String(60), nullable=False),
    sa.Column("number", sa.String(120)),
    sa.Column("detail", sa.Text, nullable=False),
    sa.Column("prev_hash", sa.String(64), nullable=False),
    sa.Column("hash", sa.String(64), nullable=False, unique=True),
    sa.Index("ix_registry_audit_number", "number"),  # revision 0002
)

audit_head = sa.Table(
    AUDIT_HEAD,
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("last_id", sa.Integer, nullable=False),
    sa.Column("last_hash", sa.String(64), nullable=False),
)

verifications = sa.Table(  # revision 0003: the portal's checks, outside the audit chain
    VERIFICATIONS,
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Column("channel", sa.String(16), nullable=False),
    sa.Column("number", sa.String(120)),
    sa.Column("verdict", sa.String(32), nullable=False),
    sa.Index("ix_registry_verifications_at", "at"),
    sa.Index("ix_registry_verifications_number", "number"),
)


# Statements of the hot path, built once: building a statement per call cost more CPU than
# running it, and every registry write runs inside the one serialized section.
_bp = sa.bindparam

CURRENT_FOR_APPLICATION = (
    sa.select(records)
    .where(records.c.application_id == _bp("app"), records.c.status != "voided")
    .order_by(records.c.id.desc())
    .limit(1)
)
LOCK_RECORD = sa.select(records).where(records.c.number == _bp("num")).with_for_update()
INSERT_RECORD = records.insert()
BUMP_COUNTER = (
    sa.update(counters)
    .where(counters.c.scope == _bp("s"), counters.c.year == _bp("y"))
    .values(last_seq=counters.c.last_seq + 1)
    .returning(counters.c.last_seq)
)
BUMP_AUDIT_HEAD = (
    sa.update(audit_head)
    .where(audit_head.c.id == 1)
    .values(last_id=audit_head.c.last_id + 1)
    .returning(audit_head.c.last_id, audit_head.c.last_hash)
)
SET_AUDIT_HEAD_HASH = (
    sa.update(audit_head).where(audit_head.c.id == 1).values(last_hash=_bp("new_hash"))
)
INSERT_AUDIT = audit.insert()
