"""The store's schema: one SQLAlchemy 2 model for SQLite and PostgreSQL.

Timestamps are UNIX epoch seconds (floats), as mitmproxy gives them; bodies are stored as they
came over the wire (still content-encoded), capped, with their full size and SHA-256.
Headers are JSON lists of ``[name, value]`` pairs, order and duplicates kept.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Session(Base):
    """One recording: a phone running one app version, from start to end of a capture or import."""

    __tablename__ = "sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    app: Mapped[str | None] = mapped_column(String(200))
    app_version: Mapped[str | None] = mapped_column(String(100))
    device: Mapped[str | None] = mapped_column(String(200))
    platform: Mapped[str | None] = mapped_column(String(50))
    mode: Mapped[str | None] = mapped_column(String(200))  # capture mode, or "import"
    started_at: Mapped[float | None] = mapped_column(Float)
    ended_at: Mapped[float | None] = mapped_column(Float)
    tool_version: Mapped[str | None] = mapped_column(String(50))
    notes: Mapped[str | None] = mapped_column(Text)
    # The device profile (TOML text) read from the phone when the capture started, if any.
    profile: Mapped[str | None] = mapped_column(Text)


class Flow(Base):
    """One HTTP request/response as the phone sent it and the server answered."""

    __tablename__ = "flows"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"))
    mitm_id: Mapped[str | None] = mapped_column(String(64))
    client_ip: Mapped[str | None] = mapped_column(String(64))
    client_port: Mapped[int | None] = mapped_column(Integer)
    # The address the proxy actually connected to, never a later DNS lookup.
    server_ip: Mapped[str | None] = mapped_column(String(64))
    server_port: Mapped[int | None] = mapped_column(Integer)
    host: Mapped[str | None] = mapped_column(String(255))
    sni: Mapped[str | None] = mapped_column(String(255))
    scheme: Mapped[str | None] = mapped_column(String(10))
    method: Mapped[str | None] = mapped_column(String(20))
    url: Mapped[str | None] = mapped_column(Text)
    http_version: Mapped[str | None] = mapped_column(String(20))
    status_code: Mapped[int | None] = mapped_column(Integer)
    timestamp_start: Mapped[float | None] = mapped_column(Float)
    timestamp_end: Mapped[float | None] = mapped_column(Float)
    request_headers: Mapped[list | None] = mapped_column(JSON)
    request_body: Mapped[bytes | None] = mapped_column(LargeBinary)
    request_body_size: Mapped[int | None] = mapped_column(Integer)
    request_body_sha256: Mapped[str | None] = mapped_column(String(64))
    request_body_truncated: Mapped[bool] = mapped_column(Boolean, default=False)
    # Content-encoding of the stored body: None when stored decoded (HAR imports).
    request_content_encoding: Mapped[str | None] = mapped_column(String(100))
    request_content_type: Mapped[str | None] = mapped_column(String(255))
    response_headers: Mapped[list | None] = mapped_column(JSON)
    response_body: Mapped[bytes | None] = mapped_column(LargeBinary)
    response_body_size: Mapped[int | None] = mapped_column(Integer)
    response_body_sha256: Mapped[str | None] = mapped_column(String(64))
    response_body_truncated: Mapped[bool] = mapped_column(Boolean, default=False)
    response_content_encoding: Mapped[str | None] = mapped_column(String(100))
    response_content_type: Mapped[str | None] = mapped_column(String(255))
    tls_version: Mapped[str | None] = mapped_column(String(20))
    alpn: Mapped[str | None] = mapped_column(String(50))
    websocket: Mapped[bool] = mapped_column(Boolean, default=False)
    error: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        Index("ix_flows_session_host", "session_id", "host"),
        Index("ix_flows_session_server_ip", "session_id", "server_ip"),
        Index("ix_flows_session_time", "session_id", "timestamp_start"),
        Index("ix_flows_mitm_id", "mitm_id"),
    )


class WebSocketMessage(Base):
    __tablename__ = "websocket_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"))
    flow_id: Mapped[int | None] = mapped_column(ForeignKey("flows.id", ondelete="CASCADE"))
    from_client: Mapped[bool] = mapped_column(Boolean)
    is_text: Mapped[bool] = mapped_column(Boolean)
    timestamp: Mapped[float | None] = mapped_column(Float)
    content: Mapped[bytes | None] = mapped_column(LargeBinary)
    size: Mapped[int] = mapped_column(Integer)
    truncated: Mapped[bool] = mapped_column(Boolean, default=False)

    __table_args__ = (Index("ix_websocket_messages_flow", "flow_id"),)


class TlsFailure(Base):
    """A TLS handshake that failed: traffic the proxy could NOT inspect (a blind spot)."""

    __tablename__ = "tls_failures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"))
    timestamp: Mapped[float | None] = mapped_column(Float)
    side: Mapped[str] = mapped_column(String(10))  # "client" (phone <-> proxy) or "server"
    client_ip: Mapped[str | None] = mapped_column(String(64))
    sni: Mapped[str | None] = mapped_column(String(255))
    server_ip: Mapped[str | None] = mapped_column(String(64))
    server_port: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(String(200))

    __table_args__ = (Index("ix_tls_failures_session", "session_id", "sni"),)


class Connection(Base):
    """A connection that carried no HTTP (raw TCP or UDP passed through the proxy)."""

    __tablename__ = "connections"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"))
    protocol: Mapped[str] = mapped_column(String(10))  # tcp | udp
    client_ip: Mapped[str | None] = mapped_column(String(64))
    server_ip: Mapped[str | None] = mapped_column(String(64))
    server_port: Mapped[int | None] = mapped_column(Integer)
    host: Mapped[str | None] = mapped_column(String(255))
    sni: Mapped[str | None] = mapped_column(String(255))
    tls: Mapped[bool] = mapped_column(Boolean, default=False)
    timestamp_start: Mapped[float | None] = mapped_column(Float)
    timestamp_end: Mapped[float | None] = mapped_column(Float)
    bytes_sent: Mapped[int] = mapped_column(Integer, default=0)
    bytes_received: Mapped[int] = mapped_column(Integer, default=0)
    messages: Mapped[int] = mapped_column(Integer, default=0)
    first_bytes: Mapped[bytes | None] = mapped_column(LargeBinary)  # first client bytes, capped
    error: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index("ix_connections_session", "session_id", "server_ip"),)


class AnalysisRun(Base):
    """A completed detection pass over one session with one profile and detector version.

    Findings are cached per (session, profile digest, detector version): a report re-uses them,
    a new profile or a better detector analyses the session again. The run row is written in the
    same transaction as its findings, so a cache is either complete or absent.
    """

    __tablename__ = "analysis_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"))
    profile_digest: Mapped[str] = mapped_column(String(64))
    detector_version: Mapped[str] = mapped_column(String(50))
    created_at: Mapped[float] = mapped_column(Float)
    flows: Mapped[int] = mapped_column(Integer, default=0)
    notes: Mapped[list | None] = mapped_column(JSON)  # what was skipped and why

    __table_args__ = (
        Index(
            "ix_analysis_runs_key", "session_id", "profile_digest", "detector_version", unique=True
        ),
    )


class Finding(Base):
    """One piece of personal data found in one flow, with how it was found and hidden."""

    __tablename__ = "findings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("analysis_runs.id", ondelete="CASCADE"))
    flow_id: Mapped[int | None] = mapped_column(ForeignKey("flows.id", ondelete="CASCADE"))
    property: Mapped[str] = mapped_column(String(50))
    location: Mapped[str] = mapped_column(String(20))  # query path header cookie body websocket
    path: Mapped[str | None] = mapped_column(Text)  # where inside: key path, header name, ...
    encoding: Mapped[str] = mapped_column(String(200))  # e.g. "gzip>json>base64", "sha256"
    method: Mapped[str] = mapped_column(String(20))  # known-value | pattern | key-name
    confidence: Mapped[float] = mapped_column(Float)
    value: Mapped[str | None] = mapped_column(Text)
    context: Mapped[str | None] = mapped_column(Text)  # a short excerpt around the value
    explanation: Mapped[str | None] = mapped_column(Text)  # the reasoning, TrackHAR-style
    # A value standing for "none" (all-zero advertising ID): reported, never counted as data.
    placeholder: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    __table_args__ = (Index("ix_findings_run", "run_id", "property"),)


class Mark(Base):
    """The start of a step of a session ("consent refused", "login"): every flow that started
    at or after ``at`` (and before the next mark) belongs to it."""

    __tablename__ = "marks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"))
    label: Mapped[str] = mapped_column(String(200))
    at: Mapped[float] = mapped_column(Float)  # UNIX epoch seconds, like flow timestamps
    created_at: Mapped[float] = mapped_column(Float)
    source: Mapped[str] = mapped_column(String(20))  # page | cli | import

    __table_args__ = (Index("ix_marks_session", "session_id", "at"),)
