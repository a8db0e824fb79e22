"""One schema tool for the one database: every table (registry, applicant, office) comes from the
Alembic migrations, and the SQLAlchemy tables the code queries stay equal to what they make.

The office tables used to be made by the office code itself (``create_all``); a database made
that way sits at revision 0004 with them already there, and must upgrade to the same schema as a
fresh one. Both backends: SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import click
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from click.testing import CliRunner

from ptsp.applicant import schema as applicant_schema
from ptsp.commands.registry import add_registry_commands
from ptsp.office import store as office_store
from ptsp.office.store import OfficeStore
from ptsp.registry import MigrationError, open_registry
from ptsp.registry import engine as db
from ptsp.registry import schema as registry_schema
from ptsp.registry.migrations import head_revision
from tests.registry_support import *  # noqa: F403

pytestmark = pytest.mark.integration

MODELS = (registry_schema.metadata, applicant_schema.metadata, office_store.metadata)


def _schema(engine: sa.Engine) -> dict[str, Any]:
    """Every table's columns, primary key, unique constraints, indexes and foreign keys, as the
    database reports them (the Alembic version table left out)."""
    insp = sa.inspect(engine)
    out: dict[str, Any] = {}
    for table in sorted(insp.get_table_names()):
        if table == registry_schema.VERSION_TABLE:
            continue
        out[table] = {
            "columns": [(c["name"], str(c["type"]), c["nullable"])
                        for c in insp.get_columns(table)],
            "primary_key": insp.get_pk_constraint(table)["constrained_columns"],
            "unique": sorted((u["name"] or "", tuple(u["column_names"]))
                             for u in insp.get_unique_constraints(table)),
            "indexes": sorted((i["name"], tuple(i["column_names"]), bool(i["unique"]))
                              for i in insp.get_indexes(table)),
            "foreign_keys": sorted((tuple(f["constrained_columns"]), f["referred_table"],
                                    tuple(f["referred_columns"]))
                                   for f in insp.get_foreign_keys(table)),
        }
    return out


def _drift(engine: sa.Engine) -> list[Any]:
    """What Alembic's autogenerate would change to make the database equal to the models."""
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        return [d for d in compare_metadata(ctx, list(MODELS))
                if not (d[0] == "remove_table" and d[1].name == registry_schema.VERSION_TABLE)]


def _old_office_database(url: str, *, skip: tuple[str, ...] = ()) -> None:
    """A database as the code before revision 0005 left it: the registry's migrations up to
    0004, then the office tables made by ``create_all`` of the office's own metadata."""
    engine = db.create_engine(url)
    try:
        assert db.migrate(engine, "0004") == (None, "0004")
        tables = [t for t in office_store.metadata.sorted_tables if t.name not in skip]
        with engine.begin() as conn:
            office_store.metadata.create_all(conn, tables=tables)
    finally:
        engine.dispose()


def _fill_office(engine: sa.Engine) -> None:
    """Rows in every office table (what the old code wrote before the upgrade)."""
    store = OfficeStore(engine)
    now = datetime(2026, 12, 1, 2, tzinfo=UTC)
    user = store.add_user("kasi1", "Kepala Seksi", "kasi", "hash")
    store.create_session("s" * 64, user.id, "c" * 64, now=now, lifetime=timedelta(hours=8))
    summary = {"application_id": "APP-1", "permit": "ITAK", "holder_name": "Siti",
               "received_on": None, "approved_on": None}
    store.add_upload(filename="a.csv", sha256="0" * 64, uploaded_by="bo1", total=1,
                     records=[(2, {"x": 1}, summary)], errors=[])
    store.add_job(office_store.JobKind.GENERATE, "bo1", 1)
    store.record_login_failure("10.0.0.1", "kasi1", now, lambda n: timedelta(seconds=n),
                               timedelta(days=1))


def _fresh_schema(url: str) -> dict[str, Any]:
    open_registry(url).close()
    engine = db.create_engine(url)
    try:
        return _schema(engine)
    finally:
        engine.dispose()


def test_head_is_the_office_revision() -> None:
    assert head_revision() == "0005"


def test_fresh_database_has_every_table_equal_to_the_models(empty_db_url: str) -> None:
    reg = open_registry(empty_db_url)
    try:
        assert reg.schema_revision() == head_revision()
        tables = set(sa.inspect(reg.engine).get_table_names())
        for model in MODELS:  # the office tables too, without any create_all
            assert set(model.tables) <= tables
        assert _drift(reg.engine) == []
    finally:
        reg.close()


def test_models_would_show_drift(empty_db_url: str) -> None:
    """The drift check can fail: a database one index short of the models is reported."""
    reg = open_registry(empty_db_url)
    try:
        with reg.engine.begin() as conn:
            conn.execute(sa.text("DROP INDEX ix_office_applications_stage"))
        assert [d[0] for d in _drift(reg.engine)] == ["add_index"]
    finally:
        reg.close()


def test_a_model_that_drifted_from_its_migration_is_caught(empty_db_url: str) -> None:
    """The applicant tables are written twice (migration 0004, ``ptsp.applicant.schema``):
    a column changed in the model alone shows up."""
    drifted = sa.MetaData()
    for table in applicant_schema.metadata.tables.values():
        table.to_metadata(drifted)
    drifted.tables["applicant_receipts"].c.nik_last4.type = sa.String(6)
    reg = open_registry(empty_db_url)
    try:
        with reg.engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True})
            diffs = compare_metadata(ctx, [registry_schema.metadata, drifted,
                                           office_store.metadata])
    finally:
        reg.close()
    changed = [d for d in diffs if isinstance(d, list)]  # column changes come as lists
    assert [(c[0][0], c[0][2], c[0][3]) for c in changed] == [
        ("modify_type", "applicant_receipts", "nik_last4")]


def test_database_made_by_the_old_office_code_upgrades(
        empty_db_url: str, tmp_path_factory: pytest.TempPathFactory,
        request: pytest.FixtureRequest) -> None:
    _old_office_database(empty_db_url)
    engine = db.create_engine(empty_db_url)
    try:
        _fill_office(engine)
        old = _schema(engine)
    finally:
        engine.dispose()

    @click.group()
    def cli() -> None:
        """Stand-in for the main CLI."""

    add_registry_commands(cli)
    obj = {"registry_factory": lambda: open_registry(empty_db_url, migrate=False)}
    result = CliRunner().invoke(cli, ["registry", "migrate"], obj=obj)
    assert result.exit_code == 0, result.output
    assert "registry schema upgraded: 0004 -> 0005" in result.stderr

    reg = open_registry(empty_db_url, migrate=False)
    try:
        assert reg.schema_revision() == "0005"
        upgraded = _schema(reg.engine)
        assert upgraded == old  # nothing of the old tables touched
        assert _drift(reg.engine) == []
        store = OfficeStore(reg.engine)  # the old rows are still read
        user = store.user("kasi1")
        assert user is not None and user.role == "kasi"
        assert store.session("s" * 64) is not None
        app = store.application("APP-1")
        assert app is not None and app.raw == {"x": 1} and app.stage == "uploaded"
        assert store.login_blocks(datetime(2026, 12, 1, 2, tzinfo=UTC))
        assert reg.migrate() == ("0005", "0005")  # nothing left to do
    finally:
        reg.close()

    # the same schema as a fresh database of the same backend
    fresh_url = _another_empty_url(request, empty_db_url, tmp_path_factory)
    assert _fresh_schema(fresh_url) == upgraded


def test_database_from_before_the_login_failures_table_gets_it(empty_db_url: str,
                                                                 request: pytest.FixtureRequest,
                                                                 tmp_path_factory) -> None:
    """Older office code made every table but ``office_login_failures`` (added later)."""
    _old_office_database(empty_db_url, skip=("office_login_failures",))
    reg = open_registry(empty_db_url)  # migrate=True: upgrades in place
    try:
        assert reg.schema_revision() == "0005"
        assert _drift(reg.engine) == []
        upgraded = _schema(reg.engine)
    finally:
        reg.close()
    assert "office_login_failures" in upgraded
    fresh_url = _another_empty_url(request, empty_db_url, tmp_path_factory)
    assert _fresh_schema(fresh_url) == upgraded


def test_foreign_office_table_stops_the_upgrade_with_its_name(empty_db_url: str) -> None:
    engine = db.create_engine(empty_db_url)
    try:
        db.migrate(engine, "0004")
        with engine.begin() as conn:
            conn.execute(sa.text("CREATE TABLE office_jobs (id INTEGER PRIMARY KEY)"))
        with pytest.raises(MigrationError, match="office_jobs exists without the columns kind"):
            db.migrate(engine)
        assert db.schema_revision(engine) == "0004"
    finally:
        engine.dispose()


def _another_empty_url(request: pytest.FixtureRequest, url: str,
                       tmp_path_factory: pytest.TempPathFactory) -> str:
    """A second empty database on the backend of ``url``."""
    if url.startswith("sqlite"):
        return f"sqlite:///{tmp_path_factory.mktemp('fresh') / 'fresh.sqlite'}"
    from tests.registry_support import _new_pg_db

    return _new_pg_db(request, request.getfixturevalue("pg_admin_url"), "template0")
