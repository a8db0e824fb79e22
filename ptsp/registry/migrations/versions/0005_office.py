"""The back office's tables (``office_*``): accounts, logins, sessions, uploads, workflow, jobs.

Until this revision the office code created them itself (SQLAlchemy ``create_all`` on first
use), beside the registry's Alembic history. A database made by that code is at revision 0004
and already holds some or all of them: a table or index that exists is kept as it is (the old
code made exactly these definitions), one that is missing is created, so an old database and a
fresh one end with the same schema. An existing table without one of these columns would not
be a database the old code made: the upgrade stops and names the table and the columns.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03
"""

from collections.abc import Callable

import sqlalchemy as sa
from alembic import op

from ptsp.registry.migrations.frozen import UTCDateTime as _UTC  # never follows schema.py

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def _users() -> list[sa.Column]:
    return [
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("username", sa.String(64), nullable=False, unique=True),
        sa.Column("full_name", sa.Text, nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("password_hash", sa.Text, nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("failed_count", sa.Integer, nullable=False),
        sa.Column("locked_until", _UTC),
        sa.Column("created_at", _UTC, nullable=False),
        sa.Column("last_login_at", _UTC),
    ]


def _login_failures() -> list[sa.Column]:
    return [
        sa.Column("client", sa.String(64), primary_key=True),
        sa.Column("username", sa.String(64), primary_key=True),
        sa.Column("failures", sa.Integer, nullable=False),
        sa.Column("last_at", _UTC, nullable=False),
        sa.Column("blocked_until", _UTC),
    ]


def _sessions() -> list[sa.Column]:
    return [
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("office_users.id"), nullable=False),
        sa.Column("csrf", sa.String(64), nullable=False),
        sa.Column("created_at", _UTC, nullable=False),
        sa.Column("last_seen_at", _UTC, nullable=False),
        sa.Column("expires_at", _UTC, nullable=False),
    ]


def _uploads() -> list[sa.Column]:
    return [
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("filename", sa.Text, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("uploaded_by", sa.String(64), nullable=False),
        sa.Column("uploaded_at", _UTC, nullable=False),
        sa.Column("total", sa.Integer, nullable=False),
        sa.Column("valid", sa.Integer, nullable=False),
        sa.Column("rejected", sa.Integer, nullable=False),
        sa.Column("errors", sa.JSON, nullable=False),
    ]


def _applications() -> list[sa.Column]:
    return [
        sa.Column("application_id", sa.String(120), primary_key=True),
        sa.Column("permit", sa.String(60), nullable=False),
        sa.Column("holder_name", sa.Text, nullable=False),
        sa.Column("received_on", sa.Date),
        sa.Column("approved_on", sa.Date),
        sa.Column("raw", sa.JSON, nullable=False),
        sa.Column("source_file", sa.Text, nullable=False),
        sa.Column("source_row", sa.Integer, nullable=False),
        sa.Column("upload_id", sa.Integer, sa.ForeignKey("office_uploads.id"), nullable=False),
        sa.Column("stage", sa.String(16), nullable=False),
        sa.Column("stage_since", _UTC, nullable=False),
        sa.Column("number", sa.String(120)),
        sa.Column("draft_path", sa.Text),
        sa.Column("signed_path", sa.Text),
        sa.Column("note", sa.Text),
        sa.Column("note_by", sa.String(64)),
        sa.Column("last_error", sa.Text),
        sa.Column("kasi_by", sa.String(64)),
        sa.Column("kabid_by", sa.String(64)),
        sa.Column("signed_by", sa.String(64)),
        sa.Column("signed_at", _UTC),
        sa.Column("created_at", _UTC, nullable=False),
    ]


def _jobs() -> list[sa.Column]:
    return [
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("done", sa.Integer, nullable=False),
        sa.Column("total", sa.Integer, nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", _UTC, nullable=False),
        sa.Column("finished_at", _UTC),
        sa.Column("message", sa.Text),
        sa.Column("results", sa.JSON, nullable=False),
    ]


#: (table, its columns, its indexes as (name, columns)), parents before children.
TABLES: tuple[tuple[str, Callable[[], list[sa.Column]], tuple[tuple[str, list[str]], ...]], ...] = (
    ("office_users", _users, ()),
    ("office_login_failures", _login_failures, ()),
    ("office_sessions", _sessions, (("ix_office_sessions_user_id", ["user_id"]),)),
    ("office_uploads", _uploads, ()),
    ("office_applications", _applications, (
        ("ix_office_applications_permit", ["permit"]),
        ("ix_office_applications_upload_id", ["upload_id"]),
        ("ix_office_applications_stage", ["stage"]),
    )),
    ("office_jobs", _jobs, ()),
)


def upgrade() -> None:
    inspector = sa.inspect(op.get_bind())
    existing = set(inspector.get_table_names())
    for table, columns, indexes in TABLES:
        have_indexes: set[str | None] = set()
        if table in existing:  # made by the office code before this revision
            have = {c["name"] for c in inspector.get_columns(table)}
            missing = [c.name for c in columns() if c.name not in have]
            if missing:
                raise RuntimeError(
                    f"table {table} exists without the columns {', '.join(missing)}: it was "
                    "not made by ptsp's office code; rename or drop it, then migrate again")
            have_indexes = {ix["name"] for ix in inspector.get_indexes(table)}
        else:
            op.create_table(table, *columns())
        for name, cols in indexes:
            if name not in have_indexes:
                op.create_index(name, table, cols)


def downgrade() -> None:
    for table, _columns, indexes in reversed(TABLES):
        for name, _cols in indexes:
            op.drop_index(name, table_name=table)
        op.drop_table(table)
