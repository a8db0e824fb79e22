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


def _build_app(c: Any, registry_factory: Any) -> Any:
    from ptsp.office import mount_office
    from ptsp.web import create_app

    profile = c.profile
    app = create_app(profile, registry_factory)
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
    return _build_app(c, c.registry)


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on (put a TLS reverse proxy in front for the public).")
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Worker processes, so uploads do not starve the QR pages "
                   "(default: the number of CPU cores).")
@click.pass_context
def serve_command(ctx: click.Context, host: str, port: int, workers: int | None) -> None:
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
    click.echo(f"portal on http://{host}:{port} (QR links: {profile.verification.base_url})",
               err=True)
    workers = workers or os.cpu_count() or 1
    if workers > 1:
        import json
        import secrets

        from ptsp.web.app import REPORT_KEY_ENV

        # every worker builds the same app; they share the key of the report form
        profile_path = getattr(c, "profile_path", None)
        os.environ[WORKER_ENV] = json.dumps({
            "profile": str(profile_path) if profile_path else None,
            "db": getattr(c, "db", None)})
        os.environ.setdefault(REPORT_KEY_ENV, secrets.token_hex(32))
        click.echo(f"{workers} worker processes", err=True)
        uvicorn.run("ptsp.commands.serve:worker_app", factory=True, workers=workers,
                    host=host, port=port, log_level="warning", server_header=False,
                    proxy_headers=False)
        return
    sys.setswitchinterval(SWITCH_INTERVAL)
    uvicorn.run(app, host=host, port=port, log_level="warning", server_header=False,
                proxy_headers=False)
