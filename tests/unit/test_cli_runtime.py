"""The CLI's one error path (ptsp.commands.runtime) and the one ptsp error root."""

from __future__ import annotations

from types import SimpleNamespace

import click
import pytest
from click.testing import CliRunner

from generator.errors import GeneratorError
from ptsp.commands.runtime import Group, handle_errors
from ptsp.errors import PtspError
from ptsp.registry import RegistryError
from signer.errors import SignerError


def _cli(exc: BaseException) -> click.Group:
    @click.group(cls=Group)
    @click.option("-v", "verbose", is_flag=True)
    @click.pass_context
    def cli(ctx: click.Context, verbose: bool) -> None:
        ctx.obj = {"ctx": SimpleNamespace(verbose=verbose)}

    @cli.command()
    def boom() -> None:
        raise exc

    return cli


@pytest.mark.parametrize("exc", [PtspError("profil rusak"), RegistryError("no number 7"),
                                 GeneratorError("bad template"), SignerError("no key")])
def test_each_root_is_one_line_and_exit_1(exc):
    r = CliRunner().invoke(_cli(exc), ["boom"])
    assert r.exit_code == 1
    assert r.stderr == f"ptsp: error: {exc}\n"
    assert r.stdout == ""


def test_an_unexpected_error_is_one_line_without_traceback_unless_v():
    r = CliRunner().invoke(_cli(KeyError("x")), ["boom"])
    assert r.exit_code == 1
    assert r.stderr.startswith("ptsp: error: unexpected error: KeyError('x')")
    assert "Traceback" not in r.stderr and r.stderr.count("\n") == 1
    r = CliRunner().invoke(_cli(KeyError("x")), ["-v", "boom"])
    assert r.exit_code == 1 and "Traceback" in r.stderr


def test_usage_errors_keep_exit_2_and_exits_pass_through():
    r = CliRunner().invoke(_cli(click.UsageError("wrong")), ["boom"])
    assert r.exit_code == 2 and "wrong" in r.stderr
    r = CliRunner().invoke(_cli(SystemExit(3)), ["boom"])
    assert r.exit_code == 3


def test_a_decorated_command_on_a_plain_group_handles_its_errors():
    @click.group()
    def plain() -> None:
        pass

    @plain.command()
    @handle_errors
    def boom() -> None:
        raise RegistryError("nope")

    r = CliRunner().invoke(plain, ["boom"])
    assert r.exit_code == 1 and r.stderr == "ptsp: error: nope\n"


def test_the_office_and_web_errors_are_ptsp_errors():
    from ptsp.office.app import NeedLogin, OfficeRefusal
    from ptsp.office.errors import OfficeError
    from ptsp.office.intake import IntakeError
    from ptsp.office.store import UserExists
    from ptsp.web.uploads import UploadError

    for cls in (UserExists, IntakeError, OfficeRefusal, NeedLogin):
        assert issubclass(cls, OfficeError) and issubclass(cls, PtspError)
    assert issubclass(UploadError, PtspError)
