"""Lifecycle of registration numbers on both backends."""

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from ptsp.registry import (
    ConflictError,
    InvalidRequest,
    InvalidTransition,
    IssueMark,
    NumberingPolicy,
    NumberNotFound,
    SqlRegistry,
    Status,
)
from tests.registry_support import *  # noqa: F403

pytestmark = pytest.mark.integration

SHA_A, SHA_B, SHA_C = "a" * 64, "b" * 64, "c" * 64


def reserve(reg: SqlRegistry, app: str, permit: str = "PBG", **kw) -> object:
    args = dict(application_id=app, permit=permit, holder_name="Siti Aisyah",
                holder_nik_masked="6311**********01", received_on=date(2025, 3, 3),
                approved_on=date(2025, 3, 5), data={"alamat": "Paringin", "luas": 120},
                actor="clerk1")
    return reg.reserve(**(args | kw))


def issue(reg: SqlRegistry, number: str, sha: str = SHA_A, **kw) -> object:
    args = dict(sha256=sha, path=f"/out/{sha[:4]}.pdf", signer_subject="CN=Kepala DPMPTSP",
                signer_fingerprint="ab:cd", actor="signer")
    return reg.mark_issued(number, **(args | kw))


def test_reserve_issue_revoke(registry: SqlRegistry) -> None:
    rec = reserve(registry, "APP-1")
    assert rec.status is Status.RESERVED and rec.seq == 1
    assert rec.number.startswith("503/0001/PBG/DPMPTSP-BLG/")
    assert rec.reserved_at.tzinfo is not None and rec.reserved_at.utcoffset() == timedelta(0)
    assert len(rec.token) >= 22 and rec.data == {"alamat": "Paringin", "luas": 120}
    assert registry.get(rec.number) == rec

    issued = issue(registry, rec.number, signed_sha256=SHA_C)
    assert issued.status is Status.ISSUED and issued.sha256 == SHA_A
    assert issued.issued_at is not None and issued.issued_at.tzinfo is not None
    assert registry.get(rec.number) == issued
    assert registry.by_token(rec.token) == issued
    assert registry.by_sha256(SHA_A) == issued and registry.by_sha256(SHA_C) == issued
    assert registry.by_sha256(SHA_B) is None and registry.by_token("nope") is None
    assert issue(registry, rec.number) == issued  # idempotent with the same file
    with pytest.raises(ConflictError, match="already issued"):
        issue(registry, rec.number, sha=SHA_B)

    revoked = registry.revoke(rec.number, kind=Status.REVOKED, reason="izin disalahgunakan",
                              decree="SK 503/12/2025", actor="kepala")
    assert revoked.status is Status.REVOKED and revoked.status_reason == "izin disalahgunakan"
    assert revoked.status_decree == "SK 503/12/2025" and revoked.status_changed_at is not None
    assert registry.get(rec.number) == revoked
    assert [e.action for e in registry.audit_entries(rec.number)] == \
        ["reserved", "issued", "revoked"]


def test_reserve_is_idempotent_per_application(registry: SqlRegistry) -> None:
    first = reserve(registry, "APP-1")
    again = reserve(registry, "APP-1", holder_name="changed")
    assert again == first
    assert len(registry.audit_entries()) == 1  # no new number, no new audit row
    assert registry.by_application("APP-1") == first
    with pytest.raises(ConflictError, match="APP-1"):
        reserve(registry, "APP-1", permit="SIP")


def test_void_keeps_the_number_and_the_next_gets_the_next_seq(registry: SqlRegistry) -> None:
    first = reserve(registry, "APP-1")
    voided = registry.void(first.number, reason="salah input", actor="clerk1")
    assert voided.status is Status.VOIDED and voided.status_reason == "salah input"
    assert registry.void(first.number, reason="again", actor="x") == voided
    assert registry.by_application("APP-1") is None
    again = reserve(registry, "APP-1")  # a voided number does not block a new one
    assert again.number != first.number and again.seq == 2
    other = reserve(registry, "APP-2")
    assert other.seq == 3
    assert registry.get(first.number).status is Status.VOIDED
    assert sorted(r.seq for r in registry.list()) == [1, 2, 3]


def test_replacement_flips_the_old_record_when_issued(registry: SqlRegistry) -> None:
    old = reserve(registry, "APP-1")
    issue(registry, old.number)
    new = registry.reserve_replacement(
        old.number, application_id="APP-1", permit="PBG", holder_name="Siti Aisyah, S.E.",
        holder_nik_masked=None, received_on=date(2025, 3, 3), approved_on=None, data={},
        actor="clerk1", reason="salah penulisan nama")
    assert new.replaces == old.number and new.status is Status.RESERVED
    assert registry.get(old.number).status is Status.ISSUED  # not yet
    same = registry.reserve_replacement(
        old.number, application_id="APP-1", permit="PBG", holder_name="x",
        holder_nik_masked=None, received_on=None, approved_on=None, data={}, actor="c",
        reason="retry")
    assert same == new
    assert registry.by_application("APP-1").number == new.number

    issued = issue(registry, new.number, sha=SHA_B)
    flipped = registry.get(old.number)
    assert issued.status is Status.ISSUED
    assert flipped.status is Status.REPLACED and flipped.replaced_by == new.number
    assert flipped.status_reason == "salah penulisan nama"
    assert [e.action for e in registry.audit_entries()][-2:] == ["issued", "replaced"]
    with pytest.raises(InvalidTransition, match="replaced"):
        registry.reserve_replacement(
            old.number, application_id="APP-1", permit="PBG", holder_name="x",
            holder_nik_masked=None, received_on=None, approved_on=None, data={}, actor="c",
            reason="again")


def test_replacement_is_atomic_when_the_old_record_was_revoked(registry: SqlRegistry) -> None:
    old = reserve(registry, "APP-1")
    issue(registry, old.number)
    new = registry.reserve_replacement(
        old.number, application_id="APP-1", permit="PBG", holder_name="x",
        holder_nik_masked=None, received_on=None, approved_on=None, data={}, actor="c",
        reason="koreksi")
    registry.revoke(old.number, kind=Status.WITHDRAWN, reason="r", decree="SK 1", actor="k")
    entries = len(registry.audit_entries())
    with pytest.raises(InvalidTransition) as err:
        issue(registry, new.number, sha=SHA_B)
    assert old.number in str(err.value) and "withdrawn" in str(err.value)
    assert registry.get(new.number).status is Status.RESERVED  # rolled back
    assert registry.get(new.number).sha256 is None
    assert len(registry.audit_entries()) == entries
    assert registry.audit_check().ok


@pytest.mark.parametrize(
    ("setup", "action", "current", "target"),
    [
        ("reserved", lambda r, n: r.revoke(n, kind=Status.CANCELLED, reason="r", decree="d",
                                           actor="a"), "reserved", "cancelled"),
        ("issued", lambda r, n: r.void(n, reason="r", actor="a"), "issued", "voided"),
        ("voided", lambda r, n: issue(r, n), "voided", "issued"),
        ("revoked", lambda r, n: r.revoke(n, kind=Status.WITHDRAWN, reason="r", decree="d2",
                                          actor="a"), "revoked", "withdrawn"),
    ],
)
def test_illegal_transitions_name_the_number_and_both_states(
    registry: SqlRegistry, setup: str, action, current: str, target: str
) -> None:
    rec = reserve(registry, "APP-1")
    if setup in ("issued", "revoked"):
        issue(registry, rec.number)
    if setup == "revoked":
        registry.revoke(rec.number, kind=Status.REVOKED, reason="r", decree="d", actor="a")
    if setup == "voided":
        registry.void(rec.number, reason="r", actor="a")
    with pytest.raises(InvalidTransition) as err:
        action(registry, rec.number)
    assert (err.value.number, err.value.current, err.value.target) == (rec.number, current, target)
    assert rec.number in str(err.value) and current in str(err.value) and target in str(err.value)


def test_bad_requests(registry: SqlRegistry) -> None:
    rec = reserve(registry, "APP-1")
    issue(registry, rec.number)
    with pytest.raises(InvalidRequest, match="revocation kind"):
        registry.revoke(rec.number, kind=Status.VOIDED, reason="r", decree="d", actor="a")
    with pytest.raises(InvalidRequest, match="reason"):
        registry.revoke(rec.number, kind=Status.REVOKED, reason=" ", decree="d", actor="a")
    with pytest.raises(InvalidRequest, match="timezone-aware"):
        reserve(registry, "APP-2", when=datetime(2025, 1, 1))
    with pytest.raises(InvalidRequest, match="sha256"):
        issue(registry, rec.number, sha="xyz")
    with pytest.raises(NumberNotFound):
        registry.void("503/9999/X/2025", reason="r", actor="a")
    with pytest.raises(InvalidRequest, match="written by the registry"):
        registry.record_event(action="issued", actor="mallory", number=rec.number)


def test_year_rollover_restarts_the_sequence(make_registry) -> None:
    reg = make_registry()
    late_2025 = reserve(reg, "APP-1", when=datetime(2025, 12, 31, 15, 0, tzinfo=UTC))
    reserve(reg, "APP-2", when=datetime(2025, 12, 31, 15, 30, tzinfo=UTC))
    # 16:30 UTC on 31 December is 00:30 WITA on 1 January 2026 at the office
    new_year = reserve(reg, "APP-3", when=datetime(2025, 12, 31, 16, 30, tzinfo=UTC))
    assert (late_2025.year, late_2025.seq) == (2025, 1)
    assert (new_year.year, new_year.seq) == (2026, 1)
    assert new_year.number == "503/0001/PBG/DPMPTSP-BLG/I/2026"
    assert late_2025.number == "503/0001/PBG/DPMPTSP-BLG/XII/2025"
    assert reserve(reg, "APP-4", when=datetime(2026, 2, 1, tzinfo=UTC)).seq == 2


def test_permit_year_scope_counts_per_permit(make_registry) -> None:
    reg = make_registry(NumberingPolicy(scope="permit_year"))
    when = datetime(2025, 6, 1, 3, tzinfo=UTC)
    a = [reserve(reg, f"A{i}", permit="PBG", when=when).seq for i in range(3)]
    b = [reserve(reg, f"B{i}", permit="SIP", when=when).seq for i in range(2)]
    assert a == [1, 2, 3] and b == [1, 2]
    assert reg.get("503/0002/SIP/DPMPTSP-BLG/VI/2025").scope == "permit:SIP"


def test_list_filters_and_events(registry: SqlRegistry) -> None:
    a, b = reserve(registry, "A"), reserve(registry, "B", permit="SIP")
    issue(registry, a.number)
    registry.record_event(action="upload", actor="clerk1", detail={"file": "ktp.pdf"})
    registry.record_event(action="sign", actor="kepala", number=a.number)
    with pytest.raises(NumberNotFound):
        registry.record_event(action="sign", actor="kepala", number="nope")
    assert [r.number for r in registry.list()] == [b.number, a.number]  # newest first
    assert [r.number for r in registry.list(status=Status.ISSUED)] == [a.number]
    assert [r.number for r in registry.list(permit="SIP")] == [b.number]
    assert len(registry.list(limit=1)) == 1
    assert [e.action for e in registry.audit_entries(a.number)] == ["reserved", "issued", "sign"]
    assert registry.audit_entries()[3].detail == {"file": "ktp.pdf"}
    assert registry.audit_check().entries == 5


def test_records_cannot_be_deleted(registry: SqlRegistry) -> None:
    rec = reserve(registry, "A")
    with pytest.raises(sa.exc.DBAPIError, match="append-only"):
        with registry.engine.begin() as conn:
            conn.execute(sa.text("DELETE FROM registry_records"))
    assert registry.get(rec.number) == rec


def test_unique_constraints_are_the_last_line_of_defence(registry: SqlRegistry) -> None:
    rec = reserve(registry, "A")
    with pytest.raises(sa.exc.IntegrityError):
        with registry.engine.begin() as conn:  # a second row with the same (scope, year, seq)
            conn.execute(sa.text(
                "INSERT INTO registry_records (number, application_id, permit, status, scope, "
                "year, seq, token, holder_name, reserved_at, data) VALUES ('X', 'B', 'PBG', "
                f"'reserved', 'office', {rec.year}, 1, 'tok', 'h', '2025-01-01', '{{}}')"))


def test_many_marks_go_in_one_transaction_each_on_its_own_merits(registry: SqlRegistry) -> None:
    """A batch records its decrees a few at a time: the marks that can go in do, one that
    cannot is given back as its own error and costs the others nothing."""
    a, b, c = (reserve(registry, f"APP-M{i}") for i in range(3))
    issue(registry, c.number, SHA_C)

    def mark(number: str, sha: str) -> IssueMark:
        return IssueMark(number, sha, f"/out/{sha[:4]}.pdf", "CN=Kepala DPMPTSP", "ab:cd",
                         "signer")

    results = registry.mark_issued_many([
        mark(a.number, SHA_A),
        mark(c.number, SHA_B),  # already issued with another file
        mark("503/9999/PBG/DPMPTSP-BLG/III/2025", SHA_A),  # no such number
        mark(b.number, "not-a-digest"),
        mark(b.number, SHA_B),
        mark(a.number, SHA_A),  # the same mark again: nothing new
    ])
    assert [type(r).__name__ for r in results] == [
        "Record", "ConflictError", "NumberNotFound", "InvalidRequest", "Record", "Record"]
    assert c.number in str(results[1])
    assert registry.get(a.number).status is Status.ISSUED
    assert registry.get(b.number).sha256 == SHA_B
    assert registry.get(c.number).sha256 == SHA_C
    issued = [e for e in registry.audit_entries() if e.action == "issued"]
    assert [e.number for e in issued] == [c.number, a.number, b.number]
    assert issued[2].id == issued[1].id + 1  # written together
    assert registry.audit_check().ok
    assert registry.mark_issued_many([]) == []
