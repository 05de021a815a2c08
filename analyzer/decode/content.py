"""Content-encodings (gzip, deflate, br, zstd), decompressed with a cap on the output.

Also compression that no header declares: gzip, zstd and zlib are recognised by their first
bytes (:func:`sniff_coding`); raw deflate and brotli have no signature and are only tried on
binary data (:func:`try_headerless`), where the caller must still check that the output looks
like something (text, JSON, protobuf) before believing it.
"""

from __future__ import annotations

import zlib

import brotli
import zstandard

CODINGS = ("gzip", "x-gzip", "deflate", "br", "zstd")
_ZSTD_SLICE = 128


class DecodeError(ValueError):
    pass


def decompress(data: bytes, coding: str, limit: int) -> tuple[bytes, bool]:
    """``data`` decoded with one content-coding, at most ``limit`` bytes.

    Returns ``(output, complete)``; ``complete`` is False when the output was cut at ``limit`` or
    the input ended early (a capped body): the prefix is still returned. Raises DecodeError when
    nothing at all could be decoded.
    """
    coding = coding.strip().lower()
    if coding in ("gzip", "x-gzip"):
        return _zlib(data, zlib.MAX_WBITS | 16, limit)
    if coding == "deflate":
        # RFC 9110 says zlib-wrapped; some clients send raw deflate.
        try:
            return _zlib(data, zlib.MAX_WBITS, limit)
        except DecodeError:
            return _zlib(data, -zlib.MAX_WBITS, limit)
    if coding == "br":
        return _brotli(data, limit)
    if coding == "zstd":
        return _zstd(data, limit)
    if coding == "zlib":
        return _zlib(data, zlib.MAX_WBITS, limit)
    if coding in ("identity", ""):
        return data, True
    raise DecodeError(f"unknown content-encoding {coding!r}")


def sniff_coding(data: bytes) -> str | None:
    """A compression recognised by its magic bytes (bodies compressed without a header).

    gzip (RFC 1952: 1f 8b), zstd (RFC 8878: 28 b5 2f fd), zlib (RFC 1950: CMF 0x78, deflate with
    a 32 KiB window, as every common encoder writes it, and a header checksum that makes CMF-FLG a
    multiple of 31, no preset dictionary); the zlib signature is 2 bytes with 5 bits of check,
    so a caller that finds no zlib stream behind it treats the data as not compressed.
    Returns ``gzip``, ``zstd`` or ``zlib`` (a name :func:`decompress` takes), or None.
    """
    first = data[:1]
    if first == b"\x1f":
        return "gzip" if data[1:2] == b"\x8b" else None
    if first == b"\x28":
        return "zstd" if data[1:4] == b"\xb5\x2f\xfd" else None
    if first == b"\x78" and len(data) > 2 and not data[1] & 0x20 and (0x7800 | data[1]) % 31 == 0:
        return "zlib"
    return None


def try_headerless(data: bytes, limit: int) -> tuple[bytes, str] | None:
    """``data`` inflated as raw deflate (RFC 1951) or brotli (RFC 7932), which have no
    signature: (output, coding) when one of them reads the whole input to its proper end and
    gives at least 4 bytes, else None. Random bytes pass as raw deflate about once in 200 tries
    (brotli: none in 20,000), so the caller checks the output's form as well."""
    if len(data) < 4:
        return None
    decoder = zlib.decompressobj(-zlib.MAX_WBITS)
    try:
        out = decoder.decompress(data, limit)
        if decoder.eof and not decoder.unused_data and len(out) >= 4:
            return out, "deflate"
    except zlib.error:
        pass
    try:
        out, complete = _brotli(data, limit)
    except DecodeError:
        return None
    return (out, "br") if complete and len(out) >= 4 else None


def _zlib(data: bytes, wbits: int, limit: int) -> tuple[bytes, bool]:
    decoder = zlib.decompressobj(wbits)
    try:
        out = decoder.decompress(data, limit)
    except zlib.error as error:
        raise DecodeError(str(error)) from None
    complete = decoder.eof and not decoder.unconsumed_tail
    if not out and not complete:
        raise DecodeError("truncated or empty compressed data")
    return out, complete


def _brotli(data: bytes, limit: int) -> tuple[bytes, bool]:
    decoder = brotli.Decompressor()
    out = bytearray()
    try:
        # Cap the output of each call: 1.6 KB of brotli expands to 1 GiB within one call (even
        # one 4 KiB input slice), so slicing the input does not bound memory; this does.
        out += decoder.process(data, output_buffer_limit=limit + 1)
        while len(out) <= limit and not decoder.is_finished():
            if decoder.can_accept_more_data():
                break  # all input consumed: the stream ended early
            out += decoder.process(b"", output_buffer_limit=limit + 1 - len(out))
        if len(out) > limit:
            return bytes(out[:limit]), False
    except brotli.error as error:
        if out:
            return bytes(out[:limit]), False
        raise DecodeError(str(error)) from None
    return bytes(out), decoder.is_finished()


def _zstd(data: bytes, limit: int) -> tuple[bytes, bool]:
    decoder = zstandard.ZstdDecompressor().decompressobj()
    out = bytearray()
    try:
        # Small input slices: one zstd block header (3 bytes) can stand for 128 KiB of output,
        # so 4 KiB of input could expand to ~170 MiB in one call; 128 bytes to ~5 MiB at most.
        for start in range(0, len(data), _ZSTD_SLICE):
            out += decoder.decompress(data[start : start + _ZSTD_SLICE])
            if len(out) > limit:
                return bytes(out[:limit]), False
    except zstandard.ZstdError as error:
        if out:
            return bytes(out[:limit]), False
        raise DecodeError(str(error)) from None
    return bytes(out), bool(decoder.eof)
