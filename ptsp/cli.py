"""The ``ptsp`` command line: thin wrappers that parse options, call one function and print.

Results go to stdout (``--json``: exactly one JSON document); messages and progress to stderr.
Exit codes: 0 ok, 1 failed or not valid, 2 usage error.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from generator.catalog import Catalog, load_catalog
from generator.errors import GeneratorError

from . import __version__
from .commands import runtime
from .commands.applicant import mail_group, survey_group, track_command
from .commands.catalog import catalog_group
from .commands.cluster import worker_command
from .commands.common import EXIT_FAIL, prompt_secret
from .commands.keys import keys_group
from .commands.registry import add_registry_commands
from .commands.serve import serve_command
from .commands.users import users_group
from .pipeline import ISSUED_ANY
from .profile import Profile, load_profile
from .registry import NumberingPolicy, Registry, open_registry


class Ctx:
    """What every command may need, opened lazily."""

    def __init__(self, profile_path: Path | None, db: str | None, verbose: bool) -> None:
        self.profile_path = profile_path
        self.db = db
        self.verbose = verbose
        self._profile: Profile | None = None
        self._catalog: Catalog | None = None

    @property
    def profile(self) -> Profile:
        if self._profile is None:
            self._profile = load_profile(self.profile_path)
        return self._profile

    @property
    def catalog(self) -> Catalog:
        if self._catalog is None:
            self._catalog = load_catalog()
        return self._catalog

    def registry(self) -> Registry:
        p = self.profile
        url = self.db or p.storage.registry
        if url.startswith("sqlite:///"):
            Path(url[len("sqlite:///"):]).parent.mkdir(parents=True, exist_ok=True)
        return open_registry(url, numbering=NumberingPolicy(
            pattern=p.numbering.pattern, scope=p.numbering.scope,  # type: ignore[arg-type]
            pad=p.numbering.pad, timezone=p.office.timezone))

    def standard_times(self) -> dict[str, tuple[int, int]]:
        return {s.code: (s.standard_time.working_days, s.standard_time.minutes)
                for s in self.catalog.services if s.standard_time is not None}




@click.group(cls=runtime.Group)  # errors: one line on stderr, exit 1
@click.version_option(__version__, prog_name="ptsp")
@click.option("--profile", "profile_path", type=click.Path(path_type=Path, dir_okay=False),
              envvar="PTSP_PROFILE", help="Office profile (TOML). Default: Balangan's.")
@click.option("--db", envvar="PTSP_DB", metavar="URL",
              help="Registry database: sqlite:///FILE or postgresql+psycopg://...")
@click.option("-v", "--verbose", is_flag=True, help="Show tracebacks.")
@click.pass_context
def cli(ctx: click.Context, profile_path: Path | None, db: str | None, verbose: bool) -> None:
    """Signed, verifiable permit decrees for a one-stop licensing office (DPMPTSP)."""
    import logging

    # Libraries log their own diagnoses; people read our one-line messages instead.
    logging.basicConfig(level=logging.DEBUG if verbose else logging.CRITICAL)
    c = Ctx(profile_path, db, verbose)
    ctx.obj = {"ctx": c, "registry_factory": c.registry}
    try:
        ctx.obj["standard_times"] = c.standard_times()
    except GeneratorError:
        ctx.obj["standard_times"] = {}


def _c(ctx: click.Context) -> Ctx:
    return ctx.obj["ctx"]




# -- sample -----------------------------------------------------------------------------------
@cli.command()
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
    from .samples import dump_applications, sample_batch

    c = _c(ctx)
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


# -- issue ------------------------------------------------------------------------------------
@cli.command()
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
    from .issue import run_issue

    c = _c(ctx)
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




@cli.command()
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
    from .issue import run_generate

    c = _c(ctx)
    report = run_generate(c.profile, c.catalog, c.registry, input_path,
                          drafts_dir=drafts_dir or c.profile.storage.data_dir / "drafts",
                          workers=workers, actor=actor or runtime.actor(),
                          on_progress=runtime.progress("drafting"),
                          on_message=lambda m: click.echo(m, err=True))
    _finish(report, as_json)


@cli.command()
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
    from .issue import run_sign

    c = _c(ctx)
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


@cli.command()
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
    from .issue import run_correct

    c = _c(ctx)
    report = run_correct(c.profile, c.catalog, c.registry, number, input_path, reason=reason,
                         out_dir=out_dir, level=level, secret_env=secret_env,
                         actor=actor or runtime.actor(), prompt=prompt_secret,
                         on_message=lambda m: click.echo(m, err=True))
    _finish(report, as_json)


# -- verify -----------------------------------------------------------------------------------
@cli.command()
@click.argument("files", nargs=-1, required=True,
                type=click.Path(path_type=Path, dir_okay=False))
@click.option("--json", "as_json", is_flag=True,
              help="Print one JSON document on stdout (an array for more than one file).")
@click.pass_context
def verify(ctx: click.Context, files: tuple[Path, ...], as_json: bool) -> None:
    """Check decrees: signature, signer's delegation, registry status. One file: the full
    report; several: one line each. Exit 0 only when every file is SAH."""
    from .verify import people_time, verify_files

    c = _c(ctx)
    results = verify_files(c.profile, c.registry, list(files))
    if as_json:
        docs = [r.as_dict() for r in results]
        click.echo(json.dumps(docs[0] if len(docs) == 1 else docs, ensure_ascii=False,
                              indent=1))
    elif len(results) > 1:
        for file, result in zip(files, results, strict=True):
            first = result.reasons[0].code if result.reasons else ""
            click.echo("\t".join((result.verdict, str(file), result.number or "-", first)))
    else:
        file, result = files[0], results[0]
        click.echo(f"{result.verdict}: {file}")
        for r in result.reasons:
            click.echo(f"  - {r.message} [{r.code}]")
        for label, value in (("Nomor", result.number), ("Izin", result.permit_name),
                             ("Pemegang", result.holder_name), ("Penanda tangan", result.signer),
                             ("Waktu tanda tangan",
                              people_time(result.signed_at) if result.signed_at else None),
                             ("Tingkat PAdES", result.pades_level),
                             ("Status register", result.registry.status_label),
                             ("Diperiksa", people_time(result.checked_at))):
            if value:
                click.echo(f"  {label}: {value}")
    sys.exit(0 if all(r.valid for r in results) else EXIT_FAIL)


@cli.group()
def archive() -> None:
    """Long-term validity of issued decrees."""


@archive.command("renew")
@click.option("--within-days", type=click.IntRange(min=0), default=365, show_default=True,
              help="Renew when the last timestamp's TSA certificate expires within this.")
@click.option("--json", "as_json", is_flag=True)
@click.option("--actor", default=None)
@click.pass_context
def archive_renew(ctx: click.Context, within_days: int, as_json: bool,
                  actor: str | None) -> None:
    """Add a document timestamp to decrees whose last timestamp nears its expiry."""
    from .issue import run_archive_renew

    c = _c(ctx)
    rows = run_archive_renew(c.profile, c.registry, within_days=within_days,
                             actor=actor or runtime.actor())
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=1))
    counts: dict[str, int] = {}
    for r in rows:
        counts[str(r["action"])] = counts.get(str(r["action"]), 0) + 1
        if r["action"] == "failed":
            click.echo(f"failed: {r['number']}: {r['error']}", err=True)
    click.echo(", ".join(f"{v} {k}" for k, v in sorted(counts.items())) or "no decrees",
               err=True)
    if counts.get("failed"):
        sys.exit(EXIT_FAIL)


add_registry_commands(cli)
cli.add_command(keys_group, "keys")
cli.add_command(catalog_group, "catalog")
cli.add_command(serve_command, "serve")
cli.add_command(users_group, "users")
cli.add_command(track_command, "track")
cli.add_command(survey_group, "survey")
cli.add_command(mail_group, "mail")
cli.add_command(worker_command, "worker")


def main() -> None:
    cli(prog_name="ptsp")


if __name__ == "__main__":
    main()
