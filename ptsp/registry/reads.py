"""Reading the registry: records and the audit trail (``RegistryReader``, base of
``SqlRegistry``)."""

from __future__ import annotations

import builtins
import json
from datetime import datetime
from pathlib import Path
from typing import Any, Self

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from . import engine as db
from .audit import GENESIS, check_chain, to_entry
from .model import AuditCheck, AuditEntry, NumberingPolicy, Record, Status
from .schema import CURRENT_FOR_APPLICATION, audit, audit_head, records, verifications

_AUDIT_COLUMNS = (
    audit.c.id, audit.c.at, audit.c.actor, audit.c.action, audit.c.number, audit.c.detail,
    audit.c.prev_hash, audit.c.hash,
)


def _to_record(row: sa.Row[Any]) -> Record:
    m = row._mapping
    data = m["data"]
    if isinstance(data, str):  # a JSON column read back as text by an old driver
        data = json.loads(data)
    return Record(
        number=m["number"], application_id=m["application_id"], permit=m["permit"],
        status=Status(m["status"]), seq=m["seq"], scope=m["scope"], year=m["year"],
        token=m["token"], holder_name=m["holder_name"], holder_nik_masked=m["holder_nik_masked"],
        received_on=m["received_on"], approved_on=m["approved_on"],
        reserved_at=m["reserved_at"], issued_at=m["issued_at"], sha256=m["sha256"],
        signed_sha256=m["signed_sha256"], path=m["path"], signer_subject=m["signer_subject"],
        signer_fingerprint=m["signer_fingerprint"], replaces=m["replaces"],
        replaced_by=m["replaced_by"], status_reason=m["status_reason"],
        status_decree=m["status_decree"], status_changed_at=m["status_changed_at"],
        data=dict(data or {}),
    )


class RegistryReader:
    """The read side of the registry on a SQLAlchemy engine; ``SqlRegistry`` adds the writes."""

    def __init__(self, engine: Engine, numbering: NumberingPolicy | None = None) -> None:
        self.engine = engine
        self.numbering = numbering or NumberingPolicy()

    @classmethod
    def from_url(cls, url: str | Path, numbering: NumberingPolicy | None = None) -> Self:
        return cls(db.create_engine(url), numbering)

    @property
    def backend(self) -> str:
        return self.engine.dialect.name

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.engine.url.render_as_string(hide_password=True)!r})"

    # ---------------------------------------------------------------- schema

    def schema_revision(self) -> str | None:
        return db.schema_revision(self.engine)

    def migrate(self) -> tuple[str | None, str | None]:
        """Upgrade the schema to head; returns (revision before, revision after)."""
        return db.migrate(self.engine)

    def close(self) -> None:
        self.engine.dispose()

    # ---------------------------------------------------------------- reads

    def get(self, number: str) -> Record | None:
        return self._one(records.c.number == number)

    def by_token(self, token: str) -> Record | None:
        return self._one(records.c.token == token) if token else None

    def by_application(self, application_id: str) -> Record | None:
        with db.read(self.engine, "reading the registry") as conn:
            return self._current_for_application(conn, application_id)

    def by_sha256(self, sha256: str) -> Record | None:
        digest = (sha256 or "").strip().lower()
        return self._one(sa.or_(records.c.sha256 == digest, records.c.signed_sha256 == digest))

    def list(
        self,
        *,
        status: Status | None = None,
        permit: str | None = None,
        limit: int | None = None,
    ) -> builtins.list[Record]:
        """Records, newest reservation first."""
        query = sa.select(records).order_by(records.c.id.desc())
        if status is not None:
            query = query.where(records.c.status == Status(status).value)
        if permit is not None:
            query = query.where(records.c.permit == permit)
        if limit is not None:
            query = query.limit(limit)
        with db.read(self.engine, "listing the registry") as conn:
            return [_to_record(r) for r in conn.execute(query)]

    def audit_entries(self, number: str | None = None) -> builtins.list[AuditEntry]:
        query = sa.select(*_AUDIT_COLUMNS).order_by(audit.c.id)
        if number is not None:
            query = query.where(audit.c.number == number)
        with db.read(self.engine, "reading the audit trail") as conn:
            return [to_entry(tuple(r)) for r in conn.execute(query)]  # type: ignore[arg-type]

    def audit_search(
        self,
        *,
        actor: str | None = None,
        action: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        offset: int = 0,
        limit: int = 50,
    ) -> tuple[builtins.list[AuditEntry], int]:
        """One page of the audit trail, newest first, filtered by actor, action and time
        (``since`` inclusive, ``until`` exclusive); and how many entries match in all."""
        where: list[sa.ColumnElement[bool]] = []
        if actor:
            where.append(audit.c.actor == actor)
        if action:
            where.append(audit.c.action == action)
        if since is not None:
            where.append(audit.c.at >= since)
        if until is not None:
            where.append(audit.c.at < until)
        query = (sa.select(*_AUDIT_COLUMNS).where(*where).order_by(audit.c.id.desc())
                 .offset(max(0, offset)).limit(max(1, limit)))
        count = sa.select(sa.func.count()).select_from(audit).where(*where)
        with db.read(self.engine, "reading the audit trail") as conn:
            total = int(conn.execute(count).scalar_one())
            rows = [to_entry(tuple(r)) for r in conn.execute(query)]  # type: ignore[arg-type]
        return rows, total

    def audit_facets(self) -> tuple[builtins.list[str], builtins.list[str]]:
        """The actors and the actions that occur in the audit trail (for filter lists)."""
        with db.read(self.engine, "reading the audit trail") as conn:
            actors = [r[0] for r in conn.execute(
                sa.select(audit.c.actor).distinct().order_by(audit.c.actor))]
            actions = [r[0] for r in conn.execute(
                sa.select(audit.c.action).distinct().order_by(audit.c.action))]
        return actors, actions

    def verification_counts(self, since: datetime | None = None) -> dict[str, int]:
        """Portal verifications by verdict (``SAH``, ``TIDAK SAH`` ...), optionally since a
        time; kept outside the audit trail (see :meth:`SqlRegistry.record_verification`)."""
        query = sa.select(verifications.c.verdict, sa.func.count()).group_by(
            verifications.c.verdict)
        if since is not None:
            query = query.where(verifications.c.at >= since)
        with db.read(self.engine, "counting portal verifications") as conn:
            return {str(v): int(n) for v, n in conn.execute(query)}

    def audit_check(self) -> AuditCheck:
        """Recompute the whole chain; ``first_bad`` names the first entry that does not verify."""
        with db.read(self.engine, "checking the audit trail") as conn:
            head = conn.execute(
                sa.select(audit_head.c.last_id, audit_head.c.last_hash).where(audit_head.c.id == 1)
            ).first()
            rows = conn.execute(sa.select(*_AUDIT_COLUMNS).order_by(audit.c.id))
            return check_chain(
                (tuple(r) for r in rows),  # type: ignore[misc]
                head=(head[0], head[1]) if head is not None else (0, GENESIS),
            )
    def _one(self, where: sa.ColumnElement[bool]) -> Record | None:
        with db.read(self.engine, "reading the registry") as conn:
            row = conn.execute(
                sa.select(records).where(where).order_by(records.c.id.desc()).limit(1)
            ).first()
            return _to_record(row) if row is not None else None

    def _current_for_application(self, conn: Connection, application_id: str) -> Record | None:
        row = conn.execute(CURRENT_FOR_APPLICATION, {"app": application_id}).first()
        return _to_record(row) if row is not None else None
