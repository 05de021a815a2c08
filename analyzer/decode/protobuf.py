"""Protocol Buffers without a schema: a small wire-format decoder.

Why our own and not ``bbpb``: bbpb guesses types the same way but costs about 100 µs for a
40-byte message, 50 times our budget per flow; the wire format is five rules. We keep field
numbers as keys (``1.4.2``), guess a length-delimited field to be a nested message when it parses
exactly, else text when it is printable UTF-8, and give up (None) on anything malformed so that
callers can try other formats.

Without a schema a number has several readings, and a negative one is only found in the right
one: a varint is uint64, or int64/int32 in two's complement (a negative int32 takes 10 bytes),
or sint32/sint64 in zigzag; a fixed32 is float, fixed32 or sfixed32; a fixed64 is double,
fixed64 or sfixed64. :func:`varint_readings` and :meth:`Fixed.readings` give the first reading
(as before: unsigned, or the float where its magnitude is plausible) and the alternatives, each
named by its protobuf type (https://protobuf.dev/programming-guides/encoding/). Alternatives are
bounded to the 32-bit signed range: it holds coordinates as E5, E6 and E7 integers (|lon| x 1e7
<= 1.8e9 < 2^31), time-zone offsets and altitudes, and no 15-digit number that an IMEI or other
identifier rule could mistake for one (a microsecond timestamp read as zigzag would be).

A length-delimited field is a string, a nested message, raw bytes, or a *packed* repeated number
(proto3 packs repeated scalars by default: ``repeated double position = 4`` holding two values is
one field of 16 bytes). Where the bytes may be a packed array, :func:`parse_message` puts a
:class:`Packed` after the field's first reading; its :meth:`Packed.readings` are the arrays that
the bytes parse as exactly and whose every value is plausible, as further alternatives
(``packed>double``, ``packed>sint32``, ...).
"""

from __future__ import annotations

import re
import struct

MAX_FIELD_NUMBER = (1 << 29) - 1
# Control characters other than tab and line breaks: bytes, not text.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

Message = dict[str, list[object]]
_NAMES = [str(number) for number in range(64)]  # field numbers as keys, built once
_INT32_MIN, _INT32_END = -(1 << 31), 1 << 31
_UINT32_END, _UINT64_END = 1 << 32, 1 << 64
_INT64_FROM = _UINT64_END + _INT32_MIN  # int64 two's complement of -2^31
_ALTERNATIVE_MIN = 128  # one-byte varints (flags, enums, small counts) get no alternatives
# The chain steps that name an alternative reading (the last step of such a field's chain).
READINGS = frozenset(
    {"int64", "int32", "uint32", "sint32", "fixed32", "sfixed32", "fixed64", "sfixed64"}
    | {"float", "double"}  # the values of packed arrays (``packed>double``)
)
# Packed arrays: at most this many values of one array are emitted (a long track of coordinates
# is named in a note), and arrays longer than this many bytes are not tried at all.
MAX_PACKED_VALUES = 64
MAX_PACKED_BYTES = 64 * 1024
# Every 4 x n bytes are n plausible sfixed32 values: that reading is offered for short arrays
# only (a pair or a few coordinates; a digest's or UUID's bytes give at most this many numbers).
_SFIXED32_MAX_VALUES = 16
# A nested message holding a field number of this many digits (>= 1000: schemas rarely number
# fields so high) may be packed numbers that happened to parse: packed varint pairs of random
# coordinates that parse as a message nearly all do so with a field number >= 2048 (measured:
# all of 2,653 sint32 E7 pairs, 4,790 of 4,795 sint32 E5 pairs; docs/decoding.md).
_DOUBTFUL_NAME_CHARS = 4


class Fixed:
    """A fixed-width field (wire type 5: 4 bytes, wire type 1: 8 bytes) as its unsigned bits."""

    __slots__ = ("bits", "width")

    def __init__(self, bits: int, width: int) -> None:
        self.bits = bits
        self.width = width

    def __repr__(self) -> str:
        return f"Fixed({self.bits:#x}, {self.width})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Fixed) and (other.bits, other.width) == (self.bits, self.width)

    __hash__ = None  # type: ignore[assignment]

    def readings(self) -> tuple[str, list[tuple[str, str]]]:
        """(first reading, [(protobuf type, reading), ...]) as text.

        The first is the float/double where its magnitude is plausible (0, or 1e-6 to 1e12:
        coordinates, amounts), else the unsigned integer, as this decoder always read it. The
        alternatives: the integer (signed where the top bit is set) when the first was a float,
        or the signed integer when the first was unsigned and negative as signed; only within
        the 32-bit signed range (see the module doc).
        """
        bits, width = self.bits, self.width
        top = 1 << (8 * width - 1)
        number = struct.unpack("<f" if width == 4 else "<d", bits.to_bytes(width, "little"))[0]
        signed = bits - (top << 1) if bits >= top else bits
        kind = "fixed32" if width == 4 else "fixed64"
        step = ("s" + kind) if signed < 0 else kind
        alternatives: list[tuple[str, str]] = []
        if _plausible_float(number):
            first = _float32_text(number) if width == 4 else repr(number)
            if _INT32_MIN <= signed < _INT32_END and number != 0:
                alternatives.append((step, str(signed)))
            return first, alternatives
        if signed < 0 and signed >= _INT32_MIN:
            alternatives.append((step, str(signed)))
        return str(bits), alternatives


class Packed:
    """The bytes of a length-delimited field that may be a packed repeated number.

    :func:`parse_message` puts one after the field's first reading (raw bytes, or a nested
    message that may be numbers that happened to parse: see :func:`parse_message`); the array
    is read only when the walker asks, by :meth:`readings`.
    """

    __slots__ = ("data",)

    def __init__(self, data: bytes) -> None:
        self.data = data

    def __repr__(self) -> str:
        return f"Packed({self.data!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Packed) and other.data == self.data

    __hash__ = None  # type: ignore[assignment]

    def readings(self) -> tuple[list[tuple[str, str]], str | None]:
        """([(chain steps, reading), ...], note or None): every packed array the bytes are.

        An array is offered only when the bytes parse exactly as one and every value is
        plausible, so that text, digests and messages rarely yield one:

        - varints (``packed>uint32``, ``packed>sint32``, ``packed>int32``, ``packed>int64``):
          the bytes end with the last varint; every value takes two bytes or more (one-byte
          values are flags and enums) and has a reading in the 32-bit signed range, of which
          every one is given (as :func:`varint_readings`, and the unsigned value below 2^31);
        - fixed64 (8 x n bytes): ``packed>double`` when every double is finite and 0 or of a
          magnitude from 1e-6 to 1e12 (as :meth:`Fixed.readings`) and one is not 0;
          ``packed>sfixed64`` when every signed integer is in the 32-bit signed range and one
          is not 0;
        - fixed32 (4 x n bytes): ``packed>float`` as for doubles (shortest decimal);
          ``packed>sfixed32`` when one is not 0, for 16 values or fewer only (every 32-bit
          integer is in range: any 4 x n bytes would pass), and not where the bytes are
          sfixed64 values (their halves would be the same numbers and zeros).

        The first :data:`MAX_PACKED_VALUES` values of each array are given; the note says how
        many a longer one had. Readings in the order varint, fixed64, fixed32, each value's
        readings together. Bytes over :data:`MAX_PACKED_BYTES` give nothing.
        """
        data = self.data
        size = len(data)
        if not size or size > MAX_PACKED_BYTES:
            return [], None
        out: list[tuple[str, str]] = []
        longest = 0
        sfixed64 = False
        varints = _packed_varints(data)
        if varints:
            longest = len(varints)
            for value in varints[:MAX_PACKED_VALUES]:
                if value < _INT32_END:
                    out.append(("packed>uint32", str(value)))
                out.extend(("packed>" + step, text) for step, text in varint_readings(value))
        for width, float_step, int_step in ((8, "double", "sfixed64"), (4, "float", "sfixed32")):
            if size % width:
                continue
            count = size // width
            numbers = struct.unpack(f"<{count}{'d' if width == 8 else 'f'}", data)
            if any(numbers) and all(map(_plausible_float, numbers)):
                longest = max(longest, count)
                text = repr if width == 8 else _float32_text
                out.extend(("packed>" + float_step, text(x)) for x in numbers[:MAX_PACKED_VALUES])
            if width == 4 and (count > _SFIXED32_MAX_VALUES or sfixed64):
                continue
            integers = struct.unpack(f"<{count}{'q' if width == 8 else 'i'}", data)
            if any(integers) and all(_INT32_MIN <= i < _INT32_END for i in integers):
                longest = max(longest, count)
                sfixed64 = width == 8
                out.extend(("packed>" + int_step, str(i)) for i in integers[:MAX_PACKED_VALUES])
        note = None
        if longest > MAX_PACKED_VALUES:
            note = f"a packed array of {longest} numbers: the first {MAX_PACKED_VALUES} read"
        return out, note


def _plausible_float(number: float) -> bool:
    """Finite and 0 or of a magnitude from 1e-6 to 1e12 (coordinates, amounts)."""
    return number == 0 or 1e-6 <= abs(number) <= 1e12  # NaN and infinities fail both


def _packed_varints(data: bytes) -> list[int] | None:
    """The values of ``data`` read as packed varints, or None where it is no such array of
    values of two bytes or more, each with a reading in the 32-bit signed range."""
    out = []
    pos, end = 0, len(data)
    while pos < end:
        if data[pos] < 0x80:
            return None  # a one-byte value
        value, pos = _varint(data, pos, end)
        if value < 0 or not (value < _UINT32_END or _INT64_FROM <= value < _UINT64_END):
            return None
        out.append(value)
    return out


def varint_readings(value: int) -> list[tuple[str, str]]:
    """The alternative readings of a varint (its first is the unsigned ``str(value)``):
    ``int64`` (two's complement, value >= 2^63), ``int32`` (a negative int32 that an encoder
    wrote in 32 bits), ``sint32`` (zigzag); only values of two bytes or more, and only
    readings in the 32-bit signed range (see the module doc)."""
    if value < _ALTERNATIVE_MIN:
        return []
    if value >= 1 << 63:
        signed = value - (1 << 64)
        return [("int64", str(signed))] if signed >= _INT32_MIN else []
    if value >= 1 << 32:
        return []
    out = [("sint32", str((value >> 1) ^ -(value & 1)))]
    if value >= _INT32_END:
        out.append(("int32", str(value - (1 << 32))))
    return out


def _float32_text(number: float) -> str:
    """The shortest decimal that reads back as the same float32: 40.748417, not the
    40.74841690063477 that the float32's exact value prints as in double precision."""
    packed = struct.pack("<f", number)
    for digits in range(6, 10):
        text = f"{number:.{digits}g}"
        if struct.pack("<f", float(text)) == packed:
            return text if ("e" in text or "." in text) else text + ".0"
    return repr(number)


def looks_like_protobuf(data: bytes) -> bool:
    """Cheap test before a full parse: the first byte must be a valid tag of a small field."""
    if not data:
        return False
    first = data[0]
    return (first & 7) in (0, 1, 2, 5) and (first >> 3) > 0


def parse_message(data: bytes, depth: int = 0, max_depth: int = 8) -> Message | None:
    """Fields by number; values are int (varints), :class:`Fixed`, str, bytes or a nested
    Message, in the order they came. None if invalid.

    A length-delimited value that is no text (raw bytes, or a nested message with a field
    number of 1000 or more, which packed numbers that happened to parse nearly always have) is
    followed by a :class:`Packed` of its bytes, if it has no more than
    :data:`MAX_PACKED_BYTES`. Such a message that is also an exact array of packed varints
    is kept as its bytes: its fields would be the same numbers under field numbers that no
    schema has."""
    # This loop runs for every field of every protobuf body: one-byte tags and lengths (almost
    # all of them) are read inline, and only longer varints call _varint.
    out: Message = {}
    packed: Packed | None = None
    pos, end = 0, len(data)
    while pos < end:
        key = data[pos]
        if key < 0x80:
            pos += 1
        else:
            key, pos = _varint(data, pos, end)
            if key < 0:
                return None
        number, wire = key >> 3, key & 7
        if number == 0 or number > MAX_FIELD_NUMBER:
            return None
        value: object
        if wire == 2:
            if pos < end and data[pos] < 0x80:
                size = data[pos]
                pos += 1
            else:
                size, pos = _varint(data, pos, end)
                if size < 0:
                    return None
            if pos + size > end:
                return None
            chunk = data[pos : pos + size]
            try:
                text = chunk.decode("utf-8")
            except UnicodeDecodeError:
                text = None
            if text is not None and (text.isprintable() or not _CONTROL.search(text)):
                value = text
            else:
                value = _not_text(chunk, depth, max_depth)
                if size > MAX_PACKED_BYTES:
                    pass
                elif type(value) is bytes:
                    packed = Packed(chunk)
                elif max(map(len, value), default=0) >= _DOUBTFUL_NAME_CHARS:  # type: ignore[arg-type]
                    packed = Packed(chunk)
                    if _packed_varints(chunk) is not None:
                        value = bytes(chunk)  # varints that parse as a message by chance
            pos += size
        elif wire == 0:
            if pos < end and data[pos] < 0x80:
                value = data[pos]
                pos += 1
            else:
                value, pos = _varint(data, pos, end)
                if value < 0:
                    return None
        elif wire == 1:
            if pos + 8 > end:
                return None
            value = Fixed(int.from_bytes(data[pos : pos + 8], "little"), 8)
            pos += 8
        elif wire == 5:
            if pos + 4 > end:
                return None
            value = Fixed(int.from_bytes(data[pos : pos + 4], "little"), 4)
            pos += 4
        else:  # groups (3, 4) are deprecated and unused by mobile SDKs; 6, 7 are invalid
            return None
        name = _NAMES[number] if number < 64 else str(number)
        found = out.get(name)
        if found is None:
            out[name] = found = [value]
        else:
            found.append(value)
        if packed is not None:
            found.append(packed)
            packed = None
    return out


def _varint(data: bytes, pos: int, end: int) -> tuple[int, int]:
    result = shift = 0
    while pos < end and shift < 70:
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7
    return -1, pos


def _not_text(chunk: bytes, depth: int, max_depth: int) -> object:
    if depth < max_depth and looks_like_protobuf(chunk):
        nested = parse_message(chunk, depth + 1, max_depth)
        if nested is not None:
            return nested
    return bytes(chunk)
