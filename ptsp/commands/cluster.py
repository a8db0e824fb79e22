"""``ptsp worker``: a conversion worker of the distributed mode (:mod:`ptsp.cluster`)."""

from __future__ import annotations

import sys
from pathlib import Path

import click


@click.command("worker")
@click.option("--broker", metavar="URL", envvar="PTSP_BROKER",
              help="Celery broker: redis://HOST:PORT/DB or amqp://USER:PASS@HOST:PORT// "
                   "(default: the profile's [cluster] broker).")
@click.option("--backend", metavar="URL", default="",
              help="Result backend (default: the Redis broker itself, rpc:// for AMQP).")
@click.option("--concurrency", type=click.IntRange(min=1), default=None,
              help="LibreOffice instances of this worker (default: cores).")
@click.option("--pool", type=click.Choice(["threads", "prefork"]), default="threads",
              show_default=True,
              help="threads: one process keeping two tasks on each LibreOffice (as the "
                   "local mode does); prefork: a child process per LibreOffice, one task "
                   "at a time.")
@click.option("--templates", "templates", multiple=True,
              type=click.Path(path_type=Path, file_okay=False, exists=True),
              help="A templates folder this worker serves (repeatable; default: the bundled "
                   "one). Tasks made for other templates are refused.")
@click.option("--workdir", type=click.Path(path_type=Path, file_okay=False),
              help="LibreOffice profiles and caches (default: $PTSP_HOME/worker).")
@click.option("--max-docs", type=click.IntRange(min=1), default=300, show_default=True,
              help="Restart a child's LibreOffice after this many documents.")
@click.option("--visibility-timeout", type=click.FloatRange(min=1), default=None,
              help="Seconds before Redis hands an unacknowledged task to another worker "
                   "(default: the profile's [cluster] visibility_timeout, else 300).")
@click.option("--soffice", default="soffice", show_default=True, help="LibreOffice program.")
@click.option("--hostname", default=None, help="Worker name (default: ptsp@HOST-PID).")
@click.option("--loglevel", default="WARNING", show_default=True)
@click.pass_context
def worker_command(ctx: click.Context, broker: str | None, backend: str, concurrency: int | None,
                   pool: str,
                   templates: tuple[Path, ...], workdir: Path | None, max_docs: int,
                   visibility_timeout: float | None, soffice: str, hostname: str | None,
                   loglevel: str) -> None:
    """Render and convert decrees sent by `ptsp issue --broker` (never signs)."""
    import os

    from generator.catalog import TEMPLATES_DIR
    from generator.convert import default_size
    from ptsp.cluster.settings import cluster_settings
    from ptsp.cluster.worker import WorkerSettings, run_worker

    c = ctx.obj["ctx"]
    profile_path = c.profile_path or os.environ.get("PTSP_PROFILE")
    settings = cluster_settings(Path(profile_path) if profile_path else None, broker=broker)
    if not settings.broker:
        raise click.UsageError("no broker: pass --broker URL, set PTSP_BROKER or "
                               "[cluster] broker in the profile")
    home = Path(os.environ.get("PTSP_HOME") or Path.cwd() / "var")
    code = run_worker(
        settings.broker,
        WorkerSettings(templates=tuple(templates) or (TEMPLATES_DIR,),
                       workdir=(workdir or home / "worker").resolve(), max_docs=max_docs,
                       soffice=soffice),
        concurrency=concurrency or default_size(), backend=backend or settings.backend,
        visibility_timeout=visibility_timeout or settings.visibility_timeout,
        hostname=hostname, loglevel=loglevel, pool=pool)
    sys.exit(code)
