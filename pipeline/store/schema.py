"""The store's tables (SQLAlchemy Core), one ``MetaData`` for SQLite and PostgreSQL.

This module describes the schema at the newest migration revision; the Alembic
scripts in :mod:`pipeline.store.migrations` create it step by step, and a test
checks that the two never drift apart.

Human decisions (``codings``) and memos refer to passages by their stable id
without a foreign key on purpose: re-segmenting or removing a document must never
delete a coder's work, and a passage id (``doc:start-end``) comes back unchanged
when its text does.
"""

from __future__ import annotations

import sqlalchemy as sa

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

STAGES = ("segmented", "embedded", "classified")
CORPUS_STAGES = ("cluster", "saturation", "agreement")  # whole-corpus stages (corpus_stages)
CORPUS_STAGE_STATUSES = ("done", "skipped")
CANDIDATE_ACTIONS = ("accept", "merge", "rename", "move_out", "reject")
DECISIONS = ("accept", "reject", "add", "none", "adjudicate")
RUN_STATUSES = ("running", "finished", "failed")

metadata = sa.MetaData(naming_convention=NAMING)
TS = sa.DateTime(timezone=True)
ID = sa.String(255)
HASH = sa.String(64)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


corpora = sa.Table(
    "corpora",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("created_at", TS, nullable=False),
)

documents = sa.Table(
    "documents",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("corpus_id", ID, sa.ForeignKey("corpora.id"), nullable=False, index=True),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("lang", sa.String(16), nullable=False),
    sa.Column("sha256", HASH, nullable=False),
    sa.Column("meta", sa.JSON, nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("source", sa.Text, nullable=False),
    sa.Column("updated_at", TS, nullable=False),
)

passages = sa.Table(
    "passages",
    metadata,
    sa.Column("id", sa.String(400), primary_key=True),
    sa.Column("doc_id", ID, sa.ForeignKey("documents.id", ondelete="CASCADE"), nullable=False),
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
    sa.Column("content", sa.Text),  # what the models read, when it differs from text
    sa.Index(None, "doc_id", "start"),
)

codebooks = sa.Table(
    "codebooks",
    metadata,
    sa.Column("hash", HASH, primary_key=True),
    sa.Column("id", ID, nullable=False, index=True),
    sa.Column("version", sa.String(64), nullable=False),
    sa.Column("content", sa.Text, nullable=False),
    sa.Column("created_at", TS, nullable=False),
    # lineage (revision 0005): the version it was made from, by whom, why, what changed
    sa.Column("parent_hash", HASH),
    sa.Column("author", sa.Text),
    sa.Column("reason", sa.Text),
    sa.Column("changes", sa.Text),  # JSON list of one-line descriptions
)

runs = sa.Table(
    "runs",
    metadata,
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
    sa.Column("counts", sa.JSON, nullable=False, server_default="{}"),
    sa.CheckConstraint(_in("status", RUN_STATUSES), name="status"),
)

document_state = sa.Table(
    "document_state",
    metadata,
    sa.Column(
        "doc_id",
        ID,
        sa.ForeignKey("documents.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("stage", sa.String(16), primary_key=True),
    sa.Column("content_hash", HASH, nullable=False),
    sa.Column("codebook_hash", sa.String(255), nullable=False),
    sa.Column("embedder_id", sa.Text, nullable=False),
    sa.Column("settings_hash", sa.String(255), nullable=False),
    sa.Column("updated_at", TS, nullable=False),
    sa.CheckConstraint(_in("stage", STAGES), name="stage"),
)

suggestions = sa.Table(
    "suggestions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column(
        "passage_id",
        sa.String(400),
        sa.ForeignKey("passages.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("code_id", ID, nullable=False),
    sa.Column("score", sa.Float, nullable=False),
    sa.Column("rank", sa.Integer, nullable=False),
    sa.Column("level", sa.String(64), nullable=False),
    sa.Column("method", sa.String(64), nullable=False),
    sa.Column("model", sa.Text, nullable=False),
    sa.Column("accepted", sa.Boolean, nullable=False),
    sa.Column("codebook_hash", HASH, nullable=False),
    sa.UniqueConstraint("passage_id", "codebook_hash", "level", "code_id"),
    sa.Index(None, "code_id", "score"),
)

coders = sa.Table(
    "coders",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("created_at", TS, nullable=False),
)

codings = sa.Table(
    "codings",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("coder_id", ID, sa.ForeignKey("coders.id"), nullable=False),
    sa.Column("passage_id", sa.String(400), nullable=False),
    sa.Column("code_id", ID),
    sa.Column("decision", sa.String(16), nullable=False),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("shown_code", ID),
    sa.Column("score", sa.Float),
    sa.Column("model", sa.Text),
    sa.Column("memo", sa.Text),
    sa.Column("undone_at", TS),
    sa.Column("codebook_hash", HASH),  # the codebook version the decision was made with
    sa.CheckConstraint(_in("decision", DECISIONS), name="decision"),
    sa.Index(None, "coder_id", "passage_id"),
    sa.Index(None, "passage_id"),
)

memos = sa.Table(
    "memos",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("coder_id", ID, sa.ForeignKey("coders.id"), nullable=False),
    sa.Column("passage_id", sa.String(400), index=True),
    sa.Column("code_id", ID),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("created_at", TS, nullable=False),
)


corpus_stages = sa.Table(
    "corpus_stages",
    metadata,
    sa.Column("corpus_id", ID, sa.ForeignKey("corpora.id"), primary_key=True),
    sa.Column("stage", sa.String(32), primary_key=True),
    sa.Column("inputs_hash", HASH, nullable=False),
    sa.Column("codebook_hash", HASH, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("note", sa.Text, nullable=False),
    sa.Column("result", sa.Text, nullable=False),  # JSON text (NaN allowed), see results.py
    sa.Column("updated_at", TS, nullable=False),
    sa.CheckConstraint(_in("stage", CORPUS_STAGES), name="stage"),
    sa.CheckConstraint(_in("status", CORPUS_STAGE_STATUSES), name="status"),
)

candidates = sa.Table(
    "candidates",
    metadata,
    sa.Column("corpus_id", ID, sa.ForeignKey("corpora.id"), primary_key=True),
    sa.Column("id", ID, primary_key=True),
    sa.Column("codebook_hash", HASH, nullable=False),
    sa.Column("label_zh", sa.Text, nullable=False),
    sa.Column("label_en", sa.Text, nullable=False),
    sa.Column("novelty", sa.Float, nullable=False),
    sa.Column("size", sa.Integer, nullable=False),
    sa.Column("data", sa.Text, nullable=False),  # JSON: keywords, representatives, nearest codes
)

candidate_passages = sa.Table(
    "candidate_passages",
    metadata,
    sa.Column("corpus_id", ID, primary_key=True),
    sa.Column("candidate_id", ID, primary_key=True),
    sa.Column("passage_id", sa.String(400), primary_key=True),
    sa.Column("position", sa.Integer, nullable=False),
    sa.ForeignKeyConstraint(
        ["corpus_id", "candidate_id"], ["candidates.corpus_id", "candidates.id"],
        ondelete="CASCADE",
    ),
    sa.Index(None, "passage_id"),
)

candidate_decisions = sa.Table(
    "candidate_decisions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("corpus_id", ID, nullable=False),
    sa.Column("candidate_id", ID, nullable=False),
    sa.Column("action", sa.String(16), nullable=False),
    sa.Column("coder_id", ID, sa.ForeignKey("coders.id"), nullable=False),
    sa.Column("code_id", ID),  # the new code (accept) or the code merged into (merge)
    sa.Column("codebook_hash", HASH, nullable=False),  # the version the decision was made with
    sa.Column("new_codebook_hash", HASH),  # the version it created (accept, merge)
    sa.Column("passage_ids", sa.Text, nullable=False),  # JSON list
    sa.Column("details", sa.Text, nullable=False),  # JSON: names, definition, memo, label
    sa.Column("created_at", TS, nullable=False),
    sa.CheckConstraint(_in("action", CANDIDATE_ACTIONS), name="action"),
    sa.Index(None, "corpus_id", "candidate_id"),
)
