"""For you: kept reader models, the days ranked under them, their kept rankings, private feed tokens, papers read.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

TZ_DATETIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "reader_models",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("collection_id", sa.Integer),
        sa.Column("scope", sa.String(40), nullable=False),
        sa.Column("signals_key", sa.String(64), nullable=False),
        sa.Column("positives", sa.Integer, nullable=False),
        sa.Column("fitted_at", TZ_DATETIME, nullable=False),
        sa.Column("model", sa.LargeBinary, nullable=False),
        sa.ForeignKeyConstraint(["collection_id", "user_id"], ["collections.id", "collections.user_id"],
                                ondelete="CASCADE", name="fk_reader_models_collection"),
        sa.UniqueConstraint("user_id", "scope", name="uq_reader_models_user_scope"),
    )
    op.create_table(
        "ranked_days",
        sa.Column("model_id", sa.Integer, sa.ForeignKey("reader_models.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("candidates", sa.Integer, nullable=False),
        sa.Column("ranked_at", TZ_DATETIME, nullable=False),
    )
    op.create_table(
        "kept_rankings",
        sa.Column("model_id", sa.Integer, sa.ForeignKey("reader_models.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("paper_id", sa.Integer, sa.ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("percentile", sa.Float, nullable=False),
    )
    op.create_index("ix_kept_rankings_model_day", "kept_rankings", ["model_id", "day"])
    op.create_index("ix_kept_rankings_paper_id", "kept_rankings", ["paper_id"])
    op.create_table(
        "private_feeds",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("collection_id", sa.Integer),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", TZ_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(["collection_id", "user_id"], ["collections.id", "collections.user_id"],
                                ondelete="CASCADE", name="fk_private_feeds_collection"),
    )
    op.create_index("ix_private_feeds_user_id", "private_feeds", ["user_id"])
    op.create_table(
        "paper_reads",
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("paper_id", sa.Integer, sa.ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("read_at", TZ_DATETIME, nullable=False),
    )
    op.create_index("ix_paper_reads_paper_id", "paper_reads", ["paper_id"])


def downgrade() -> None:
    for table in ("paper_reads", "private_feeds", "kept_rankings", "ranked_days", "reader_models"):
        op.drop_table(table)
