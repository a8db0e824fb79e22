"""CLI for the registry: ``registry list|show|export|audit|migrate``, ``revoke``, ``report sla``.

Mount with ``add_registry_commands(cli)``. Each command takes its ``Registry`` from
``ctx.obj["registry_factory"]()`` and standard times from ``ctx.obj["standard_times"]``
(``{permit code: (working days, minutes)}``). Results go to stdout (``--json``: exactly one JSON
document), messages to stderr; exit 0 ok, 1 failed or check not passed, 2 usage error.
"""

from __future__ import annotations

import json
import sys
from datetime import date, datetime
from typing import Any

import click

from ptsp.registry import (
    REVOCATION_KINDS,
    NumberNotFound,
    Registry,
    Status,
    export_csv,
    sla_report,
)

from ..errors import PtspError
from .runtime import actor as login_name
from .runtime import handle_errors

STATUS_CHOICE = click.Choice([s.value for s in Status])
KIND_CHOICE = click.Choice(sorted(k.value for k in REVOCATION_KINDS))


def _open(ctx: click.Context) -> Registry:
    factory = (ctx.obj or {}).get("registry_factory")
    if factory is None:
        raise click.UsageError("no registry configured (ctx.obj['registry_factory'] is missing)")
    reg = factory()
    ctx.call_on_close(reg.close)
    return reg


def _emit_json(doc: Any) -> None:
    click.echo(json.dumps(doc, ensure_ascii=False, indent=2, default=str))


def _say(msg: str) -> None:
    click.echo(msg, err=True)


@click.group("registry")
def registry_group() -> None:
    """Registration numbers, permit states and the audit trail."""


@registry_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON array of records.")
@click.option("--status", type=STATUS_CHOICE, help="Only records in this status.")
@click.option("--permit", metavar="CODE", help="Only this permit code.")
@click.option("--limit", type=click.IntRange(min=1), help="At most N records (newest first).")
@click.pass_context
@handle_errors
def list_command(
    ctx: click.Context, as_json: bool, status: str | None, permit: str | None, limit: int | None
) -> None:
    """List records, newest first."""
    records = _open(ctx).list(status=Status(status) if status else None, permit=permit,
                              limit=limit)
    if as_json:
        _emit_json([r.as_dict() for r in records])
        return
    for r in records:
        click.echo(f"{r.number}\t{r.status.value}\t{r.permit}\t{r.application_id}\t"
                   f"{r.holder_name}")
    _say(f"{len(records)} record(s)")


@registry_group.command("show")
@click.argument("number")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@click.pass_context
@handle_errors
def show_command(ctx: click.Context, number: str, as_json: bool) -> None:
    """Show one record and its audit entries."""
    reg = _open(ctx)
    rec = reg.get(number)
    if rec is None:
        raise NumberNotFound(number)
    entries = reg.audit_entries(number)
    if as_json:
        _emit_json({"record": rec.as_dict(include_token=True),
                    "audit": [e.as_dict() for e in entries]})
        return
    for key, value in rec.as_dict().items():
        if value in (None, "", {}):
            continue
        if isinstance(value, dict):
            value = json.dumps(value, ensure_ascii=False)
        click.echo(f"{key:20} {value}")
    for e in entries:
        click.echo(f"audit #{e.id:<6} {e.at.isoformat()} {e.action:10} {e.actor}")


@registry_group.command("export")
@click.option("--format", "fmt", type=click.Choice(["csv"]), default="csv", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, writable=True),
              help="Write to FILE instead of stdout.")
@click.option("--status", default=Status.ISSUED.value, show_default=True,
              type=click.Choice([s.value for s in Status] + ["all"]),
              help="Records to export; 'all' for every record.")
@click.pass_context
@handle_errors
def export_command(ctx: click.Context, fmt: str, out: str | None, status: str) -> None:
    """Export the registry book (CSV, one row per number)."""
    reg = _open(ctx)
    wanted = None if status == "all" else Status(status)
    if out:
        with open(out, "w", newline="", encoding="utf-8") as fh:
            count = export_csv(reg, fh, status=wanted)
        _say(f"exported {count} record(s) to {out}")
    else:
        count = export_csv(reg, sys.stdout, status=wanted)
        _say(f"exported {count} record(s)")


@registry_group.command("audit")
@click.option("--check", is_flag=True, help="Recompute the hash chain; exit 1 if broken.")
@click.option("--number", help="Only entries of this number (without --check).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@click.pass_context
@handle_errors
def audit_command(ctx: click.Context, check: bool, number: str | None, as_json: bool) -> None:
    """Verify (--check) or print the audit trail."""
    reg = _open(ctx)
    if check:
        result = reg.audit_check()
        if as_json:
            _emit_json(result.as_dict())
        if not result.ok:
            _say(f"AUDIT CHECK FAILED: {result.message}")
            ctx.exit(1)
        _say(result.message)
        return
    entries = reg.audit_entries(number)
    if as_json:
        _emit_json([e.as_dict() for e in entries])
        return
    for e in entries:
        click.echo(f"{e.id}\t{e.at.isoformat()}\t{e.actor}\t{e.action}\t{e.number or '-'}\t"
                   f"{json.dumps(e.detail, ensure_ascii=False)}")


@registry_group.command("migrate")
@click.pass_context
@handle_errors
def migrate_command(ctx: click.Context) -> None:
    """Upgrade the registry database schema to the newest revision."""
    reg = _open(ctx)
    migrate = getattr(reg, "migrate", None)
    if migrate is None:
        raise PtspError(f"{type(reg).__name__} has no schema to migrate")
    before, after = migrate()
    if before == after:
        _say(f"registry schema already at revision {after}")
    else:
        _say(f"registry schema upgraded: {before or '(empty)'} -> {after}")


@click.command("revoke")
@click.argument("number")
@click.option("--reason", required=True, help="Why (recorded in the registry and audit trail).")
@click.option("--decree", required=True, help="Reference of the decree that orders it.")
@click.option("--kind", type=KIND_CHOICE, default=Status.REVOKED.value, show_default=True,
              help="withdrawn (ditarik kembali), cancelled (dibatalkan), revoked (dicabut).")
@click.option("--actor", default=login_name, show_default="login name",
              help="Who does it (audit trail).")
@click.option("--json", "as_json", is_flag=True, help="Print the record as one JSON document.")
@click.pass_context
@handle_errors
def revoke_command(
    ctx: click.Context, number: str, reason: str, decree: str, kind: str, actor: str,
    as_json: bool,
) -> None:
    """Withdraw, cancel or revoke an issued permit (Pasal 10)."""
    rec = _open(ctx).revoke(number, kind=Status(kind), reason=reason, decree=decree, actor=actor)
    if as_json:
        _emit_json(rec.as_dict())
    else:
        click.echo(f"{rec.number}\t{rec.status.value}")
    _say(f"{rec.number} is now {rec.status.value} ({rec.status_decree})")


@click.group("report")
def report_group() -> None:
    """Monitoring reports (Pasal 11)."""


def _as_date(value: datetime | None) -> date | None:
    return value.date() if value else None


@report_group.command("sla")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@click.option("--permit", metavar="CODE", help="Only this permit code.")
@click.option("--from", "date_from", type=click.DateTime(["%Y-%m-%d"]),
              help="Received on or after DATE.")
@click.option("--to", "date_to", type=click.DateTime(["%Y-%m-%d"]),
              help="Received on or before DATE.")
@click.option("--today", type=click.DateTime(["%Y-%m-%d"]), hidden=True)
@click.pass_context
@handle_errors
def sla_command(
    ctx: click.Context, as_json: bool, permit: str | None, date_from: datetime | None,
    date_to: datetime | None, today: datetime | None,
) -> None:
    """Service times against the SOP standard times; lists late decrees."""
    standard_times = (ctx.obj or {}).get("standard_times") or {}
    report = sla_report(_open(ctx), standard_times, permit=permit, date_from=_as_date(date_from),
                        date_to=_as_date(date_to), today=_as_date(today))
    if as_json:
        _emit_json(report.as_dict())
        return
    click.echo(f"{'permit':12} {'count':>6} {'pending':>8} {'late':>5} {'deemed':>7} "
               f"{'std':>4} {'mean':>6}")
    for code, s in report.summary().items():
        std = "-" if s["standard_working_days"] is None else s["standard_working_days"]
        click.echo(f"{code:12} {s['count']:>6} {s['pending']:>8} {s['late']:>5} "
                   f"{s['deemed_effective']:>7} {std:>4} {s['mean_working_days']:>6}")
    if report.late:
        click.echo("\nlate (working days elapsed > standard):")
        for r in report.late:
            flag = "  DEEMED EFFECTIVE (Pasal 10)" if r.deemed_effective else ""
            click.echo(f"{r.number}\t{r.permit}\t{r.received_on}\t{r.elapsed_working_days}"
                       f"/{r.standard_working_days}{flag}")
    if report.unknown_permits:
        _say(f"no standard time for: {', '.join(report.unknown_permits)}")
    _say(f"{len(report.rows)} record(s), {len(report.late)} late")


COMMANDS = (registry_group, revoke_command, report_group)


def add_registry_commands(cli: click.Group) -> None:
    """Mount ``registry``, ``revoke`` and ``report`` on the main CLI group."""
    for command in COMMANDS:
        cli.add_command(command)
