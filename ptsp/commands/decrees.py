"""The decree commands: ``ptsp sample``, ``issue``, ``generate``, ``sign``, ``correct``.

Each parses its options, calls one function of :mod:`ptsp.issue` (or :mod:`ptsp.samples`) and
prints: the report on stdout with ``--json``, the summary on stderr; exit 1 when not all went
well.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from ptsp.pipeline import ISSUED_ANY

from . import runtime
from .common import EXIT_FAIL, app_ctx, prompt_secret


@click.command()
@click.option("--permit", metavar="CODE", help="Only this permit (default: every permit).")
@click.option("--count", type=click.IntRange(min=1), default=10, show_default=True)
@click.option("--seed", type=int, default=1, show_default=True)
@click.option("--start", type=click.IntRange(min=1), default=1, show_default=True,
              help="First running number (application ids are APP-<CODE>-<n>).")
@click.option("--format", "fmt", type=click.Choice(["json", "jsonl", "csv"]), default=None,
              help="Output format (default: from --out's extension, else json).")
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False),
              help="File (default: stdout).")
@click.pass_context
def sample(ctx: click.Context, permit: str | None, count: int, seed: int, start: int,
           fmt: str | None, out: Path | None) -> None:
    """Write valid synthetic approved applications."""
    from ptsp.samples import dump_applications, sample_batch

    c = app_ctx(ctx)
    if permit:
        c.catalog.get(permit)
    apps = sample_batch(c.catalog, permit=permit, count=count, seed=seed, start=start)
    fmt = fmt or (out.suffix.lstrip(".").lower() if out and out.suffix else "json")
    if fmt not in ("json", "jsonl", "csv"):
        raise click.UsageError(f"unknown format {fmt!r}")
    text = dump_applications(apps, fmt)
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
        click.echo(f"wrote {len(apps)} applications to {out}", err=True)
    else:
        click.echo(text, nl=False)


@click.command()
@click.option("--input", "input_path", required=True,
              type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help="Approved applications: .json, .jsonl or .csv")
@click.option("--out", "out_dir", type=click.Path(path_type=Path, file_okay=False),
              help="Where the signed PDFs go (default: the profile's output folder).")
@click.option("--report", "report_path", type=click.Path(path_type=Path, dir_okay=False),
              help="Also write the batch report as JSON to this file.")
@click.option("--json", "as_json", is_flag=True, help="Print the batch report as JSON on stdout.")
@click.option("--level", type=click.Choice(["B-B", "B-T", "B-LT", "B-LTA"]),
              help="PAdES level (default: the profile's).")
@click.option("--secret-env", metavar="VAR",
              help="Environment variable holding the key passphrase or PIN.")
@click.option("--workers", type=click.IntRange(min=1), help="Converter processes (default: cores).")
@click.option("--actor", default=None, help="Who runs the batch (audit trail).")
@click.option("--broker", metavar="URL", envvar="PTSP_BROKER",
              help="Convert on the workers of this Celery broker (redis://..., amqp://...; "
                   "default: the profile's [cluster] broker, else locally).")
@click.pass_context
def issue(ctx: click.Context, input_path: Path, out_dir: Path | None, report_path: Path | None,
          as_json: bool, level: str | None, secret_env: str | None, workers: int | None,
          actor: str | None, broker: str | None = None) -> None:
    """Generate, convert, sign and record a batch of approved applications."""
    from ptsp.issue import run_issue

    c = app_ctx(ctx)
    report = run_issue(
        c.profile, c.catalog, c.registry, input_path, out_dir=out_dir, level=level,
        secret_env=secret_env, workers=workers, actor=actor or runtime.actor(),
        prompt=prompt_secret, on_progress=runtime.progress("issuing"),
        on_message=lambda m: click.echo(m, err=True), broker=broker)
    doc = report.as_dict()
    if report_path:
        report_path.parent.mkdir(parents=True, exist_ok=True)
        report_path.write_text(json.dumps(doc, ensure_ascii=False, indent=1) + "\n")
    if as_json:
        click.echo(json.dumps(doc, ensure_ascii=False, indent=1))
    for line in report.summary():
        click.echo(line, err=True)
    issued = [o for o in report.outcomes if o.status in ISSUED_ANY]
    if issued and not as_json:
        folder = Path(issued[0].path or "").parent
        click.echo(f"decrees in {folder}", err=True)
    if not report.ok:
        sys.exit(EXIT_FAIL)


@click.command()
@click.option("--input", "input_path", required=True,
              type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option("--drafts", "drafts_dir", type=click.Path(path_type=Path, file_okay=False),
              help="Where the unsigned drafts go (default: $PTSP_HOME/drafts).")
@click.option("--json", "as_json", is_flag=True, help="Print the batch report as JSON.")
@click.option("--workers", type=click.IntRange(min=1), help="Converter processes (default: cores).")
@click.option("--actor", default=None, help="Who runs the batch (audit trail).")
@click.pass_context
def generate(ctx: click.Context, input_path: Path, drafts_dir: Path | None, as_json: bool,
             workers: int | None, actor: str | None) -> None:
    """Reserve numbers and write unsigned drafts for review (sign them with `ptsp sign`)."""
    from ptsp.issue import run_generate

    c = app_ctx(ctx)
    report = run_generate(c.profile, c.catalog, c.registry, input_path,
                          drafts_dir=drafts_dir or c.profile.storage.data_dir / "drafts",
                          workers=workers, actor=actor or runtime.actor(),
                          on_progress=runtime.progress("drafting"),
                          on_message=lambda m: click.echo(m, err=True))
    _finish(report, as_json)


@click.command()
@click.option("--drafts", "drafts_dir", type=click.Path(path_type=Path, file_okay=False),
              help="Folder of drafts to sign (default: $PTSP_HOME/drafts).")
@click.option("--out", "out_dir", type=click.Path(path_type=Path, file_okay=False),
              help="Where the signed decrees go (default: the profile's output folder).")
@click.option("--level", type=click.Choice(["B-B", "B-T", "B-LT", "B-LTA"]))
@click.option("--secret-env", metavar="VAR",
              help="Environment variable holding the key passphrase or PIN.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--actor", default=None)
@click.pass_context
def sign(ctx: click.Context, drafts_dir: Path | None, out_dir: Path | None, level: str | None,
         secret_env: str | None, as_json: bool, actor: str | None) -> None:
    """Sign a batch of drafts with one unlock of the Kepala Dinas's key (resumable)."""
    from ptsp.issue import run_sign

    c = app_ctx(ctx)
    report = run_sign(c.profile, c.registry,
                      drafts_dir=drafts_dir or c.profile.storage.data_dir / "drafts",
                      out_dir=out_dir, level=level, secret_env=secret_env,
                      actor=actor or runtime.actor(), prompt=prompt_secret,
                      on_progress=runtime.progress("signing"))
    _finish(report, as_json)


def _finish(report: Any, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(report.as_dict(), ensure_ascii=False, indent=1))
    for line in report.summary():
        click.echo(line, err=True)
    if not report.ok:
        sys.exit(EXIT_FAIL)


@click.command()
@click.argument("number")
@click.option("--input", "input_path", required=True,
              type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help="The corrected application (one record).")
@click.option("--reason", required=True, help="Why the decree is corrected (audit trail).")
@click.option("--out", "out_dir", type=click.Path(path_type=Path, file_okay=False))
@click.option("--level", type=click.Choice(["B-B", "B-T", "B-LT", "B-LTA"]))
@click.option("--secret-env", metavar="VAR")
@click.option("--json", "as_json", is_flag=True)
@click.option("--actor", default=None)
@click.pass_context
def correct(ctx: click.Context, number: str, input_path: Path, reason: str,
            out_dir: Path | None, level: str | None, secret_env: str | None, as_json: bool,
            actor: str | None) -> None:
    """Issue a corrected decree replacing issued decree NUMBER (Pasal 10(2))."""
    from ptsp.issue import run_correct

    c = app_ctx(ctx)
    report = run_correct(c.profile, c.catalog, c.registry, number, input_path, reason=reason,
                         out_dir=out_dir, level=level, secret_env=secret_env,
                         actor=actor or runtime.actor(), prompt=prompt_secret,
                         on_message=lambda m: click.echo(m, err=True))
    _finish(report, as_json)
