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
    """Serve the verification portal (upload form, QR landing pages, JSON API)."""
    import uvicorn

    from ptsp.web import create_app

    profile = ctx.obj["ctx"].profile
    app = create_app(profile, ctx.obj["registry_factory"])
    click.echo(f"portal on http://{host}:{port} (QR links: {profile.verification.base_url})",
               err=True)
    uvicorn.run(app, host=host, port=port, log_level="warning", server_header=False,
                proxy_headers=False)
