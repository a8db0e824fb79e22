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
        with pytest.raises(AccountError, match=msg) as e:
            create_user(store, name, role, pw)
        assert e.value.pesan and not any(w in e.value.pesan for w in ("invalid", "must", "user "))


def test_failed_logins_delay_one_address_at_one_name_only(store):
    create_user(store, "kadis1", "kadis", "benar-benar-1")
    t = utcnow()
    for _ in range(3):  # a few typing errors cost nothing
        assert authenticate(store, "kadis1", "salah", client="10.9.9.9", now=t).reason == \
            "bad_password"
    assert authenticate(store, "kadis1", "salah", client="10.9.9.9", now=t).reason == \
        "bad_password"
    # now that address waits 2 s: not even the right password is looked at
    r = authenticate(store, "kadis1", "benar-benar-1", client="10.9.9.9", now=t)
    assert (r.reason, r.retry_after, r.user) == ("throttled", 2, None)
    # the Kepala Dinas at his own desk is not locked out by someone else's guessing
    assert authenticate(store, "kadis1", "benar-benar-1", client="10.1.1.1", now=t).ok
    # the delays grow: 2 s, 4 s, 8 s ... up to 5 minutes
    waits = []
    for _ in range(12):
        t = t + timedelta(seconds=301)
        assert authenticate(store, "kadis1", "salah", client="10.9.9.9", now=t).reason == \
            "bad_password"
        waits.append(authenticate(store, "kadis1", "x", client="10.9.9.9", now=t).retry_after)
    assert waits[:4] == [4, 8, 16, 32] and waits[-1] == 300 and waits == sorted(waits)
    # success from that address resets its count
    t = t + timedelta(seconds=301)
    assert authenticate(store, "kadis1", "benar-benar-1", client="10.9.9.9", now=t).ok
    assert authenticate(store, "kadis1", "salah", client="10.9.9.9", now=t).reason == \
        "bad_password"
    assert authenticate(store, "kadis1", "salah", client="10.9.9.9", now=t).reason == \
        "bad_password"


def test_unknown_names_are_delayed_the_same_way(store):
    create_user(store, "bo1", "backoffice", "benar-benar-1")
    t = utcnow()
    seen = {}
    for name in ("bo1", "tidak-ada"):
        seen[name] = [authenticate(store, name, "salah", client="10.2.2.2", now=t)
                      for _ in range(6)]
    assert [r.reason for r in seen["bo1"]] == ["bad_password"] * 4 + ["throttled"] * 2
    assert [r.reason for r in seen["tidak-ada"]] == ["unknown"] * 4 + ["throttled"] * 2
    assert [r.retry_after for r in seen["bo1"]] == [r.retry_after for r in seen["tidak-ada"]]
    store.update_user("bo1", active=False)
    assert authenticate(store, "bo1", "benar-benar-1", client="10.3.3.3").reason == "disabled"


def test_admin_lifts_delays_and_resets_passwords(store):
    from ptsp.office.auth import set_password

    create_user(store, "kasi1", "kasi", "benar-benar-1")
    t = utcnow()
    for _ in range(5):
        authenticate(store, "kasi1", "salah", client="10.4.4.4", now=t)
    assert "kasi1" in store.login_blocks(t)
    assert store.clear_login_failures("kasi1") == 1
    assert store.login_blocks(t) == {}
    token = open_session(store, store.user("kasi1"))
    with pytest.raises(AccountError, match="at least 10") as e:
        set_password(store, "kasi1", "pendek")
    assert "paling sedikit 10 karakter" in e.value.pesan
    set_password(store, "kasi1", "baru-sekali-12")
    assert current_session(store, token) is None  # the old sessions end
    assert authenticate(store, "kasi1", "baru-sekali-12", client="10.4.4.4").ok
    assert not authenticate(store, "kasi1", "benar-benar-1", client="10.4.4.4").ok
    with pytest.raises(AccountError, match="no user"):
        set_password(store, "tidak-ada", "baru-sekali-12")


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
