"""The device profile a capture stored with its session (``sessions.profile``, TOML text).

``capture --adb --profile auto`` reads the phone's profile when the session starts and stores
it here; a report without ``--profile`` then uses it (:func:`session_profile`).
"""

from __future__ import annotations

import tomllib
from typing import Any

from analyzer.errors import LeakmapError
from analyzer.profile import Profile, profile_from_dict


def save_session_profile(store: Any, session_name: str, toml_text: str) -> None:
    """Store ``toml_text`` (a valid profile) as the profile of session ``session_name``."""
    from sqlalchemy import update

    from analyzer.store.models import Session

    profile_from_dict(tomllib.loads(toml_text), source="stored profile")  # never store a bad one
    with store.engine.begin() as conn:
        done = conn.execute(
            update(Session).where(Session.name == session_name).values(profile=toml_text)
        )
    if done.rowcount != 1:
        raise LeakmapError(f"no session named {session_name!r} to store the profile with")


def session_profile(store: Any, session_name: str) -> Profile | None:
    """The profile stored with session ``session_name``, or None; LeakmapError if it is broken."""
    from sqlalchemy import select

    from analyzer.store.models import Session

    with store.engine.connect() as conn:
        text = conn.execute(select(Session.profile).where(Session.name == session_name)).scalar()
    if not text:
        return None
    try:
        return profile_from_dict(tomllib.loads(text), source=f"profile of session {session_name!r}")
    except tomllib.TOMLDecodeError as error:
        raise LeakmapError(
            f"the profile stored with {session_name!r} is not TOML: {error}"
        ) from None
