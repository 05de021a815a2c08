"""Steps (marks), the device profile a session was captured with, placeholder findings.

- ``marks``: the start of a step of a session (consent shown, login, ...), set from the live
  page, ``leakmap mark`` or an imported file of times and labels;
- ``sessions.profile``: the device profile (TOML text) read from the phone at the start of a
  capture (``--profile auto``), so that a later report uses the phone's own values;
- ``findings.placeholder``: a value that stands for "none" (an all-zero advertising ID,
  ``02:00:00:00:00:00``), reported as such and never counted as the person's data.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "marks",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "session_id",
            sa.Integer,
            sa.ForeignKey("sessions.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("label", sa.String(200), nullable=False),
        sa.Column("at", sa.Float, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("source", sa.String(20), nullable=False),
    )
    op.create_index("ix_marks_session", "marks", ["session_id", "at"])
    with op.batch_alter_table("sessions") as batch:
        batch.add_column(sa.Column("profile", sa.Text))
    with op.batch_alter_table("findings") as batch:
        batch.add_column(
            sa.Column("placeholder", sa.Boolean, nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("findings") as batch:
        batch.drop_column("placeholder")
    with op.batch_alter_table("sessions") as batch:
        batch.drop_column("profile")
    op.drop_index("ix_marks_session", "marks")
    op.drop_table("marks")
