"""``SqlRegistry``: the registry on SQLite or PostgreSQL through SQLAlchemy Core.

Every write is one transaction that first queues for the registry's write lock (``engine.write``:
an advisory lock on PostgreSQL, a file lock plus ``BEGIN IMMEDIATE`` on SQLite). All writes append
to the one audit chain, so they are serial in any case; queueing up front makes the idempotency
checks race-free and hands the turn over in FIFO order. Inside, rows are still locked (record
rows ``FOR UPDATE``, the counter and audit-head rows by ``UPDATE ... RETURNING``) in one order:
record row(s) -> counter row -> audit head. The UNIQUE constraints on ``number`` and on
``(scope, year, seq)`` are the last line of defence.
"""

from __future__ import annotations

import dataclasses
import json
import secrets
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg_dialect
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.engine import Connection

from . import engine as db
from .audit import canonical_json, entry_hash
from .errors import (
    ConflictError,
    InvalidRequest,
    InvalidTransition,
    NumberNotFound,
    RegistryError,
)
from .model import REVOCATION_KINDS, IssueMark, NumberingPolicy, Record, Status
from .numbering import format_number, office_date, scope_key, utcnow
from .reads import RegistryReader, _to_record
from .schema import (
    BUMP_AUDIT_HEAD,
    BUMP_COUNTER,
    INSERT_AUDIT,
    INSERT_RECORD,
    LOCK_RECORD,
    SET_AUDIT_HEAD_HASH,
    audit,
    counters,
    records,
    verifications,
)

#: Audit actions the registry writes itself; ``record_event`` may not forge them.
LIFECYCLE_ACTIONS = frozenset(
    {"reserved", "issued", "voided", "replaced"} | {s.value for s in REVOCATION_KINDS}
)
_AUDIT_COLUMNS = (
    audit.c.id, audit.c.at, audit.c.actor, audit.c.action, audit.c.number, audit.c.detail,
    audit.c.prev_hash, audit.c.hash,
)


def _required(name: str, value: str | None) -> str:
    if value is None or not str(value).strip():
        raise InvalidRequest(f"{name} must not be empty")
    return str(value).strip()


def _aware(name: str, value: datetime | None) -> datetime:
    if value is None:
        return utcnow()
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidRequest(f"{name} must be timezone-aware, got {value.isoformat()}")
    return value


def _sha256(name: str, value: str) -> str:
    v = _required(name, value).lower()
    if len(v) != 64 or any(c not in "0123456789abcdef" for c in v):
        raise InvalidRequest(f"{name} must be 64 hex digits, got {value!r}")
    return v


class SqlRegistry(RegistryReader):
    """The ``Registry`` on a SQLAlchemy engine (SQLite file or PostgreSQL)."""

    # ---------------------------------------------------------------- writes

    def reserve(
        self,
        *,
        application_id: str,
        permit: str,
        holder_name: str,
        holder_nik_masked: str | None,
        received_on: date | None,
        approved_on: date | None,
        data: dict[str, Any],
        actor: str,
        when: datetime | None = None,
    ) -> Record:
        """Take the next number for an application, or return the one it already holds."""
        app, code = _required("application_id", application_id), _required("permit", permit)
        fields = self._reservation_fields(holder_name, holder_nik_masked, received_on,
                                          approved_on, data)
        actor = _required("actor", actor)
        at = _aware("when", when)
        with db.write(self.engine, f"reserving a number for application {app}") as conn:
            existing = self._current_for_application(conn, app)
            if existing is not None:
                if existing.permit != code:
                    raise ConflictError(
                        f"application {app} already holds {existing.number} for permit "
                        f"{existing.permit}, not {code}: void it first to change the permit"
                    )
                return existing
            return self._insert(conn, app, code, fields, actor, at, replaces=None, reason=None)

    def reserve_replacement(
        self,
        old_number: str,
        *,
        application_id: str,
        permit: str,
        holder_name: str,
        holder_nik_masked: str | None,
        received_on: date | None,
        approved_on: date | None,
        data: dict[str, Any],
        actor: str,
        reason: str,
        when: datetime | None = None,
    ) -> Record:
        """Reserve the number of a corrected decree for issued ``old_number`` (Pasal 10).

        The old record stays ``issued`` until the new one is issued; then both change together.
        Idempotent: a pending (reserved) replacement of ``old_number`` is returned as it is.
        """
        app, code = _required("application_id", application_id), _required("permit", permit)
        fields = self._reservation_fields(holder_name, holder_nik_masked, received_on,
                                          approved_on, data)
        actor, reason = _required("actor", actor), _required("reason", reason)
        at = _aware("when", when)
        with db.write(self.engine, f"reserving a replacement for {old_number}") as conn:
            old = self._lock(conn, old_number)
            if old.status is not Status.ISSUED:
                raise InvalidTransition(
                    old.number, old.status.value, Status.REPLACED.value,
                    "only an issued permit can be corrected",
                )
            pending = conn.execute(
                sa.select(records).where(
                    records.c.replaces == old.number,
                    records.c.status.in_([Status.RESERVED.value, Status.ISSUED.value]),
                )
            ).first()
            if pending is not None:
                rec = _to_record(pending)
                if rec.status is Status.RESERVED and rec.application_id == app:
                    return rec
                raise ConflictError(
                    f"{old.number} already has replacement {rec.number} ({rec.status.value})"
                )
            return self._insert(conn, app, code, fields, actor, at, replaces=old.number,
                                reason=reason)

    def mark_issued(
        self,
        number: str,
        *,
        sha256: str,
        path: str,
        signer_subject: str,
        signer_fingerprint: str,
        actor: str,
        when: datetime | None = None,
        signed_sha256: str | None = None,
    ) -> Record:
        """``reserved`` -> ``issued``; a replacement also flips the record it replaces."""
        (result,) = self.mark_issued_many([IssueMark(
            number, sha256, path, signer_subject, signer_fingerprint, actor, when,
            signed_sha256)])
        if isinstance(result, RegistryError):
            raise result
        return result

    def mark_issued_many(self, marks: Sequence[IssueMark]) -> list[Record | RegistryError]:
        """Several :meth:`mark_issued` in one transaction (a batch records its decrees a few at
        a time). Each mark is checked before anything of it is written, so a mark that cannot
        go in (a conflict, a wrong state, an unknown number) is given back as its error and the
        others still go in; a storage failure fails them all."""
        results: list[Record | RegistryError | None] = [None] * len(marks)
        todo: list[tuple[int, IssueMark, str, str | None, str, str, datetime]] = []
        for i, m in enumerate(marks):
            try:
                todo.append((i, m, _sha256("sha256", m.sha256),
                             _sha256("signed_sha256", m.signed_sha256) if m.signed_sha256
                             else None, _required("path", m.path), _required("actor", m.actor),
                             _aware("when", m.when)))
            except InvalidRequest as e:
                results[i] = e
        if todo:
            what = (f"marking {todo[0][1].number} issued" if len(todo) == 1
                    else f"marking {len(todo)} decrees issued ({todo[0][1].number} ...)")
            with db.write(self.engine, what) as conn:
                for i, m, digest, signed, path, actor, at in todo:
                    try:
                        results[i] = self._mark_issued(conn, m, digest, signed, path, actor, at)
                    except (ConflictError, InvalidTransition, NumberNotFound) as e:
                        results[i] = e  # raised before this mark wrote anything
        return [r for r in results if r is not None]

    def _mark_issued(self, conn: Connection, m: IssueMark, digest: str, signed: str | None,
                     path: str, actor: str, at: datetime) -> Record:
        number = m.number
        rec = self._lock(conn, number)
        if rec.status is Status.ISSUED:
            if rec.sha256 == digest:
                return rec
            raise ConflictError(
                f"{number} is already issued with file sha256 {rec.sha256}, not {digest}: "
                "an issued decree is corrected with a replacement, never re-issued"
            )
        if rec.status is not Status.RESERVED:
            raise InvalidTransition(number, rec.status.value, Status.ISSUED.value)
        old = None
        if rec.replaces:
            old = self._lock(conn, rec.replaces)
            if old.status is not Status.ISSUED:
                raise InvalidTransition(
                    old.number, old.status.value, Status.REPLACED.value,
                    f"so its replacement {number} cannot be issued; void {number}",
                )
        issued = self._update(conn, rec, status=Status.ISSUED, issued_at=at, sha256=digest,
                              signed_sha256=signed, path=path, signer_subject=m.signer_subject,
                              signer_fingerprint=m.signer_fingerprint, status_changed_at=at)
        self._append(conn, "issued", actor, number, {
            "sha256": digest, "signed_sha256": signed, "path": path,
            "signer_subject": m.signer_subject, "signer_fingerprint": m.signer_fingerprint,
            "issued_at": at,
        })
        if old is not None:
            self._update(conn, old, status=Status.REPLACED, replaced_by=number,
                         status_reason=rec.status_reason, status_changed_at=at)
            self._append(conn, "replaced", actor, old.number,
                         {"replaced_by": number, "reason": rec.status_reason})
        return issued

    def void(self, number: str, *, reason: str, actor: str) -> Record:
        """``reserved`` -> ``voided``: the number stays in the book and is never reused."""
        reason, actor = _required("reason", reason), _required("actor", actor)
        with db.write(self.engine, f"voiding {number}") as conn:
            rec = self._lock(conn, number)
            if rec.status is Status.VOIDED:
                return rec
            if rec.status is not Status.RESERVED:
                raise InvalidTransition(
                    number, rec.status.value, Status.VOIDED.value,
                    "an issued permit is withdrawn, cancelled or revoked instead",
                )
            voided = self._update(conn, rec, status=Status.VOIDED, status_reason=reason,
                                  status_changed_at=utcnow())
            self._append(conn, "voided", actor, number, {"reason": reason})
            return voided

    def revoke(
        self, number: str, *, kind: Status, reason: str, decree: str, actor: str
    ) -> Record:
        """``issued`` -> withdrawn | cancelled | revoked, with the reason and the decree that
        ordered it (Pasal 10)."""
        try:
            kind = Status(kind)
        except ValueError as e:
            raise InvalidRequest(f"unknown status {kind!r}") from e
        if kind not in REVOCATION_KINDS:
            allowed = ", ".join(sorted(k.value for k in REVOCATION_KINDS))
            raise InvalidRequest(f"revocation kind must be one of {allowed}, not {kind.value}")
        reason, decree = _required("reason", reason), _required("decree", decree)
        actor = _required("actor", actor)
        with db.write(self.engine, f"changing {number} to {kind.value}") as conn:
            rec = self._lock(conn, number)
            if rec.status is kind and rec.status_decree == decree:
                return rec
            if rec.status is not Status.ISSUED:
                raise InvalidTransition(number, rec.status.value, kind.value)
            changed = self._update(conn, rec, status=kind, status_reason=reason,
                                   status_decree=decree, status_changed_at=utcnow())
            self._append(conn, kind.value, actor, number, {"reason": reason, "decree": decree})
            return changed

    def record_event(
        self,
        *,
        action: str,
        actor: str,
        number: str | None = None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        """Append an application event (login, upload, initial, return, sign ...) to the trail."""
        action, actor = _required("action", action), _required("actor", actor)
        if action in LIFECYCLE_ACTIONS:
            raise InvalidRequest(f"audit action {action!r} is written by the registry itself")
        if len(action) > 60:
            raise InvalidRequest("audit action longer than 60 characters")
        with db.write(self.engine, f"recording event {action}") as conn:
            if number is not None:
                self._lock(conn, number)
            self._append(conn, action, actor, number, detail or {})
    # ---------------------------------------------------------------- internals

    def _reservation_fields(
        self,
        holder_name: str,
        holder_nik_masked: str | None,
        received_on: date | None,
        approved_on: date | None,
        data: dict[str, Any],
    ) -> dict[str, Any]:
        for name, value in (("received_on", received_on), ("approved_on", approved_on)):
            if value is not None and (isinstance(value, datetime) or not isinstance(value, date)):
                raise InvalidRequest(f"{name} must be a date, got {value!r}")
        return {
            "holder_name": _required("holder_name", holder_name),
            "holder_nik_masked": holder_nik_masked or None,
            "received_on": received_on,
            "approved_on": approved_on,
            "data": json.loads(canonical_json(data or {})),
        }
    def _lock(self, conn: Connection, number: str) -> Record:
        row = conn.execute(LOCK_RECORD, {"num": number}).first()
        if row is None:
            raise NumberNotFound(number)
        return _to_record(row)

    def _update(self, conn: Connection, rec: Record, **values: Any) -> Record:
        """Write ``values`` to the (locked) record and return the record as it now is."""
        for key, value in values.items():
            if isinstance(value, datetime):
                values[key] = value.astimezone(UTC)
        db_values = {k: (v.value if isinstance(v, Status) else v) for k, v in values.items()}
        conn.execute(sa.update(records).where(records.c.number == rec.number).values(**db_values))
        return dataclasses.replace(rec, **values)

    def _next_seq(self, conn: Connection, scope: str, year: int) -> int:
        """Increment the counter row of (scope, year) and return the new value; gapless, never
        parsed from existing numbers.

        ``UPDATE ... RETURNING`` takes the row lock exactly as ``SELECT ... FOR UPDATE`` would,
        in one round trip: a concurrent allocator blocks on the row until this transaction ends,
        then PostgreSQL re-reads the committed row and increments that (no lost update). SQLite
        has one writer at a time (``BEGIN IMMEDIATE``). The first number of a scope and year
        creates the row; ``ON CONFLICT DO NOTHING`` lets racing creators meet on one row.
        """
        key = {"s": scope, "y": year}
        seq = conn.execute(BUMP_COUNTER, key).scalar_one_or_none()
        if seq is None:
            insert = (pg_dialect.insert if conn.dialect.name == "postgresql"
                      else sqlite_dialect.insert)
            conn.execute(insert(counters).values(scope=scope, year=year, last_seq=0)
                         .on_conflict_do_nothing())
            seq = conn.execute(BUMP_COUNTER, key).scalar_one()
        return int(seq)

    def _insert(
        self,
        conn: Connection,
        application_id: str,
        permit: str,
        fields: dict[str, Any],
        actor: str,
        at: datetime,
        *,
        replaces: str | None,
        reason: str | None,
    ) -> Record:
        on = office_date(self.numbering, at)
        scope = scope_key(self.numbering, permit)
        seq = self._next_seq(conn, scope, on.year)
        number = format_number(self.numbering, seq=seq, permit=permit, on=on)
        rec = Record(
            number=number, application_id=application_id, permit=permit,
            status=Status.RESERVED, seq=seq, scope=scope, year=on.year,
            token=secrets.token_urlsafe(24), reserved_at=at.astimezone(UTC), issued_at=None,
            sha256=None, signed_sha256=None, path=None, signer_subject=None,
            signer_fingerprint=None, replaces=replaces, replaced_by=None, status_reason=reason,
            status_decree=None, status_changed_at=None, **fields,
        )
        row = {name: getattr(rec, name) for name in rec.__dataclass_fields__}
        conn.execute(INSERT_RECORD, row | {"status": rec.status.value})
        detail: dict[str, Any] = {"application_id": application_id, "permit": permit,
                                  "scope": scope, "year": on.year, "seq": seq,
                                  "reserved_at": at}
        if replaces:
            detail |= {"replaces": replaces, "reason": reason}
        self._append(conn, "reserved", actor, number, detail)
        return rec

    def record_verification(self, *, channel: str, verdict: str,
                            number: str | None = None) -> None:
        """Count one verification on the public portal (``channel``: ``upload``, ``qr`` or
        ``api``). Not an audit entry: anonymous checks are statistics, not office actions."""
        with db.write(self.engine, "counting a portal verification") as conn:
            conn.execute(verifications.insert(), {
                "at": utcnow(), "channel": _required("channel", channel)[:16],
                "verdict": _required("verdict", verdict)[:32],
                "number": number[:120] if number else None})

    def _append(
        self, conn: Connection, action: str, actor: str, number: str | None, detail: dict[str, Any]
    ) -> None:
        """Append one audit entry. Bumping the one head row locks it until commit, so concurrent
        writers queue up and keep a single chain."""
        head = conn.execute(BUMP_AUDIT_HEAD).one()
        new_id, prev, at = int(head.last_id), head.last_hash, utcnow()
        detail_json = canonical_json(detail)
        digest = entry_hash(prev_hash=prev, id=new_id, at=at, actor=actor, action=action,
                            number=number, detail_json=detail_json)
        conn.execute(INSERT_AUDIT, {
            "id": new_id, "at": at, "actor": actor, "action": action, "number": number,
            "detail": detail_json, "prev_hash": prev, "hash": digest,
        })
        conn.execute(SET_AUDIT_HEAD_HASH, {"new_hash": digest})


def open_registry(
    url: str | Path,
    *,
    numbering: NumberingPolicy = NumberingPolicy(),  # noqa: B008 - frozen, so a safe default
    migrate: bool = True,
) -> SqlRegistry:
    """Open the registry at ``url`` (``sqlite:///FILE``, a plain file path, or
    ``postgresql+psycopg://...``), upgrading its schema to head unless ``migrate=False``."""
    registry = SqlRegistry.from_url(url, numbering)
    if migrate:
        try:
            registry.migrate()
        except BaseException:
            registry.close()
            raise
    return registry
