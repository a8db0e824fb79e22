"""Passwords (argon2id), account rules, lockout and sessions at the library level."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ptsp.office.auth import (
    AccountError,
    authenticate,
    create_user,
    current_session,
    hash_password,
    open_session,
    verify_password,
)
from ptsp.office.store import OfficeStore, utcnow
from ptsp.registry import open_registry


@pytest.fixture
def store(tmp_path):
    reg = open_registry(f"sqlite:///{tmp_path / 'r.sqlite'}")
    yield OfficeStore(reg.engine)
    reg.close()


def test_hash_and_verify():
    h = hash_password("rahasia-sekali-1")
    assert h.startswith("$argon2id$") and "rahasia" not in h
    assert verify_password(h, "rahasia-sekali-1")
    assert not verify_password(h, "rahasia-sekali-2")
    assert not verify_password("bukan-hash", "x")
    assert hash_password("sama-saja-123") != hash_password("sama-saja-123")  # salted


def test_account_rules(store):
    create_user(store, "Kasi.Satu", "kasi", "panjang-sekali-1", "Kasi Satu")
    assert store.user("kasi.satu").role == "kasi"
    for name, role, pw, msg in (("kasi.satu", "kasi", "panjang-sekali-1", "already exists"),
                                ("x", "kasi", "panjang-sekali-1", "invalid user name"),
                                ("portal", "admin", "panjang-sekali-1", "invalid user name"),
                                ("kabid1", "raja", "panjang-sekali-1", "unknown role"),
                                ("kabid1", "kabid", "pendek", "at least 10")):
        with pytest.raises(AccountError, match=msg):
            create_user(store, name, role, pw)


def test_lockout_counts_in_a_row(store):
    create_user(store, "bo1", "backoffice", "benar-benar-1")
    for _ in range(4):
        assert authenticate(store, "bo1", "salah").reason == "bad_password"
    assert authenticate(store, "bo1", "benar-benar-1").ok  # a success resets the count
    for _ in range(4):
        authenticate(store, "bo1", "salah")
    assert authenticate(store, "bo1", "salah").reason == "locked_now"
    assert authenticate(store, "bo1", "benar-benar-1").reason == "locked"
    assert authenticate(store, "bo1", "benar-benar-1",
                        now=utcnow() + timedelta(minutes=16)).ok
    store.update_user("bo1", active=False)
    assert authenticate(store, "bo1", "benar-benar-1").reason == "disabled"
    assert authenticate(store, "tidak-ada", "x").reason == "unknown"


def test_sessions_are_stored_hashed_and_expire(store):
    user = create_user(store, "kadis1", "kadis", "benar-benar-1")
    token = open_session(store, user)
    s = current_session(store, token)
    assert s is not None and s.user.username == "kadis1" and s.id != token
    with store.engine.connect() as conn:
        rows = conn.exec_driver_sql("SELECT id FROM office_sessions").all()
    assert token not in {r[0] for r in rows}
    assert current_session(store, "palsu") is None
    store.touch_session(s.id, utcnow() - timedelta(hours=2))  # idle too long
    assert current_session(store, token) is None
