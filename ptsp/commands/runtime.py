"""What every command shares at run time: the one error handler, progress on stderr and the
acting person's name.

The handler catches one root per package (``ptsp.errors.PtspError``,
``ptsp.registry.RegistryError``, ``generator.errors.GeneratorError``,
``signer.errors.SignerError``) and prints its message as one line on stderr with exit code 1;
anything else is a bug: one line too, its traceback only with ``-v``. Click's own exceptions
(usage errors: exit 2) and ``sys.exit`` pass through.
"""

from __future__ import annotations

import functools
import getpass
import sys
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, NoReturn, TypeVar

import click

from generator.errors import GeneratorError
from signer.errors import SignerError

from ..errors import PtspError
from ..registry import RegistryError
from .common import EXIT_FAIL

#: The error roots whose message is meant for people.
ERROR_ROOTS: tuple[type[Exception], ...] = (PtspError, RegistryError, GeneratorError,
                                            SignerError)
F = TypeVar("F", bound=Callable[..., Any])


def fail(message: str, *, verbose: bool = False) -> NoReturn:
    """One line on stderr (and the traceback with ``-v``), then exit code 1."""
    if verbose:
        traceback.print_exc()
    click.echo(f"ptsp: error: {message}", err=True)
    sys.exit(EXIT_FAIL)


def _verbose(ctx: click.Context | None) -> bool:
    obj = ctx.obj if ctx is not None else None
    return bool(isinstance(obj, dict) and getattr(obj.get("ctx"), "verbose", False))


@contextmanager
def handled(ctx: click.Context | None = None) -> Iterator[None]:
    """Run a command's body: known errors become one line on stderr and exit code 1."""
    try:
        yield
    except (click.ClickException, click.exceptions.Exit, click.Abort):
        raise
    except ERROR_ROOTS as e:
        fail(str(e), verbose=_verbose(ctx))
    except Exception as e:  # noqa: BLE001 - a bug: one line, the traceback only with -v
        fail(f"unexpected error: {e!r} (run with -v to see the traceback)",
             verbose=_verbose(ctx))


def handle_errors(fn: F) -> F:
    """Decorate a command so that it handles its errors itself (when mounted on a plain
    click group, as the tests do)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with handled(click.get_current_context(silent=True)):
            return fn(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


class Group(click.Group):
    """A click group whose commands' errors go through :func:`handled`."""

    def invoke(self, ctx: click.Context) -> Any:
        with handled(ctx):
            return super().invoke(ctx)


def progress(label: str) -> Callable[[int, int | None], None]:
    """A one-line progress indicator on stderr (only when stderr is a terminal)."""
    tty = sys.stderr.isatty()

    def show(done: int, total: int | None) -> None:
        if not tty:
            return
        width = 30
        if total:
            filled = int(width * done / total)
            bar = "#" * filled + "-" * (width - filled)
            sys.stderr.write(f"\r{label} [{bar}] {done}/{total}")
        else:
            sys.stderr.write(f"\r{label} {done}")
        if total and done >= total:
            sys.stderr.write("\n")
        sys.stderr.flush()

    return show


def actor() -> str:
    """Who acts: the login name, or ``cli`` where there is none (some containers)."""
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no login name in some containers
        return "cli"
