"""Initial schema: corpora, documents, passages, codebooks, runs, document state,
suggestions, coders, codings, memos.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
ID = sa.String(255)
PID = sa.String(400)
HASH = sa.String(64)


def _pk(table: str) -> sa.PrimaryKeyConstraint:
    return sa.PrimaryKeyConstraint(name=f"pk_{table}")


def _documents_and_passages() -> None:
    op.create_table(
        "corpora",
        sa.Column("id", ID, primary_key=True),
        sa.Column("created_at", TS, nullable=False),
        _pk("corpora"),
    )
    op.create_table(
        "documents",
        sa.Column("id", ID, primary_key=True),
        sa.Column("corpus_id", ID, nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("lang", sa.String(16), nullable=False),
        sa.Column("sha256", HASH, nullable=False),
        sa.Column("meta", sa.JSON, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        _pk("documents"),
        sa.ForeignKeyConstraint(
            ["corpus_id"], ["corpora.id"], name="fk_documents_corpus_id_corpora"
        ),
    )
    op.create_index("ix_documents_corpus_id", "documents", ["corpus_id"])
    op.create_table(
        "passages",
        sa.Column("id", PID, primary_key=True),
        sa.Column("doc_id", ID, nullable=False),
        sa.Column("start", sa.Integer, nullable=False),
        sa.Column("end", sa.Integer, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("lang", sa.String(16), nullable=False),
        sa.Column("paragraph", sa.Integer, nullable=False),
        sa.Column("speaker", sa.Text),
        sa.Column("speaker_role", sa.String(64)),
        sa.Column("tokens", sa.JSON, nullable=False),
        sa.Column("codable", sa.Boolean, nullable=False),
        sa.Column("context_before", sa.Text, nullable=False),
        sa.Column("context_after", sa.Text, nullable=False),
        _pk("passages"),
        sa.ForeignKeyConstraint(
            ["doc_id"],
            ["documents.id"],
            name="fk_passages_doc_id_documents",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_passages_doc_id_start", "passages", ["doc_id", "start"])
    op.create_table(
        "document_state",
        sa.Column("doc_id", ID, nullable=False),
        sa.Column("stage", sa.String(16), nullable=False),
        sa.Column("content_hash", HASH, nullable=False),
        sa.Column("codebook_hash", ID, nullable=False),
        sa.Column("embedder_id", sa.Text, nullable=False),
        sa.Column("settings_hash", ID, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("doc_id", "stage", name="pk_document_state"),
        sa.ForeignKeyConstraint(
            ["doc_id"],
            ["documents.id"],
            name="fk_document_state_doc_id_documents",
            ondelete="CASCADE",
        ),
        sa.CheckConstraint(
            "stage IN ('segmented', 'embedded', 'classified')", name="ck_document_state_stage"
        ),
    )


def _codebooks_and_runs() -> None:
    op.create_table(
        "codebooks",
        sa.Column("hash", HASH, primary_key=True),
        sa.Column("id", ID, nullable=False),
        sa.Column("version", sa.String(64), nullable=False),
        sa.Column("content", sa.Text, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        _pk("codebooks"),
    )
    op.create_index("ix_codebooks_id", "codebooks", ["id"])
    op.create_table(
        "runs",
        sa.Column("id", ID, primary_key=True),
        sa.Column("config", sa.JSON, nullable=False),
        sa.Column("code_version", sa.String(64), nullable=False),
        sa.Column("codebook_hash", HASH),
        sa.Column("embedder_id", sa.Text),
        sa.Column("seed", sa.Integer, nullable=False),
        sa.Column("started_at", TS, nullable=False),
        sa.Column("finished_at", TS),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("timings", sa.JSON, nullable=False),
        _pk("runs"),
        sa.CheckConstraint("status IN ('running', 'finished', 'failed')", name="ck_runs_status"),
    )


def _suggestions() -> None:
    op.create_table(
        "suggestions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("passage_id", PID, nullable=False),
        sa.Column("code_id", ID, nullable=False),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("rank", sa.Integer, nullable=False),
        sa.Column("level", sa.String(64), nullable=False),
        sa.Column("method", sa.String(64), nullable=False),
        sa.Column("model", sa.Text, nullable=False),
        sa.Column("accepted", sa.Boolean, nullable=False),
        sa.Column("codebook_hash", HASH, nullable=False),
        _pk("suggestions"),
        sa.ForeignKeyConstraint(
            ["passage_id"],
            ["passages.id"],
            name="fk_suggestions_passage_id_passages",
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint(
            "passage_id",
            "codebook_hash",
            "level",
            "code_id",
            name="uq_suggestions_passage_id_codebook_hash_level_code_id",
        ),
    )


def _coders_codings_memos() -> None:
    op.create_table(
        "coders",
        sa.Column("id", ID, primary_key=True),
        sa.Column("created_at", TS, nullable=False),
        _pk("coders"),
    )
    op.create_table(
        "codings",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("coder_id", ID, nullable=False),
        sa.Column("passage_id", PID, nullable=False),
        sa.Column("code_id", ID),
        sa.Column("decision", sa.String(16), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("shown_code", ID),
        sa.Column("score", sa.Float),
        sa.Column("model", sa.Text),
        sa.Column("memo", sa.Text),
        sa.Column("undone_at", TS),
        _pk("codings"),
        sa.ForeignKeyConstraint(["coder_id"], ["coders.id"], name="fk_codings_coder_id_coders"),
        sa.CheckConstraint(
            "decision IN ('accept', 'reject', 'add', 'none', 'adjudicate')",
            name="ck_codings_decision",
        ),
    )
    op.create_index("ix_codings_coder_id_passage_id", "codings", ["coder_id", "passage_id"])
    op.create_index("ix_codings_passage_id", "codings", ["passage_id"])
    op.create_table(
        "memos",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("coder_id", ID, nullable=False),
        sa.Column("passage_id", PID),
        sa.Column("code_id", ID),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        _pk("memos"),
        sa.ForeignKeyConstraint(["coder_id"], ["coders.id"], name="fk_memos_coder_id_coders"),
    )
    op.create_index("ix_memos_passage_id", "memos", ["passage_id"])


def upgrade() -> None:
    _documents_and_passages()
    _codebooks_and_runs()
    _suggestions()
    _coders_codings_memos()


def downgrade() -> None:
    for table in (
        "memos",
        "codings",
        "coders",
        "suggestions",
        "runs",
        "codebooks",
        "document_state",
        "passages",
        "documents",
        "corpora",
    ):
        op.drop_table(table)
