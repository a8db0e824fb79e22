"""Helpers for the back-office tests: an office app on a fresh SQLite registry, its users, a
logged-in client, and CSV files of sample applications."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ptsp.profile import Profile, load_profile
from ptsp.registry import NumberingPolicy, Registry, open_registry
from ptsp.samples import dump_applications, flatten  # noqa: F401 - flatten: for the tests

PASSWORD = "kata-sandi-uji-123"
ROLE_USERS = {"backoffice": "bo1", "kasi": "kasi1", "kabid": "kabid1", "kadis": "kadis1",
              "admin": "admin1"}
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def registry_factory(profile: Profile, url: str) -> Callable[[], Registry]:
    def factory() -> Registry:
        return open_registry(url, numbering=NumberingPolicy(
            pattern=profile.numbering.pattern, scope=profile.numbering.scope,  # type: ignore[arg-type]
            pad=profile.numbering.pad))

    return factory


def make_office(tmp: Path, pki: Any = None, **kwargs: Any) -> tuple[Any, Profile, str]:
    """``(app, profile, registry_url)``: the standalone office app over a new registry, with
    one user per role (password :data:`PASSWORD`)."""
    from ptsp.office import create_office_app, create_user
    from tests.ptsp_support import write_profile

    profile = load_profile(write_profile(tmp, pki))
    url = f"sqlite:///{tmp / 'registry.sqlite'}"
    app = create_office_app(profile, registry_factory(profile, url), data_dir=tmp / "kantor",
                            **kwargs)
    office = app.state.office
    for role, name in ROLE_USERS.items():
        create_user(office.store, name, role, PASSWORD, f"{role.upper()} Uji")
    return app, profile, url


def csrf_of(html: str) -> str:
    m = CSRF_RE.search(html)
    assert m, "no CSRF token on the page"
    return m.group(1)


def login(client: Any, username: str, password: str = PASSWORD) -> Any:
    """Log ``client`` in through the form; returns the response of the POST."""
    page = client.get("/kantor/masuk")
    return client.post("/kantor/masuk", data={
        "csrf_token": csrf_of(page.text), "username": username, "password": password},
        follow_redirects=False)


def applications_csv(records: list[dict[str, Any]]) -> str:
    """CSV with dotted column names, one row per record (the upload format)."""
    return dump_applications(records, "csv")


class FakeConverter:
    """A converter that returns a small hand-made PDF (unit tests: no LibreOffice)."""

    def __enter__(self) -> FakeConverter:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def convert(self, docx: bytes, name: str = "document") -> bytes:
        from tests.signer_support import make_pdf

        return make_pdf(f"DRAF {name}", pages=2)

    def close(self) -> None:
        pass


def cheap_hashing(monkeypatch: Any) -> None:
    """Fast argon2 parameters for tests that log in many times (the scheme stays argon2id)."""
    from argon2 import PasswordHasher

    import ptsp.office.auth as auth

    monkeypatch.setattr(auth, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024,
                                                        parallelism=1))


def put_at_stage(store: Any, app_id: str, stage: str, **values: Any) -> None:
    """Test set-up only: put one application at ``stage`` directly in the table, skipping the
    workflow's transitions (which ``OfficeStore`` enforces) to reach a state quickly."""
    import sqlalchemy as sa

    from ptsp.office.store import applications, utcnow

    with store.engine.begin() as conn:
        conn.execute(sa.update(applications).where(applications.c.application_id == app_id)
                     .values(stage=stage, stage_since=utcnow(), **values))
