"""The office's new store operations on both databases (SQLite and PostgreSQL): moving exactly
the listed drafts or none, the failed-login counts behind the growing delays, password resets."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ptsp.office.auth import (
    authenticate,
    create_user,
    current_session,
    login_delay,
    open_session,
    set_password,
)
from ptsp.office.store import OfficeStore, utcnow

pytestmark = pytest.mark.integration


@pytest.fixture
def store(registry):
    return OfficeStore(registry.engine)


def _apps(store, ids, stage="kasi"):
    summary = {"permit": "ITAK", "holder_name": "Uji", "received_on": None, "approved_on": None}
    store.add_upload(filename="a.csv", sha256="0" * 64, uploaded_by="bo1", total=len(ids),
                     records=[(i + 2, {}, {**summary, "application_id": a})
                              for i, a in enumerate(ids)], errors=[])
    store.move(ids, from_stages=("uploaded",), to="generating", role="backoffice")
    store.move(ids, from_stages=("generating",), to=stage, role="system")


def test_move_exactly_all_or_nothing(store):
    _apps(store, ["A-1", "A-2", "A-3"])
    assert store.move_exactly(["A-1", "A-2"], from_stage="kasi", to="kabid", role="kasi",
                              whole_stage=True) is None  # A-3 waits too
    assert store.move_exactly(["A-1", "A-9"], from_stage="kasi", to="kabid", role="kasi") is None
    assert {store.application(a).stage for a in ("A-1", "A-2", "A-3")} == {"kasi"}
    assert store.move_exactly(["A-2", "A-1"], from_stage="kasi", to="kabid", role="kasi",
                              kasi_by="kasi1") == ["A-1", "A-2"]
    assert store.application("A-1").kasi_by == "kasi1"
    assert store.move_exactly(["A-3"], from_stage="kasi", to="kabid", role="kasi",
                              whole_stage=True) == ["A-3"]
    assert store.move_exactly([], from_stage="kabid", to="kadis", role="kabid") is None


def test_failed_logins_and_password_reset(store):
    create_user(store, "kadis1", "kadis", "benar-benar-1")
    t = utcnow()
    for n in range(1, 6):
        assert store.record_login_failure("10.0.0.1", "kadis1", t, login_delay,
                                          timedelta(hours=24)) == n
    until = store.login_blocked_until("10.0.0.1", "kadis1", t)
    assert until is not None and until - t == timedelta(seconds=4)
    assert store.login_blocked_until("10.0.0.2", "kadis1", t) is None
    assert store.login_blocks(t)["kadis1"][1] == 5
    # an old row is forgotten when the next failure is counted
    later = t + timedelta(hours=25)
    assert store.record_login_failure("10.0.0.3", "x", later, login_delay,
                                      timedelta(hours=24)) == 1
    assert "kadis1" not in store.login_blocks(later)
    token = open_session(store, store.user("kadis1"))
    assert current_session(store, token) is not None
    set_password(store, "kadis1", "baru-sekali-12")
    assert current_session(store, token) is None  # a reset ends the sessions
    assert authenticate(store, "kadis1", "baru-sekali-12", client="10.0.0.1").ok
    assert store.clear_login_failures("kadis1") == 0
