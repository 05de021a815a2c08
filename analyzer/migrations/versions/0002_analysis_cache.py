"""Analysis cache: findings per (session, profile digest, detector version).

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "analysis_runs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "session_id",
            sa.Integer,
            sa.ForeignKey("sessions.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("profile_digest", sa.String(64), nullable=False),
        sa.Column("detector_version", sa.String(50), nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("flows", sa.Integer, nullable=False),
        sa.Column("notes", sa.JSON),
    )
    op.create_index(
        "ix_analysis_runs_key",
        "analysis_runs",
        ["session_id", "profile_digest", "detector_version"],
        unique=True,
    )
    op.create_table(
        "findings",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "run_id",
            sa.Integer,
            sa.ForeignKey("analysis_runs.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("flow_id", sa.Integer, sa.ForeignKey("flows.id", ondelete="CASCADE")),
        sa.Column("property", sa.String(50), nullable=False),
        sa.Column("location", sa.String(20), nullable=False),
        sa.Column("path", sa.Text),
        sa.Column("encoding", sa.String(200), nullable=False),
        sa.Column("method", sa.String(20), nullable=False),
        sa.Column("confidence", sa.Float, nullable=False),
        sa.Column("value", sa.Text),
        sa.Column("context", sa.Text),
        sa.Column("explanation", sa.Text),
    )
    op.create_index("ix_findings_run", "findings", ["run_id", "property"])


def downgrade() -> None:
    op.drop_table("findings")
    op.drop_table("analysis_runs")
