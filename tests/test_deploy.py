"""docker-compose.yml and the Dockerfile: no Docker engine runs here, so check what can be checked:
the compose file parses, and every command it runs exists in the CLI with those options."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
import typer
from ruamel.yaml import YAML

from analyzer.cli import _register, app

ROOT = Path(__file__).resolve().parent.parent
_register()
CLI = typer.main.get_command(app)


def _substitute(value: str) -> str:
    """Compose's ${VAR:-default} with the defaults (no variables are set in the test)."""
    return re.sub(r"\$\{(\w+):-([^}]*)\}", lambda m: os.environ.get("_UNSET_", m.group(2)), value)


def _compose() -> dict:  # type: ignore[type-arg]
    return YAML(typ="safe").load((ROOT / "docker-compose.yml").read_text())


def test_compose_has_proxy_postgres_and_report_services() -> None:
    services = _compose()["services"]
    assert {"proxy", "postgres", "report"} <= set(services)
    proxy = services["proxy"]
    assert "8080:8080/tcp" in proxy["ports"] and "51820:51820/udp" in proxy["ports"]
    mounts = " ".join(proxy["volumes"])
    assert ".mitmproxy" in mounts and "reports" in mounts
    assert proxy["environment"]["LEAKMAP_DB"].startswith("postgresql+psycopg://")
    assert proxy["stop_signal"] == "SIGINT"  # lets the recorder drain and end the session


@pytest.mark.parametrize("service", ["proxy", "report"])
def test_compose_commands_exist_in_the_cli_with_those_options(service: str) -> None:
    command = [_substitute(str(part)) for part in _compose()["services"][service]["command"]]
    name, *args = command
    assert name in CLI.commands, f"{service}: no command {name!r}"
    # Parsing the arguments with the real command fails on an unknown option or a bad value.
    context = CLI.commands[name].make_context(name, list(args), resilient_parsing=False)
    given = {arg for arg in args if arg.startswith("-")}
    params = CLI.commands[name].params
    known = {opt for p in params for opt in (*p.opts, *p.secondary_opts)}
    assert given <= known
    assert context.params


def test_dockerfile_installs_the_project_and_runs_leakmap() -> None:
    text = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.1[2-9]", text, re.M)
    assert "pip install '.[postgres]'" in text
    assert 'ENTRYPOINT ["leakmap"]' in text
    assert "EXPOSE 8080/tcp 51820/udp" in text
    for copied in ("addons", "analyzer", "pyproject.toml"):
        assert copied in text
