"""The README's commands work as written, in a fresh clone of this repository.

A new user typed the README's commands and met ``leakmap: command not found``. This test clones
the working tree (``git clone``, then the working tree's uncommitted and new files on top, so it
tests what is about to be committed), and runs every command of the README's ``sh`` blocks in
order, in one shell, with ``set -euo pipefail``: the set-up, the PATH step, the examples. Only
commands that need a phone, Docker or the whole suite are left out (``SKIP``, with reasons).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SKIP = {
    "make run": "captures from a phone until Ctrl-C",
    "make test": "the whole test suite, of which this test is a part",
    "leakmap capture": "needs a phone",
    "leakmap device": "needs a phone on adb",
    "docker": "needs a Docker engine",
}
_BLOCK = re.compile(r"^```sh\n(.*?)^```", re.S | re.M)


def readme_commands(text: str) -> list[str]:
    """The commands of the ``sh`` blocks, in order (continued lines joined, comments kept)."""
    commands: list[str] = []
    for block in _BLOCK.findall(text):
        for line in block.replace("\\\n", " ").splitlines():
            if line.strip() and not line.lstrip().startswith("#"):
                commands.append(line.strip())
    return commands


def skipped_because(command: str) -> str | None:
    return next((why for prefix, why in SKIP.items() if command.startswith(prefix)), None)


@dataclass
class Clone:
    path: Path
    env: dict[str, str]
    result: subprocess.CompletedProcess[str]


def _clone(target: Path) -> None:
    subprocess.run(["git", "clone", "-q", str(ROOT), str(target)], check=True, timeout=300)
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT, capture_output=True, check=True, timeout=60,
    ).stdout.decode().split("\0")  # fmt: skip
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
        elif not source.exists():  # deleted in the working tree
            (target / name).unlink(missing_ok=True)


def _user_environment() -> dict[str, str]:
    """A shell like a new user's: no virtual environment active, nothing of this checkout on
    PATH, no LEAKMAP_* settings. (The home folder stays: scripts/find-python looks for pyenv's
    Pythons there, and none of the README's commands writes to it.)"""
    path = [p for p in os.environ.get("PATH", "").split(os.pathsep) if str(ROOT) not in p]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LEAKMAP_", "VIRTUAL_ENV"))}
    env.update(PATH=os.pathsep.join(path), PYTHONDONTWRITEBYTECODE="1")
    return env


@pytest.fixture(scope="module")
def clone(tmp_path_factory: pytest.TempPathFactory) -> Clone:
    path = tmp_path_factory.mktemp("readme") / "leakmap"
    _clone(path)
    env = _user_environment()
    assert shutil.which("leakmap", path=env["PATH"]) is None  # as on a new machine
    lines = ["set -euo pipefail", "trap 'echo \"README command failed: $BASH_COMMAND\" >&2' ERR"]
    for command in readme_commands((path / "README.md").read_text()):
        why = skipped_because(command)
        lines.append(f"# skipped ({why}): {command}" if why else command)
    result = subprocess.run(
        ["bash", "-c", "\n".join(lines)],
        cwd=path, env=env, capture_output=True, text=True, timeout=1800,
    )  # fmt: skip
    return Clone(path, env, result)


def test_readme_commands_succeed_as_written_in_a_fresh_clone(clone: Clone) -> None:
    result = clone.result
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert re.search(r"^leakmap \d+\.\d+", result.stdout, re.M)  # `leakmap --version` ran
    assert "sample-1.0" in result.stdout and "sample-1.1" in result.stdout  # `leakmap sessions`
    assert (clone.path / "reports" / "sample-1.1.html").stat().st_size > 10_000


def test_readme_examples_show_what_the_prose_says(clone: Clone) -> None:
    out = clone.result.stdout
    assert "countries: +SG" in out  # the diff: version 1.1 started to send to Singapore
    assert '"CN"' in out and "imei" in out  # `jq .by_country`: the IMEI went to China
    assert "looked up as 203.119.129.47" in out  # the NAT64 lookup


def test_make_install_links_leakmap_into_a_bin_folder(clone: Clone, tmp_path: Path) -> None:
    prefix = tmp_path / "prefix"
    make = ["make", "-s", "install", f"PREFIX={prefix}"]
    installed = subprocess.run(make, cwd=clone.path, env=clone.env, capture_output=True,
                               text=True, timeout=600)  # fmt: skip
    assert installed.returncode == 0, installed.stderr
    link = prefix / "bin" / "leakmap"
    assert link.is_symlink() and link.resolve() == (clone.path / ".venv/bin/leakmap").resolve()
    assert "is not on your PATH" in installed.stdout  # says how to add it
    version = subprocess.run([str(link), "--version"], cwd=tmp_path, env=clone.env,
                             capture_output=True, text=True, timeout=120)  # fmt: skip
    assert version.returncode == 0 and version.stdout.startswith("leakmap ")
    subprocess.run(["make", "-s", "uninstall", f"PREFIX={prefix}"], cwd=clone.path, check=True,
                   env=clone.env, timeout=120)  # fmt: skip
    assert not link.exists()


@pytest.mark.parametrize(
    ("command", "reason"),
    [("make run SESSION=x", "captures from a phone until Ctrl-C"),
     ("leakmap capture --session x", "needs a phone"), ("leakmap sessions", None),
     ("docker compose up -d proxy", "needs a Docker engine")],
)  # fmt: skip
def test_only_commands_that_need_a_phone_docker_or_hours_are_left_out(
    command: str, reason: str | None
) -> None:
    assert skipped_because(command) == reason


def test_readme_blocks_are_parsed_with_continued_lines() -> None:
    text = "x\n```sh\nleakmap a \\\n  --b c   # note\n# only a comment\n```\n```\nnot sh\n```\n"
    assert readme_commands(text) == ["leakmap a    --b c   # note"]
