"""``ptsp users``: add (env or prompt twice), list, disable, unlock, reset-password."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
from click.testing import CliRunner

from ptsp.commands.users import users_group
from ptsp.office.auth import authenticate
from ptsp.office.store import OfficeStore
from ptsp.registry import open_registry


@pytest.fixture
def obj(tmp_path):
    url = f"sqlite:///{tmp_path / 'r.sqlite'}"
    return {"ctx": SimpleNamespace(profile=None), "registry_factory": lambda: open_registry(url),
            "url": url}


def run(obj, *args, input=None, env=None):
    return CliRunner().invoke(users_group, list(args), obj=obj, input=input, env=env)


def test_users_lifecycle(obj):
    r = run(obj, "add", "admin1", "--role", "admin", "--name", "Admin Satu",
            "--password-env", "PW", env={"PW": "admin-rahasia-1"})
    assert r.exit_code == 0, r.output
    r = run(obj, "add", "kasi1", "--role", "kasi", input="kasi-rahasia-1\nkasi-rahasia-1\n")
    assert r.exit_code == 0, r.output
    r = run(obj, "add", "kabid1", "--role", "kabid", input="kabid-rahasia-1\nlain-lagi-12\n"
            "kabid-rahasia-1\nkabid-rahasia-1\n")
    assert r.exit_code == 0 and "do not match" in r.output
    assert run(obj, "add", "kasi1", "--role", "kasi", "--password-env", "PW",
               env={"PW": "kasi-rahasia-1"}).exit_code == 1
    assert run(obj, "add", "x2x", "--role", "kasi", "--password-env", "PW",
               env={"PW": "pendek"}).exit_code == 1
    assert run(obj, "add", "x2x", "--role", "raja", "--password-env", "PW",
               env={"PW": "cukup-panjang"}).exit_code == 2
    assert run(obj, "add", "x2x", "--role", "kasi", "--password-env", "TIDAK_ADA").exit_code == 2
    r = run(obj, "list", "--json")
    rows = json.loads(r.stdout)
    assert [(u["username"], u["role"], u["active"]) for u in rows] == [
        ("admin1", "admin", True), ("kabid1", "kabid", True), ("kasi1", "kasi", True)]
    reg = open_registry(obj["url"])
    try:
        store = OfficeStore(reg.engine)
        for _ in range(5):
            authenticate(store, "kasi1", "salah")
        assert "locked" in run(obj, "list").stdout
        assert run(obj, "unlock", "kasi1").exit_code == 0
        assert authenticate(store, "kasi1", "kasi-rahasia-1").ok
        r = run(obj, "list", "--json")
        assert [u["locked"] for u in json.loads(r.stdout)] == [False, False, False]
        # the admin sets a new password (prompt twice, or from the environment)
        r = run(obj, "reset-password", "kasi1", input="baru-rahasia-12\nbaru-rahasia-12\n")
        assert r.exit_code == 0, r.output
        assert authenticate(store, "kasi1", "baru-rahasia-12").ok
        assert not authenticate(store, "kasi1", "kasi-rahasia-1").ok
        assert run(obj, "reset-password", "kasi1", "--password-env", "PW",
                   env={"PW": "pendek"}).exit_code == 1
        assert run(obj, "reset-password", "tidak-ada", "--password-env", "PW",
                   env={"PW": "cukup-panjang-1"}).exit_code == 1
        assert run(obj, "disable", "kasi1").exit_code == 0
        assert authenticate(store, "kasi1", "kasi-rahasia-1").reason == "disabled"
        assert run(obj, "disable", "tidak-ada").exit_code == 1
        assert [(e.actor, e.action) for e in reg.audit_entries()] == [
            ("cli", "user_add"), ("cli", "user_add"), ("cli", "user_add"),
            ("cli", "user_unlock"), ("cli", "user_password_reset"), ("cli", "user_disable")]
    finally:
        reg.close()
