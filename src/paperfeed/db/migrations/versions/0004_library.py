"""Library: readers' collections, saved papers with private notes, collection membership, private ratings.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TZ_DATETIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "collections",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("created_at", TZ_DATETIME, nullable=False),
        sa.UniqueConstraint("user_id", "name", name="uq_collections_user_name"),
        sa.UniqueConstraint("id", "user_id", name="uq_collections_id_user"),
    )
    op.create_table(
        "saved_papers",
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("paper_id", sa.Integer, sa.ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("saved_at", TZ_DATETIME, nullable=False),
        sa.Column("note", sa.Text),
    )
    op.create_index("ix_saved_papers_user_saved_at", "saved_papers", ["user_id", "saved_at"])
    op.create_index("ix_saved_papers_paper_id", "saved_papers", ["paper_id"])
    op.create_table(
        "collection_papers",
        sa.Column("collection_id", sa.Integer, primary_key=True),
        sa.Column("paper_id", sa.Integer, primary_key=True),
        sa.Column("user_id", sa.Integer, nullable=False),
        sa.Column("added_at", TZ_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(["collection_id", "user_id"], ["collections.id", "collections.user_id"],
                                ondelete="CASCADE", name="fk_collection_papers_collection"),
        sa.ForeignKeyConstraint(["user_id", "paper_id"], ["saved_papers.user_id", "saved_papers.paper_id"],
                                ondelete="CASCADE", name="fk_collection_papers_saved"),
    )
    op.create_index("ix_collection_papers_user_paper", "collection_papers", ["user_id", "paper_id"])
    op.create_table(
        "ratings",
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("paper_id", sa.Integer, sa.ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("value", sa.SmallInteger, nullable=False),
        sa.Column("rated_at", TZ_DATETIME, nullable=False),
        sa.CheckConstraint("value IN (-1, 1)", name="ck_ratings_value"),
    )
    op.create_index("ix_ratings_paper_id", "ratings", ["paper_id"])


def downgrade() -> None:
    for table in ("ratings", "collection_papers", "saved_papers", "collections"):
        op.drop_table(table)
