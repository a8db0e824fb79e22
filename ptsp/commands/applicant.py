"""``ptsp track`` and ``ptsp survey``: the applicant's side from the office's command line.

Mount with ``cli.add_command(track_command, "track")`` and ``cli.add_command(survey_group,
"survey")``; both open the registry through ``ctx.obj["registry_factory"]()``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import click

from ..errors import PtspError
from .common import EXIT_FAIL, app_ctx


@contextmanager
def _registry(ctx: click.Context) -> Iterator[Any]:
    registry = ctx.obj["registry_factory"]()
    try:
        if getattr(registry, "engine", None) is None:
            raise PtspError("this command needs an SQL registry database")
        yield registry
    finally:
        registry.close()


@click.command("track")
@click.argument("receipt")
@click.option("--json", "as_json", is_flag=True, help="One JSON document on stdout.")
@click.pass_context
def track_command(ctx: click.Context, receipt: str, as_json: bool) -> None:
    """Where an application is in its SOP steps, by its receipt number (nomor tanda terima)."""
    from ptsp.applicant.track import track

    c = app_ctx(ctx)
    profile = c.profile
    with _registry(ctx) as registry:
        t = track(registry.engine, registry, c.catalog, profile.verify_url, receipt,
                  timezone=profile.office.timezone)
    if as_json:
        click.echo(json.dumps(t.as_dict(), ensure_ascii=False, indent=1))
        return
    click.echo(f"{t.receipt}  {t.permit_name} ({t.permit})")
    click.echo(f"holder: {t.holder_name}  NIK {t.holder_nik_masked}")
    click.echo(f"stage: {t.status_label}")
    spent = "-" if t.elapsed_working_days is None else f"{t.elapsed_working_days} working days"
    late = "  OVERDUE" if t.overdue else ""
    click.echo(f"standard time: {t.standard_time}; spent: {spent}{late}")
    for s in t.steps:
        mark = {"selesai": "x", "berjalan": ">", "menunggu": " "}[s.state]
        click.echo(f"  [{mark}] {s.label} ({s.actor})")
    if t.number:
        click.echo(f"decree: {t.number}")
    if t.verification_url:
        click.echo(f"verify: {t.verification_url}")


@click.group("survey")
def survey_group() -> None:
    """The community satisfaction survey (SKM, Permenpan RB 14/2017)."""


def _day(value: str | None, name: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)",
                                 param_hint=name) from None


@survey_group.command("report")
@click.option("--from", "start", metavar="DATE", help="First day (YYYY-MM-DD).")
@click.option("--to", "end", metavar="DATE", help="Last day (YYYY-MM-DD).")
@click.option("--json", "as_json", is_flag=True, help="One JSON document on stdout.")
@click.option("--pdf", "pdf_path", type=click.Path(path_type=Path, dir_okay=False),
              help="Also write the printable report (bar chart per element) to this PDF.")
@click.pass_context
def survey_report(ctx: click.Context, start: str | None, end: str | None, as_json: bool,
                  pdf_path: Path | None) -> None:
    """Per element the mean, the IKM (25-100) with its grade, respondents counted."""
    from ptsp.applicant.survey import SurveyStore
    from ptsp.applicant.survey_pdf import report_pdf

    d1, d2 = _day(start, "--from"), _day(end, "--to")
    if d1 and d2 and d1 > d2:
        raise click.BadParameter("--from is after --to", param_hint="--from")
    profile = app_ctx(ctx).profile
    with _registry(ctx) as registry:
        report = SurveyStore(registry.engine).report(d1, d2)
    if pdf_path is not None:
        pdf_path.write_bytes(report_pdf(report, office=profile.office.short_name,
                                        regency=profile.office.regency,
                                        printed_on=profile.office.today()))
        click.echo(f"wrote {pdf_path}", err=True)
    if as_json:
        click.echo(json.dumps(report.as_dict(), ensure_ascii=False, indent=1))
        return
    click.echo(f"respondents: {report.respondents}")
    for e in report.elements:
        click.echo(f"  {e.column} {e.name:<24} {e.mean:.2f}")
    if report.ikm is None:
        click.echo("IKM: - (no answers)")
    else:
        click.echo(f"IKM: {report.ikm:.2f} ({report.grade}, {report.performance})")


@survey_group.command("import")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option("--json", "as_json", is_flag=True, help="One JSON document on stdout.")
@click.pass_context
def survey_import(ctx: click.Context, file: Path, as_json: bool) -> None:
    """Import paper questionnaires: CSV with columns u1..u9 (1-4), optional date and permit.
    All or nothing: any bad row imports nothing and lists every row and field at fault."""
    from ptsp.applicant.survey import SurveyStore

    c = app_ctx(ctx)
    known = {s.code for s in c.catalog.services}
    with _registry(ctx) as registry:
        count, errors = SurveyStore(registry.engine).import_csv(
            file.name, file.read_bytes(), known_permits=known, today=c.profile.office.today())
        if count:
            registry.record_event(action="survey_import", actor="cli",
                                  detail={"file": file.name, "rows": count})
    if as_json:
        click.echo(json.dumps({"imported": count, "errors": errors}, ensure_ascii=False))
    else:
        for e in errors:
            click.echo(f"{file.name}: row {e['row']}: {e['field']}: {e['message']}", err=True)
        if count:
            click.echo(f"imported {count} questionnaires", err=True)
    if errors:
        ctx.exit(EXIT_FAIL)


@click.group("mail")
def mail_group() -> None:
    """The hand-over e-mail outbox (SMTP from the profile's [mail] table)."""


@mail_group.command("send")
@click.pass_context
def mail_send(ctx: click.Context) -> None:
    """One pass: queue the hand-over mail of newly signed decrees and send what is due."""
    from ptsp.applicant.outbox import MailWorker

    c = app_ctx(ctx)
    with _registry(ctx) as registry:
        worker = MailWorker(engine=registry.engine, profile=c.profile,
                            registry_factory=ctx.obj["registry_factory"], catalog=c.catalog)
        queued, sent, failed = worker.run_once()
    click.echo(f"queued {queued}, sent {sent}, failed {failed}", err=True)
    if failed:
        ctx.exit(EXIT_FAIL)


@mail_group.command("status")
@click.option("--json", "as_json", is_flag=True, help="One JSON document on stdout.")
@click.pass_context
def mail_status(ctx: click.Context, as_json: bool) -> None:
    """List the messages not sent yet, with attempts and the last error."""
    from ptsp.applicant.outbox import OutboxStore

    with _registry(ctx) as registry:
        items = OutboxStore(registry.engine).unsent()
    rows = [{"id": m.id, "application_id": m.application_id, "to": m.to_addr,
             "attempts": m.attempts, "next_attempt_at": m.next_attempt_at.isoformat(),
             "last_error": m.last_error} for m in items]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False))
        return
    for r in rows:
        click.echo(f"{r['id']}\t{r['application_id']}\t{r['to']}\t{r['attempts']}\t"
                   f"{r['last_error'] or '-'}")
