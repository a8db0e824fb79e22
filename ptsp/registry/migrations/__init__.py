"""Alembic migrations of the registry schema, run programmatically (no alembic.ini needed).

Its own version table (``registry_alembic_version``) lets other parts of ptsp keep their own
Alembic history in the same database.
"""

from __future__ import annotations

from pathlib import Path

from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

from ..schema import VERSION_TABLE

LOCATION = str(Path(__file__).resolve().parent)


def config(connection: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", LOCATION)
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str:
    head = ScriptDirectory.from_config(config()).get_current_head()
    assert head is not None
    return head


def current_revision(connection: Connection) -> str | None:
    ctx = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
    return ctx.get_current_revision()


def upgrade(connection: Connection, revision: str = "head") -> None:
    """Upgrade inside the caller's transaction (the caller holds the migration lock)."""
    from alembic import command

    command.upgrade(config(connection), revision)
