"""Which signed decrees get a hand-over e-mail queued (a fake registry; the real path runs in
tests/integration/test_applicant_browser.py), and the message built from an outbox row."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from ptsp.applicant.outbox import OutboxStore, build_email, enqueue_signed
from tests.applicant_support import office_with_upload
from tests.office_support import put_at_stage


class FakeRegistry:
    def get(self, number):
        return SimpleNamespace(number=number, token=f"tok-{number}",
                               status=SimpleNamespace(value="issued"))


def test_enqueue_signed_recent_with_email_once(tmp_path):
    s = office_with_upload(tmp_path, count=3)
    store, profile = s["office"].store, s["profile"]
    ids = [a["application_id"] for a in s["apps"]]
    emails = ["satu@contoh.test", "dua@contoh.test", None]
    pdf = tmp_path / "k.pdf"
    pdf.write_bytes(b"%PDF-1.7 uji")
    now = datetime.now(UTC)
    for i, (app_id, when) in enumerate(zip(ids, (now, now - timedelta(days=30), now),
                                           strict=True)):
        put_at_stage(store, app_id, "signed", number=f"503/{i}", signed_path=str(pdf),
                     signed_at=when)
    for app_id, email in zip(ids, emails, strict=True):  # the third has no address
        raw = store.application(app_id).raw
        raw["applicant"].pop("email", None)
        if email:
            raw["applicant"]["email"] = email
        store.update_application(app_id, raw=raw)
    engine = store.engine
    # the first only: the second was signed 30 days ago, the third has no address
    assert enqueue_signed(engine, profile, FakeRegistry(), s["office"].catalog) == 1
    assert enqueue_signed(engine, profile, FakeRegistry(), s["office"].catalog) == 0  # once
    [item] = OutboxStore(engine).items()
    assert item.application_id == ids[0] and item.to_addr == "satu@contoh.test"
    assert profile.verify_url("tok-503/0") in item.body and "/survei/" in item.body
    msg = build_email(item, "layanan@dpmptsp.test")
    [att] = list(msg.iter_attachments())
    assert att.get_filename() == "503-0.pdf" and att.get_content() == pdf.read_bytes()
