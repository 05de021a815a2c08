"""leakmap eval: leave-one-vendor-out folds, the provenance check of rule words, held-out sets."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from analyzer.decode import decode_flow
from analyzer.detect.aliases import build_table, rules_for_field, table, using_table
from analyzer.detect.corpus_sdkdocs import load_sdk_docs, sdk_docs_corpus
from analyzer.detect.corpus_trackers import key_paths_by_vendor, load_examples
from analyzer.detect.evaluate import evaluate, leave_one_vendor_out
from analyzer.detect.provenance import (
    fold_words,
    independent_words,
    key_words,
    rule_words,
    unjustified,
    words_of_name,
)

# Invented examples in tweasel's format: two vendors share "carrier"; only "acme" uses "cn".
EXAMPLES = {
    "acme/track": {
        "carrier/body/cn": ["Orange F", "Telia"],
        "osname/body/os": ["android", "ios"],
        "osversion/body/osv": ["13", "17.2"],
        "model/body/device.model": ["SM-A546B", "iPhone15,3"],
    },
    "zenith/events": {
        "carrier/body/device.carrier": ["Vodafone", "Telstra"],
        "osversion/body/device.os_version": ["14", "17.4.1"],
    },
}


def test_words_of_a_name_keep_abbreviations_and_what_they_stand_for() -> None:
    words = words_of_name("device.osv", table().lexicon)
    assert {"device", "osv", "os", "version"} <= words


def test_a_word_only_the_left_out_vendor_uses_is_a_leak_and_is_dropped() -> None:
    rules = table()
    independent = set(independent_words(rules))
    keys = {v: key_words(p, rules) for v, p in key_paths_by_vendor(EXAMPLES).items()}
    acme = fold_words(rules, independent, keys, "acme")
    zenith = fold_words(rules, independent, keys, "zenith")
    assert "cn" in acme.leaks and "cn" in acme.dropped  # only acme's keys justify "cn"
    assert "cn" not in zenith.dropped  # acme, a training vendor of zenith's fold, uses it
    assert "carrier" not in acme.dropped  # name_sources.toml justifies it
    with using_table(build_table(without=acme.dropped)):
        assert rules_for_field("cn", "") is None
    assert rules_for_field("cn", "") is not None  # the full table is back after the block


def test_leave_one_vendor_out_scores_seen_and_unseen() -> None:
    results = {r.vendor: r for r in leave_one_vendor_out(EXAMPLES)}
    assert set(results) == {"acme", "zenith"}
    acme = results["acme"]
    # "cn" is a context name: in the seen run the siblings (os, osv) make it count; the fold
    # without "cn" cannot find the carrier.
    assert acme.seen["carrier"].found == acme.seen["carrier"].labels == 2
    assert acme.unseen["carrier"].found == 0
    assert results["zenith"].unseen["carrier"].found == 2


def test_every_rule_word_has_a_source_or_a_training_vendor() -> None:
    rules = table()
    independent = set(independent_words(rules))
    keys = {v: key_words(p, rules) for v, p in key_paths_by_vendor(load_examples()).items()}
    assert unjustified(rules, independent, keys) == set()
    # The few words only vendors justify are known and stay few.
    assert len(rule_words(rules) - independent) <= 10


def test_the_sdk_docs_set_is_well_formed() -> None:
    data = load_sdk_docs()
    vendors = {r["vendor"] for r in data["requests"]}
    assert len(vendors) >= 15
    assert not vendors & set(key_paths_by_vendor(load_examples()))  # none of them in the examples
    for case, request in zip(sdk_docs_corpus(data), data["requests"], strict=True):
        assert request["source"].startswith("http")
        fields, _ = decode_flow(case.flow, [], None)
        places = {(f.location, f.path) for f in fields}
        for label in case.labels:
            assert (label.location, label.path) in places, (request["vendor"], label.path)


def test_evaluate_prints_the_unseen_table_the_leaks_and_the_held_out_set() -> None:
    lines: list[str] = []
    evaluate(None, echo=lines.append, known_values=False)
    text = "\n".join(lines)
    assert "leave one vendor out" in text and "unseen" in text
    assert "leaks:" in text
    assert "extra held-out set" in text
    assert "CORE TOTAL" in text
    core = next(line for line in lines if line.strip().startswith("CORE TOTAL"))
    assert core.count("%") == 4  # seen and unseen recall and precision


def test_eval_cli_prints_the_transform_chain_recall_with_its_decoys() -> None:
    result = subprocess.run(
        [str(Path(sys.executable).with_name("leakmap")), "eval"], capture_output=True, text=True
    )
    assert "(a2) transform chains" in result.stdout, result.stderr
    lines = result.stdout.splitlines()
    summary = next(line for line in lines if "recall inside the grammar" in line)
    assert "precision 100.0% (0 of" in summary  # no near-miss decoy is ever found


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "cannot read the evaluation input"),
        (json.dumps({"vendor/x": {"no-slashes": [1]}}), "cannot read the evaluation input"),
    ],
)
def test_eval_cli_refuses_bad_examples(tmp_path: Path, content: str, message: str) -> None:
    bad = tmp_path / "examples.json"
    bad.write_text(content)
    result = _leakmap("eval", "--names-only", "--examples", str(bad))
    assert result.returncode != 0
    assert message in result.stderr and "Traceback" not in result.stderr


def test_eval_cli_refuses_a_missing_file(tmp_path: Path) -> None:
    result = _leakmap("eval", "--sdk-docs", str(tmp_path / "absent.json"))
    assert result.returncode != 0
    assert "--sdk-docs: no file at" in result.stderr


def _leakmap(*args: str) -> subprocess.CompletedProcess[str]:
    script = Path(sys.executable).parent / "leakmap"
    return subprocess.run([script, *args], capture_output=True, text=True, timeout=120)
