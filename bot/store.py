"""The project's own store: one module, one connection URL.

SQLite is the embedded default; PostgreSQL is the same code with another URL
(`postgresql+psycopg2://...`). Tables are created on first use.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Column, DateTime, Index, MetaData, String, Table, create_engine
from sqlalchemy.engine import Engine, make_url

metadata = MetaData()

handoffs = Table(
    "handoffs",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("conversation_id", String(255), nullable=False),
    Column("platform", String(32), nullable=False),
    Column("platform_user_id", String(255), nullable=True),
    Column("surface", String(16), nullable=False),
    Column("reason", String(64), nullable=False),
    Column("team", String(64), nullable=False),
    Column("priority", String(16), nullable=False),
    Column("state", String(16), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("acknowledge_by", DateTime(timezone=True), nullable=False),
    Column("reply_by", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Index("handoffs_by_conversation", "conversation_id", "state"),
)


def connect(url: str) -> Engine:
    """An engine for `url`, with the project's tables created.

    A SQLite file's folder is created if missing; SQLite connections may be shared
    between threads because SQLAlchemy's pool hands each to one thread at a time.
    """
    parsed = make_url(url)
    options = {}
    if parsed.get_backend_name() == "sqlite":
        options["connect_args"] = {"check_same_thread": False}
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, future=True, pool_pre_ping=True, **options)
    metadata.create_all(engine)
    return engine
