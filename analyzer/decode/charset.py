"""Text in the charset it was sent in: a byte-order mark, the declared charset, UTF-8, or detected.

Apps for Chinese, Japanese, Korean and Russian markets still send GBK/GB18030, Big5, Shift_JIS,
EUC-KR, Windows-125x and ISO-8859-x, raw in bodies or percent-encoded in query strings and forms.
Decoded as UTF-8 they turn into U+FFFD and no value can be found in them. The order of trust:

1. a byte-order mark (UTF-8, UTF-16, UTF-32);
2. the declared charset (``Content-Type: ...; charset=GBK``), mapped to the superset that
   browsers decode it with (WHATWG Encoding Standard, https://encoding.spec.whatwg.org/#names-and-labels:
   ``gb2312`` is decoded as GBK, ``iso-8859-1`` as windows-1252, ...). A Latin-1 or ASCII label
   is a library default more often than a fact: bytes that are valid UTF-8 with non-ASCII
   characters are read as UTF-8 (as the WHATWG rules read JSON whatever its label);
3. UTF-8;
4. detection with chardet (0BSD, https://github.com/chardet/chardet), restricted to the legacy
   charsets above: it reads short texts best of the detectors we tried (20 of 25 names and
   addresses of 4-24 bytes right, against 12 for charset-normalizer and 9 for cChardet) and
   never calls random bytes text. At most :data:`DETECT_BYTES` are given to it.

What none of these reads without error is not decoded: callers keep the bytes as sent (the
percent-encoded text) and say so in a note. Nothing here returns U+FFFD.
"""

from __future__ import annotations

import codecs
import re
from functools import lru_cache
from typing import NamedTuple
from urllib.parse import unquote

DETECT_BYTES = 64 * 1024
# chardet's confidence for real text of 4-24 bytes was 0.012-0.44 in our samples, for 300 KB of
# noise around a JSON object 0.0000024: below this, the bytes are not believed to be text.
MIN_CONFIDENCE = 0.005
# The legacy charsets chardet may answer with (its own names); UTF-16/32 are only believed with
# a byte-order mark: 64 random bytes were "detected" as UTF-16 without this list.
_CANDIDATES = (
    "gb18030",
    "big5",
    "shift_jis",
    "cp932",
    "euc-jp",
    "euc-kr",
    "cp949",
    "cp874",
    "cp1250",
    "cp1251",
    "cp1252",
    "cp1253",
    "cp1254",
    "cp1255",
    "cp1256",
    "cp1257",
    "cp1258",
    "iso-8859-1",
    "iso-8859-2",
    "iso-8859-5",
    "iso-8859-7",
    "iso-8859-9",
    "iso-8859-15",
    "koi8-r",
    "koi8-u",
    "utf-8",
)
# Labels decoded with a superset, as browsers do (WHATWG Encoding Standard): what a client
# labels GB2312 is GBK in practice, Shift_JIS is Windows-31J, EUC-KR is Windows-949.
_SUPERSET = {
    # WHATWG's GBK decoder is its gb18030 decoder: GBK/GB2312-labelled text may hold
    # four-byte sequences (CJK Extension B+ characters in names), which Python's gbk refuses.
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "shift_jis": "cp932",
    "euc_kr": "cp949",
    "big5": "big5hkscs",
    "iso8859_1": "cp1252",
    "ascii": "cp1252",
    "iso8859_9": "cp1254",
    "iso8859_11": "cp874",
    "tis_620": "cp874",
}
_LATIN_DEFAULTS = frozenset({"iso8859_1", "ascii", "cp1252"})
_UTF8 = frozenset({"utf_8", "utf_8_sig"})
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_BOM_STARTS = frozenset(bom[:1] for bom, _ in _BOMS)
# C0 controls other than tab, line feed, carriage return (and form feed, escape in ISO-2022):
# text in any of the candidate charsets has none; binary data nearly always has some.
_CONTROLS = re.compile(rb"[\x00-\x08\x0e-\x1a\x1c-\x1f\x7f]")
_HIGH_ESCAPE = re.compile(r"%[89A-Fa-f][0-9A-Fa-f]")
_ESCAPE = re.compile(rb"%([0-9A-Fa-f]{2})")


class Text(NamedTuple):
    """Decoded text and the charset that decoded it: ``""`` for UTF-8 (and ASCII), else the
    label used as a step of the encoding chain (``gbk``, ``big5``, ``shift_jis``, ``utf-16``)."""

    text: str
    charset: str


# Labels servers send that Python's codec registry does not know, to the codec it knows them
# by: the WHATWG Encoding Standard's labels (https://encoding.spec.whatwg.org/encodings.json)
# and Java's and .NET's charset names (java.nio.charset "x-" aliases; .NET Encoding.WebName).
_LABELS = {
    **dict.fromkeys(("unicode-1-1-utf-8", "unicode11utf8", "unicode20utf8", "x-unicode20utf8",
                     "utf8mb4"), "utf_8"),
    **dict.fromkeys(("x-gbk", "gb_2312", "csgb2312", "ms936", "windows-936", "x-mswin-936",
                     "cp-936", "x-cp936"), "gbk"),
    **dict.fromkeys(("x-gb18030", "gb-18030", "gb18030-2000", "gb18030-2022"), "gb18030"),
    **dict.fromkeys(("x-x-big5", "cn-big5", "x-big5"), "big5"),
    **dict.fromkeys(("x-big5-hkscs", "big5_hkscs-2008", "big5-hkscs:2008"), "big5hkscs"),
    **dict.fromkeys(("x-windows-950", "ms950", "windows-950"), "cp950"),
    **dict.fromkeys(("x-sjis", "x-ms-cp932", "windows-932", "shift-jis-2004"), "cp932"),
    **dict.fromkeys(("x-euc-jp", "cseucpkdfmtjapanese", "eucjp-ms", "x-eucjp-open"), "euc_jp"),
    **dict.fromkeys(("ks_c_5601-1989", "ksc_5601", "csksc56011987", "iso-ir-149", "cseuckr",
                     "x-euc-kr"), "euc_kr"),
    **dict.fromkeys(("windows-949", "x-windows-949", "ms949", "uhc", "ks_c_5601"), "cp949"),
    **dict.fromkeys(("windows-874", "dos-874", "x-windows-874", "iso885911"), "cp874"),
    **{f"x-cp125{n}": f"cp125{n}" for n in range(9)},
    **dict.fromkeys(("x-mac-cyrillic", "x-mac-ukrainian"), "mac_cyrillic"),
    **dict.fromkeys(("x-mac-roman", "csmacintosh", "mac"), "mac_roman"),
    **dict.fromkeys(("koi", "koi8", "cskoi8r"), "koi8_r"),
    "koi8-ru": "koi8_u",
    **dict.fromkeys(("iso-8859-8-i", "csiso88598i", "logical", "visual", "csiso88598e",
                     "iso-8859-8-e"), "iso8859_8"),
    **dict.fromkeys(("csiso88596e", "csiso88596i", "iso-8859-6-e", "iso-8859-6-i"), "iso8859_6"),
    **dict.fromkeys(("csisolatin9", "l9"), "iso8859_15"),
    **dict.fromkeys(("csunicode", "iso-10646-ucs-2", "ucs-2", "unicode", "unicodefeff"),
                    "utf_16_le"),
    "unicodefffe": "utf_16_be",
}  # fmt: skip


@lru_cache(maxsize=256)
def codec_name(label: str | None) -> str | None:
    """Python's codec name for a charset label (``GB2312`` -> ``gb2312``, ``x-gbk`` -> ``gbk``,
    ``ks_c_5601-1987`` -> ``euc_kr``); None if unknown. Labels Python does not know are looked
    up in the WHATWG Encoding Standard's labels and Java's and .NET's names (``_LABELS``).

    Labels come from traffic: quotes and spaces are stripped, at most 40 characters are read.
    """
    if not label:
        return None
    cleaned = label.strip().strip("\"'").strip().lower()[:40]
    if not cleaned:
        return None
    cleaned = _LABELS.get(cleaned, cleaned)
    try:
        info = codecs.lookup(cleaned)
    except LookupError:
        return None
    # Only text codecs: "base64", "rot13", "zlib" are codecs too, but no charsets.
    if not getattr(info, "_is_text_encoding", True):
        return None
    return info.name.replace("-", "_")


def step_name(codec: str) -> str:
    """The chain step that names a charset: ``gbk``, ``shift_jis``, ``cp1251``, ``euc-kr``,
    ``iso-8859-2``, ``utf-16`` (its usual label, from Python's codec name)."""
    if codec.startswith("iso8859_"):
        return "iso-8859-" + codec.removeprefix("iso8859_")
    return codec.replace("_", "-") if codec.startswith(("utf", "euc", "koi8")) else codec


def decode_declared(data: bytes, codec: str) -> Text | None:
    """``data`` in its declared charset (through the browser's superset); None if it does not
    decode. A Latin-1/ASCII label on valid non-ASCII UTF-8 yields UTF-8 (see module doc)."""
    if codec in _UTF8:
        return _utf8(data)
    if codec in _LATIN_DEFAULTS:
        utf8 = _utf8(data)
        if utf8 is not None:
            return utf8
    for name in (_SUPERSET.get(codec), codec):
        if name is None:
            continue
        try:
            text = data.decode(name)
        except (UnicodeDecodeError, LookupError):
            continue
        return Text(text, "" if text.isascii() else step_name(codec))
    return None


def encode_back(text: str, label: str) -> bytes | None:
    """``text`` as the bytes it was decoded from by a charset ``label`` (any label
    :func:`codec_name` knows), through the browser's superset first (text a GBK label decoded
    may hold four-byte GB18030 characters); None where the label is unknown or the charset
    cannot write ``text``. Exporters that decode bodies by the declared charset are undone so."""
    codec = codec_name(label)
    if codec is None:
        return None
    for name in dict.fromkeys((_SUPERSET.get(codec, codec), codec)):
        try:
            return text.encode(name)
        except (UnicodeError, LookupError):
            continue
    return None


def decode_text(data: bytes, declared: str | None = None, detect: bool = True) -> Text | None:
    """``data`` as text: BOM, then the declared charset (a codec name from :func:`codec_name`),
    then UTF-8, then (when ``detect``) detection. None when nothing decodes it without error
    or ``data`` holds binary control characters (then it is no text in any of these charsets).
    """
    for bom, name in _BOMS if data[:1] in _BOM_STARTS else ():
        if data.startswith(bom):
            try:
                return Text(data.decode(name), "" if name == "utf-8-sig" else name)
            except UnicodeDecodeError:
                break
    if declared is not None:
        found = decode_declared(data, declared)
        if found is not None:
            return found
    utf8 = _utf8(data)
    if utf8 is not None:
        return utf8
    if not detect or _CONTROLS.search(data, 0, DETECT_BYTES):
        return None
    codec = detect_charset(data)
    return decode_declared(data, codec) if codec is not None else None


def detect_charset(data: bytes) -> str | None:
    """The legacy charset chardet reads ``data`` in (its first :data:`DETECT_BYTES`), as a
    codec name; None for pure ASCII, UTF-8, or when nothing fits."""
    sample = bytes(data[:DETECT_BYTES])
    if sample.isascii():
        return None
    if _GB18030_FOUR_BYTE.search(sample) and _gb18030_han(sample):
        return "gb18030"
    # Short samples (query values, names) repeat from flow to flow: remembered; long ones are
    # not, so that the cache holds at most 1024 x 256 bytes.
    return _detect_cached(sample) if len(sample) <= 256 else _detect(sample)


def _detect(sample: bytes) -> str | None:
    import chardet  # ~25 MB of models, loaded only when a flow needs them

    # "utf-8" as the answer for "nothing fits": the sample is no UTF-8, so it cannot be meant.
    found = chardet.detect(
        sample,
        include_encodings=_CANDIDATES,
        compat_names=False,
        prefer_superset=True,
        no_match_encoding="utf-8",
    )
    name = codec_name(found.get("encoding"))
    if name is None or name in _UTF8 or (found.get("confidence") or 0) < MIN_CONFIDENCE:
        return None
    try:
        sample.decode(_SUPERSET.get(name, name))
    except (UnicodeDecodeError, LookupError):
        return None
    return name


_detect_cached = lru_cache(maxsize=1024)(_detect)

# A GB18030 four-byte sequence (GB 18030-2005 section 6.3): byte, digit, byte, digit. No other
# candidate charset has a digit as a trail byte, so such text is GB18030 when it decodes to Han
# characters (statistical detectors see too few bytes in a name to say so: "𠮷田" is 6 bytes).
_GB18030_FOUR_BYTE = re.compile(rb"[\x81-\xfe][\x30-\x39][\x81-\xfe][\x30-\x39]")
# Han ideographs (URO, Extension A, compatibility, Extensions B-I in planes 2 and 3), CJK
# punctuation and full-width forms: what Chinese text outside ASCII is made of (Unicode 16.0
# Blocks.txt).
_HAN = re.compile(
    "[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef"
    "\U00020000-\U0002fa1f\U00030000-\U000323af]"
)
_HAN_FOUR_BYTE = re.compile("[\u3400-\u4dbf\U00020000-\U0002fa1f\U00030000-\U000323af]")


def _gb18030_han(sample: bytes) -> bool:
    """Whether ``sample`` (cut at most mid-character at its end) is GB18030 text whose
    non-ASCII characters are all Han or CJK punctuation, with a Han character that only the
    four-byte form writes."""
    cuts = range(4) if len(sample) == DETECT_BYTES else range(1)
    for cut in cuts:
        try:
            text = sample[: len(sample) - cut].decode("gb18030")
            break
        except UnicodeDecodeError:
            continue
    else:
        return False
    other = [ch for ch in text if not ch.isascii()]
    return (
        bool(other)
        and all(_HAN.match(ch) for ch in other)
        and _HAN_FOUR_BYTE.search(text) is not None
    )


def _utf8(data: bytes) -> Text | None:
    try:
        return Text(data.decode("utf-8"), "")
    except UnicodeDecodeError:
        return None


# --- percent-encoding ------------------------------------------------------------------------


def has_high_escapes(text: str) -> bool:
    """True when ``text`` percent-encodes bytes >= 0x80 (UTF-8 or a legacy charset)."""
    return "%" in text and _HIGH_ESCAPE.search(text) is not None


def unquote_bytes(text: str, plus: bool = False) -> bytes:
    """Percent-decoding to bytes (``+`` as a space when ``plus``); other characters as UTF-8."""
    if plus and "+" in text:
        text = text.replace("+", " ")
    raw = text.encode("utf-8", "surrogatepass")
    return _ESCAPE.sub(lambda match: bytes.fromhex(match.group(1).decode("ascii")), raw)


def decode_escaped(
    items: list[str], declared: str | None, plus: bool
) -> tuple[list[Text | None], str | None]:
    """Percent-encoded texts (the names and values of one form or query) decoded together.

    Each is decoded by the declared charset, else as UTF-8; those that are neither are decoded
    by the charset detected over all of them at once (a single value of 6 bytes is too little
    to tell GBK from KOI8-R; the query's other values help). Returns one :class:`Text` per item,
    None where nothing decodes it, and the charset detected (None if none was needed).
    """
    out: list[Text | None] = []
    pending: list[int] = []
    raw_items = [unquote_bytes(item, plus) for item in items]
    for index, data in enumerate(raw_items):
        found = decode_declared(data, declared) if declared is not None else None
        if found is None:
            found = _utf8(data)
        if found is None:
            pending.append(index)
        out.append(found)
    if not pending:
        return out, None
    sample = b" ".join(raw_items[index] for index in pending)
    codec = None if _CONTROLS.search(sample, 0, DETECT_BYTES) else detect_charset(sample)
    if codec is not None:
        for index in pending:
            out[index] = decode_declared(raw_items[index], codec)
    return out, codec


def unquote_text(text: str) -> Text | None:
    """``urllib.parse.unquote`` for one value, but bytes that are no UTF-8 are decoded by the
    charset detected in them (named in :attr:`Text.charset`); None where none decodes them."""
    if not has_high_escapes(text):
        return Text(unquote(text), "")
    try:
        return Text(unquote(text, errors="strict"), "")
    except UnicodeDecodeError:
        pass
    decoded, _ = decode_escaped([text], None, plus=False)
    return decoded[0]


# Bytes that were no UTF-8, as the store keeps them visible: "\xcd" in header values
# (backslashreplace), "\udccd" in URLs (mitmproxy's surrogateescape, then backslashreplace).
_STORED_BYTE = re.compile(r"\\x([89a-fA-F][0-9a-fA-F])|\\udc([89a-fA-F][0-9a-fA-F])")


def unescape_stored(text: str) -> Text | None:
    """A header value or URL whose raw non-UTF-8 bytes the store kept as ``\\xNN`` or
    ``\\udcNN`` escapes, decoded by the charset detected in those bytes (GBK sent raw in a
    header, as some Chinese SDKs do). None where ``text`` has no such escapes or no legacy
    charset reads them (then the escaped text is what stays)."""
    if "\\" not in text or _STORED_BYTE.search(text) is None:
        return None
    data = bytearray()
    pos = 0
    for match in _STORED_BYTE.finditer(text):
        data += text[pos : match.start()].encode("utf-8", "surrogatepass")
        data.append(int(match.group(1) or match.group(2), 16))
        pos = match.end()
    data += text[pos:].encode("utf-8", "surrogatepass")
    found = decode_text(bytes(data), None, detect=True)
    return found if found is not None and found.charset else None
