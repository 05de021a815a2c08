"""The transform-chain evaluation: what it generates is what it claims, and its figures hold."""

from __future__ import annotations

import base64
import hashlib
import random

import pytest

from analyzer.detect import chain_eval
from analyzer.detect.chain_eval import DECOYS, HASH_DECOYS, KINDS, NORMS, PROFILE, hide


@pytest.mark.parametrize(("kind", "in_grammar"), KINDS)
def test_a_chain_has_the_steps_of_its_kind(kind: str, in_grammar: bool) -> None:
    rng = random.Random(5)
    for prop, value in PROFILE.items():
        hidden = hide(rng, kind, prop, value)
        assert hidden.kind == kind and hidden.prop == prop
        assert len(hidden.chain.split(">")) == len(kind.split(">"))
        assert hidden.text and hidden.text != value


def test_a_hash_chain_is_what_it_names() -> None:
    rng = random.Random(1)
    for _ in range(20):
        hidden = hide(rng, "hash>hash", "email", PROFILE["email"])
        first, second = hidden.chain.split(">")
        inner = chain_eval._HASHES[first](PROFILE["email"].encode()).hex()
        assert hidden.text == chain_eval._HASHES[second](inner.encode()).hex()
        # Inside the grammar, nested hashes are the usual ones.
        assert first in chain_eval._USUAL and second in chain_eval._USUAL


def test_norms_apply_to_decoys_too() -> None:
    assert NORMS["phoneNumber"]["national"]("+48 601 243 567") == "601243567"
    assert NORMS["personName"]["first"]("Tomek Wrobel") == "tomek"
    rng = random.Random(3)
    decoy = hide(rng, "norm>hash", "macAddress", DECOYS["macAddress"][0])
    assert decoy.text not in {
        hashlib.new(name, form.encode()).hexdigest()
        for name in ("md5", "sha1", "sha256")
        for form in (f(PROFILE["macAddress"]) for f in NORMS["macAddress"].values())
    }


def test_decoys_never_contain_the_value_or_share_a_spelling() -> None:
    for prop, decoys in DECOYS.items():
        value = PROFILE[prop]
        spellings = {value.lower()} | {f(value).lower() for f in NORMS[prop].values()}
        for decoy in decoys:
            decoy_spellings = {decoy.lower()} | {f(decoy).lower() for f in NORMS[prop].values()}
            assert value.lower() not in decoy.lower()
            assert not spellings & decoy_spellings, (prop, decoy)
    assert set(HASH_DECOYS) <= set(PROFILE)


def test_the_evaluation_prints_its_table_and_finds_no_decoy() -> None:
    lines: list[str] = []
    result = chain_eval.run(lines.append, seed=7, per_kind=6)
    assert lines[0].startswith("Known values under transform chains")
    assert {kind for kind, _ in KINDS} == set(result["kinds"])
    assert all(row["labels"] == 6 for row in result["kinds"].values())
    assert result["precision"] == 1.0, result["false"]
    assert result["recall_in_grammar"] >= 0.9, result["misses"]
    # Chains outside the grammar are mostly not found, and the table says so.
    assert result["recall_outside"] < 0.5
    assert any("outside the grammar" in line for line in lines)
    # Where values are fields (not free text), everything inside the grammar is found.
    assert all(recall == 1.0 for place, recall in result["places"].items() if place != "text")


def test_base64_digest_renderings_in_the_evaluation_are_real_base64() -> None:
    rng = random.Random(11)
    for _ in range(30):
        hidden = hide(rng, "hash>render", "imei", PROFILE["imei"])
        name, render = hidden.chain.split(">")
        digest = chain_eval._HASHES[name](PROFILE["imei"].encode())
        if render == "base64":
            assert base64.b64decode(hidden.text) == digest
