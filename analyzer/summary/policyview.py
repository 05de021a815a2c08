"""A policy's word on places and findings, as the report states it."""

from __future__ import annotations

from typing import Any

from analyzer.summary.common import LOCAL, UNKNOWN, PolicyLike, is_counted


class PolicyView:
    """``allowed(place)`` and ``condition(place)`` for place keys (ISO code, ``local``,
    ``unknown``); both None without a policy. A local server is no transfer abroad: allowed.
    ``condition`` is the text of a policy's condition on a country (e.g. the EU-US Data Privacy
    Framework's "only certified organisations"), read from the policy's optional
    ``condition(country)``."""

    def __init__(self, policy: PolicyLike | None) -> None:
        self.policy = policy
        # A session has a few dozen places and up to millions of findings: ask once per place.
        self._allowed: dict[str, bool | None] = {}
        self._conditions: dict[str, str | None] = {}

    def __bool__(self) -> bool:
        return self.policy is not None

    def allowed(self, key: str) -> bool | None:
        """Whether the policy allows a place (None without a policy; local: True)."""
        if self.policy is None:
            return None
        if key not in self._allowed:
            self._allowed[key] = (
                True if key == LOCAL else bool(self.policy.allows(None if key == UNKNOWN else key))
            )
        return self._allowed[key]

    def condition(self, key: str) -> str | None:
        """The policy's condition on a country, or None (no condition, no policy, not a country)."""
        if key not in self._conditions:
            condition = getattr(self.policy, "condition", None)
            self._conditions[key] = (
                None if not callable(condition) or key in (LOCAL, UNKNOWN) else condition(key)
            )
        return self._conditions[key]

    def describe(self, findings: list[dict[str, Any]]) -> dict[str, Any] | None:
        """The report's ``policy`` block: the policy, and how many counted findings went
        outside it, to countries it does not know, and to countries it allows on a condition
        (with the owners and hosts there, whose status a reader has to check)."""
        if self.policy is None:
            return None
        counted = [f for f in findings if is_counted(f)]
        outside = [f for f in counted if f["allowed"] is False]
        conditional = [f for f in counted if f.get("condition")]
        described = getattr(self.policy, "as_dict", None)
        return {
            **(described() if callable(described) else {}),
            "name": self.policy.name,
            "findings_outside": len(outside),
            "countries_outside": sorted({f["country"] for f in outside if f["country"]}),
            "findings_unknown_country": sum(
                1 for f in counted if f["country"] is None and not f.get("local")
            ),
            "findings_conditional": len(conditional),
            "conditional": [
                {
                    "country": code,
                    "condition": self.condition(code),
                    "findings": sum(1 for f in conditional if f["country"] == code),
                    "owners": sorted(
                        {f["owner"] for f in conditional if f["country"] == code and f["owner"]}
                    ),
                    "hosts": sorted({f["host"] for f in conditional if f["country"] == code}),
                    "hosts_without_owner": sorted(
                        {f["host"] for f in conditional if f["country"] == code and not f["owner"]}
                    ),
                }
                for code in sorted({f["country"] for f in conditional})
            ],
        }
