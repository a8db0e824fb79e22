"""Applicant side: receipts, SKM survey answers, complaints, e-mail outbox.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

from ptsp.registry.migrations.frozen import UTCDateTime as _UTC  # never follows schema.py

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "applicant_receipts",
        sa.Column("receipt", sa.String(32), primary_key=True),
        sa.Column("application_id", sa.String(120), nullable=False, unique=True),
        sa.Column("nik_last4", sa.String(4), nullable=False),
        sa.Column("survey_token", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", _UTC, nullable=False),
    )
    op.create_table(
        "applicant_surveys",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("application_id", sa.String(120), unique=True),
        sa.Column("permit", sa.String(60)),
        sa.Column("answered_on", sa.Date, nullable=False),
        *(sa.Column(f"u{i}", sa.SmallInteger, nullable=False) for i in range(1, 10)),
        sa.Column("source", sa.String(80), nullable=False),
        sa.Column("created_at", _UTC, nullable=False),
    )
    op.create_index("ix_applicant_surveys_answered_on", "applicant_surveys", ["answered_on"])
    op.create_table(
        "applicant_survey_imports",
        sa.Column("sha256", sa.String(64), primary_key=True),
        sa.Column("filename", sa.Text, nullable=False),
        sa.Column("rows", sa.Integer, nullable=False),
        sa.Column("imported_at", _UTC, nullable=False),
    )
    op.create_table(
        "applicant_complaints",
        sa.Column("number", sa.String(32), primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("contact", sa.Text, nullable=False),
        sa.Column("about", sa.String(160), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("attachment_name", sa.Text),
        sa.Column("attachment_type", sa.String(40)),
        sa.Column("attachment_path", sa.Text),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("answer", sa.Text),
        sa.Column("handled_by", sa.String(64)),
        sa.Column("created_at", _UTC, nullable=False),
        sa.Column("updated_at", _UTC, nullable=False),
        sa.Column("closed_at", _UTC),
    )
    op.create_index("ix_applicant_complaints_status", "applicant_complaints", ["status"])
    op.create_table(
        "applicant_outbox",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("dedupe", sa.String(200), nullable=False, unique=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("application_id", sa.String(120)),
        sa.Column("to_addr", sa.Text, nullable=False),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("attachment_path", sa.Text),
        sa.Column("attachment_name", sa.Text),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", _UTC, nullable=False),
        sa.Column("last_error", sa.Text),
        sa.Column("created_at", _UTC, nullable=False),
        sa.Column("sent_at", _UTC),
    )
    op.create_index("ix_applicant_outbox_state", "applicant_outbox", ["state"])


def downgrade() -> None:
    op.drop_index("ix_applicant_outbox_state", table_name="applicant_outbox")
    op.drop_table("applicant_outbox")
    op.drop_index("ix_applicant_complaints_status", table_name="applicant_complaints")
    op.drop_table("applicant_complaints")
    op.drop_table("applicant_survey_imports")
    op.drop_index("ix_applicant_surveys_answered_on", table_name="applicant_surveys")
    op.drop_table("applicant_surveys")
    op.drop_table("applicant_receipts")
