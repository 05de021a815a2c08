"""docker-compose.yml and the Dockerfile, by behaviour.

No Docker engine runs here, so the proxy service's command runs as its container would run it:
the Dockerfile's entry point, the compose command and environment, leakmap's own argument
parsing, in a network namespace of its own (``unshare --net``, as Docker gives each container).
The test then reads which ports the process really listens on: they must be the ports the
compose file publishes and the Dockerfile exposes.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
import typer
from ruamel.yaml import YAML

from analyzer.cli import _register, app
from analyzer.store import Store
from tests.support.capture import LEAKMAP
from tests.support.net import wait_for

ROOT = Path(__file__).resolve().parent.parent
_register()
CLI = typer.main.get_command(app)
_LISTENING = {"tcp": "0A", "udp": "07"}  # /proc/net state: TCP_LISTEN; UDP unconnected (bound)


def _substitute(value: str, variables: dict[str, str]) -> str:
    """Compose's ``${VAR:-default}``: the variable when set and not empty, else the default."""
    return re.sub(r"\$\{(\w+):-([^}]*)\}", lambda m: variables.get(m.group(1)) or m.group(2), value)


def _compose() -> dict[str, Any]:
    return dict(YAML(typ="safe").load((ROOT / "docker-compose.yml").read_text()))


def _service_command(service: str, variables: dict[str, str]) -> list[str]:
    return [
        _substitute(str(part), variables) for part in _compose()["services"][service]["command"]
    ]


def _published(service: str) -> set[tuple[str, int]]:
    """(transport, container port) of the service's ``ports`` ("8080:8080/tcp", "51820/udp")."""
    found = set()
    for entry in _compose()["services"][service]["ports"]:
        mapping, _, transport = str(entry).partition("/")
        found.add((transport or "tcp", int(mapping.rsplit(":", 1)[-1])))
    return found


def _dockerfile() -> str:
    return (ROOT / "Dockerfile").read_text()


def _exposed() -> set[tuple[str, int]]:
    found = set()
    for line in re.findall(r"^EXPOSE\s+(.+)$", _dockerfile(), re.M):
        for item in line.split():
            port, _, transport = item.partition("/")
            found.add((transport or "tcp", int(port)))
    return found


def _exec_form(instruction: str) -> list[str]:
    match = re.search(rf"^{instruction}\s+(\[.*\])\s*$", _dockerfile(), re.M)
    assert match, f"Dockerfile has no {instruction} in exec form"
    return list(json.loads(match.group(1)))


def _sockets(pid: int) -> set[tuple[str, int]]:
    """(transport, port) listened on in the process's network namespace (it holds only it)."""
    found = set()
    for transport, state in _LISTENING.items():
        for table in (transport, f"{transport}6"):
            lines = Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]
            for fields in (line.split() for line in lines):
                if fields[3] == state:
                    found.add((transport, int(fields[1].rsplit(":", 1)[1], 16)))
    return found


def _in_own_network() -> list[str]:
    if os.geteuid() == 0:
        return ["unshare", "--net"]
    return ["unshare", "--map-root-user", "--net"]


def _entrypoint() -> list[str]:
    """The image's ENTRYPOINT, with the console script of this checkout in place of `leakmap`."""
    entrypoint = _exec_form("ENTRYPOINT")
    assert entrypoint[0] == "leakmap"
    return [LEAKMAP, *entrypoint[1:]]


def test_proxy_service_listens_on_the_ports_it_publishes_and_stops_cleanly(
    tmp_path: Path,
) -> None:
    variables = {"LEAKMAP_SESSION": "lab-phone-3", "LEAKMAP_ADVERTISE_HOST": "192.0.2.10"}
    service = _compose()["services"]["proxy"]
    env = {**os.environ, "HOME": str(tmp_path)}  # the image user's home: ~/.mitmproxy
    env.update({k: _substitute(str(v), variables) for k, v in service["environment"].items()})
    # No PostgreSQL in the namespace; the lab's PostgreSQL is tested in test_lab.py.
    env["LEAKMAP_DB"] = str(tmp_path / "lab.db")
    output = tmp_path / "proxy.log"
    with output.open("wb") as log:
        process = subprocess.Popen(
            [*_in_own_network(), *_entrypoint(), *_service_command("proxy", variables)],
            cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:

            def started() -> bool:
                if process.poll() is not None:
                    raise AssertionError(output.read_text())
                return b"Ctrl-C ends the session" in output.read_bytes()

            wait_for(started)
            listening = _sockets(process.pid)
        finally:
            process.send_signal(getattr(signal, service["stop_signal"]))
            started_stop = time.monotonic()
            process.wait(timeout=60)
    text = output.read_text()
    assert process.returncode == 0, text
    assert time.monotonic() - started_stop < int(str(service["stop_grace_period"]).rstrip("s"))
    assert _published("proxy") == _exposed()  # what the image exposes is what compose publishes
    assert _published("proxy") <= listening, text
    assert ("udp", 8080) not in listening  # WireGuard no longer follows --listen-port
    assert "WireGuard endpoint the phone connects to: 192.0.2.10:51820 (UDP)" in text
    assert "192.0.2.10:8080" in text  # the HTTP proxy address printed for the phone
    with Store(env["LEAKMAP_DB"]) as store:
        session = store.session("lab-phone-3")
        assert session.ended_at is not None  # SIGINT let the recorder drain and end the session


@pytest.mark.parametrize("service", ["proxy", "report"])
def test_compose_commands_parse_with_the_cli(service: str) -> None:
    name, *args = _service_command(service, {})
    assert name in CLI.commands, f"{service}: no command {name!r}"
    # Parsing with the real command fails on an unknown option or a bad value.
    context = CLI.commands[name].make_context(name, list(args), resilient_parsing=False)
    assert context.params


def test_dockerfile_entrypoint_and_default_command_run() -> None:
    result = subprocess.run(
        [*_entrypoint(), *_exec_form("CMD")], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert "capture" in result.stdout and "report" in result.stdout


def test_compose_keeps_the_ca_and_reports_in_volumes() -> None:
    proxy = _compose()["services"]["proxy"]
    home = re.search(r"useradd .*?(\w+)\s*$", _dockerfile(), re.M)
    assert home, "Dockerfile creates no user"
    targets = {str(volume).split(":")[1] for volume in proxy["volumes"]}
    assert f"/home/{home.group(1)}/.mitmproxy" in targets  # phones stay trusted across restarts
    assert "/app/reports" in targets
