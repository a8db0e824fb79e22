"""Registry schema: records, counters, audit chain with head, append-only triggers.

Revision ID: 0001
Revises:
Create Date: 2025-01-01
"""

import sqlalchemy as sa
from alembic import op

from ptsp.registry.migrations.frozen import UTCDateTime as _UTC  # never follows schema.py

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

GENESIS = "0" * 64


def upgrade() -> None:
    op.create_table(
        "registry_records",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("number", sa.String(120), nullable=False),
        sa.Column("application_id", sa.String(120), nullable=False),
        sa.Column("permit", sa.String(60), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("scope", sa.String(80), nullable=False),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("token", sa.String(64), nullable=False),
        sa.Column("holder_name", sa.Text, nullable=False),
        sa.Column("holder_nik_masked", sa.String(32)),
        sa.Column("received_on", sa.Date),
        sa.Column("approved_on", sa.Date),
        sa.Column("reserved_at", _UTC, nullable=False),
        sa.Column("issued_at", _UTC),
        sa.Column("sha256", sa.String(64)),
        sa.Column("signed_sha256", sa.String(64)),
        sa.Column("path", sa.Text),
        sa.Column("signer_subject", sa.Text),
        sa.Column("signer_fingerprint", sa.String(128)),
        sa.Column("replaces", sa.String(120)),
        sa.Column("replaced_by", sa.String(120)),
        sa.Column("status_reason", sa.Text),
        sa.Column("status_decree", sa.Text),
        sa.Column("status_changed_at", _UTC),
        sa.Column("data", sa.JSON, nullable=False),
        sa.UniqueConstraint("number", name="uq_registry_records_number"),
        sa.UniqueConstraint("token", name="uq_registry_records_token"),
        sa.UniqueConstraint("scope", "year", "seq", name="uq_registry_records_scope_year_seq"),
    )
    op.create_index("ix_registry_records_application_id", "registry_records", ["application_id"])
    op.create_index("ix_registry_records_sha256", "registry_records", ["sha256"])
    op.create_index("ix_registry_records_signed_sha256", "registry_records", ["signed_sha256"])
    op.create_index("ix_registry_records_replaces", "registry_records", ["replaces"])
    op.create_index(
        "ix_registry_records_status_permit", "registry_records", ["status", "permit"]
    )
    op.create_table(
        "registry_counters",
        sa.Column("scope", sa.String(80), primary_key=True),
        sa.Column("year", sa.Integer, primary_key=True),
        sa.Column("last_seq", sa.Integer, nullable=False),
    )
    op.create_table(
        "registry_audit",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("at", _UTC, nullable=False),
        sa.Column("actor", sa.Text, nullable=False),
        sa.Column("action", sa.String(60), nullable=False),
        sa.Column("number", sa.String(120)),
        sa.Column("detail", sa.Text, nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.UniqueConstraint("hash", name="uq_registry_audit_hash"),
    )
    head = op.create_table(
        "registry_audit_head",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("last_id", sa.Integer, nullable=False),
        sa.Column("last_hash", sa.String(64), nullable=False),
    )
    op.bulk_insert(head, [{"id": 1, "last_id": 0, "last_hash": GENESIS}])

    if op.get_context().dialect.name == "postgresql":
        op.execute(
            """
            CREATE FUNCTION registry_reject_change() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION '% on % is not allowed: the table is append-only',
                    TG_OP, TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
            END $$
            """
        )
        op.execute(
            "CREATE TRIGGER registry_audit_append_only BEFORE UPDATE OR DELETE ON registry_audit "
            "FOR EACH ROW EXECUTE FUNCTION registry_reject_change()"
        )
        op.execute(
            "CREATE TRIGGER registry_audit_no_truncate BEFORE TRUNCATE ON registry_audit "
            "FOR EACH STATEMENT EXECUTE FUNCTION registry_reject_change()"
        )
        op.execute(
            "CREATE TRIGGER registry_records_no_delete BEFORE DELETE ON registry_records "
            "FOR EACH ROW EXECUTE FUNCTION registry_reject_change()"
        )
        op.execute(
            "CREATE TRIGGER registry_records_no_truncate BEFORE TRUNCATE ON registry_records "
            "FOR EACH STATEMENT EXECUTE FUNCTION registry_reject_change()"
        )
    else:
        for name, event, table in (
            ("registry_audit_no_update", "UPDATE", "registry_audit"),
            ("registry_audit_no_delete", "DELETE", "registry_audit"),
            ("registry_records_no_delete", "DELETE", "registry_records"),
        ):
            op.execute(
                f"CREATE TRIGGER {name} BEFORE {event} ON {table} BEGIN "
                f"SELECT RAISE(ABORT, '{event} on {table} is not allowed: "
                "the table is append-only'); END"
            )


def downgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        op.execute("DROP FUNCTION registry_reject_change() CASCADE")
    op.drop_table("registry_audit_head")
    op.drop_table("registry_audit")
    op.drop_table("registry_counters")
    op.drop_table("registry_records")
