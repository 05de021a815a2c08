"""Command-line mistakes are one line naming the command's --help, with exit code 2."""

from __future__ import annotations

import pytest

from analyzer.cli import main


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["import", "x.har"], "missing option '--session' (see: leakmap import --help)"),
        (["import", "--session", "s"], "missing argument 'files' (see: leakmap import --help)"),
        (["report", "s", "--workers", "0"], "invalid value for '--workers'"),
        (["diff", "a", "b", "--format", "csv"], "'csv' is not one of 'html', 'json'"),
        (["frobnicate"], "no such command 'frobnicate' (see: leakmap --help)"),
        (["sessions", "--no-such-option"], "no such option"),
    ],
)
def test_usage_errors_are_one_line(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("leakmap: error: "), err
    assert message in err


def test_leakmap_alone_prints_the_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Usage: leakmap") and "capture" in out


def test_help_still_exits_zero(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", "--help"]) == 0
    assert "Usage: leakmap report" in capsys.readouterr().out
