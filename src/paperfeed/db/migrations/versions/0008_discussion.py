"""Discussion: comments on papers (replies one level deep), mail owed for @mentions, and the reader's
choice to get those mails.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

TZ_DATETIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("mention_mail", sa.Boolean, nullable=False, server_default=sa.true()))
    op.create_table(
        "comments",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("paper_id", sa.Integer, sa.ForeignKey("papers.id", ondelete="CASCADE"), nullable=False),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("parent_id", sa.Integer, sa.ForeignKey("comments.id", ondelete="CASCADE")),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("created_at", TZ_DATETIME, nullable=False),
        sa.Column("edited_at", TZ_DATETIME),
        sa.Column("deleted_at", TZ_DATETIME),
    )
    op.create_index("ix_comments_paper_id_created_at", "comments", ["paper_id", "created_at"])
    op.create_index("ix_comments_created_at", "comments", ["created_at"])
    op.create_index("ix_comments_user_id", "comments", ["user_id"])
    op.create_index("ix_comments_parent_id", "comments", ["parent_id"])
    op.create_table(
        "mention_notices",
        sa.Column("comment_id", sa.Integer, sa.ForeignKey("comments.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("created_at", TZ_DATETIME, nullable=False),
        sa.Column("claimed_at", TZ_DATETIME),
        sa.Column("sent_at", TZ_DATETIME),
        sa.Column("error", sa.Text),
    )
    op.create_index("ix_mention_notices_user_id", "mention_notices", ["user_id"])


def downgrade() -> None:
    op.drop_table("mention_notices")
    op.drop_table("comments")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("mention_mail")
