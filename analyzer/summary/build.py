"""Wiring: store + detector + GeoIP + owners + policy + marks -> the report dict of a session."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from analyzer.errors import LeakmapError
from analyzer.summary.common import PolicyLike, Progress
from analyzer.summary.summariser import Summariser

if TYPE_CHECKING:
    from analyzer.profile import Profile
    from analyzer.store import Store

# What Summariser.add_flow reads of a flow: no bodies (they are the bulk of a stored row).
SUMMARY_COLUMNS = (
    "id",
    "host",
    "sni",
    "server_ip",
    "scheme",
    "method",
    "url",
    "timestamp_start",
    "request_headers",
    "request_body_size",
    "websocket",
    "status_code",
    "error",
    "client_ip",
)


def build_report(
    store: Store,
    session_name: str,
    *,
    profile: Any = None,
    geoip_db: str | Path | None = None,
    asn_db: str | Path | None = None,
    policy: Any = None,
    show_values: bool = False,
    progress: Progress | None = None,
    workers: int = 1,
) -> dict[str, Any]:
    """The report dict of one session (``leakmap.report/2``, see :mod:`analyzer.summary`).

    ``profile`` is a loaded :class:`~analyzer.profile.Profile`, a path to its TOML, or None: then
    the profile stored with the session (``capture --profile auto``) is used, if there is one.
    ``policy`` is a loaded policy (anything with ``allows`` and ``name``), a path or a shipped
    policy name. ``progress(stage, count)`` is called now and then while flows stream.
    ``workers`` > 1 analyses a big session in that many processes (the CLI's default: the
    cores; a library caller opts in, as worker processes re-import a script's main module).
    Raises :class:`~analyzer.errors.LeakmapError` for an unknown session, a bad profile or
    policy, or a stored profile that does not parse.
    """
    from analyzer.detect import mask_value
    from analyzer.detect.cache import findings_for_session
    from analyzer.geo import GeoResolver
    from analyzer.owners import OwnerMap
    from analyzer.store.marks import marks

    info = store.session(session_name)
    profile, profile_facts = resolve_profile(store, info, profile)
    policy = load_policy_arg(policy)  # before the long part: a bad policy fails at once
    geo = GeoResolver(geoip_db, asn_db)

    def detected(count: int) -> None:
        if progress and count % 5000 == 0:
            progress("detect", count)

    findings, notes = findings_for_session(store, info, profile, progress=detected, workers=workers)
    summariser = Summariser(
        info,
        geo=geo,
        owners=OwnerMap.load(),
        policy=policy,
        show_values=show_values,
        mask=mask_value,
        marks=[(m.label, m.at) for m in marks(store, info.id)],
    )
    summariser.add_findings(findings)
    del findings
    for count, flow in enumerate(store.iter_flows(info.id, SUMMARY_COLUMNS), 1):
        summariser.add_flow(flow)
        if progress and count % 5000 == 0:
            progress("flows", count)
    for message in store.websocket_messages(info.id):
        summariser.add_websocket_message(message)
    for failure in store.tls_failures(info.id):
        summariser.add_tls_failure(failure)
    for connection in store.connections(info.id):
        summariser.add_connection(connection)
    session_notes = [line.strip() for line in (info.notes or "").splitlines() if line.strip()]
    return summariser.result(
        geoip=geo.describe(),
        notes=[*session_notes, *(str(n) for n in notes)],
        methods={"profile": profile_facts},
    )


def resolve_profile(store: Store, info: Any, profile: Any) -> tuple[Profile | None, dict[str, Any]]:
    """The profile to search for, and what Methods says about it.

    ``profile`` given (a Profile or a path) wins; else the profile stored with the session;
    else none. The facts: ``{"source": "option" | "stored" | None, "name", "values", "path"}``.
    """
    from analyzer.profile import Profile, load_profile

    if isinstance(profile, str | Path):
        path = Path(profile)
        loaded = load_profile(path)
        return loaded, _facts("option", loaded, str(path))
    if isinstance(profile, Profile):
        return profile, _facts("option", profile, None)
    if profile is not None:
        raise LeakmapError(f"not a device profile: {type(profile).__name__}")
    # A capture with --profile auto stored the phone's own profile (analyzer.device.stored).
    from analyzer.device.stored import session_profile

    stored = session_profile(store, info.name)
    if stored is None:
        return None, {"source": None, "name": None, "values": 0, "path": None}
    return stored, _facts("stored", stored, None)


def load_policy_arg(policy: Any) -> PolicyLike | None:
    """A policy object as it is, or one loaded from a path or shipped name; None stays None."""
    if policy is None or hasattr(policy, "allows"):
        return policy
    from analyzer.policy import load_policy

    return load_policy(policy)


def _facts(source: str, profile: Profile, path: str | None) -> dict[str, Any]:
    return {"source": source, "name": profile.name or None, "values": len(profile), "path": path}
