"""``ptsp serve``: the public verification portal under uvicorn.

Mount with ``cli.add_command(serve_command)``; it takes the office profile from
``ctx.obj["ctx"].profile`` and opens the registry with ``ctx.obj["registry_factory"]()``.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import click

WORKER_ENV = "PTSP_SERVE_WORKER"
"""JSON ``{"profile": path or null, "db": url or null}`` for the worker processes of
``--workers N`` (each builds its own app with :func:`worker_app`)."""


SWITCH_INTERVAL = 0.0005
"""GIL switch interval of a portal process (Python's default is 5 ms): a verification thread
holding the GIL then delays a QR page's next step by at most half a millisecond."""


def _build_app(c: Any, registry_factory: Any, gate: Any) -> Any:
    from ptsp.office import mount_office
    from ptsp.web import create_app

    profile = c.profile
    app = create_app(profile, registry_factory, gate=gate)
    # The office's own pages (back office, review, signing) under /kantor, same server.
    mount_office(app, profile=profile, registry_factory=registry_factory,
                 catalog=c.catalog, data_dir=profile.storage.data_dir / "kantor")
    return app


def worker_app() -> Any:
    """The app of one worker process of ``ptsp serve --workers N`` (a uvicorn factory)."""
    import json
    from pathlib import Path

    from ptsp.cli import Ctx

    sys.setswitchinterval(SWITCH_INTERVAL)
    conf = json.loads(os.environ[WORKER_ENV])
    c = Ctx(Path(conf["profile"]) if conf.get("profile") else None, conf.get("db"), False)
    return _build_app(c, c.registry, _gate(conf.get("verify_slots"), conf.get("verify_queue")))


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
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Worker processes, so uploads do not starve the QR pages "
                   "(default: the number of CPU cores).")
@click.pass_context
def serve_command(ctx: click.Context, host: str, port: int, proxy_headers: bool,
                  forwarded_allow_ips: str, verify_slots: int | None = None,
                  verify_queue: int | None = None, workers: int | None = None) -> None:
    """Serve the verification portal (upload form, QR landing pages, JSON API) and the
    office's pages under /kantor (upload, review, signing, status board)."""
    import uvicorn

    c = ctx.obj["ctx"]
    profile = c.profile
    workers = workers or os.cpu_count() or 1
    click.echo(f"portal on http://{host}:{port} (QR links: {profile.verification.base_url})",
               err=True)
    if proxy_headers:
        click.echo(f"trusting X-Forwarded-Proto/-For from {forwarded_allow_ips}", err=True)
    _start_mail_worker(ctx)
    if workers > 1:
        import json
        import secrets

        from ptsp.web.app import REPORT_KEY_ENV

        # every worker builds the same app; they share the key of the report form
        profile_path = getattr(c, "profile_path", None)
        os.environ[WORKER_ENV] = json.dumps({
            "profile": str(profile_path) if profile_path else None,
            "db": getattr(c, "db", None),
            "verify_slots": verify_slots, "verify_queue": verify_queue})
        os.environ.setdefault(REPORT_KEY_ENV, secrets.token_hex(32))
        click.echo(f"{workers} worker processes", err=True)
        uvicorn.run("ptsp.commands.serve:worker_app", factory=True, workers=workers,
                    host=host, port=port, log_level="warning", server_header=False,
                    proxy_headers=proxy_headers, forwarded_allow_ips=forwarded_allow_ips)
        return
    sys.setswitchinterval(SWITCH_INTERVAL)
    app = _build_app(c, ctx.obj["registry_factory"], _gate(verify_slots, verify_queue))
    uvicorn.run(app, host=host, port=port, log_level="warning", server_header=False,
                proxy_headers=proxy_headers, forwarded_allow_ips=forwarded_allow_ips)


def _gate(verify_slots: int | None, verify_queue: int | None) -> Any:
    """The bound on portal verifications running and waiting in one process."""
    from ptsp.web.limits import VerifyGate, default_gate

    gate = default_gate()
    if verify_slots is not None or verify_queue is not None:
        slots = verify_slots or gate.slots
        gate = VerifyGate(slots, 4 * slots if verify_queue is None else verify_queue)
    return gate


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
