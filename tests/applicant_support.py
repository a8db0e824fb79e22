"""Helpers for the applicant-side tests: an office with uploaded applications, and the portal
over the same registry."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from generator.catalog import load_catalog
from ptsp.samples import sample_batch
from tests.office_support import applications_csv, csrf_of, login, make_office, registry_factory


def office_with_upload(tmp: Path, count: int = 2, seed: int = 5, pki: Any = None,
                       **kwargs: Any) -> dict[str, Any]:
    """An office app with ``count`` applications uploaded by the back office (through the page),
    plus the portal app on the same database. Returns a dict of the parts."""
    from fastapi.testclient import TestClient

    from ptsp.web import create_app

    app, profile, url = make_office(tmp, pki, **kwargs)
    apps = sample_batch(load_catalog(), count=count, seed=seed, start=500)
    client = TestClient(app)
    login(client, "bo1")
    page = client.get("/kantor/unggah")
    resp = client.post("/kantor/unggah", data={"csrf_token": csrf_of(page.text)},
                       files={"berkas": ("data.csv", applications_csv(apps).encode(), "text/csv")},
                       follow_redirects=True)
    assert resp.status_code == 200, resp.text
    portal = create_app(profile, registry_factory(profile, url))
    return {"app": app, "office": app.state.office, "profile": profile, "url": url,
            "apps": apps, "client": client, "result_page": resp.text, "portal": portal}
