"""Scheduled jobs: one state row per job (its claimed due time, last run, result, error, next run).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

TZ_DATETIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "job_state",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("claimed_due", TZ_DATETIME),
        sa.Column("runner", sa.String(255)),
        sa.Column("status", sa.String(16)),
        sa.Column("started_at", TZ_DATETIME),
        sa.Column("finished_at", TZ_DATETIME),
        sa.Column("duration_s", sa.Float),
        sa.Column("attempts", sa.Integer),
        sa.Column("result", sa.JSON),
        sa.Column("last_error", sa.Text),
        sa.Column("last_error_at", TZ_DATETIME),
        sa.Column("next_run_at", TZ_DATETIME),
        sa.Column("runs", sa.Integer, nullable=False, server_default="0"),
        sa.Column("failures", sa.Integer, nullable=False, server_default="0"),
    )


def downgrade() -> None:
    op.drop_table("job_state")
