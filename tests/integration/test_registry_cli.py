"""The registry commands through click's CliRunner, on a real database."""

import csv
import io
import json
from datetime import UTC, date, datetime

import click
import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from ptsp.commands.registry import add_registry_commands
from ptsp.registry import SqlRegistry, open_registry
from tests.registry_support import *  # noqa: F403

pytestmark = pytest.mark.integration


@click.group()
def cli() -> None:
    """Stand-in for the main CLI, which puts the factory into ctx.obj."""


add_registry_commands(cli)


@pytest.fixture
def run(registry_url: str):
    obj = {"registry_factory": lambda: open_registry(registry_url, migrate=False),
           "standard_times": {"PBG": (5, 0), "SIP": (0, 60)}}

    def invoke(*args: str):
        return CliRunner().invoke(cli, list(args), obj=obj)

    return invoke


@pytest.fixture
def filled(registry: SqlRegistry) -> SqlRegistry:
    for i, permit in enumerate(["PBG", "PBG", "SIP"], start=1):
        rec = registry.reserve(application_id=f"APP-{i}", permit=permit,
                               holder_name=f"Pemohon {i}", holder_nik_masked=None,
                               received_on=date(2025, 3, 3), approved_on=None,
                               data={"alamat": "Paringin"}, actor="clerk1",
                               when=datetime(2025, 3, 4, 1, tzinfo=UTC))
        if i < 3:
            registry.mark_issued(rec.number, sha256=f"{i:x}" * 64, path=f"/{i}.pdf",
                                 signer_subject="CN=K", signer_fingerprint="ff", actor="k",
                                 when=datetime(2025, 3, 5 + 10 * (i - 1), 2, tzinfo=UTC))
    return registry


def test_list_json_fields(run, filled: SqlRegistry) -> None:
    result = run("registry", "list", "--json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert len(doc) == 3
    for rec in doc:
        assert {"number", "application_id", "permit", "status", "sha256"} <= rec.keys()
        assert "token" not in rec
    issued = json.loads(run("registry", "list", "--json", "--status", "issued").stdout)
    assert {r["status"] for r in issued} == {"issued"} and len(issued) == 2
    sip = json.loads(run("registry", "list", "--json", "--permit", "SIP").stdout)
    assert [r["application_id"] for r in sip] == ["APP-3"]
    assert run("registry", "list", "--status", "bogus").exit_code == 2


def test_show(run, filled: SqlRegistry) -> None:
    number = filled.by_application("APP-1").number
    doc = json.loads(run("registry", "show", number, "--json").stdout)
    assert doc["record"]["number"] == number and doc["record"]["token"]
    assert [e["action"] for e in doc["audit"]] == ["reserved", "issued"]
    missing = run("registry", "show", "nope")
    assert missing.exit_code == 1 and "nope" in missing.stderr


def test_export_csv(run, filled: SqlRegistry, tmp_path) -> None:
    result = run("registry", "export", "--format", "csv")
    assert result.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [r["application_id"] for r in rows] == ["APP-1", "APP-2"]
    assert rows[0]["status"] == "issued" and rows[0]["sha256"] == "1" * 64
    out = tmp_path / "book.csv"
    assert run("registry", "export", "--format", "csv", "--status", "all", "--out",
               str(out)).exit_code == 0
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("number,application_id,permit,status") and len(lines) == 4
    assert run("registry", "export", "--format", "xlsx").exit_code == 2


def test_revoke_sets_status_and_reason(run, filled: SqlRegistry) -> None:
    number = filled.by_application("APP-1").number
    result = run("revoke", number, "--reason", "izin disalahgunakan", "--decree",
                 "SK 503/9/2025", "--kind", "withdrawn", "--actor", "kepala")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == f"{number}\twithdrawn"
    rec = filled.get(number)
    assert (rec.status.value, rec.status_reason, rec.status_decree) == \
        ("withdrawn", "izin disalahgunakan", "SK 503/9/2025")
    assert filled.audit_entries(number)[-1].actor == "kepala"
    again = run("revoke", number, "--reason", "x", "--decree", "other")
    assert again.exit_code == 1 and number in again.stderr and "withdrawn" in again.stderr
    assert run("revoke", number, "--reason", "x").exit_code == 2  # --decree missing


def test_audit_check_exit_codes(run, filled: SqlRegistry) -> None:
    ok = run("registry", "audit", "--check", "--json")
    assert ok.exit_code == 0 and json.loads(ok.stdout)["ok"] is True
    with filled.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("ALTER TABLE registry_audit DISABLE TRIGGER USER"))
        else:
            conn.execute(sa.text("DROP TRIGGER registry_audit_no_update"))
        conn.execute(sa.text("UPDATE registry_audit SET actor = 'mallory' WHERE id = 3"))
    bad = run("registry", "audit", "--check")
    assert bad.exit_code == 1 and "entry 3" in bad.stderr
    bad_json = run("registry", "audit", "--check", "--json")
    assert bad_json.exit_code == 1 and json.loads(bad_json.stdout)["first_bad"] == 3


def test_report_sla_json(run, filled: SqlRegistry) -> None:
    result = run("report", "sla", "--json", "--today", "2025-03-31")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    late = {r["application_id"]: r for r in doc["late"]}
    # APP-2 issued Sat 15 Mar (9 working days after 3 Mar > 5); APP-3 (SIP) still pending
    assert set(late) == {"APP-2", "APP-3"} and late["APP-3"]["deemed_effective"] is True
    assert doc["summary"]["PBG"]["count"] == 2
    text = run("report", "sla", "--permit", "PBG", "--today", "2025-03-31")
    assert text.exit_code == 0 and "late" in text.stdout
    ranged = json.loads(run("report", "sla", "--json", "--from", "2025-04-01").stdout)
    assert ranged["count"] == 0
    assert run("report", "sla", "--from", "yesterday").exit_code == 2


def test_migrate_command(run) -> None:
    result = run("registry", "migrate")
    assert result.exit_code == 0 and "already at revision" in result.stderr
