"""The hand-over e-mail through the persistent outbox, against a real SMTP server process
(aiosmtpd): message and attachment arrive; with the server down the mail waits (with backoff)
and arrives exactly once when the server is up."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ptsp.applicant.outbox import OutboxStore, backoff, deliver_due, utcnow
from ptsp.profile import Mail
from ptsp.registry import open_registry
from tests.signer_support import free_port, make_pdf
from tests.smtp_support import SmtpServer

pytestmark = [pytest.mark.integration]
pytest.importorskip("aiosmtpd")


@pytest.fixture()
def engine(tmp_path):
    reg = open_registry(f"sqlite:///{tmp_path / 'registry.sqlite'}")
    yield reg.engine
    reg.close()


def queue_one(engine, tmp_path, to="pemohon@contoh.test"):
    pdf = tmp_path / "keputusan.pdf"
    pdf.write_bytes(make_pdf("KEPUTUSAN UJI", pages=1))
    box = OutboxStore(engine)
    assert box.enqueue(dedupe="handover:APP-1", kind="handover", to_addr=to,
                       subject="Surat Keputusan Izin Uji Nomor 503/0001", application_id="APP-1",
                       body="Verifikasi: http://127.0.0.1/v/abc\nSurvei: http://127.0.0.1/survei/x",
                       attachment_path=str(pdf), attachment_name="503-0001.pdf")
    # a second scan never queues the same hand-over twice
    assert not box.enqueue(dedupe="handover:APP-1", kind="handover", to_addr=to, subject="x",
                           body="x")
    return pdf


def test_message_and_attachment_arrive(engine, tmp_path):
    pdf = queue_one(engine, tmp_path)
    port = free_port()
    mail = Mail(host="127.0.0.1", port=port, starttls=False, sender="ptsp@dpmptsp.test",
                timeout=5)
    with SmtpServer(tmp_path / "maildir", port) as server:
        assert deliver_due(engine, mail) == (1, 0)
        msgs = server.messages()
    assert len(msgs) == 1
    m = msgs[0]
    assert m["To"] == "pemohon@contoh.test" and m["From"] == "ptsp@dpmptsp.test"
    assert m["Subject"] == "Surat Keputusan Izin Uji Nomor 503/0001"
    assert "http://127.0.0.1/v/abc" in m.get_body(("plain",)).get_content()
    atts = list(m.iter_attachments())
    assert [(a.get_filename(), a.get_content_type()) for a in atts] == \
        [("503-0001.pdf", "application/pdf")]
    assert atts[0].get_content() == pdf.read_bytes()
    [item] = OutboxStore(engine).items()
    assert item.state == "sent" and item.attempts == 1 and OutboxStore(engine).unsent() == []


def test_server_down_then_up_mail_arrives_exactly_once(engine, tmp_path):
    queue_one(engine, tmp_path)
    port = free_port()
    mail = Mail(host="127.0.0.1", port=port, starttls=False, sender="ptsp@dpmptsp.test",
                timeout=5)
    t0 = utcnow()
    assert deliver_due(engine, mail, now=t0) == (0, 1)  # nobody listens on the port
    [item] = OutboxStore(engine).unsent()
    assert item.attempts == 1 and "SMTP tidak dapat dihubungi" in (item.last_error or "")
    assert item.next_attempt_at >= t0 + backoff(1) - timedelta(seconds=1)
    assert deliver_due(engine, mail, now=t0 + timedelta(seconds=5)) == (0, 0)  # backing off
    t1 = t0 + timedelta(seconds=31)
    assert deliver_due(engine, mail, now=t1) == (0, 1)  # still down: second failure
    [item] = OutboxStore(engine).unsent()
    assert item.attempts == 2 and item.next_attempt_at >= t1 + timedelta(seconds=59)
    with SmtpServer(tmp_path / "maildir", port) as server:
        t2 = t1 + timedelta(seconds=61)
        assert deliver_due(engine, mail, now=t2) == (1, 0)
        for later in (t2, t2 + timedelta(hours=2), t2 + timedelta(days=3)):
            assert deliver_due(engine, mail, now=later) == (0, 0)
        msgs = server.messages()
    assert len(msgs) == 1 and msgs[0]["Subject"].startswith("Surat Keputusan")
    [item] = OutboxStore(engine).items()
    assert item.state == "sent" and item.attempts == 3 and item.last_error is None


def test_backoff_grows_and_is_capped():
    assert [backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert backoff(20) == timedelta(hours=1)


def test_starttls_with_the_office_ca(engine, tmp_path):
    from tests.smtp_support import self_signed

    queue_one(engine, tmp_path)
    cert, key = self_signed(tmp_path)
    port = free_port()
    with SmtpServer(tmp_path / "maildir", port, tls=(cert, key)) as server:
        untrusted = Mail(host="127.0.0.1", port=port, starttls=True, sender="ptsp@dpmptsp.test",
                         timeout=5)
        t0 = utcnow()
        assert deliver_due(engine, untrusted, now=t0) == (0, 1)  # unknown CA: refused
        [item] = OutboxStore(engine).unsent()
        assert "CERTIFICATE_VERIFY_FAILED" in (item.last_error or "")
        trusted = Mail(host="127.0.0.1", port=port, starttls=True, sender="ptsp@dpmptsp.test",
                       timeout=5, cafile=cert)
        assert deliver_due(engine, trusted, now=t0 + timedelta(minutes=1)) == (1, 0)
        assert len(server.messages()) == 1


def test_password_comes_from_the_named_environment_variable(monkeypatch):
    from ptsp.applicant.errors import MailError
    from ptsp.applicant.outbox import SmtpSender

    mail = Mail(host="127.0.0.1", username="ptsp", password_env="PTSP_SMTP_UJI",
                sender="x@y.test")
    monkeypatch.delenv("PTSP_SMTP_UJI", raising=False)
    with pytest.raises(MailError, match="PTSP_SMTP_UJI"):
        SmtpSender(mail)
    monkeypatch.setenv("PTSP_SMTP_UJI", "rahasia")
    assert SmtpSender(mail).password == "rahasia"
