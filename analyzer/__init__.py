"""leakmap's library: store, geo, decode, detect, report, diff (see docs/ and README.md)."""

from __future__ import annotations


def __getattr__(name: str) -> str:
    # ``__version__`` on first use: importlib.metadata costs more than a ``--help`` should.
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            found = version("leakmap")
        except PackageNotFoundError:  # running from a source tree that is not installed
            found = "0+unknown"
        globals()["__version__"] = found
        return found
    raise AttributeError(f"module 'analyzer' has no attribute {name!r}")
