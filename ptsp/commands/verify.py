"""``ptsp verify``: check decrees (signature, the signer's delegation, the registry status)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from .common import EXIT_FAIL, app_ctx


@click.command()
@click.argument("files", nargs=-1, required=True,
                type=click.Path(path_type=Path, dir_okay=False))
@click.option("--json", "as_json", is_flag=True,
              help="Print one JSON document on stdout (an array for more than one file).")
@click.pass_context
def verify(ctx: click.Context, files: tuple[Path, ...], as_json: bool) -> None:
    """Check decrees: signature, signer's delegation, registry status. One file: the full
    report; several: one line each. Exit 0 only when every file is SAH."""
    from ptsp.verify import people_time, verify_files

    c = app_ctx(ctx)
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
