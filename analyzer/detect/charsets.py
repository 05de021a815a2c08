"""A profile's non-ASCII values in the legacy charsets of the markets leakmap is about.

An app in China may send a Wi-Fi name or a person's name in GBK, percent-encoded in a query or a
form (``%CD%F5%BC%D2``), or as raw bytes in a body; Japanese, Korean, Taiwanese, Russian, Thai and
Arabic apps do the same with Shift_JIS, EUC-KR, Big5, windows-1251, windows-874 or windows-1256.
The decoders turn what they can back into text; for the rest, :func:`legacy_encodings` gives the
bytes of a value in every charset that can encode it, so that the matcher also finds them
percent-encoded or as one character per byte (the ISO-8859-1 reading that keeps every byte).

Charsets are Python's codecs (``codecs`` module), named by their WHATWG Encoding Standard labels
in findings (``gbk>url``). Where two charsets give the same bytes for a value (GBK and GB18030 for
common Hanzi, windows-1252 and ISO-8859-1 for most accented Latin), the first in
:data:`LEGACY_CHARSETS` names them.
"""

from __future__ import annotations

# (label in findings, Python codec), most used first within each market.
LEGACY_CHARSETS: tuple[tuple[str, str], ...] = (
    ("gbk", "gbk"),
    ("gb18030", "gb18030"),
    ("big5", "big5"),
    ("big5-hkscs", "big5hkscs"),
    ("shift_jis", "cp932"),
    ("euc-jp", "euc_jp"),
    ("euc-kr", "cp949"),
    ("windows-1251", "cp1251"),
    ("koi8-r", "koi8_r"),
    ("koi8-u", "koi8_u"),
    ("iso-8859-5", "iso8859_5"),
    ("ibm866", "cp866"),
    ("windows-1252", "cp1252"),
    ("iso-8859-15", "iso8859_15"),
    ("windows-1250", "cp1250"),
    ("iso-8859-2", "iso8859_2"),
    ("windows-1253", "cp1253"),
    ("iso-8859-7", "iso8859_7"),
    ("windows-1254", "cp1254"),
    ("windows-1255", "cp1255"),
    ("iso-8859-8", "iso8859_8"),
    ("windows-1256", "cp1256"),
    ("iso-8859-6", "iso8859_6"),
    ("windows-1257", "cp1257"),
    ("iso-8859-13", "iso8859_13"),
    ("windows-1258", "cp1258"),
    ("windows-874", "cp874"),
    ("iso-8859-11", "iso8859_11"),
)


def legacy_encodings(text: str) -> list[tuple[str, bytes]]:
    """``(charset label, bytes)`` for each legacy charset that encodes ``text`` whole.

    Empty for ASCII text (every charset here writes it as ASCII, which the plain variants cover)
    and for text no charset can encode. Bytes equal to the UTF-8 encoding are left out (UTF-8 is
    what the plain and URL variants already are).
    """
    if text.isascii():
        return []
    utf8 = text.encode("utf-8")
    seen = {utf8}
    out = []
    for label, codec in LEGACY_CHARSETS:
        try:
            data = text.encode(codec)
        except UnicodeEncodeError:
            continue
        if data not in seen:
            seen.add(data)
            out.append((label, data))
    return out
