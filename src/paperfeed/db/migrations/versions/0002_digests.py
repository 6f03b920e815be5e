"""Digests: subscribers and their interests, digests and the papers each one holds.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TZ_DATETIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "subscribers",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("email", sa.String(320), nullable=False, unique=True),
        sa.Column("frequency", sa.String(16), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", TZ_DATETIME, nullable=False),
        sa.Column("confirmation_sent_at", TZ_DATETIME),
        sa.Column("confirmed_at", TZ_DATETIME),
        sa.Column("unsubscribed_at", TZ_DATETIME),
        sa.Column("bounced_at", TZ_DATETIME),
        sa.Column("bounce_reason", sa.Text),
    )
    op.create_index("ix_subscribers_status", "subscribers", ["status"])
    op.create_table(
        "subscriber_interests",
        sa.Column("subscriber_id", sa.Integer, sa.ForeignKey("subscribers.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("kind", sa.String(16), primary_key=True),
        sa.Column("value", sa.String(300), primary_key=True),
    )
    op.create_table(
        "digests",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("subscriber_id", sa.Integer, sa.ForeignKey("subscribers.id", ondelete="CASCADE"), nullable=False),
        sa.Column("period", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("message_id", sa.String(255), nullable=False, unique=True),
        sa.Column("paper_count", sa.Integer, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last_error", sa.Text),
        sa.Column("created_at", TZ_DATETIME, nullable=False),
        sa.Column("sent_at", TZ_DATETIME),
        sa.UniqueConstraint("subscriber_id", "period", name="uq_digests_subscriber_period"),
    )
    op.create_index("ix_digests_status", "digests", ["status"])
    op.create_table(
        "digest_papers",
        sa.Column("subscriber_id", sa.Integer, sa.ForeignKey("subscribers.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("paper_id", sa.Integer, sa.ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("digest_id", sa.Integer, sa.ForeignKey("digests.id", ondelete="CASCADE"), nullable=False),
        sa.Column("position", sa.SmallInteger, nullable=False),
        sa.Column("section", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
    )
    op.create_index("ix_digest_papers_digest_id", "digest_papers", ["digest_id"])


def downgrade() -> None:
    for table in ("digest_papers", "digests", "subscriber_interests", "subscribers"):
        op.drop_table(table)
