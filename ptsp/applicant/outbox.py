"""The hand-over e-mail through a persistent outbox (``applicant_outbox``).

When a decree is signed, :func:`enqueue_signed` puts one message per application into the
outbox (the signed PDF attached, the verification link and the survey link in the text); the
unique ``dedupe`` key (``handover:<application id>``) makes that idempotent, so a scan may run
as often as wanted and never queues a mail twice. :func:`deliver_due` sends what is due over
SMTP; a failure keeps the message with the error and the next attempt after a growing pause
(30 s, 1, 2, 4 ... minutes, at most an hour), so a mail server that is down loses nothing.
Before sending, a message is leased (its next attempt moved :data:`LEASE` ahead) in its own
transaction, so two workers never send one message at the same time.

Delivery is at least once: a crash after the server accepted a message and before it is marked
sent would send it again (SMTP has no idempotency key).
"""

from __future__ import annotations

import logging
import mimetypes
import os
import smtplib
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ..office.stages import Stage
from ..pipeline import safe_filename
from ..registry import engine as db
from .errors import MailError
from .schema import outbox, receipts

log = logging.getLogger(__name__)
LEASE = timedelta(minutes=5)
MAX_BACKOFF = timedelta(hours=1)
FIRST_BACKOFF = timedelta(seconds=30)
#: Decrees signed longer ago than this get no hand-over e-mail when the outbox first sees them
#: (switching mail on must not mail every decree ever signed).
RECENT = timedelta(days=7)


def backoff(attempts: int) -> timedelta:
    """The pause after the ``attempts``-th failed attempt."""
    return min(FIRST_BACKOFF * (2 ** max(0, attempts - 1)), MAX_BACKOFF)


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class OutboxItem:
    id: int
    dedupe: str
    kind: str
    application_id: str | None
    to_addr: str
    subject: str
    body: str
    attachment_path: str | None
    attachment_name: str | None
    state: str
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None


class OutboxStore:
    """The ``applicant_outbox`` table."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def enqueue(self, *, dedupe: str, kind: str, to_addr: str, subject: str, body: str,
                application_id: str | None = None, attachment_path: str | None = None,
                attachment_name: str | None = None, now: datetime | None = None) -> bool:
        """Queue a message unless one with ``dedupe`` exists; True if queued."""
        now = now or utcnow()
        with db.write(self.engine, "queueing an e-mail") as conn:
            if conn.execute(sa.select(outbox.c.id).where(outbox.c.dedupe == dedupe)).first():
                return False
            conn.execute(outbox.insert().values(
                dedupe=dedupe, kind=kind, application_id=application_id, to_addr=to_addr,
                subject=subject, body=body, attachment_path=attachment_path,
                attachment_name=attachment_name, state="pending", attempts=0,
                next_attempt_at=now, created_at=now))
        return True

    def claim_due(self, now: datetime, limit: int = 20) -> list[OutboxItem]:
        """Lease up to ``limit`` pending messages whose time has come."""
        with db.write(self.engine, "claiming e-mail to send") as conn:
            q = (sa.select(outbox).where(outbox.c.state == "pending",
                                         outbox.c.next_attempt_at <= now)
                 .order_by(outbox.c.next_attempt_at, outbox.c.id).limit(limit))
            if conn.dialect.name == "postgresql":
                q = q.with_for_update(skip_locked=True)
            rows = [OutboxItem(**r._mapping) for r in conn.execute(q)]
            if rows:
                conn.execute(sa.update(outbox).where(outbox.c.id.in_([r.id for r in rows]))
                             .values(next_attempt_at=now + LEASE))
        return rows

    def mark_sent(self, item_id: int, now: datetime) -> None:
        with db.write(self.engine, "marking an e-mail sent") as conn:
            conn.execute(sa.update(outbox).where(outbox.c.id == item_id).values(
                state="sent", sent_at=now, attempts=outbox.c.attempts + 1, last_error=None))

    def mark_failed(self, item_id: int, error: str, now: datetime) -> None:
        with db.write(self.engine, "recording a failed e-mail") as conn:
            attempts = int(conn.execute(sa.select(outbox.c.attempts).where(
                outbox.c.id == item_id)).scalar_one()) + 1
            conn.execute(sa.update(outbox).where(outbox.c.id == item_id).values(
                attempts=attempts, last_error=error[:1000],
                next_attempt_at=now + backoff(attempts)))

    def items(self, state: str | None = None) -> list[OutboxItem]:
        q = sa.select(outbox).order_by(outbox.c.id)
        if state:
            q = q.where(outbox.c.state == state)
        with db.read(self.engine, "reading the outbox") as conn:
            return [OutboxItem(**r._mapping) for r in conn.execute(q)]

    def unsent(self) -> list[OutboxItem]:
        return self.items("pending")


# -- the hand-over message ----------------------------------------------------------------------

def handover_message(profile: Any, *, holder: str, permit_name: str, number: str,
                     verify_link: str, survey_link: str | None) -> tuple[str, str]:
    """Subject and text of the hand-over e-mail (Bahasa Indonesia)."""
    o = profile.office
    subject = f"Surat Keputusan {permit_name} Nomor {number}"
    lines = [
        f"Yth. {holder},", "",
        f"Surat keputusan {permit_name} Anda telah ditandatangani secara elektronik oleh "
        f"{profile.signer_title_full}.", "",
        f"Nomor keputusan: {number}",
        "Berkas PDF keputusan terlampir. Keaslian dan status keputusan dapat diperiksa di:",
        verify_link, "",
    ]
    if survey_link:
        lines += ["Mohon kesediaan Anda mengisi Survei Kepuasan Masyarakat (sekali saja):",
                  survey_link, ""]
    lines += ["Hormat kami,", f"{o.name} {o.regency}", o.address]
    if o.contact_line:
        lines.append(o.contact_line)
    lines += ["", "Surel ini dikirim otomatis; mohon tidak membalas surel ini."]
    return subject, "\n".join(lines)


def enqueue_signed(engine: Engine, profile: Any, registry: Any, catalog: Any) -> int:
    """Queue the hand-over e-mail of every signed application with ``applicant.email`` that
    has none yet; returns how many were queued. Safe to run again and again."""
    from ..office.store import OfficeStore

    store = OfficeStore(engine)
    apps = store.applications(stages=(Stage.SIGNED, Stage.HANDED_OVER))
    box = OutboxStore(engine)
    with db.read(engine, "reading the outbox") as conn:
        done = {r.dedupe for r in conn.execute(sa.select(outbox.c.dedupe).where(
            outbox.c.kind == "handover"))}
        tokens = {r.application_id: r.survey_token for r in conn.execute(
            sa.select(receipts.c.application_id, receipts.c.survey_token))}
    base = profile.verification.base_url.rstrip("/")
    queued = 0
    cutoff = utcnow() - RECENT
    for a in apps:
        key = f"handover:{a.application_id}"
        if a.signed_at is None or a.signed_at < cutoff:
            continue
        applicant = a.raw.get("applicant") if isinstance(a.raw.get("applicant"), dict) else {}
        email = str((applicant or {}).get("email") or "").strip()
        if key in done or not email or not a.number or not a.signed_path:
            continue
        rec = registry.get(a.number)
        if rec is None or getattr(rec.status, "value", "") != "issued":
            continue
        service = catalog.find(a.permit)
        token = tokens.get(a.application_id)
        subject, body = handover_message(
            profile, holder=a.holder_name, permit_name=service.name if service else a.permit,
            number=a.number, verify_link=profile.verify_url(rec.token),
            survey_link=f"{base}/survei/{token}" if token else None)
        if box.enqueue(dedupe=key, kind="handover", to_addr=email, subject=subject, body=body,
                       application_id=a.application_id, attachment_path=a.signed_path,
                       attachment_name=safe_filename(a.number)):
            queued += 1
    return queued


# -- SMTP -----------------------------------------------------------------------------------------

def build_email(item: OutboxItem, sender: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = item.to_addr
    msg["Subject"] = item.subject
    domain = sender.rpartition("@")[2] or "localhost"
    msg["Message-ID"] = make_msgid(idstring=f"ptsp-{item.id}", domain=domain)
    msg.set_content(item.body)
    if item.attachment_path:
        path = Path(item.attachment_path)
        data = path.read_bytes()  # OSError: retried later
        ctype = mimetypes.guess_type(item.attachment_name or path.name)[0] or \
            "application/octet-stream"
        main, _, sub = ctype.partition("/")
        msg.add_attachment(data, maintype=main, subtype=sub,
                           filename=item.attachment_name or path.name)
    return msg


class SmtpSender:
    """Sends over one SMTP connection per batch, with STARTTLS and login as configured."""

    def __init__(self, mail: Any) -> None:
        if not mail.host:
            raise MailError("SMTP is not configured: set [mail].host in the office profile")
        self.mail = mail
        self.password = None
        if mail.username:
            self.password = os.environ.get(mail.password_env)
            if self.password is None:
                raise MailError(f"SMTP password: environment variable {mail.password_env} "
                                "is not set")

    def open(self) -> smtplib.SMTP:
        m = self.mail
        smtp = smtplib.SMTP(m.host, m.port, timeout=m.timeout)
        try:
            smtp.ehlo()
            if m.starttls:
                cafile = str(m.cafile) if getattr(m, "cafile", None) else None
                smtp.starttls(context=ssl.create_default_context(cafile=cafile))
                smtp.ehlo()
            if m.username:
                smtp.login(m.username, self.password or "")
        except BaseException:
            smtp.close()
            raise
        return smtp


def deliver_due(engine: Engine, mail: Any, *, now: datetime | None = None,
                sender_factory: Callable[[Any], SmtpSender] = SmtpSender) -> tuple[int, int]:
    """Send the messages that are due; returns (sent, failed)."""
    box = OutboxStore(engine)
    now = now or utcnow()
    items = box.claim_due(now)
    if not items:
        return 0, 0
    sent = failed = 0
    smtp: smtplib.SMTP | None = None
    try:
        sender = sender_factory(mail)
        smtp = sender.open()
    except (OSError, smtplib.SMTPException, MailError) as e:
        for item in items:
            box.mark_failed(item.id, f"SMTP tidak dapat dihubungi: {e}", now)
        log.warning("SMTP unavailable: %s", e)
        return 0, len(items)
    try:
        for item in items:
            try:
                smtp.send_message(build_email(item, mail.sender))
            except (OSError, smtplib.SMTPException) as e:
                box.mark_failed(item.id, str(e), now)
                failed += 1
                if isinstance(e, smtplib.SMTPServerDisconnected):
                    for rest in items[items.index(item) + 1:]:
                        box.mark_failed(rest.id, str(e), now)
                        failed += 1
                    break
            else:
                box.mark_sent(item.id, now)
                sent += 1
    finally:
        try:
            smtp.quit()
        except (OSError, smtplib.SMTPException):
            smtp.close()
    return sent, failed


class MailWorker:
    """A daemon thread: every ``interval`` seconds queue new hand-overs and send what is due."""

    def __init__(self, *, engine: Engine, profile: Any, registry_factory: Callable[[], Any],
                 catalog: Any, interval: float = 15.0) -> None:
        self.engine = engine
        self.profile = profile
        self.registry_factory = registry_factory
        self.catalog = catalog
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="ptsp-mail", daemon=True)

    def start(self) -> MailWorker:
        self._thread.start()
        return self

    def stop(self, timeout: float = 10) -> None:
        self._stop.set()
        self._thread.join(timeout)

    def run_once(self) -> tuple[int, int, int]:
        """(queued, sent, failed) of one pass."""
        registry = self.registry_factory()
        try:
            queued = enqueue_signed(self.engine, self.profile, registry, self.catalog)
        finally:
            registry.close()
        if not self.profile.mail.host:
            return queued, 0, 0
        sent, failed = deliver_due(self.engine, self.profile.mail)
        return queued, sent, failed

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.run_once()
            except Exception:  # noqa: BLE001 - the worker must outlive a bad pass
                log.exception("mail worker pass failed")
            self._stop.wait(self.interval)
