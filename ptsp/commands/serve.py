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
@click.option("--proxy-headers/--no-proxy-headers", default=False, show_default=True,
              help="Trust X-Forwarded-Proto/X-Forwarded-For from the addresses of "
                   "--forwarded-allow-ips (a TLS reverse proxy): the office's session cookie "
                   "is then marked Secure for requests that came in over HTTPS.")
@click.option("--forwarded-allow-ips", default="127.0.0.1", show_default=True,
              metavar="IPS",
              help="Comma-separated addresses (or networks) of the reverse proxy whose "
                   "X-Forwarded-* headers are honoured with --proxy-headers; '*' trusts all.")
@click.option("--verify-slots", type=click.IntRange(1, 256), default=None,
              help="Portal verifications running at once (default: the CPU count).")
@click.option("--verify-queue", type=click.IntRange(0, 10_000), default=None,
              help="Portal verifications waiting for a slot; beyond: 503 with Retry-After "
                   "(default: 4 per slot).")
@click.pass_context
def serve_command(ctx: click.Context, host: str, port: int, proxy_headers: bool,
                  forwarded_allow_ips: str, verify_slots: int | None = None,
                  verify_queue: int | None = None) -> None:
    """Serve the verification portal (upload form, QR landing pages, JSON API) and the
    office's pages under /kantor (upload, review, signing, status board)."""
    import uvicorn

    from ptsp.office import mount_office
    from ptsp.web import create_app

    c = ctx.obj["ctx"]
    profile = c.profile
    from ptsp.web.limits import VerifyGate, default_gate

    gate = default_gate()
    if verify_slots is not None or verify_queue is not None:
        slots = verify_slots or gate.slots
        gate = VerifyGate(slots, 4 * slots if verify_queue is None else verify_queue)
    app = create_app(profile, ctx.obj["registry_factory"], gate=gate)
    # The office's own pages (back office, review, signing) under /kantor, same server.
    mount_office(app, profile=profile, registry_factory=ctx.obj["registry_factory"],
                 catalog=c.catalog, data_dir=profile.storage.data_dir / "kantor")
    _start_mail_worker(ctx)
    click.echo(f"portal on http://{host}:{port} (QR links: {profile.verification.base_url})",
               err=True)
    if proxy_headers:
        click.echo(f"trusting X-Forwarded-Proto/-For from {forwarded_allow_ips}", err=True)
    uvicorn.run(app, host=host, port=port, log_level="warning", server_header=False,
                proxy_headers=proxy_headers, forwarded_allow_ips=forwarded_allow_ips)


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
