"""Column types the migration scripts share, frozen: a migration must make today what it made
when it was written, so these never follow ``ptsp.registry.schema`` (change a type only in a new
migration, under a new name)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """Timestamps stored in UTC: naive on SQLite, timestamptz on PostgreSQL (what the
    migrations' inserts write; the code's own type is ``ptsp.registry.schema.UTCDateTime``)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value
