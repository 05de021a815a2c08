"""leakmap's library: store, geo, decode, detect, report, diff (see DESIGN.md for the data flow)."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("leakmap")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0+unknown"
