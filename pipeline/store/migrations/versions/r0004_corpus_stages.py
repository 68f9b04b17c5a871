"""Whole-corpus stages keep their results: corpus_stages (mark + result), candidates and
their member passages.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
ID = sa.String(255)
PID = sa.String(400)
HASH = sa.String(64)


def upgrade() -> None:
    op.create_table(
        "corpus_stages",
        sa.Column("corpus_id", ID, nullable=False),
        sa.Column("stage", sa.String(32), nullable=False),
        sa.Column("inputs_hash", HASH, nullable=False),
        sa.Column("codebook_hash", HASH, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("result", sa.Text, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("corpus_id", "stage", name="pk_corpus_stages"),
        sa.ForeignKeyConstraint(
            ["corpus_id"], ["corpora.id"], name="fk_corpus_stages_corpus_id_corpora"
        ),
        sa.CheckConstraint(
            "stage IN ('cluster', 'saturation', 'agreement')", name="ck_corpus_stages_stage"
        ),
        sa.CheckConstraint("status IN ('done', 'skipped')", name="ck_corpus_stages_status"),
    )
    op.create_table(
        "candidates",
        sa.Column("corpus_id", ID, nullable=False),
        sa.Column("id", ID, nullable=False),
        sa.Column("codebook_hash", HASH, nullable=False),
        sa.Column("label_zh", sa.Text, nullable=False),
        sa.Column("label_en", sa.Text, nullable=False),
        sa.Column("novelty", sa.Float, nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("data", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("corpus_id", "id", name="pk_candidates"),
        sa.ForeignKeyConstraint(
            ["corpus_id"], ["corpora.id"], name="fk_candidates_corpus_id_corpora"
        ),
    )
    op.create_table(
        "candidate_passages",
        sa.Column("corpus_id", ID, nullable=False),
        sa.Column("candidate_id", ID, nullable=False),
        sa.Column("passage_id", PID, nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint(
            "corpus_id", "candidate_id", "passage_id", name="pk_candidate_passages"
        ),
        sa.ForeignKeyConstraint(
            ["corpus_id", "candidate_id"],
            ["candidates.corpus_id", "candidates.id"],
            name="fk_candidate_passages_corpus_id_candidates",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_candidate_passages_passage_id", "candidate_passages", ["passage_id"])


def downgrade() -> None:
    op.drop_index("ix_candidate_passages_passage_id", table_name="candidate_passages")
    for table in ("candidate_passages", "candidates", "corpus_stages"):
        op.drop_table(table)
