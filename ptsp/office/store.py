"""The back office's own tables (``office_*``), in the registry's database.

Created by the registry migration ``0005_office``; keep the tables here equal to its result
(``tests/integration/test_schema_migrations.py`` compares them).

Accounts, sessions, uploads, the workflow state of each application (which SOP step it is at)
and background jobs. The registry keeps numbers, decree states and the audit trail; these
tables keep what only the web workflow needs. Writes go through the registry's transaction
helpers (``ptsp.registry.engine.write``: file lock + ``BEGIN IMMEDIATE`` on SQLite, so they
queue with the registry's writes). Never call the registry inside one of these transactions:
on SQLite both take the same lock file.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ..registry import engine as db
from ..registry.schema import UTCDateTime
from .errors import OfficeError, StageError
from .roles import BACKOFFICE, SYSTEM
from .stages import INTERRUPTED, LABELS, REPLACEABLE, START, Stage, check

metadata = sa.MetaData()

users = sa.Table(
    "office_users", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("username", sa.String(64), nullable=False, unique=True),
    sa.Column("full_name", sa.Text, nullable=False),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("password_hash", sa.Text, nullable=False),
    sa.Column("active", sa.Boolean, nullable=False, default=True),
    sa.Column("failed_count", sa.Integer, nullable=False, default=0),
    sa.Column("locked_until", UTCDateTime),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("last_login_at", UTCDateTime),
)

#: Failed logins per client address and user name (known or not): the growing delay.
login_failures = sa.Table(
    "office_login_failures", metadata,
    sa.Column("client", sa.String(64), primary_key=True),
    sa.Column("username", sa.String(64), primary_key=True),
    sa.Column("failures", sa.Integer, nullable=False),
    sa.Column("last_at", UTCDateTime, nullable=False),
    sa.Column("blocked_until", UTCDateTime),
)

sessions = sa.Table(
    "office_sessions", metadata,
    sa.Column("id", sa.String(64), primary_key=True),  # SHA-256 of the cookie value
    sa.Column("user_id", sa.Integer, sa.ForeignKey("office_users.id"), nullable=False,
              index=True),
    sa.Column("csrf", sa.String(64), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("last_seen_at", UTCDateTime, nullable=False),
    sa.Column("expires_at", UTCDateTime, nullable=False),
)

uploads = sa.Table(
    "office_uploads", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("filename", sa.Text, nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("uploaded_by", sa.String(64), nullable=False),
    sa.Column("uploaded_at", UTCDateTime, nullable=False),
    sa.Column("total", sa.Integer, nullable=False),
    sa.Column("valid", sa.Integer, nullable=False),
    sa.Column("rejected", sa.Integer, nullable=False),
    sa.Column("errors", sa.JSON, nullable=False),  # [{row, application_id, fields: [...]}]
)

applications = sa.Table(
    "office_applications", metadata,
    sa.Column("application_id", sa.String(120), primary_key=True),
    sa.Column("permit", sa.String(60), nullable=False, index=True),
    sa.Column("holder_name", sa.Text, nullable=False),
    sa.Column("received_on", sa.Date),
    sa.Column("approved_on", sa.Date),
    sa.Column("raw", sa.JSON, nullable=False),  # the validated record, never served
    sa.Column("source_file", sa.Text, nullable=False),
    sa.Column("source_row", sa.Integer, nullable=False),
    sa.Column("upload_id", sa.Integer, sa.ForeignKey("office_uploads.id"), nullable=False,
              index=True),
    sa.Column("stage", sa.String(16), nullable=False, index=True),
    sa.Column("stage_since", UTCDateTime, nullable=False),
    sa.Column("number", sa.String(120)),
    sa.Column("draft_path", sa.Text),
    sa.Column("signed_path", sa.Text),
    sa.Column("note", sa.Text),
    sa.Column("note_by", sa.String(64)),
    sa.Column("last_error", sa.Text),
    sa.Column("kasi_by", sa.String(64)),
    sa.Column("kabid_by", sa.String(64)),
    sa.Column("signed_by", sa.String(64)),
    sa.Column("signed_at", UTCDateTime),
    sa.Column("created_at", UTCDateTime, nullable=False),
)

jobs = sa.Table(
    "office_jobs", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("kind", sa.String(16), nullable=False),  # generate | sign
    sa.Column("state", sa.String(16), nullable=False),  # running | done | failed
    sa.Column("done", sa.Integer, nullable=False, default=0),
    sa.Column("total", sa.Integer, nullable=False, default=0),
    sa.Column("created_by", sa.String(64), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("finished_at", UTCDateTime),
    sa.Column("message", sa.Text),
    sa.Column("results", sa.JSON, nullable=False),  # [{application_id, number, status, error}]
)



class JobKind(StrEnum):
    GENERATE = "generate"
    SIGN = "sign"


class JobState(StrEnum):
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class ItemStatus(StrEnum):
    """The status of one application in a job's ``results``."""

    DRAFTED = "drafted"
    ISSUED = "issued"
    FAILED = "failed"


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class User:
    id: int
    username: str
    full_name: str
    role: str
    active: bool
    failed_count: int
    locked_until: datetime | None
    created_at: datetime
    last_login_at: datetime | None
    password_hash: str = ""

    def locked(self, now: datetime) -> bool:
        return self.locked_until is not None and self.locked_until > now


@dataclass(frozen=True)
class Session:
    id: str
    user: User
    csrf: str
    last_seen_at: datetime
    expires_at: datetime


@dataclass(frozen=True)
class AppRow:
    """One application as the workflow sees it."""

    application_id: str
    permit: str
    holder_name: str
    received_on: date | None
    approved_on: date | None
    raw: dict[str, Any]
    source_file: str
    source_row: int
    upload_id: int
    stage: Stage
    stage_since: datetime
    number: str | None
    draft_path: str | None
    signed_path: str | None
    note: str | None
    note_by: str | None
    last_error: str | None
    kasi_by: str | None
    kabid_by: str | None
    signed_by: str | None
    signed_at: datetime | None
    created_at: datetime


@dataclass(frozen=True)
class Upload:
    id: int
    filename: str
    sha256: str
    uploaded_by: str
    uploaded_at: datetime
    total: int
    valid: int
    rejected: int
    errors: list[dict[str, Any]]


@dataclass(frozen=True)
class Job:
    id: int
    kind: JobKind
    state: JobState
    done: int
    total: int
    created_by: str
    created_at: datetime
    finished_at: datetime | None
    message: str | None
    results: list[dict[str, Any]]

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "state": self.state, "done": self.done,
                "total": self.total, "message": self.message, "results": self.results,
                "finished": self.state != JobState.RUNNING}


def _user(row: Any) -> User:
    m = row._mapping
    return User(id=m["id"], username=m["username"], full_name=m["full_name"], role=m["role"],
                active=bool(m["active"]), failed_count=m["failed_count"],
                locked_until=m["locked_until"], created_at=m["created_at"],
                last_login_at=m["last_login_at"], password_hash=m["password_hash"])


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _app(row: Any) -> AppRow:
    m = dict(row._mapping)
    m["raw"] = _json(m["raw"])
    m["stage"] = Stage(m["stage"])
    return AppRow(**m)


def _upload(row: Any) -> Upload:
    m = dict(row._mapping)
    m["errors"] = _json(m["errors"])
    return Upload(**m)


def _job(row: Any) -> Job:
    m = dict(row._mapping)
    m["results"] = _json(m["results"])
    m["kind"], m["state"] = JobKind(m["kind"]), JobState(m["state"])
    return Job(**m)


class UserExists(OfficeError):
    pass


class OfficeStore:
    """The ``office_*`` tables on ``engine``, made by the registry's migrations (revision
    ``0005_office``; :func:`ptsp.registry.open_registry` upgrades to it)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # -- users ------------------------------------------------------------------------------
    def add_user(self, username: str, full_name: str, role: str, password_hash: str) -> User:
        with db.write(self.engine, f"adding user {username}") as conn:
            if conn.execute(sa.select(users.c.id).where(users.c.username == username)).first():
                raise UserExists(username)
            conn.execute(users.insert().values(
                username=username, full_name=full_name, role=role, password_hash=password_hash,
                active=True, failed_count=0, created_at=utcnow()))
        user = self.user(username)
        assert user is not None
        return user

    def user(self, username: str) -> User | None:
        with db.read(self.engine, "reading a user") as conn:
            row = conn.execute(sa.select(users).where(users.c.username == username)).first()
        return _user(row) if row else None

    def list_users(self) -> list[User]:
        with db.read(self.engine, "listing users") as conn:
            return [_user(r) for r in conn.execute(sa.select(users).order_by(users.c.username))]

    def update_user(self, username: str, **values: Any) -> User | None:
        with db.write(self.engine, f"updating user {username}") as conn:
            conn.execute(sa.update(users).where(users.c.username == username).values(**values))
            if values.get("active") is False:
                ids = sa.select(users.c.id).where(users.c.username == username)
                conn.execute(sa.delete(sessions).where(sessions.c.user_id.in_(ids)))
        return self.user(username)

    # -- failed logins (throttling) -----------------------------------------------------------
    def login_blocked_until(self, client: str, username: str, now: datetime) -> datetime | None:
        with db.read(self.engine, "reading failed logins") as conn:
            until = conn.execute(sa.select(login_failures.c.blocked_until).where(
                login_failures.c.client == client[:64],
                login_failures.c.username == username[:64])).scalar()
        return until if until is not None and until > now else None

    def record_login_failure(self, client: str, username: str, now: datetime,
                             delay: Callable[[int], timedelta], forget: timedelta) -> int:
        """Count a failed login of ``username`` from ``client``; block that pair for
        ``delay(failures)``. Rows idle for ``forget`` are dropped. Returns the count."""
        client, username = client[:64], username[:64]
        key = (login_failures.c.client == client) & (login_failures.c.username == username)
        with db.write(self.engine, "counting a failed login") as conn:
            conn.execute(sa.delete(login_failures).where(login_failures.c.last_at < now - forget))
            old = conn.execute(sa.select(login_failures.c.failures).where(key)).scalar()
            count = (old or 0) + 1
            wait = delay(count)
            until = now + wait if wait > timedelta(0) else None
            if old is None:
                conn.execute(login_failures.insert().values(
                    client=client, username=username, failures=count, last_at=now,
                    blocked_until=until))
            else:
                conn.execute(sa.update(login_failures).where(key).values(
                    failures=count, last_at=now, blocked_until=until))
        return count

    def clear_login_failures(self, username: str, client: str | None = None) -> int:
        """Forget the failed logins of ``username`` (from ``client``, or from everywhere)."""
        q = sa.delete(login_failures).where(login_failures.c.username == username[:64])
        if client is not None:
            q = q.where(login_failures.c.client == client[:64])
        with db.write(self.engine, "clearing failed logins") as conn:
            return int(conn.execute(q).rowcount or 0)

    def login_blocks(self, now: datetime) -> dict[str, tuple[datetime, int]]:
        """Per user name held back from some address (now or lately, its count not yet
        cleared): the latest end of a delay and the most failures from one address."""
        with db.read(self.engine, "listing failed logins") as conn:
            rows = conn.execute(sa.select(login_failures).where(
                login_failures.c.blocked_until.is_not(None))).all()
        out: dict[str, tuple[datetime, int]] = {}
        for r in rows:
            until, count = out.get(r.username, (r.blocked_until, 0))
            out[r.username] = (max(until, r.blocked_until), max(count, r.failures))
        return out

    def set_password(self, username: str, password_hash: str, *,
                     keep_session: str | None = None) -> bool:
        """A new password; every session of the user ends but ``keep_session``."""
        with db.write(self.engine, f"setting the password of {username}") as conn:
            uid = conn.execute(sa.select(users.c.id).where(
                users.c.username == username)).scalar()
            if uid is None:
                return False
            conn.execute(sa.update(users).where(users.c.id == uid).values(
                password_hash=password_hash, failed_count=0, locked_until=None))
            q = sa.delete(sessions).where(sessions.c.user_id == uid)
            if keep_session is not None:
                q = q.where(sessions.c.id != keep_session)
            conn.execute(q)
            conn.execute(sa.delete(login_failures).where(login_failures.c.username == username))
        return True

    # -- sessions ---------------------------------------------------------------------------
    def create_session(self, sid: str, user_id: int, csrf: str, *, now: datetime,
                       lifetime: timedelta) -> None:
        with db.write(self.engine, "opening a session") as conn:
            conn.execute(sa.delete(sessions).where(sessions.c.expires_at < now))
            conn.execute(sa.update(users).where(users.c.id == user_id).values(
                failed_count=0, locked_until=None, last_login_at=now))
            conn.execute(sessions.insert().values(id=sid, user_id=user_id, csrf=csrf,
                                                  created_at=now, last_seen_at=now,
                                                  expires_at=now + lifetime))

    def session(self, sid: str) -> Session | None:
        with db.read(self.engine, "reading a session") as conn:
            row = conn.execute(sa.select(sessions).where(sessions.c.id == sid)).first()
            urow = conn.execute(sa.select(users).where(
                users.c.id == row.user_id)).first() if row else None
        if row is None or urow is None:
            return None
        return Session(id=row.id, user=_user(urow), csrf=row.csrf,
                       last_seen_at=row.last_seen_at, expires_at=row.expires_at)

    def touch_session(self, sid: str, now: datetime) -> None:
        with db.write(self.engine, "refreshing a session") as conn:
            conn.execute(sa.update(sessions).where(sessions.c.id == sid)
                         .values(last_seen_at=now))

    def delete_session(self, sid: str) -> None:
        with db.write(self.engine, "closing a session") as conn:
            conn.execute(sa.delete(sessions).where(sessions.c.id == sid))

    # -- uploads and applications -----------------------------------------------------------
    def add_upload(self, *, filename: str, sha256: str, uploaded_by: str, total: int,
                   records: list[tuple[int, dict[str, Any], dict[str, Any]]],
                   errors: list[dict[str, Any]]) -> tuple[int, list[dict[str, Any]]]:
        """Store an upload and its valid records. ``records`` are ``(row, raw, summary)``;
        a record whose application is already past the back office is refused (returned as
        an extra error row). Returns the upload id and the errors."""
        now = utcnow()
        errors = list(errors)
        with db.write(self.engine, "storing an upload") as conn:
            upload_id = conn.execute(uploads.insert().values(
                filename=filename, sha256=sha256, uploaded_by=uploaded_by, uploaded_at=now,
                total=total, valid=0, rejected=0, errors=[]).returning(uploads.c.id)).scalar_one()
            valid = 0
            for row, raw, summary in records:
                app_id = summary["application_id"]
                old = conn.execute(sa.select(applications.c.stage).where(
                    applications.c.application_id == app_id)).first()
                values = dict(permit=summary["permit"], holder_name=summary["holder_name"],
                              received_on=summary["received_on"],
                              approved_on=summary["approved_on"], raw=raw,
                              source_file=filename, source_row=row, upload_id=upload_id,
                              stage=START, stage_since=now, last_error=None)
                if old is None:
                    conn.execute(applications.insert().values(
                        application_id=app_id, created_at=now, **values))
                elif old.stage in REPLACEABLE:
                    check(old.stage, START, BACKOFFICE)
                    if old.stage == Stage.VOIDED:
                        values |= {"number": None, "draft_path": None}
                    conn.execute(sa.update(applications).where(
                        applications.c.application_id == app_id).values(**values))
                else:
                    errors.append({"row": row, "application_id": app_id, "fields": [{
                        "field": "application_id",
                        "message": f"permohonan ini sudah dalam proses ({LABELS[Stage(old.stage)]})"
                                   "; tidak diganti"}]})
                    continue
                valid += 1
            errors.sort(key=lambda e: e["row"])
            conn.execute(sa.update(uploads).where(uploads.c.id == upload_id).values(
                valid=valid, rejected=len(errors), errors=errors))
        return upload_id, errors

    def upload(self, upload_id: int) -> Upload | None:
        with db.read(self.engine, "reading an upload") as conn:
            row = conn.execute(sa.select(uploads).where(uploads.c.id == upload_id)).first()
        return _upload(row) if row else None

    def list_uploads(self, limit: int = 20) -> list[Upload]:
        with db.read(self.engine, "listing uploads") as conn:
            return [_upload(r) for r in conn.execute(
                sa.select(uploads).order_by(uploads.c.id.desc()).limit(limit))]

    def application(self, app_id: str) -> AppRow | None:
        with db.read(self.engine, "reading an application") as conn:
            row = conn.execute(sa.select(applications).where(
                applications.c.application_id == app_id)).first()
        return _app(row) if row else None

    def applications(self, *, stages: Iterable[str] | None = None, upload_id: int | None = None,
                     permit: str | None = None, received_from: date | None = None,
                     received_to: date | None = None) -> list[AppRow]:
        q = sa.select(applications)
        if stages is not None:
            q = q.where(applications.c.stage.in_(list(stages)))
        if upload_id is not None:
            q = q.where(applications.c.upload_id == upload_id)
        if permit:
            q = q.where(applications.c.permit == permit)
        if received_from:
            q = q.where(applications.c.received_on >= received_from)
        if received_to:
            q = q.where(applications.c.received_on <= received_to)
        q = q.order_by(applications.c.number.is_(None), applications.c.number,
                       applications.c.application_id)
        with db.read(self.engine, "listing applications") as conn:
            return [_app(r) for r in conn.execute(q)]

    def move(self, app_ids: Iterable[str], *, from_stages: Iterable[str], to: str, role: str,
             **values: Any) -> list[str]:
        """Move the applications that are in one of ``from_stages`` to stage ``to``
        (atomically, so two clicks cannot both act); returns the ids that moved. Each change
        must be one ``role`` may make (:data:`ptsp.office.stages.TRANSITIONS`)."""
        from_stages = tuple(from_stages)
        for src in from_stages:
            check(src, to, role)
        ids = list(app_ids)
        if not ids:
            return []
        now = utcnow()
        with db.write(self.engine, f"moving applications to {to}") as conn:
            moved = [r.application_id for r in conn.execute(
                sa.select(applications.c.application_id).where(
                    applications.c.application_id.in_(ids),
                    applications.c.stage.in_(list(from_stages))))]
            if moved:
                conn.execute(sa.update(applications).where(
                    applications.c.application_id.in_(moved)).values(
                    stage=to, stage_since=now, **values))
        return moved

    def move_exactly(self, app_ids: Iterable[str], *, from_stage: str, to: str, role: str,
                     whole_stage: bool = False, **values: Any) -> list[str] | None:
        """Move exactly ``app_ids`` from ``from_stage`` to ``to``, or nothing: None when one of
        them is no longer at ``from_stage`` or, with ``whole_stage``, when the stage holds
        others too (the list a person saw and confirmed has changed)."""
        check(from_stage, to, role)
        ids = sorted(set(app_ids))
        if not ids:
            return None
        now = utcnow()
        with db.write(self.engine, f"moving applications to {to}") as conn:
            q = sa.select(applications.c.application_id).where(
                applications.c.stage == from_stage)
            if not whole_stage:
                q = q.where(applications.c.application_id.in_(ids))
            there = sorted(r.application_id for r in conn.execute(q))
            if there != ids:
                return None
            conn.execute(sa.update(applications).where(
                applications.c.application_id.in_(ids)).values(
                stage=to, stage_since=now, **values))
        return ids

    def update_application(self, app_id: str, *, role: str | None = None,
                           **values: Any) -> None:
        """Update one application; a change of ``stage`` must be one ``role`` may make."""
        if "stage" in values:
            if role is None:
                raise StageError(f"changing the stage of {app_id} needs the acting role")
            values.setdefault("stage_since", utcnow())
        with db.write(self.engine, f"updating application {app_id}") as conn:
            if "stage" in values:
                old = conn.execute(sa.select(applications.c.stage).where(
                    applications.c.application_id == app_id)).scalar()
                if old is not None:
                    check(old, values["stage"], role or "")
            conn.execute(sa.update(applications).where(
                applications.c.application_id == app_id).values(**values))

    # -- jobs -------------------------------------------------------------------------------
    def add_job(self, kind: JobKind, created_by: str, total: int) -> int:
        with db.write(self.engine, "starting a job") as conn:
            return int(conn.execute(jobs.insert().values(
                kind=kind, state=JobState.RUNNING, done=0, total=total, created_by=created_by,
                created_at=utcnow(), results=[]).returning(jobs.c.id)).scalar_one())

    def update_job(self, job_id: int, **values: Any) -> None:
        if values.get("state") in (JobState.DONE, JobState.FAILED):
            values.setdefault("finished_at", utcnow())
        with db.write(self.engine, "updating a job") as conn:
            conn.execute(sa.update(jobs).where(jobs.c.id == job_id).values(**values))

    def job(self, job_id: int) -> Job | None:
        with db.read(self.engine, "reading a job") as conn:
            row = conn.execute(sa.select(jobs).where(jobs.c.id == job_id)).first()
        return _job(row) if row else None

    def running_jobs(self, kind: str | None = None) -> list[Job]:
        q = sa.select(jobs).where(jobs.c.state == JobState.RUNNING)
        if kind:
            q = q.where(jobs.c.kind == kind)
        with db.read(self.engine, "listing jobs") as conn:
            return [_job(r) for r in conn.execute(q)]

    def recover_interrupted(self) -> None:
        """After a restart: jobs that were running are failed, and their applications go back
        to the step they were taken from."""
        now = utcnow()
        with db.write(self.engine, "recovering interrupted jobs") as conn:
            conn.execute(sa.update(jobs).where(jobs.c.state == JobState.RUNNING).values(
                state=JobState.FAILED, finished_at=now,
                message="Terhenti karena layanan dimulai ulang."))
            for src, dst in INTERRUPTED.items():
                check(src, dst, SYSTEM)
                conn.execute(sa.update(applications).where(applications.c.stage == src)
                             .values(stage=dst, stage_since=now))

