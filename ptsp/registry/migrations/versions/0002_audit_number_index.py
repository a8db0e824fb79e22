"""Index the audit trail by registration number (``ptsp registry show`` reads it per number).

Revision ID: 0002
Revises: 0001
Create Date: 2025-01-02
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_registry_audit_number", "registry_audit", ["number"])


def downgrade() -> None:
    op.drop_index("ix_registry_audit_number", table_name="registry_audit")

