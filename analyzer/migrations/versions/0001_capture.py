"""Capture: sessions, flows, WebSocket messages, TLS failures, non-HTTP connections.

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


def upgrade() -> None:
    op.create_table(
        "sessions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False, unique=True),
        sa.Column("app", sa.String(200)),
        sa.Column("app_version", sa.String(100)),
        sa.Column("device", sa.String(200)),
        sa.Column("platform", sa.String(50)),
        sa.Column("mode", sa.String(200)),
        sa.Column("started_at", sa.Float),
        sa.Column("ended_at", sa.Float),
        sa.Column("tool_version", sa.String(50)),
        sa.Column("notes", sa.Text),
    )
    op.create_table(
        "flows",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "session_id",
            sa.Integer,
            sa.ForeignKey("sessions.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("mitm_id", sa.String(64)),
        sa.Column("client_ip", sa.String(64)),
        sa.Column("client_port", sa.Integer),
        sa.Column("server_ip", sa.String(64)),
        sa.Column("server_port", sa.Integer),
        sa.Column("host", sa.String(255)),
        sa.Column("sni", sa.String(255)),
        sa.Column("scheme", sa.String(10)),
        sa.Column("method", sa.String(20)),
        sa.Column("url", sa.Text),
        sa.Column("http_version", sa.String(20)),
        sa.Column("status_code", sa.Integer),
        sa.Column("timestamp_start", sa.Float),
        sa.Column("timestamp_end", sa.Float),
        sa.Column("request_headers", sa.JSON),
        sa.Column("request_body", sa.LargeBinary),
        sa.Column("request_body_size", sa.Integer),
        sa.Column("request_body_sha256", sa.String(64)),
        sa.Column("request_body_truncated", sa.Boolean, nullable=False),
        sa.Column("request_content_encoding", sa.String(100)),
        sa.Column("request_content_type", sa.String(255)),
        sa.Column("response_headers", sa.JSON),
        sa.Column("response_body", sa.LargeBinary),
        sa.Column("response_body_size", sa.Integer),
        sa.Column("response_body_sha256", sa.String(64)),
        sa.Column("response_body_truncated", sa.Boolean, nullable=False),
        sa.Column("response_content_encoding", sa.String(100)),
        sa.Column("response_content_type", sa.String(255)),
        sa.Column("tls_version", sa.String(20)),
        sa.Column("alpn", sa.String(50)),
        sa.Column("websocket", sa.Boolean, nullable=False),
        sa.Column("error", sa.Text),
    )
    op.create_index("ix_flows_session_host", "flows", ["session_id", "host"])
    op.create_index("ix_flows_session_server_ip", "flows", ["session_id", "server_ip"])
    op.create_index("ix_flows_session_time", "flows", ["session_id", "timestamp_start"])
    op.create_index("ix_flows_mitm_id", "flows", ["mitm_id"])
    op.create_table(
        "websocket_messages",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "session_id",
            sa.Integer,
            sa.ForeignKey("sessions.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("flow_id", sa.Integer, sa.ForeignKey("flows.id", ondelete="CASCADE")),
        sa.Column("from_client", sa.Boolean, nullable=False),
        sa.Column("is_text", sa.Boolean, nullable=False),
        sa.Column("timestamp", sa.Float),
        sa.Column("content", sa.LargeBinary),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("truncated", sa.Boolean, nullable=False),
    )
    op.create_index("ix_websocket_messages_flow", "websocket_messages", ["flow_id"])
    op.create_table(
        "tls_failures",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "session_id",
            sa.Integer,
            sa.ForeignKey("sessions.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("timestamp", sa.Float),
        sa.Column("side", sa.String(10), nullable=False),
        sa.Column("client_ip", sa.String(64)),
        sa.Column("sni", sa.String(255)),
        sa.Column("server_ip", sa.String(64)),
        sa.Column("server_port", sa.Integer),
        sa.Column("error", sa.Text),
        sa.Column("reason", sa.String(200)),
    )
    op.create_index("ix_tls_failures_session", "tls_failures", ["session_id", "sni"])
    op.create_table(
        "connections",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "session_id",
            sa.Integer,
            sa.ForeignKey("sessions.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("protocol", sa.String(10), nullable=False),
        sa.Column("client_ip", sa.String(64)),
        sa.Column("server_ip", sa.String(64)),
        sa.Column("server_port", sa.Integer),
        sa.Column("host", sa.String(255)),
        sa.Column("sni", sa.String(255)),
        sa.Column("tls", sa.Boolean, nullable=False),
        sa.Column("timestamp_start", sa.Float),
        sa.Column("timestamp_end", sa.Float),
        sa.Column("bytes_sent", sa.Integer, nullable=False),
        sa.Column("bytes_received", sa.Integer, nullable=False),
        sa.Column("messages", sa.Integer, nullable=False),
        sa.Column("first_bytes", sa.LargeBinary),
        sa.Column("error", sa.Text),
    )
    op.create_index("ix_connections_session", "connections", ["session_id", "server_ip"])


def downgrade() -> None:
    for table in ("connections", "tls_failures", "websocket_messages", "flows", "sessions"):
        op.drop_table(table)
