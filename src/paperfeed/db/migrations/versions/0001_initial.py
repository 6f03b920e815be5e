"""Initial schema: papers (+ category lookup), users, listings, votes, checkpoints.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TZ_DATETIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "papers",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("key", sa.String(128), nullable=False, unique=True),
        sa.Column("arxiv_id", sa.String(64), unique=True),
        sa.Column("doi", sa.String(255), index=True),
        sa.Column("title_key", sa.String(32), nullable=False, index=True),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("abstract", sa.Text, nullable=False),
        sa.Column("authors", sa.JSON, nullable=False),
        sa.Column("categories", sa.JSON, nullable=False),
        sa.Column("primary_category", sa.String(64), index=True),
        sa.Column("sources", sa.JSON, nullable=False),
        sa.Column("version", sa.Integer),
        sa.Column("published_on", sa.Date),
        sa.Column("updated_on", sa.Date),
        sa.Column("announced_on", sa.Date, index=True),
        sa.Column("abs_url", sa.Text),
        sa.Column("pdf_url", sa.Text),
        sa.Column("code_url", sa.Text),
        sa.Column("project_url", sa.Text),
        sa.Column("text_rank", sa.SmallInteger, nullable=False, server_default="0"),
        sa.Column("created_at", TZ_DATETIME, nullable=False),
        sa.Column("modified_at", TZ_DATETIME, nullable=False, index=True),
    )
    op.create_table(
        "paper_categories",
        sa.Column("paper_id", sa.Integer, sa.ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("category", sa.String(64), primary_key=True),
    )
    op.create_index("ix_paper_categories_category", "paper_categories", ["category"])
    op.create_table(
        "users",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("email", sa.String(320), nullable=False, unique=True),
        sa.Column("username", sa.String(64), unique=True),
        sa.Column("password_hash", sa.Text),
        sa.Column("created_at", TZ_DATETIME, nullable=False),
    )
    op.create_table(
        "listings",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("paper_id", sa.Integer, sa.ForeignKey("papers.id", ondelete="CASCADE"), nullable=False),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("submitted_by", sa.String(255)),
        sa.Column("submitted_by_user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL")),
        sa.Column("submitted_at", TZ_DATETIME),
        sa.Column("upvotes", sa.Integer, nullable=False, server_default="0"),
        sa.Column("created_at", TZ_DATETIME, nullable=False),
        sa.UniqueConstraint("day", "paper_id", name="uq_listings_day_paper"),
    )
    op.create_index("ix_listings_day", "listings", ["day"])
    op.create_table(
        "votes",
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("paper_id", sa.Integer, sa.ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("created_at", TZ_DATETIME, nullable=False),
    )
    op.create_index("ix_votes_paper_id", "votes", ["paper_id"])
    op.create_table(
        "checkpoints",
        sa.Column("name", sa.String(512), primary_key=True),
        sa.Column("state", sa.JSON, nullable=False),
        sa.Column("updated_at", TZ_DATETIME, nullable=False),
    )


def downgrade() -> None:
    for table in ("checkpoints", "votes", "listings", "users", "paper_categories", "papers"):
        op.drop_table(table)
