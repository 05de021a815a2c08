"""Summarise one session: findings joined with flows, geography, owners, a policy and steps.

:func:`build_report` wires the store, the detector, GeoIP, the owner map, a policy and the
session's marks together and returns the ``leakmap.report/2`` dict: the contract's
``findings``, ``destinations``, ``by_country``, ``tls_failures``, ``session``, ``geoip`` and
``steps``, plus ``by_owner_country``, ``by_step``, ``consent``, ``placeholders``, ``methods``,
``headline`` and what the HTML page needs (``matrix``, ``owner_matrix``, ``evidence``,
``plaintext``, ``first_left``).

The parts, each usable alone:

- :mod:`.summariser`: ``Summariser``, the pure accumulator (no database, no files);
- :mod:`.views`: property x place matrices and per-place tallies from finding rows (the
  building blocks of the report's matrix and map, and of the live page);
- :mod:`.steps`: steps from marks, the consent rule, per-step summaries;
- :mod:`.headline`: the answer in numbers and sentences;
- :mod:`.evidence`: masked example requests and evidence sections;
- :mod:`.delivery`: whether a request reached its server;
- :mod:`.words`: country and property names for sentences;
- :mod:`.build`: ``build_report``, and which device profile it searches for.
"""

from __future__ import annotations

from analyzer.summary.build import SUMMARY_COLUMNS, build_report, resolve_profile
from analyzer.summary.common import LOCAL, OLD_SCHEMAS, SCHEMA, UNKNOWN, is_counted, place_key
from analyzer.summary.evidence import EXAMPLES_PER_GROUP
from analyzer.summary.steps import CONSENT_RULE, consent_decision, plan_steps
from analyzer.summary.summariser import Summariser
from analyzer.summary.views import by_owner_country, linked_matrix, matrix, properties_by_place

__all__ = [
    "CONSENT_RULE",
    "EXAMPLES_PER_GROUP",
    "LOCAL",
    "OLD_SCHEMAS",
    "SCHEMA",
    "SUMMARY_COLUMNS",
    "UNKNOWN",
    "Summariser",
    "build_report",
    "by_owner_country",
    "consent_decision",
    "is_counted",
    "linked_matrix",
    "matrix",
    "place_key",
    "plan_steps",
    "properties_by_place",
    "resolve_profile",
]
