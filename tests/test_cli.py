"""The command line as a contract: every command documented, options as the README lists them."""

from __future__ import annotations

import re
from typing import Any

import pytest
import typer
from mitmproxy.addons.block import Block
from mitmproxy.test import taddons, tflow

from analyzer.capture import CaptureOptions, mitmdump_arguments, mode_specs
from analyzer.cli import _register, app
from analyzer.errors import LeakmapError

_register()
COMMAND = typer.main.get_command(app)


def _commands(group: Any, prefix: str = "") -> list[tuple[str, Any]]:
    """Every command and sub-command (typer ships its own click, hence duck typing)."""
    found = []
    for name, command in group.commands.items():
        found.append((f"{prefix}{name}", command))
        if hasattr(command, "commands"):
            found += _commands(command, f"{prefix}{name} ")
    return found


@pytest.mark.parametrize(("name", "command"), [("leakmap", COMMAND), *_commands(COMMAND)])
def test_every_command_has_help_with_an_example(name: str, command: Any) -> None:
    assert command.help, f"{name} has no help"
    assert "Example" in command.help, f"{name}'s help has no example"
    options = [p for p in command.params if p.param_type_name == "option"]
    for param in options:
        assert param.help, f"{name} {param.opts[0]} has no help"


def test_contract_commands_exist() -> None:
    names = {name for name, _ in _commands(COMMAND)}
    assert {
        "capture", "import", "sessions", "report", "diff", "geoip status", "geoip lookup",
        "db upgrade",
    } <= names  # fmt: skip


def test_capture_arguments_pass_extra_args_last_and_refuse_public_clients() -> None:
    args = mitmdump_arguments(
        CaptureOptions(session="s", db="x.db", listen_port=9999, extra=["--set", "foo=bar"])
    )
    assert args[-2:] == ["--set", "foo=bar"]
    assert "block_global=true" in args
    assert "flow_detail=0" in args
    assert "--listen-port" not in args  # mitmproxy would apply it to every mode, WireGuard too
    assert args[args.index("--mode") + 1] == "regular@9999"


@pytest.mark.parametrize(
    ("modes", "ports", "expected"),
    [
        (("regular",), {}, ["regular@8080"]),
        (("regular", "wireguard"), {}, ["regular@8080", "wireguard@51820"]),
        (("wireguard", "regular"), {"listen_port": 9000, "wireguard_port": 4500},
         ["wireguard@4500", "regular@9000"]),
        (("regular", "socks5@1080"), {}, ["regular@8080", "socks5@1080"]),
        (("regular@127.0.0.1:7000", "wireguard@51821"), {},
         ["regular@127.0.0.1:7000", "wireguard@51821"]),
        (("upstream:http://10.1.2.3:3128", "wireguard"), {"listen_port": 8081},
         ["upstream:http://10.1.2.3:3128@8081", "wireguard@51820"]),
        (("local",), {}, ["local"]),  # binds no port: left as given
        # TCP and UDP on the same number do not collide.
        (("regular", "wireguard"), {"listen_port": 5000, "wireguard_port": 5000},
         ["regular@5000", "wireguard@5000"]),
    ],
)  # fmt: skip
def test_each_mode_gets_its_own_port(
    modes: tuple[str, ...], ports: dict[str, int], expected: list[str]
) -> None:
    assert mode_specs(CaptureOptions(session="s", db="x.db", modes=modes, **ports)) == expected


@pytest.mark.parametrize(
    ("modes", "ports", "message"),
    [
        (("regular", "socks5"), {}, "--mode regular and --mode socks5 would both listen on TCP "
         "port 8080"),
        (("wireguard", "wireguard@51820"), {}, "both listen on UDP port 51820"),
        (("nonsense",), {}, "--mode 'nonsense': unknown mode"),
        (("regular@99999",), {}, "--mode 'regular@99999': invalid port"),
    ],
)  # fmt: skip
def test_modes_that_cannot_run_together_are_refused_before_the_proxy_starts(
    modes: tuple[str, ...], ports: dict[str, int], message: str
) -> None:
    options = CaptureOptions(session="s", db="x.db", modes=modes, **ports)
    with pytest.raises(LeakmapError, match=re.escape(message)):
        mode_specs(options)


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


@pytest.mark.parametrize(
    ("modes", "hint"),
    [
        (("regular",), "choose another with --listen-port"),
        (("socks5@{port}",), "choose another port in --mode socks5@PORT"),
    ],
)
def test_a_taken_port_names_the_option_that_moves_it(modes: tuple[str, ...], hint: str) -> None:
    import socket

    from analyzer.capture import check_ports_free
    from analyzer.errors import LeakmapError

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        options = CaptureOptions(
            session="s", db="x.db", listen_host="127.0.0.1", listen_port=port,
            modes=tuple(m.format(port=port) for m in modes),
        )  # fmt: skip
        with pytest.raises(LeakmapError, match=f"TCP 127.0.0.1:{port}") as caught:
            check_ports_free(options)
    assert hint in str(caught.value)
