"""Alembic migrations: a database at the first revision keeps its data when upgraded."""

from datetime import date

import pytest
import sqlalchemy as sa

from ptsp.registry import SqlRegistry, open_registry
from ptsp.registry.engine import create_engine
from ptsp.registry.migrations import current_revision, head_revision, upgrade
from tests.registry_support import *  # noqa: F403

pytestmark = pytest.mark.integration


def _indexes(engine: sa.Engine) -> set[str]:
    return {ix["name"] for ix in sa.inspect(engine).get_indexes("registry_audit")}


def test_upgrade_from_first_revision_keeps_data(empty_db_url: str) -> None:
    engine = create_engine(empty_db_url)
    with engine.begin() as conn:
        upgrade(conn, "0001")
    with engine.connect() as conn:
        assert current_revision(conn) == "0001"
    assert "ix_registry_audit_number" not in _indexes(engine)
    engine.dispose()

    old = SqlRegistry.from_url(empty_db_url)  # the code of that time wrote these rows
    rec = old.reserve(application_id="A1", permit="PBG", holder_name="Siti",
                      holder_nik_masked="6311**01", received_on=date(2025, 3, 3),
                      approved_on=None, data={"alamat": "Paringin"}, actor="clerk1")
    issued = old.mark_issued(rec.number, sha256="a" * 64, path="/a.pdf", signer_subject="CN=K",
                             signer_fingerprint="ff", actor="kepala")
    old.close()

    reg = open_registry(empty_db_url)  # migrate=True: upgrades in place
    try:
        assert reg.schema_revision() == head_revision() != "0001"
        assert "ix_registry_audit_number" in _indexes(reg.engine)
        assert reg.get(rec.number) == issued
        assert reg.audit_check().ok and reg.audit_check().entries == 2
        nxt = reg.reserve(application_id="A2", permit="PBG", holder_name="Budi",
                          holder_nik_masked=None, received_on=None, approved_on=None, data={},
                          actor="clerk1")
        assert nxt.seq == 2
        assert reg.migrate() == (head_revision(), head_revision())  # nothing left to do
    finally:
        reg.close()


def test_open_without_migrate_leaves_an_empty_database_alone(empty_db_url: str) -> None:
    reg = open_registry(empty_db_url, migrate=False)
    try:
        assert reg.schema_revision() is None
        assert reg.migrate() == (None, head_revision())
    finally:
        reg.close()
