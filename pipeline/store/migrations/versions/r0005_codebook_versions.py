"""Codebook versions with their lineage, the version of each human decision, and the
researchers' decisions on candidate categories.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
ID = sa.String(255)
HASH = sa.String(64)


def upgrade() -> None:
    with op.batch_alter_table("codebooks") as batch:
        batch.add_column(sa.Column("parent_hash", HASH))
        batch.add_column(sa.Column("author", sa.Text))
        batch.add_column(sa.Column("reason", sa.Text))
        batch.add_column(sa.Column("changes", sa.Text))
    with op.batch_alter_table("codings") as batch:
        batch.add_column(sa.Column("codebook_hash", HASH))
    op.create_table(
        "candidate_decisions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("corpus_id", ID, nullable=False),
        sa.Column("candidate_id", ID, nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("coder_id", ID, nullable=False),
        sa.Column("code_id", ID),
        sa.Column("codebook_hash", HASH, nullable=False),
        sa.Column("new_codebook_hash", HASH),
        sa.Column("passage_ids", sa.Text, nullable=False),
        sa.Column("details", sa.Text, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_candidate_decisions"),
        sa.ForeignKeyConstraint(
            ["coder_id"], ["coders.id"], name="fk_candidate_decisions_coder_id_coders"
        ),
        sa.CheckConstraint(
            "action IN ('accept', 'merge', 'rename', 'move_out', 'reject')",
            name="ck_candidate_decisions_action",
        ),
    )
    op.create_index(
        "ix_candidate_decisions_corpus_id_candidate_id",
        "candidate_decisions",
        ["corpus_id", "candidate_id"],
    )


def downgrade() -> None:
    op.drop_index("ix_candidate_decisions_corpus_id_candidate_id",
                  table_name="candidate_decisions")
    op.drop_table("candidate_decisions")
    with op.batch_alter_table("codings") as batch:
        batch.drop_column("codebook_hash")
    with op.batch_alter_table("codebooks") as batch:
        for column in ("changes", "reason", "author", "parent_hash"):
            batch.drop_column(column)
