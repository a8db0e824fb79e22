"""``ptsp serve``: the public verification portal under uvicorn.

Mount with ``cli.add_command(serve_command)``; it takes the office profile from
``ctx.obj["ctx"].profile`` and opens the registry with ``ctx.obj["registry_factory"]()``.
"""

from __future__ import annotations

import click


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on (put a TLS reverse proxy in front for the public).")
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)
@click.pass_context
def serve_command(ctx: click.Context, host: str, port: int) -> None:
    """Serve the verification portal (upload form, QR landing pages, JSON API) and the
    office's pages under /kantor (upload, review, signing, status board)."""
    import uvicorn

    from ptsp.office import mount_office
    from ptsp.web import create_app

    c = ctx.obj["ctx"]
    profile = c.profile
    app = create_app(profile, ctx.obj["registry_factory"])
    # The office's own pages (back office, review, signing) under /kantor, same server.
    mount_office(app, profile=profile, registry_factory=ctx.obj["registry_factory"],
                 catalog=c.catalog, data_dir=profile.storage.data_dir / "kantor")
    _start_mail_worker(ctx)
    click.echo(f"portal on http://{host}:{port} (QR links: {profile.verification.base_url})",
               err=True)
    uvicorn.run(app, host=host, port=port, log_level="warning", server_header=False,
                proxy_headers=False)


def _start_mail_worker(ctx: click.Context) -> None:
    """The hand-over e-mail worker next to the portal (when [mail].host is set)."""
    from ptsp.applicant.outbox import MailWorker

    c = ctx.obj["ctx"]
    if not c.profile.mail.host:
        return
    registry = ctx.obj["registry_factory"]()
    MailWorker(engine=registry.engine, profile=c.profile,
               registry_factory=ctx.obj["registry_factory"], catalog=c.catalog).start()
    click.echo(f"hand-over e-mail via {c.profile.mail.host}:{c.profile.mail.port}", err=True)
