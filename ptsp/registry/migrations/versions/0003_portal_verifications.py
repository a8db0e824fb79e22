"""Count the portal's verifications in their own table, outside the office's audit chain.

Anonymous checks on the public portal used to be audit entries: a load test pushed the
office's own actions off the audit page. They are statistics, not office actions.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "registry_verifications",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("number", sa.String(120)),
        sa.Column("verdict", sa.String(32), nullable=False),
    )
    op.create_index("ix_registry_verifications_at", "registry_verifications", ["at"])
    op.create_index("ix_registry_verifications_number", "registry_verifications", ["number"])


def downgrade() -> None:
    op.drop_table("registry_verifications")
