"""``ptsp catalog``: the services of the regulation, for tools and for the front office."""

from __future__ import annotations

import json

import click

from .common import app_ctx


@click.group("catalog")
def catalog_group() -> None:
    """The services of the regulation: requirements, SOP steps, standard times."""


@catalog_group.command("list")
@click.option("--json", "as_json", is_flag=True)
@click.option("--kind", type=click.Choice(["permit", "non_permit"]))
@click.pass_context
def catalog_list(ctx: click.Context, as_json: bool, kind: str | None) -> None:
    """List every service."""
    from ptsp.catalog_view import service_dict

    services = [s for s in app_ctx(ctx).catalog.services if kind is None or s.kind == kind]
    if as_json:
        click.echo(json.dumps([service_dict(s) for s in services], ensure_ascii=False, indent=1))
        return
    for s in services:
        t = s.standard_time.describe() if s.standard_time else "-"
        click.echo(f"{s.code:<14} {s.channel:<3} {s.kind:<10} {t:<24} {s.name}")


@catalog_group.command("show")
@click.argument("code")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def catalog_show(ctx: click.Context, code: str, as_json: bool) -> None:
    """The requirement checklist and SOP steps of one service, for the front office."""
    from ptsp.catalog_view import service_dict, service_text

    s = app_ctx(ctx).catalog.get(code)
    if as_json:
        click.echo(json.dumps(service_dict(s, full=True), ensure_ascii=False, indent=1))
    else:
        click.echo(service_text(s))
