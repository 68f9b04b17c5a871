"""Run counts column and an index for the "filter the review queue by code" query.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.add_column(sa.Column("counts", sa.JSON, nullable=False, server_default="{}"))
    op.create_index("ix_suggestions_code_id_score", "suggestions", ["code_id", "score"])


def downgrade() -> None:
    op.drop_index("ix_suggestions_code_id_score", table_name="suggestions")
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("counts")
