"""The audit trail on both backends: chain, append-only triggers, tamper detection."""

from datetime import date

import pytest
import sqlalchemy as sa

from ptsp.registry import SqlRegistry, Status
from tests.registry_support import *  # noqa: F403

pytestmark = pytest.mark.integration


def _activity(reg: SqlRegistry) -> str:
    rec = reg.reserve(application_id="A1", permit="PBG", holder_name="Siti",
                      holder_nik_masked=None, received_on=date(2025, 3, 3), approved_on=None,
                      data={}, actor="clerk1")
    reg.record_event(action="login", actor="kepala", detail={"ip": "10.0.0.5"})
    reg.mark_issued(rec.number, sha256="a" * 64, path="/a.pdf", signer_subject="CN=K",
                    signer_fingerprint="ff", actor="kepala")
    reg.revoke(rec.number, kind=Status.CANCELLED, reason="cacat administrasi",
               decree="SK 503/7/2025", actor="kepala")
    return rec.number


def drop_audit_triggers(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("DROP TRIGGER registry_audit_append_only ON registry_audit"))
        else:
            conn.execute(sa.text("DROP TRIGGER registry_audit_no_update"))
            conn.execute(sa.text("DROP TRIGGER registry_audit_no_delete"))


def test_chain_verifies_and_records_every_change(registry: SqlRegistry) -> None:
    number = _activity(registry)
    entries = registry.audit_entries()
    assert [(e.id, e.action) for e in entries] == [
        (1, "reserved"), (2, "login"), (3, "issued"), (4, "cancelled")]
    assert entries[0].prev_hash == "0" * 64
    assert all(b.prev_hash == a.hash for a, b in zip(entries, entries[1:], strict=False))
    assert all(e.at.utcoffset() is not None for e in entries)
    assert entries[3].number == number
    assert entries[3].detail == {"reason": "cacat administrasi", "decree": "SK 503/7/2025"}
    check = registry.audit_check()
    assert check.ok and check.entries == 4 and check.first_bad is None


@pytest.mark.parametrize("sql", ["UPDATE registry_audit SET actor = 'mallory' WHERE id = 1",
                                 "DELETE FROM registry_audit WHERE id = 4"])
def test_trigger_rejects_update_and_delete(registry: SqlRegistry, sql: str) -> None:
    _activity(registry)
    with pytest.raises(sa.exc.DBAPIError, match="append-only"):
        with registry.engine.begin() as conn:
            conn.execute(sa.text(sql))
    assert registry.audit_check().ok


def test_tampered_row_is_detected(registry: SqlRegistry) -> None:
    _activity(registry)
    drop_audit_triggers(registry.engine)
    with registry.engine.begin() as conn:
        conn.execute(sa.text("UPDATE registry_audit SET detail = '{\"ip\":\"10.6.6.6\"}' "
                             "WHERE id = 2"))
    check = registry.audit_check()
    assert not check.ok and check.first_bad == 2
    assert "entry 2" in check.message


def test_deleted_tail_is_detected(registry: SqlRegistry) -> None:
    _activity(registry)
    drop_audit_triggers(registry.engine)
    with registry.engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM registry_audit WHERE id = 4"))
    check = registry.audit_check()
    assert not check.ok and check.first_bad == 4 and "removed" in check.message
