"""The documentation a user follows: complete, linked, and its examples valid."""

from __future__ import annotations

import re
import subprocess
import tomllib
from pathlib import Path

import pytest

from analyzer.profile import load_profile, profile_from_dict
from analyzer.vocabulary import PROPERTIES

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
_LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


def test_every_property_of_the_vocabulary_has_a_row_in_docs_properties() -> None:
    text = (ROOT / "docs" / "properties.md").read_text()
    rows = set(re.findall(r"^\| `(\w+)` \|", text, re.M))
    assert set(PROPERTIES) <= rows, sorted(set(PROPERTIES) - rows)
    assert rows <= set(PROPERTIES), sorted(rows - set(PROPERTIES))  # no stale names either


def test_the_example_profile_is_valid_and_uses_many_properties() -> None:
    profile = load_profile(ROOT / "examples" / "device.toml")
    assert profile.name and len(profile.known) >= 8


def test_the_profile_page_example_is_a_valid_profile() -> None:
    text = (ROOT / "docs" / "profile.md").read_text()
    example = re.search(r"```toml\n(.*?)```", text, re.S)
    assert example, "docs/profile.md has no TOML example"
    profile = profile_from_dict(tomllib.loads(example.group(1)))
    assert len(profile.known["imei"]) == 2  # a list of values, as the page says


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_relative_links_lead_to_files_that_exist(page: Path) -> None:
    for target in _LINK.findall(page.read_text()):
        if "://" in target or target.startswith("mailto:"):
            continue
        assert (page.parent / target).exists(), f"{page.name}: broken link {target}"


def test_no_file_refers_to_a_design_document_the_repository_does_not_have() -> None:
    found = subprocess.run(
        ["git", "grep", "-n", "-I", "DESIGN" + ".md", "--", ":!tests/test_docs.py"],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert found.stdout == "", found.stdout
