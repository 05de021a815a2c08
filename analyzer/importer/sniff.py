"""What a file is, from its first bytes: a HAR, a mitmproxy dump, or something to call by name.

A user who hands ``leakmap import`` a PCAP, a Fiddler archive or a saved web page should read
what that file is and what to do instead, not "corrupt mitmproxy dump". The signatures are the
published magic numbers of each format (sources beside each entry of :data:`SIGNATURES`).
"""

from __future__ import annotations

import re
import zlib

HEAD_BYTES = 4096  # enough for every signature below and a look at the start of a text file

# (magic at offset 0, what the file is). First match wins; longer magics come first.
SIGNATURES: tuple[tuple[bytes, str], ...] = (
    # libpcap savefile, both byte orders, micro- and nanosecond variants
    # (https://www.tcpdump.org/manpages/pcap-savefile.5.html)
    (b"\xd4\xc3\xb2\xa1", "a PCAP packet capture (tcpdump/Wireshark/PCAPdroid)"),
    (b"\xa1\xb2\xc3\xd4", "a PCAP packet capture (tcpdump/Wireshark/PCAPdroid)"),
    (b"\x4d\x3c\xb2\xa1", "a PCAP packet capture (tcpdump/Wireshark/PCAPdroid)"),
    (b"\xa1\xb2\x3c\x4d", "a PCAP packet capture (tcpdump/Wireshark/PCAPdroid)"),
    # pcapng Section Header Block (https://www.ietf.org/archive/id/draft-ietf-opsawg-pcapng-03.html)
    (b"\x0a\x0d\x0d\x0a", "a PCAPNG packet capture (Wireshark/PiRogue)"),
    # SQLite database header (https://www.sqlite.org/fileformat.html, section 1.3)
    (b"SQLite format 3\x00", "a SQLite database (a leakmap store is opened with --db)"),
    # ZIP local file header (PKWARE APPNOTE.TXT 4.3.7); Fiddler's .saz is a ZIP archive
    (b"PK\x03\x04", "a ZIP archive (a Fiddler .saz session is one: export HAR from Fiddler)"),
    (b"PK\x05\x06", "an empty ZIP archive"),
    # Compression containers (bzip2 "BZh"; xz, https://tukaani.org/xz/xz-file-format.txt;
    # zstd, RFC 8878 section 3.1.1; 7z, 7-Zip's 7zFormat.txt)
    (b"\xfd7zXZ\x00", "an xz-compressed file (decompress it first)"),
    (b"\x28\xb5\x2f\xfd", "a zstd-compressed file (decompress it first)"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive (extract it first)"),
    (b"BZh", "a bzip2-compressed file (decompress it first)"),
    # Documents and images (PDF 1.7 section 7.5.2; PNG spec section 5.2; JPEG/JFIF SOI marker)
    (b"%PDF-", "a PDF document"),
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    # Android's `adb backup` format (AOSP BackupManagerService: "ANDROID BACKUP\n")
    (b"ANDROID BACKUP\n", "an Android backup (adb backup)"),
)

# Byte-order marks, longest first (UTF-32LE starts with the UTF-16LE mark).
BOMS: tuple[tuple[bytes, str], ...] = (
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\xef\xbb\xbf", "utf-8"),
    (b"\xfe\xff", "utf-16-be"),
    (b"\xff\xfe", "utf-16-le"),
)

# A mitmproxy dump is a stream of tnetstrings: "<length>:<payload><type char>".
_TNETSTRING = re.compile(rb"\d{1,12}:")


def text_encoding(head: bytes) -> tuple[str, int] | None:
    """(codec, BOM length) of a text file in UTF-8/16/32, from its BOM or, without one, from
    where the NUL bytes of ASCII characters fall; None when the start is not such text."""
    for bom, codec in BOMS:
        if head.startswith(bom):
            return codec, len(bom)
    sample = head[:4]
    if len(sample) == 4:
        # JSON and text start with an ASCII character: its UTF-16/32 form has NULs around it.
        if sample[1:] == b"\x00\x00\x00":
            return "utf-32-le", 0
        if sample[:3] == b"\x00\x00\x00":
            return "utf-32-be", 0
        if sample[1] == 0 and sample[3] == 0 and sample[0] and sample[2]:
            return "utf-16-le", 0
        if sample[0] == 0 and sample[2] == 0 and sample[1] and sample[3]:
            return "utf-16-be", 0
    return None


def compression_of(head: bytes) -> str | None:
    """ "gzip" or "zlib" when the file is compressed that way (mitmproxy's .zhar is zlib)."""
    if head[:2] == b"\x1f\x8b":
        return "gzip"
    # RFC 1950: CMF says deflate (low nibble 8, window <= 32K) and CMF*256+FLG is a multiple of 31.
    deflate = len(head) >= 2 and head[0] & 0x0F == 8 and head[0] >> 4 <= 7
    if deflate and (head[0] << 8 | head[1]) % 31 == 0:
        return "zlib"
    return None


def looks_like_json(text_start: str) -> bool:
    return text_start.lstrip("\ufeff \t\r\n")[:1] in ("{", "[")


def is_mitm_dump(head: bytes) -> bool:
    return bool(_TNETSTRING.match(head))


def describe(head: bytes) -> str:
    """What a file that is neither a HAR nor a mitmproxy dump is, for a one-line error."""
    for magic, what in SIGNATURES:
        if head.startswith(magic):
            return what
    if head[:2] == b"\x1f\x8b":
        return "a gzip-compressed file that does not hold a HAR"
    if compression_of(head) == "zlib":
        try:
            inner = zlib.decompressobj().decompress(head, 512)
        except zlib.error:
            inner = b""
        if inner:
            return "a zlib-compressed file that does not hold a HAR"
    encoding = text_encoding(head)
    codec, skip = encoding if encoding else ("utf-8", 0)
    text = head[skip:].decode(codec, "replace")
    if encoding or _mostly_text(text):
        return describe_text(text)
    return "binary data of an unknown kind"


def describe_text(text: str) -> str:
    """What a text file is: HTML, XML (a Charles .chlsx session), JSON of another kind, text."""
    start = text.lstrip("\ufeff \t\r\n")
    lowered = start[:512].lower()
    if lowered.startswith(("<!doctype html", "<html")) or "<html" in lowered[:200]:
        return "an HTML page (a saved web page, not a HAR export)"
    if lowered.startswith("<?xml") or lowered.startswith("<"):
        if "<charles-session" in lowered:
            return "a Charles XML session (.chlsx): export it from Charles as HAR instead"
        return "an XML document"
    if start[:1] in ("{", "["):
        return "JSON that is not a HAR"
    return "a text file"


def describe_json(document: object) -> str:
    """What a parsed JSON document without a ``log.entries`` list is (after "not a HAR file: ")."""
    if isinstance(document, dict):
        if "info" in document and "item" in document:
            return "a Postman collection (requests to send, not recorded traffic)"
        if document.get("_type") == "export" and "resources" in document:
            return "an Insomnia export (requests to send, not recorded traffic)"
        if isinstance(document.get("log"), dict):
            return "its log has no entries list"
        keys = ", ".join(sorted(_printable(str(k))[:30] for k in list(document)[:8]))
        return f"JSON without a log.entries list (top-level keys: {keys or 'none'})"
    if isinstance(document, list):
        return "a JSON list, not an object with log.entries"
    return f"a JSON {type(document).__name__}, not an object with log.entries"


def _printable(text: str) -> str:
    return "".join(ch if ch.isprintable() else "?" for ch in text)


def _mostly_text(text: str) -> bool:
    sample = text[:1024]
    if not sample:
        return False
    bad = sum(1 for ch in sample if ch == "\ufffd" or (ord(ch) < 32 and ch not in "\t\r\n\f"))
    return bad <= len(sample) // 50
