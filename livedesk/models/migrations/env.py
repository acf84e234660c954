"""Alembic environment: always run in-process on a connection LiveDesk hands over."""

from __future__ import annotations

from alembic import context

from livedesk.models import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("LiveDesk migrations run through livedesk.services.store, not the alembic CLI")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=True,  # SQLite cannot ALTER most things: recreate tables instead
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
