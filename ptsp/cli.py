"""The ``ptsp`` command line: the group, its global options and the lazily opened context
(:class:`Ctx`). Every command lives in :mod:`ptsp.commands` (parse options, call one function,
print); their one error handler is :mod:`ptsp.commands.runtime`.

Results go to stdout (``--json``: exactly one JSON document); messages and progress to stderr.
Exit codes: 0 ok, 1 failed or not valid, 2 usage error.
"""

from __future__ import annotations

from pathlib import Path

import click

from generator.catalog import Catalog, load_catalog
from generator.errors import GeneratorError

from . import __version__
from .commands import runtime
from .commands.applicant import mail_group, survey_group, track_command
from .commands.archive import archive
from .commands.catalog import catalog_group
from .commands.cluster import worker_command
from .commands.decrees import correct, generate, issue, sample, sign
from .commands.keys import keys_group
from .commands.registry import add_registry_commands
from .commands.serve import serve_command
from .commands.users import users_group
from .commands.verify import verify
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


add_registry_commands(cli)
cli.add_command(keys_group, "keys")
cli.add_command(catalog_group, "catalog")
cli.add_command(serve_command, "serve")
cli.add_command(users_group, "users")
cli.add_command(track_command, "track")
cli.add_command(survey_group, "survey")
cli.add_command(mail_group, "mail")
cli.add_command(worker_command, "worker")
for command in (sample, issue, generate, sign, correct, verify, archive):
    cli.add_command(command)


def main() -> None:
    cli(prog_name="ptsp")


if __name__ == "__main__":
    main()
