"""The live page: one HTML document (built once) and its script and styles, served as files.

The page reuses the report's parts: the Jinja environment (autoescape on), the world map
geometry and shading buckets of :mod:`analyzer.report.html`, and the report's ``base.css`` and
``report.css``. Its own ``live.js`` and ``live.css`` draw what the server sends: through
``textContent`` and ``createElement`` only, so captured text can never become markup.
"""

from __future__ import annotations

import json
import math
from importlib import resources

from analyzer import __version__

QUICK_STEPS = ("consent shown", "consent refused", "consent accepted", "login", "logout")
ASSETS = {
    "base.css": "text/css; charset=utf-8",
    "report.css": "text/css; charset=utf-8",
    "live.css": "text/css; charset=utf-8",
    "live.js": "text/javascript; charset=utf-8",
}


def render_live_page(session_name: str) -> bytes:
    """The page's HTML (UTF-8) for the session called ``session_name``."""
    from analyzer.report.html import BUCKETS, environment, world_map

    world = world_map({"by_country": {}})
    buckets = [[low, None if high == math.inf else high] for low, high in BUCKETS]
    text = (
        environment()
        .get_template("live.html.j2")
        .render(
            session=session_name,
            world=world,
            quick_steps=QUICK_STEPS,
            buckets=json.dumps(buckets),
            tool_version=__version__,
        )
    )
    return text.encode("utf-8")


def live_assets() -> dict[str, tuple[bytes, str]]:
    """The files the page loads: name -> (bytes, content type)."""
    folder = resources.files("analyzer").joinpath("report", "assets")
    return {name: (folder.joinpath(name).read_bytes(), kind) for name, kind in ASSETS.items()}
