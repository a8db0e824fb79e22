"""The applicant tables on both backends (SQLite, PostgreSQL): migration 0004 up and down,
receipts, one survey per application, the survey report, complaints and the outbox lease."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from ptsp.applicant.complaints import ComplaintStore
from ptsp.applicant.errors import ApplicantError
from ptsp.applicant.outbox import OutboxStore, utcnow
from ptsp.applicant.schema import metadata
from ptsp.applicant.survey import SurveyStore
from ptsp.applicant.track import ReceiptStore
from ptsp.registry.engine import create_engine
from ptsp.registry.migrations import upgrade
from tests.registry_support import *  # noqa: F403

pytestmark = pytest.mark.integration
TABLES = set(metadata.tables)


def test_migration_0004_up_and_down(empty_db_url: str) -> None:
    engine = create_engine(empty_db_url)
    try:
        with engine.begin() as conn:
            upgrade(conn, "0003")
        assert not TABLES & set(sa.inspect(engine).get_table_names())
        with engine.begin() as conn:
            upgrade(conn, "0004")
        inspector = sa.inspect(engine)
        assert TABLES <= set(inspector.get_table_names())
        # the migration and schema.py agree column by column
        for name, table in metadata.tables.items():
            assert {c["name"] for c in inspector.get_columns(name)} == set(table.c.keys()), name
        from alembic import command

        from ptsp.registry.migrations import config

        with engine.begin() as conn:
            command.downgrade(config(conn), "0003")
        assert not TABLES & set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_stores_on_each_backend(registry, tmp_path) -> None:
    engine = registry.engine
    receipts = ReceiptStore(engine)
    got = receipts.assign([("A1", {"applicant": {"nik": "6311010101900001"}}),
                           ("A2", {"applicant": {"nik": "6311010101900002"}})])
    assert receipts.assign([("A1", {})]) == {"A1": got["A1"]}
    assert receipts.get(got["A2"]).nik_last4 == "0002"

    surveys = SurveyStore(engine)
    today = date(2026, 7, 1)
    assert surveys.add((4,) * 9, application_id="A1", permit="ITAK", answered_on=today)
    assert not surveys.add((1,) * 9, application_id="A1", permit="ITAK", answered_on=today)
    assert surveys.add((2,) * 9, application_id=None, permit=None, answered_on=today,
                       source="import:x")
    assert surveys.add((3,) * 9, application_id=None, permit=None,
                       answered_on=today - timedelta(days=400), source="import:x")
    r = surveys.report(start=date(2026, 1, 1))
    assert r.respondents == 2 and round(r.ikm, 2) == 75.0 and r.grade == "C"

    complaints = ComplaintStore(engine, tmp_path / "pengaduan")
    c = complaints.file(name="Siti", contact="siti@contoh.test", about="", text="Lambat.",
                        attachment=None, today=today)
    with pytest.raises(ApplicantError):
        complaints.move(c.number, "diterima", actor="bo1")
    assert complaints.move(c.number, "diproses", actor="bo1").status == "diproses"
    done = complaints.move(c.number, "selesai", actor="bo1", answer="Sudah.")
    assert done.status == "selesai" and done.closed_at is not None

    box = OutboxStore(engine)
    assert box.enqueue(dedupe="k1", kind="handover", to_addr="a@b.test", subject="s", body="b")
    now = utcnow()
    first = box.claim_due(now)
    assert [i.dedupe for i in first] == ["k1"]
    assert box.claim_due(now) == []  # leased: a second worker gets nothing
    box.mark_sent(first[0].id, now)
    assert box.unsent() == [] and box.claim_due(now + timedelta(hours=1)) == []
