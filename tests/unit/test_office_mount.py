"""``mount_office`` on the public portal's app: both halves answer, each with its own headers."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from generator.catalog import load_catalog
from ptsp.office import create_user, mount_office
from ptsp.profile import load_profile
from tests.office_support import PASSWORD, cheap_hashing, login, registry_factory
from tests.ptsp_support import write_profile


def test_mounted_on_the_portal(tmp_path, monkeypatch):
    web = pytest.importorskip("ptsp.web")
    cheap_hashing(monkeypatch)
    profile = load_profile(write_profile(tmp_path))
    factory = registry_factory(profile, f"sqlite:///{tmp_path / 'r.sqlite'}")
    app = web.create_app(profile, factory)
    office = mount_office(app, profile=profile, registry_factory=factory,
                          catalog=load_catalog(), data_dir=tmp_path / "kantor")
    create_user(office.store, "bo1", "backoffice", PASSWORD)
    with TestClient(app) as c:
        home = c.get("/")
        assert home.status_code == 200 and "script-src 'self'" not in \
            home.headers["content-security-policy"]
        assert c.get("/kantor/unggah", follow_redirects=False).status_code == 303
        assert login(c, "bo1").status_code == 303
        page = c.get("/kantor/unggah")
        assert page.status_code == 200 and "Unggah permohonan" in page.text
        assert "script-src 'self'" in page.headers["content-security-policy"]
        assert c.get("/kantor/static/office.js").status_code == 200
        assert c.get("/kantor/pengguna").status_code == 403
