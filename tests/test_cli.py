"""The command line as a contract: every command documented, options as in DESIGN.md."""

from __future__ import annotations

import click
import pytest
import typer
from mitmproxy.addons.block import Block
from mitmproxy.test import taddons, tflow

from analyzer.capture import CaptureOptions, mitmdump_arguments
from analyzer.cli import _register, app

_register()
COMMAND = typer.main.get_command(app)


def _commands(group: click.Group, prefix: str = "") -> list[tuple[str, click.Command]]:
    found = []
    for name, command in group.commands.items():
        found.append((f"{prefix}{name}", command))
        if isinstance(command, click.Group):
            found += _commands(command, f"{prefix}{name} ")
    return found


@pytest.mark.parametrize(("name", "command"), _commands(COMMAND))  # type: ignore[arg-type]
def test_every_command_has_help_with_an_example(name: str, command: click.Command) -> None:
    assert command.help, f"{name} has no help"
    if not isinstance(command, click.Group):
        assert "Example" in command.help, f"{name}'s help has no example"
    for param in command.params:
        if isinstance(param, click.Option):
            assert param.help, f"{name} {param.opts[0]} has no help"


def test_contract_commands_exist() -> None:
    names = {name for name, _ in _commands(COMMAND)}  # type: ignore[arg-type]
    assert {"capture", "import", "sessions"} <= names


def test_capture_arguments_pass_extra_args_last_and_refuse_public_clients() -> None:
    args = mitmdump_arguments(
        CaptureOptions(session="s", db="x.db", listen_port=9999, extra=["--set", "foo=bar"])
    )
    assert args[-2:] == ["--set", "foo=bar"]
    assert "block_global=true" in args
    assert "flow_detail=0" in args
    assert args[args.index("--listen-port") + 1] == "9999"


@pytest.mark.parametrize(("peer", "killed"), [("8.8.8.8", True), ("192.168.1.20", False)])
def test_public_clients_are_refused_with_capture_options(peer: str, killed: bool) -> None:
    block = Block()
    with taddons.context(block) as tctx:
        tctx.configure(block, block_global=True)
        client = tflow.tclient_conn()
        client.peername = (peer, 50000)
        client.error = None
        block.client_connected(client)
        assert (client.error is not None) == killed
