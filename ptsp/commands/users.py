"""``ptsp users``: accounts of the back-office web pages (the first admin is made here).

Mount with ``cli.add_command(users_group)``; the accounts live in the registry's database
(``ctx.obj["registry_factory"]()``), in the ``office_users`` table. Passwords come from a
prompt (typed twice) or from the environment variable named by ``--password-env``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import click

from ..errors import PtspError
from .runtime import Group

ROLE_CHOICES = ("backoffice", "kasi", "kabid", "kadis", "admin")


@contextmanager
def _store(ctx: click.Context) -> Iterator[tuple[Any, Any]]:
    from ptsp.office.store import OfficeStore

    registry = ctx.obj["registry_factory"]()
    try:
        engine = getattr(registry, "engine", None)
        if engine is None:
            raise PtspError("user accounts need an SQL registry database")
        yield OfficeStore(engine), registry
    finally:
        registry.close()


@click.group("users", cls=Group)  # account errors: one line on stderr, exit 1
def users_group() -> None:
    """Accounts of the back-office web pages (roles: backoffice, kasi, kabid, kadis, admin)."""


@users_group.command("add")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice(ROLE_CHOICES))
@click.option("--name", "full_name", default="", help="Full name shown on the pages.")
@click.option("--password-env", metavar="VAR",
              help="Read the password from this environment variable instead of a prompt.")
@click.pass_context
def add_user(ctx: click.Context, username: str, role: str, full_name: str,
             password_env: str | None) -> None:
    """Create an account (the first one: --role admin)."""
    from ptsp.office.auth import create_user

    if password_env:
        password = os.environ.get(password_env)
        if not password:
            raise click.UsageError(f"environment variable {password_env} is not set")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True,
                                err=True)
    with _store(ctx) as (store, registry):
        user = create_user(store, username, role, password, full_name)
        registry.record_event(action="user_add", actor="cli",
                              detail={"username": user.username, "role": user.role})
    click.echo(f"created {user.username} ({user.role})", err=True)


@users_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON document on stdout.")
@click.pass_context
def list_users(ctx: click.Context, as_json: bool) -> None:
    """List the accounts."""
    now = datetime.now(UTC)
    with _store(ctx) as (store, _registry):
        users = store.list_users()
        blocks = store.login_blocks(now)
    rows = [{"username": u.username, "full_name": u.full_name, "role": u.role,
             "active": u.active, "locked": u.username in blocks,
             "delayed_until": (blocks[u.username][0].isoformat()
                               if u.username in blocks else None),
             "last_login_at": u.last_login_at.isoformat() if u.last_login_at else None}
            for u in users]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False))
        return
    for r in rows:
        state = "disabled" if not r["active"] else "locked" if r["locked"] else "active"
        click.echo(f"{r['username']}\t{r['role']}\t{state}\t{r['full_name']}")


def _change(ctx: click.Context, username: str, action: str, **values: Any) -> None:
    with _store(ctx) as (store, registry):
        if store.update_user(username.strip().lower(), **values) is None:
            raise PtspError(f"no user {username}")
        registry.record_event(action=action, actor="cli", detail={"username": username})


@users_group.command("disable")
@click.argument("username")
@click.pass_context
def disable_user(ctx: click.Context, username: str) -> None:
    """Disable an account (its sessions end at once)."""
    _change(ctx, username, "user_disable", active=False)
    click.echo(f"disabled {username}", err=True)


@users_group.command("unlock")
@click.argument("username")
@click.pass_context
def unlock_user(ctx: click.Context, username: str) -> None:
    """Lift the delays after repeated failed logins (from every address)."""
    with _store(ctx) as (store, _registry):
        store.clear_login_failures(username.strip().lower())
    _change(ctx, username, "user_unlock", locked_until=None, failed_count=0)
    click.echo(f"unlocked {username}", err=True)


@users_group.command("reset-password")
@click.argument("username")
@click.option("--password-env", metavar="VAR",
              help="Read the new password from this environment variable instead of a prompt.")
@click.pass_context
def reset_password(ctx: click.Context, username: str, password_env: str | None) -> None:
    """Set a new password (the user's sessions end, failed-login delays are lifted)."""
    from ptsp.office.auth import set_password

    password = _password(password_env, "New password")
    name = username.strip().lower()
    with _store(ctx) as (store, registry):
        set_password(store, name, password)
        registry.record_event(action="user_password_reset", actor="cli",
                              detail={"username": name})
    click.echo(f"password of {name} reset", err=True)


def _password(password_env: str | None, prompt: str) -> str:
    if password_env:
        password = os.environ.get(password_env)
        if not password:
            raise click.UsageError(f"environment variable {password_env} is not set")
        return password
    return str(click.prompt(prompt, hide_input=True, confirmation_prompt=True, err=True))
