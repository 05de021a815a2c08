"""Digests of known values: every hash, checksum, rendering and chain, looked up by token."""

from __future__ import annotations

import base64
import hashlib
import json
import zlib
from types import SimpleNamespace
from typing import Any

import base58
import mmh3
import pytest

from analyzer.decode.fields import Field
from analyzer.detect import Detector, Finding
from analyzer.detect.digest_index import DigestIndex
from analyzer.detect.digests import CHAINED, HASHES, MAX_STEPS, digest_chains
from analyzer.detect.memo import joined
from analyzer.profile import profile_from_dict

EMAIL = "Mirela.Dobre@Example.net"
ANDROID_ID = "5c3f8e21d0a9b746"
PROFILE = profile_from_dict(
    {
        "known": {
            "email": EMAIL,
            "developerScopedId": ANDROID_ID,
            "phoneNumber": "+40 721 555 019",
            "personName": "Mirela Dobre",
            "osVersion": "13",
        }
    }
)
DETECTOR = Detector(PROFILE)


def flow(body: dict[str, Any]) -> SimpleNamespace:
    return SimpleNamespace(
        id=3,
        url="https://collect.example.com/e",
        request_headers=[],
        request_body=json.dumps(body).encode(),
        request_body_truncated=False,
        request_content_encoding=None,
        request_content_type="application/json",
    )


def known(body: dict[str, Any]) -> list[Finding]:
    return [f for f in DETECTOR.detect(flow(body)) if f.method == "known-value"]


def chains_found(sent: str) -> set[tuple[str, str]]:
    return {(f.property, f.encoding) for f in known({"h": sent})}


def digest(name: str, data: bytes) -> bytes:
    if name == "blake2b-256":
        return hashlib.blake2b(data, digest_size=32).digest()
    if name == "murmur3-128":
        return mmh3.hash_bytes(data, 0)
    return hashlib.new(name.replace("sha3-", "sha3_"), data).digest()


@pytest.mark.parametrize("name", sorted(HASHES))
def test_every_hash_of_the_value_in_hex_either_case(name: str) -> None:
    data = ANDROID_ID.encode()
    assert chains_found(digest(name, data).hex()) == {("developerScopedId", f"json>{name}")}
    assert chains_found(digest(name, data).hex().upper()) == {("developerScopedId", f"json>{name}")}


def test_the_hashes_of_this_platform() -> None:
    # ripemd160 and SM3 depend on the OpenSSL build; the rest are always there.
    assert {"md5", "sha1", "sha224", "sha256", "sha384", "sha512"} <= set(HASHES)
    assert {"sha3-224", "sha3-256", "sha3-384", "sha3-512", "blake2b", "blake2s"} <= set(HASHES)
    assert {"blake2b-256", "murmur3-128"} <= set(HASHES)


@pytest.mark.parametrize(
    ("sent", "chain"),
    [
        (
            base64.b64encode(hashlib.sha256(EMAIL.lower().encode()).digest()).decode(),
            "sha256>base64",
        ),
        (
            base64.urlsafe_b64encode(hashlib.sha512(EMAIL.encode()).digest()).decode().rstrip("="),
            "sha512>base64url",
        ),
        (base64.b32encode(hashlib.sha1(EMAIL.encode()).digest()).decode(), "sha1>base32"),
        (base58.b58encode(hashlib.md5(EMAIL.lower().encode()).digest()).decode(), "md5>base58"),
        (
            # base64 text is decoded by the walker first: the chain says so.
            base64.b64encode(hashlib.md5(EMAIL.encode()).hexdigest().encode()).decode(),
            "base64>md5",
        ),
        (
            hashlib.sha256(hashlib.md5(EMAIL.lower().encode()).hexdigest().encode()).hexdigest(),
            "md5>sha256",
        ),
        (
            hashlib.sha3_256(hashlib.sha1(EMAIL.encode()).hexdigest().encode()).hexdigest(),
            "sha1>sha3-256",
        ),
        (
            hashlib.md5(
                hashlib.sha256(hashlib.sha1(EMAIL.encode()).hexdigest().encode())
                .hexdigest()
                .encode()
            ).hexdigest(),
            "sha1>sha256>md5",
        ),
        (
            base64.b64encode(
                hashlib.sha1(hashlib.md5(EMAIL.lower().encode()).hexdigest().encode()).digest()
            ).decode(),
            "md5>sha1>base64",
        ),
        (hashlib.sha256(b"mireladobre@example.net").hexdigest(), None),  # dots kept: not gmail
    ],
)
def test_renderings_and_chains_name_themselves(sent: str, chain: str | None) -> None:
    expected = {("email", f"json>{chain}")} if chain else set()
    assert chains_found(sent) == expected


@pytest.mark.parametrize(
    ("prop", "text", "chain"),
    [
        ("phoneNumber", "40721555019", "digits>sha256"),  # Meta/Snap "ph"
        ("phoneNumber", "+40721555019", "e164>sha256"),  # Google: E.164
        ("phoneNumber", "0721555019", "national>sha256"),
        ("personName", "mirela", "first-name>sha256"),  # Meta "fn"
        ("personName", "dobre", "last-name>sha256"),
        ("personName", "mireladobre", "nospace>sha256"),
        ("email", EMAIL.lower(), "sha256"),  # lower-casing is no step: the text ignores case
    ],
)
def test_hashes_of_normalised_spellings(prop: str, text: str, chain: str) -> None:
    assert chains_found(hashlib.sha256(text.encode()).hexdigest()) == {(prop, f"json>{chain}")}


def test_a_normalised_spelling_counts_as_a_step() -> None:
    steps = {r.chain: r.chain.count(">") + 1 for r in digest_chains(b"40721555019", norm_steps=1)}
    assert max(steps.values()) <= MAX_STEPS - 1
    e164 = "+40721555019"
    sent = hashlib.sha256(hashlib.md5(e164.encode()).hexdigest().encode()).hexdigest()
    assert chains_found(sent) == {("phoneNumber", "json>e164>md5>sha256")}
    # Four steps: beyond the grammar, so not searched for.
    deeper = base64.b64encode(
        hashlib.sha256(hashlib.md5(e164.encode()).hexdigest().encode()).digest()
    ).decode()
    assert chains_found(deeper) == set()


def test_chains_deeper_than_three_are_not_searched() -> None:
    text = ANDROID_ID.encode()
    for _ in range(4):
        text = hashlib.md5(text).hexdigest().encode()
    assert chains_found(text.decode()) == set()
    assert all(r.chain.count(">") < MAX_STEPS for r in digest_chains(ANDROID_ID.encode()))


@pytest.mark.parametrize(
    ("number", "chain"),
    [
        (zlib.crc32(ANDROID_ID.encode()), "crc32"),
        (zlib.adler32(ANDROID_ID.encode()), "adler32"),
        (mmh3.hash(ANDROID_ID.encode(), 0, signed=False), "murmur3-32"),
    ],
)
def test_checksums_in_hex_and_decimal_only_as_a_whole_field(number: int, chain: str) -> None:
    signed = number - (1 << 32) if number >= 1 << 31 else number
    for sent, label in (
        (f"{number:08x}", chain),
        (f"{number:08X}", chain),
        (str(number), f"{chain}>decimal"),
        (str(signed), f"{chain}>decimal"),
    ):
        assert chains_found(sent) == {("developerScopedId", f"json>{label}")}
        # Inside other text, 32 bits are anybody's.
        assert chains_found(f"id {sent} ok") == set()
    assert chains_found(f"{number:08x}") and not known({"n": number + 1})


def test_murmur3_128_as_fingerprintjs_writes_it() -> None:
    high, low = mmh3.hash64(ANDROID_ID.encode(), 0, signed=False)
    assert chains_found(f"{high:016x}{low:016x}") == {("developerScopedId", "json>murmur3-128")}


def test_digests_inside_longer_text_and_at_token_edges() -> None:
    hexed = hashlib.sha1(ANDROID_ID.encode()).hexdigest()
    b64 = base64.b64encode(hashlib.sha256(ANDROID_ID.encode()).digest()).decode()
    assert chains_found(f"sha1:{hexed};v=2") == {("developerScopedId", "json>sha1")}
    assert chains_found(f"tv.1~em.{b64}") == {("developerScopedId", "json>sha256>base64")}
    # Part of a longer hex run or base64 word: not the digest.
    assert chains_found(f"{hexed}ab") == set()
    assert chains_found(f"Q{b64}") == set()
    assert chains_found(f"{b64[:10]}+{b64[10:]}") == set()


def test_base64_digests_keep_their_case() -> None:
    b64 = base64.b64encode(hashlib.sha256(ANDROID_ID.encode()).digest()).decode().rstrip("=")
    assert chains_found(b64) == {("developerScopedId", "json>sha256>base64")}
    assert chains_found(b64.swapcase()) == set()


def test_short_common_values_are_not_hashed() -> None:
    # osVersion "13": its SHA-256 could be anybody's page number or cache key.
    assert chains_found(hashlib.sha256(b"13").hexdigest()) == set()


@pytest.mark.parametrize(
    "decoy",
    [
        hashlib.sha256(b"mirela.dobre@example.org").hexdigest(),  # another address
        hashlib.sha256((EMAIL.lower() + "\n").encode()).hexdigest(),  # echo | sha256sum
        hashlib.sha256(b"mirela.dobre+x@example.net").hexdigest(),  # a tag added
        hashlib.md5(b"5c3f8e21d0a9b747").hexdigest(),  # one digit changed
        hashlib.sha256(b"40721555018").hexdigest(),
        hashlib.sha256(hashlib.sha256(EMAIL.encode()).digest()).hexdigest(),  # hashed raw bytes
    ],
)
def test_near_miss_digests_are_not_found(decoy: str) -> None:
    assert chains_found(decoy) == set()


def test_index_finds_a_rendering_by_its_longest_piece() -> None:
    index = DigestIndex([("email", "a@b.example", "a@b.example", "")])
    for rendered in digest_chains(b"a@b.example"):
        if rendered.exact and "+" in rendered.text and "/" in rendered.text:
            break
    else:
        pytest.fail("no base64 rendering with both + and / for this input")
    text = joined(["x", f"k={rendered.text}", "y"])
    hits = index.find(text, text.lower())
    assert [(h.entry.rendering.chain, text[h.start : h.end]) for h in hits] == [
        (rendered.chain, rendered.text)
    ]


def test_index_size_grows_with_the_values_not_the_tokens() -> None:
    one = DigestIndex([("email", "a@b.example", "a@b.example", "")])
    two = DigestIndex(
        [("email", "a@b.example", "a@b.example", ""), ("email", "c@d.example", "c@d.example", "")]
    )
    # (checksums have one or two spellings each, by their value: hence the slack)
    assert 0 < len(one) < len(two) <= 2 * len(one) + 16
    text = joined(["nothing", "to see", "here " * 1000])
    assert two.find(text, text.lower()) == []


def test_base64_of_a_hex_digest_where_the_walker_does_not_decode_it() -> None:
    hexed_b64 = base64.b64encode(hashlib.sha1(ANDROID_ID.encode()).hexdigest().encode()).decode()
    field = Field("body", "", "", f"\x01 sig={hexed_b64}; \xff", "", raw=True)
    hits = DETECTOR.matcher.match([field]) if DETECTOR.matcher else []
    assert [(h.variant.prop, h.variant.encoding) for h in hits] == [
        ("developerScopedId", "sha1>hex>base64")
    ]


def test_digests_in_raw_text_fields() -> None:
    hexed = hashlib.sha224(EMAIL.lower().encode()).hexdigest()
    field = Field("body", "", "", f"\x01\x02 uid={hexed}&t=1 \xff", "", raw=True)
    hits = DETECTOR.matcher.match([field]) if DETECTOR.matcher else []
    assert [(h.variant.prop, h.variant.encoding) for h in hits] == [("email", "sha224")]


def test_chained_hashes_are_the_usual_ones() -> None:
    assert CHAINED == ("md5", "sha1", "sha256")


def test_a_big_profile_is_bounded_and_says_what_it_left_out() -> None:
    inputs = [("email", f"u{i}@mail.example", f"u{i}@mail.example", "") for i in range(40)]
    index = DigestIndex(inputs, budget=3000)
    assert 3000 <= len(index) < 3000 + 400  # the last spelling's renderings may go past it
    assert len(index.notes) == 2
    assert (
        index.notes[0].startswith("known values from email ")
        and "single hashes" in (index.notes[0])
    )
    assert "not searched" in index.notes[1]
    # The first values keep their chains, later ones single hashes: both are found.
    first = hashlib.sha256(hashlib.md5(b"u0@mail.example").hexdigest().encode()).hexdigest()
    text = joined([first])
    assert [h.entry.rendering.chain for h in index.find(text, text)] == ["md5>sha256"]
    single = {h.entry.value for i in range(40) for h in _found(index, f"u{i}@mail.example")}
    assert "u0@mail.example" in single and "u39@mail.example" not in single


def _found(index: DigestIndex, value: str) -> list[Any]:
    text = joined([hashlib.sha1(value.encode()).hexdigest()])
    return index.find(text, text)


def test_the_detector_tells_a_cut_grammar_with_its_first_flow() -> None:
    emails = [f"person{i}@mail.example" for i in range(1500)]
    detector = Detector(profile_from_dict({"known": {"email": emails}}))
    detector.detect(flow({"a": 1}))
    assert any("single hashes only" in note for note in detector.last_notes)
    detector.detect(flow({"a": 2}))
    assert not any("single hashes" in note for note in detector.last_notes)
