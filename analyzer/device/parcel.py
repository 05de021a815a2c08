"""Decode the reply parcel that ``service call SERVICE CODE ...`` prints.

``service`` (frameworks/native/cmds/service) prints the reply with ``Parcel::print``: rows of
32-bit words in hex, each the little-endian int32 at that offset, then the bytes as text::

    Result: Parcel(
      0x00000000: 00000000 0000000f 00350033 00340035 '........3.5.5.4.'
      0x00000010: 00300039 00360030 00390039 00370032 '9.0.0.6.9.9.2.7.'
      0x00000020: 00390033 00000034                   '3.9.4...        ')

Short replies fit one line: ``Result: Parcel(00000000 ffffffff   '........')``. The reply of an
AIDL method is an exception code (``Parcel::writeNoException`` writes 0; a ``SecurityException``
writes -1 and then its message) followed by the return value; a Java ``String`` is a String16:
an int32 count of UTF-16 units (-1 for null), the units, a 0 unit, padding to 4 bytes. Source:
AOSP ``frameworks/native/libs/binder/Parcel.cpp`` (``readExceptionCode``, ``readString16``) and
``android.os.Parcel`` (``EX_*`` codes). The text column is never trusted: it shows only ASCII.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# android.os.Parcel exception codes (EX_HAS_REPLY_HEADER is a header, not an error).
EXCEPTIONS = {
    -1: "SecurityException",
    -2: "BadParcelableException",
    -3: "IllegalArgumentException",
    -4: "NullPointerException",
    -5: "IllegalStateException",
    -6: "NetworkOnMainThreadException",
    -7: "UnsupportedOperationException",
    -8: "ServiceSpecificException",
    -9: "ParcelableException",
    -129: "TransactionFailedException",
}
EX_HAS_REPLY_HEADER = -128
MAX_PARCEL_WORDS = 4096  # a device answer is a few dozen words; anything bigger is not ours
_WORD = re.compile(r"^[0-9a-fA-F]{8}$")


class ParcelError(ValueError):
    """The text is not a parcel dump, or the parcel does not hold what was asked for."""


@dataclass(frozen=True, slots=True)
class ParcelReply:
    """A decoded AIDL reply: ``text`` the returned String (None for null) or ``error``."""

    text: str | None = None
    error: str | None = None


def parcel_bytes(output: str) -> bytes:
    """The bytes of a ``service call`` reply dump; ParcelError if it is not one.

    ``Result: Parcel(Error: 0xffffffb6 "Not a data message")`` (no such transaction) and any
    other text without the dump raise ParcelError with the printed reason.
    """
    start = output.find("Parcel(")
    if start < 0:
        raise ParcelError(f"not a parcel dump: {_first_line(output)!r}")
    body = output[start + len("Parcel(") :]
    if body.lstrip().startswith("Error:"):
        raise ParcelError(_first_line(body.lstrip()))
    words: list[bytes] = []
    for line in body.splitlines():
        tokens = line.split("'", 1)[0].split()  # the text column may hold anything: dropped
        if tokens and tokens[0].startswith("0x") and tokens[0].endswith(":"):
            tokens = tokens[1:]
        row = [token for token in tokens if _WORD.match(token)]
        if not row and words:
            break  # past the dump
        words.extend(int(token, 16).to_bytes(4, "little") for token in row)
        if len(words) > MAX_PARCEL_WORDS:
            raise ParcelError("parcel dump too long")
    if not words:
        raise ParcelError("empty parcel")
    return b"".join(words)


def decode_string_reply(output: str) -> ParcelReply:
    """Decode a ``service call`` reply whose AIDL method returns a ``String``.

    Returns ``ParcelReply(text=...)`` (``text`` None for a null String) or
    ``ParcelReply(error="SecurityException: <message>")``; raises ParcelError on text that is
    not a well-formed reply (truncated, odd lengths, invalid UTF-16).
    """
    data = parcel_bytes(output)
    reader = _Reader(data)
    code = reader.int32()
    if code == EX_HAS_REPLY_HEADER:
        start = reader.pos
        size = reader.int32()
        reader.seek(start + size)
        code = 0
    if code != 0:
        name = EXCEPTIONS.get(code, f"exception {code}")
        try:
            message = reader.string16()
        except ParcelError:
            message = None
        return ParcelReply(error=f"{name}: {message}" if message else name)
    return ParcelReply(text=reader.string16())


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def seek(self, pos: int) -> None:
        if not 0 <= pos <= len(self.data):
            raise ParcelError("reply header runs past the end of the parcel")
        self.pos = pos

    def int32(self) -> int:
        if self.pos + 4 > len(self.data):
            raise ParcelError("parcel ends inside an int32")
        value = int.from_bytes(self.data[self.pos : self.pos + 4], "little", signed=True)
        self.pos += 4
        return value

    def string16(self) -> str | None:
        count = self.int32()
        if count == -1:
            return None
        if count < 0 or self.pos + 2 * count > len(self.data):
            raise ParcelError(f"String16 of {count} units does not fit the parcel")
        raw = self.data[self.pos : self.pos + 2 * count]
        self.pos += (2 * (count + 1) + 3) & ~3  # units, the 0 unit, padding to 4 bytes
        try:
            return raw.decode("utf-16-le")
        except UnicodeDecodeError:
            raise ParcelError("String16 is not valid UTF-16") from None


def _first_line(text: str) -> str:
    return (text.strip().splitlines() or [""])[0][:120]
