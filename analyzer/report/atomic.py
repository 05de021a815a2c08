"""Write a file whole or not at all: a temporary file beside the target, renamed over it."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from analyzer.errors import LeakmapError

OWN_FOLDER = Path("reports")  # the one folder leakmap creates itself (the default output)


def check_folder(path: Path) -> None:
    """Raise LeakmapError (one line) when ``path``'s folder does not exist and is not
    :data:`OWN_FOLDER`: an output path given by hand must point into an existing folder (a
    mistyped path never creates folders elsewhere). Call it before long work."""
    parent = Path(path).parent
    if parent != OWN_FOLDER and not parent.is_dir():
        what = "is not a folder" if parent.exists() else "does not exist"
        raise LeakmapError(f"cannot write {path}: {parent} {what}")


@contextlib.contextmanager
def atomic_output(path: Path, *, binary: bool = False, private: bool = False) -> Iterator[IO]:
    """Yield a file to write; on success it replaces ``path``, on any error it vanishes.

    ``private`` keeps the file readable by its owner only (reports with values, HAR files:
    personal data); otherwise the usual umask applies, as for any file the user creates.
    The folder must exist, except :data:`OWN_FOLDER`, created on first use
    (:func:`check_folder`); LeakmapError otherwise and for any write error.
    """
    path = Path(path)
    check_folder(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    except OSError as error:
        raise LeakmapError(f"cannot write {path}: {error.strerror or error}") from None
    try:
        if not private:
            umask = os.umask(0)
            os.umask(umask)
            os.fchmod(fd, 0o666 & ~umask)
        mode = "wb" if binary else "w"
        with os.fdopen(fd, mode, **({} if binary else {"encoding": "utf-8", "newline": ""})) as out:
            yield out
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, path)
    except OSError as error:
        _remove(temp)
        raise LeakmapError(f"cannot write {path}: {error.strerror or error}") from None
    except BaseException:
        _remove(temp)
        raise


def _remove(temp: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(temp)
