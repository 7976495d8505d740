"""Alembic environment: migrations run on the connection handed in by detente.monitor.db."""

from __future__ import annotations

from alembic import context

import detente.workbench.models  # noqa: F401 - the workbench's tables share the metadata
from detente.monitor.models import Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
