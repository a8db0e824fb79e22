"""Issue 13 item 7 on SQLite and PostgreSQL: portal checks are counted in their own table
(revision 0003), the audit trail stays the office's; the audit page's search pages and filters."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ptsp.registry import SqlRegistry
from ptsp.registry.numbering import utcnow
from tests.registry_support import *  # noqa: F403

pytestmark = pytest.mark.integration


def test_verifications_are_counted_outside_the_chain(registry: SqlRegistry) -> None:
    rec = registry.reserve(application_id="APP-V1", permit="ITO", holder_name="X",
                           holder_nik_masked=None, received_on=None, approved_on=None, data={},
                           actor="uji")
    before = registry.audit_entries()
    registry.record_verification(channel="api", verdict="SAH", number=rec.number)
    registry.record_verification(channel="upload", verdict="TIDAK SAH")
    registry.record_verification(channel="qr", verdict="SAH", number=rec.number)
    assert registry.audit_entries() == before
    assert registry.verification_counts() == {"SAH": 2, "TIDAK SAH": 1}
    assert registry.verification_counts(since=utcnow() + timedelta(minutes=1)) == {}
    assert registry.audit_check().ok


def test_audit_search_pages_and_filters(registry: SqlRegistry) -> None:
    for i in range(12):
        registry.record_event(action="login", actor=f"u{i % 3}", detail={"i": i})
    entries, total = registry.audit_search(limit=5)
    assert total == 12 and [e.detail["i"] for e in entries] == [11, 10, 9, 8, 7]
    entries, total = registry.audit_search(offset=10, limit=5)
    assert [e.detail["i"] for e in entries] == [1, 0]
    entries, total = registry.audit_search(actor="u1", action="login")
    assert total == 4 and {e.actor for e in entries} == {"u1"}
    assert registry.audit_search(action="logout")[1] == 0
    now = utcnow()
    assert registry.audit_search(since=now + timedelta(seconds=5))[1] == 0
    assert registry.audit_search(until=now + timedelta(seconds=5))[1] == 12
    actors, actions = registry.audit_facets()
    assert actors == ["u0", "u1", "u2"] and actions == ["login"]
