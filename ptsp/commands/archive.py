"""``ptsp archive renew``: keep issued decrees verifiable after their timestamps' TSA
certificates expire (a new document timestamp)."""

from __future__ import annotations

import json
import sys

import click

from . import runtime
from .common import EXIT_FAIL, app_ctx


@click.group()
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
    from ptsp.issue import run_archive_renew

    c = app_ctx(ctx)
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
