"""Digests of known values: which hash chains are tried, and how a digest is written.

A tracker that hashes an e-mail address sends ``sha256(lower(email))`` as hex, ``base64(sha1(x))``,
or ``sha256(md5(email))``; a digest cannot be decoded, so the matcher computes the digests of the
profile's values in advance and looks up every token of digest shape in a flow (see
:class:`analyzer.detect.digest_index.DigestIndex`). This module defines what is computed.

Chain grammar (steps counted towards :data:`MAX_STEPS`; written outside in, ``>`` between steps,
as in a finding's ``encoding``)::

    chain    := [norm] hashes [render]
    hashes   := H | H>C | C>H | C>C>C      H: any of HASHES; C: one of CHAINED
    render   := hex (either case; not a step) | base64 | base64url | hex>base64 | base32 | base58
    checksum := [norm] K [>decimal]         K: any of CHECKSUMS; a whole field only
    norm     := a labelled spelling (compact, e164, gmail-dots, first-name, ...): one step

- Each inner digest is fed to the next hash as its lower-case hex text (what ``md5(x)`` returns
  in JavaScript, PHP and the SDKs' helpers): ``md5>sha256`` is ``sha256(hex(md5(x)))``.
- Case changes of the value (as given, lower-, upper-case) are tried and are not a step (the
  upper-case form in nested chains of CHAINED hashes only); the matcher compares hex and base32
  ignoring case.
- Nested digests are written in hex, and also in base64 where both hashes are CHAINED ones.
- ``base32``, ``base58`` and ``hex>base64`` (base64 of the hex text, ``btoa(md5(x))``) follow one
  CHAINED hash only: they are rare for digests, and base32/base58 cost 15-20 us a digest in pure
  Python.
- Checksums are 32 bits: one in four billion random tokens equals one, so they count only as a
  whole field, written as 8 hex digits, hex without leading zeros, unsigned or signed decimal
  (Java's ``CRC32.getValue()`` is unsigned, JavaScript's ``crc-32`` package and ``mmh3.hash``
  return signed numbers).

Algorithms: hashlib's md5, sha1, sha224, sha256, sha384, sha512, sha3-224..512, blake2b (64-byte
and the 32-byte libsodium ``crypto_generichash`` default), blake2s, and ripemd160 and SM3 (the
Chinese national standard hash, GB/T 32905) where this platform's OpenSSL provides them;
MurmurHash3 from ``mmh3`` with seed 0 (x64 128-bit as bytes, as the C reference writes them, and
as FingerprintJS's ``x64hash128`` writes its two halves in hex; 32-bit as a checksum); crc32 and
adler32 from ``zlib``.
"""

from __future__ import annotations

import base64
import hashlib
import zlib
from collections.abc import Callable, Iterator
from functools import partial
from typing import NamedTuple

import base58
import mmh3

MAX_STEPS = 3
CHAINED = ("md5", "sha1", "sha256")  # the hashes trackers feed into one another


def _hashlib(name: str, data: bytes) -> bytes:
    return hashlib.new(name, data).digest()


def _blake2b_256(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=32).digest()


def _murmur3_128(data: bytes) -> bytes:
    return mmh3.mmh3_x64_128_digest(data, 0)


def _available() -> dict[str, Callable[[bytes], bytes]]:
    out: dict[str, Callable[[bytes], bytes]] = {
        "md5": lambda data: hashlib.md5(data).digest(),
        "sha1": lambda data: hashlib.sha1(data).digest(),
        "sha256": lambda data: hashlib.sha256(data).digest(),
    }
    for label, name in (
        ("sha224", "sha224"),
        ("sha384", "sha384"),
        ("sha512", "sha512"),
        ("sha3-224", "sha3_224"),
        ("sha3-256", "sha3_256"),
        ("sha3-384", "sha3_384"),
        ("sha3-512", "sha3_512"),
        ("blake2b", "blake2b"),
        ("blake2s", "blake2s"),
        ("ripemd160", "ripemd160"),
        ("sm3", "sm3"),
    ):
        if name in hashlib.algorithms_available:
            try:
                hashlib.new(name, b"")
            except ValueError:  # listed, but the OpenSSL provider that has it is not loaded
                continue
            out[label] = partial(_hashlib, name)
    out["blake2b-256"] = _blake2b_256
    out["murmur3-128"] = _murmur3_128
    return out


HASHES: dict[str, Callable[[bytes], bytes]] = _available()
CHECKSUMS: dict[str, Callable[[bytes], int]] = {
    "crc32": zlib.crc32,
    "adler32": zlib.adler32,
    "murmur3-32": lambda data: mmh3.mmh3_32_uintdigest(data, 0),
}


class Rendered(NamedTuple):
    """One digest as written on the wire.

    ``text``: as sent (hex in lower case); ``chain``: the steps after the value's spelling
    (``md5>sha256>base64``); ``exact``: compared with its case (base64, base58); ``whole``: only
    a whole field counts (32-bit checksums).
    """

    text: str
    chain: str
    exact: bool
    whole: bool


def digest_chains(
    data: bytes, norm_steps: int = 0, rare_pairs: bool = True, max_hashes: int = MAX_STEPS
) -> Iterator[Rendered]:
    """Every rendering of every chain of the grammar for one input (UTF-8 bytes of a spelling).

    ``norm_steps`` is 1 when the spelling is a labelled normalisation (it uses a step);
    ``rare_pairs=False`` keeps nested chains to CHAINED hashes only (for the upper-case form of a
    value, which is seldom hashed twice: it halves the digests of a profile); ``max_hashes=1``
    leaves out hash chains (for profiles too big for the whole grammar).
    """
    budget = MAX_STEPS - norm_steps
    first = {name: function(data) for name, function in HASHES.items()}
    for name, digest in first.items():
        yield from _renderings(digest, name, budget - 1, single=True)
        if name == "murmur3-128":
            high, low = mmh3.mmh3_x64_128_utupledigest(data, 0)
            yield Rendered(f"{high:016x}{low:016x}", name, False, False)
    if budget >= 2 and max_hashes >= 2:
        for inner, digest in first.items():
            if not rare_pairs and inner not in CHAINED:
                continue
            text = digest.hex().encode()
            outers = HASHES if inner in CHAINED and rare_pairs else CHAINED
            for outer in outers:
                second = HASHES[outer](text)
                chain = f"{inner}>{outer}"
                # base64 of a nested digest: only of the usual pairs (md5>sha256, ...).
                room = budget - 2 if inner in CHAINED and outer in CHAINED else 0
                yield from _renderings(second, chain, room, single=False)
                if budget >= 3 and max_hashes >= 3 and inner in CHAINED and outer in CHAINED:
                    middle = second.hex().encode()
                    for last in CHAINED:
                        third = HASHES[last](middle)
                        yield Rendered(third.hex(), f"{chain}>{last}", False, False)
    for name, checksum in CHECKSUMS.items():
        yield from _checksum_renderings(checksum(data), name, budget - 1)


def _renderings(digest: bytes, chain: str, room: int, single: bool) -> Iterator[Rendered]:
    yield Rendered(digest.hex(), chain, False, False)
    if room < 1:
        return
    standard = base64.b64encode(digest).decode().rstrip("=")
    yield Rendered(standard, f"{chain}>base64", True, False)
    urlsafe = standard.replace("+", "-").replace("/", "_")
    if urlsafe != standard:
        yield Rendered(urlsafe, f"{chain}>base64url", True, False)
    if single and chain in CHAINED:
        yield Rendered(
            base64.b32encode(digest).decode().rstrip("="), f"{chain}>base32", False, False
        )
        yield Rendered(base58.b58encode(digest).decode(), f"{chain}>base58", True, False)
        if room >= 2:
            hex_b64 = base64.b64encode(digest.hex().encode()).decode().rstrip("=")
            yield Rendered(hex_b64, f"{chain}>hex>base64", True, False)


def _checksum_renderings(number: int, name: str, room: int) -> Iterator[Rendered]:
    padded, bare = f"{number:08x}", f"{number:x}"
    yield Rendered(padded, name, False, True)
    if bare != padded:  # JavaScript's (x >>> 0).toString(16) drops leading zeros
        yield Rendered(bare, name, False, True)
    if room >= 1:
        yield Rendered(str(number), f"{name}>decimal", False, True)
        signed = number - (1 << 32) if number >= 1 << 31 else number
        if signed != number:
            yield Rendered(str(signed), f"{name}>decimal", False, True)
