"""Content-encodings (gzip, deflate, br, zstd), decompressed with a cap on the output."""

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
    if coding in ("identity", ""):
        return data, True
    raise DecodeError(f"unknown content-encoding {coding!r}")


def sniff_coding(data: bytes) -> str | None:
    """A compression recognised by its magic bytes (bodies compressed without a header)."""
    if data[:2] == b"\x1f\x8b":
        return "gzip"
    if data[:4] == b"\x28\xb5\x2f\xfd":
        return "zstd"
    return None


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
