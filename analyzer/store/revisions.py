"""The newest schema revision, read from the migration files without Alembic or SQLAlchemy.

Every command that opens a store compares the database's stamp with this; Alembic's
``ScriptDirectory`` costs about 0.3 s of imports, so the files' own ``revision`` and
``down_revision`` lines are read instead (the form Alembic writes them in).
"""

from __future__ import annotations

import functools
import re
from importlib.resources import files

# A migration file's own identity, as Alembic writes it: revision = "0002", down_revision = "0001"
_REVISION = re.compile(r'^(down_revision|revision)\s*(?::[^=\n]*)?=\s*(?:"([^"]*)"|None)', re.M)


@functools.cache
def head_revision() -> str:
    """The newest schema revision (e.g. ``"0003"``): the one revision no other file names as its
    ``down_revision``. Falls back to Alembic where the files do not name exactly one head."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (files("analyzer") / "migrations" / "versions").iterdir():
        if not path.name.endswith(".py") or path.name.startswith("_"):
            continue
        for key, value in _REVISION.findall(path.read_text(encoding="utf-8")):
            if value:
                (revisions if key == "revision" else parents).add(value)
    heads = revisions - parents
    if len(heads) == 1:
        return heads.pop()
    from alembic.script import ScriptDirectory

    head = ScriptDirectory(str(files("analyzer") / "migrations")).get_current_head()
    assert head is not None
    return head
