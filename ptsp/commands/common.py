"""What the command modules share: the application context, secrets, exit codes."""

from __future__ import annotations

import os
import sys
from typing import Any

import click

EXIT_FAIL = 1


def app_ctx(ctx: click.Context) -> Any:
    """The lazily opened profile, catalog and registry of ``ptsp.cli.Ctx``."""
    return ctx.obj["ctx"]


def prompt_secret(label: str) -> str:
    """A hidden prompt; refused when nobody is at the terminal."""
    if not sys.stdin.isatty():
        raise click.UsageError(f"{label} needed: set it in an environment variable "
                               "(--secret-env) when not running interactively")
    return click.prompt(label, hide_input=True)


def secret(env: str | None, label: str) -> str:
    """A secret from the environment variable named by an option, else a hidden prompt."""
    if env:
        value = os.environ.get(env)
        if value is None:
            raise click.UsageError(f"environment variable {env} is not set")
        return value
    return prompt_secret(label)
