#!/usr/bin/env python3
"""Rebuild ``analyzer/data/locale/locale.json``: language codes and names, regions, zone names.

    .venv/bin/pip install babel tzdata && .venv/bin/python scripts/build_locale_data.py

Sources: the Unicode CLDR as packaged by Babel (language and region codes, language names in
English and in the language itself, the short names of time zones in every locale, e.g. German
"MEZ"/"MESZ"; Unicode License v3, see ``LICENSE-CLDR.txt``) and the IANA time zone database as
packaged by tzdata (the abbreviations each zone has used since 1970, "CET", "CEST", "PDT";
public domain). Babel is needed only here; leakmap reads the JSON at run time.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import zoneinfo
from pathlib import Path

import babel
from babel import Locale
from babel.localedata import locale_identifiers

OUT = Path(__file__).resolve().parent.parent / "analyzer" / "data" / "locale" / "locale.json"
_ABBREVIATION = re.compile(r"[A-Z][A-Za-z]{1,5}")


def _zone_abbreviations() -> set[str]:
    out: set[str] = set()
    moments = [
        dt.datetime(year, month, 15, 12, tzinfo=dt.UTC)
        for year in range(1970, 2031)
        for month in (1, 4, 7, 10)
    ]
    for name in zoneinfo.available_timezones():
        zone = zoneinfo.ZoneInfo(name)
        for moment in moments:
            label = moment.astimezone(zone).tzname() or ""
            if _ABBREVIATION.fullmatch(label):
                out.add(label)
    return out


def _cldr_short_zone_names() -> set[str]:
    out: set[str] = set()
    for identifier in locale_identifiers():
        for names in Locale.parse(identifier).meta_zones.values():
            for variant in names.get("short", {}).values():
                if _ABBREVIATION.fullmatch(variant):
                    out.add(variant)
    return out


def main() -> None:
    english = Locale("en")
    names: set[str] = {name.lower() for name in english.languages.values()}
    for identifier in locale_identifiers():
        locale = Locale.parse(identifier)
        if locale.language_name:
            names.add(locale.language_name.lower())
    data = {
        "about": (
            "Built by scripts/build_locale_data.py from Unicode CLDR via Babel "
            f"{babel.__version__} (Unicode License v3, LICENSE-CLDR.txt) and the IANA tz "
            "database via zoneinfo/tzdata (public domain)."
        ),
        "languages": sorted(code for code in english.languages if "_" not in code),
        "language_names": sorted(names),
        "regions": sorted(code for code in english.territories if code.isalpha()),
        "zone_abbreviations": sorted(_zone_abbreviations() | _cldr_short_zone_names()),
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(data, ensure_ascii=False, indent=0) + "\n", "utf-8")
    print({key: len(value) for key, value in data.items() if isinstance(value, list)}, "->", OUT)


if __name__ == "__main__":
    main()
