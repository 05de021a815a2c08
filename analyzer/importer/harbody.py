"""The bytes a HAR body stood for, in every form exporters write it (see docs/import.md).

HAR 1.2 has no field for a binary request body, so each exporter invented one: base64 with
``encoding`` (Reqable, the HAR 1.3 draft) or ``_encoding`` (leakmap before 0.2, several proxies),
HTTP Toolkit's ``_content``, params without text, or the bytes as text: one character per byte
(mitmproxy's ``savehar``, ProxyPin), UTF-8 with the undecodable bytes replaced by U+FFFD
(Chrome, HTTP Toolkit's old exports, PCAPdroid), or decoded by the declared charset. The
functions here undo each form exactly where it can be undone, and say in a note where bytes
were lost before leakmap saw the file.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote_plus

from analyzer.decode.charset import encode_back
from analyzer.decode.content import DecodeError, decompress, sniff_coding

BASE64_NAMES = frozenset({"base64", "b64", "base64url"})
PROBE_BYTES = 4096  # decompressed to prove that a body is still compressed
_PARAMS_BOUNDARY = "leakmap-har-params"
# A form value as a URL-encoding exporter (Chrome) writes it: nothing left to encode.
_FORM_ENCODED = re.compile(r"(?:[A-Za-z0-9\-._~!$'()*,;:@/?+]|%[0-9A-Fa-f]{2})*")
_UTF8_NAMES = frozenset({"utf-8", "utf8", "utf_8", "unicode-1-1-utf-8", "us-ascii", "ascii"})


@dataclass(slots=True)
class Body:
    """A recovered body: its bytes, the coding they still have, the type a rebuilt body needs."""

    data: bytes | None
    coding: str | None = None
    content_type: str | None = None


class Exporter:
    """What the file's ``log.creator`` says about how its text bodies were written."""

    def __init__(self, creator: Any) -> None:
        name = creator.get("name") if isinstance(creator, dict) else None
        self.name = name if isinstance(name, str) else ""
        lowered = self.name.lower()
        # mitmproxy's savehar decodes by mitmproxy's own charset rules (latin-1 by default).
        self.mitmproxy = lowered == "mitmproxy"
        # leakmap writes text only where a body is valid UTF-8, bytes as base64.
        self.leakmap = lowered == "leakmap"


def base64_bytes(text: str) -> bytes | None:
    """``text`` decoded as base64 (standard or URL-safe alphabet, padded or not, line breaks
    allowed); None when it is not base64."""
    compact = "".join(text.split())
    if not compact:
        return b""
    if "-" in compact or "_" in compact:
        compact = compact.translate(str.maketrans("-_", "+/"))
    compact += "=" * (-len(compact) % 4)
    try:
        return base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError):
        return None


def is_base64_marker(value: Any) -> bool:
    return isinstance(value, str) and value.strip().lower() in BASE64_NAMES


def charset_of(content_type: str | None) -> str | None:
    """The ``charset`` parameter of a Content-Type, lower-cased; None without one."""
    for part in (content_type or "").split(";")[1:]:
        key, _, value = part.partition("=")
        if key.strip().lower() == "charset" and value.strip():
            return value.strip().strip("\"'").lower()
    return None


def text_bytes(
    text: str, content_type: str | None, exporter: Exporter, charset: str | None = None
) -> tuple[bytes, list[str]]:
    """The bytes an exporter's text stands for, and notes on what was lost before leakmap.

    In order: surrogate escapes (Python exporters, leakmap's reading of invalid UTF-8 in a file)
    give back their bytes; a declared non-UTF-8 charset encodes the text back (mitmproxy,
    Firefox and others decode by it); mitmproxy's own charset choice is replayed; text of
    characters U+0000-U+00FF that only bytes explain (control characters, or UTF-8 read as
    Latin-1) is one character per byte; anything else is UTF-8.
    """
    notes: list[str] = []
    if "\ufffd" in text:
        notes.append(
            "request body has U+FFFD replacement characters: the exporter replaced bytes it "
            "could not decode as text, so those bytes cannot be analysed"
        )
    surrogates = {ch for ch in text if "\ud800" <= ch <= "\udfff"}
    if surrogates:
        if all("\udc80" <= ch <= "\udcff" for ch in surrogates):
            return text.encode("utf-8", "surrogateescape"), notes
        notes.append("request body has lone UTF-16 surrogates (not valid Unicode): kept escaped")
        return text.encode("utf-8", "surrogatepass"), notes
    if exporter.leakmap:  # UTF-8, or the charset its export names (``_charset``)
        return (_encode(text, charset) if charset else None) or text.encode("utf-8"), notes
    charset = charset_of(content_type)
    lossy = bool(notes)
    if charset and charset not in _UTF8_NAMES and not lossy:
        encoded = _encode(text, charset)
        if encoded is not None:
            return encoded, notes
    if exporter.mitmproxy:
        encoded = _encode(text, _mitmproxy_charset(content_type, text))
        if encoded is not None:
            return encoded, notes
    elif not lossy and _bytes_as_characters(text):
        return text.encode("latin-1"), notes
    return text.encode("utf-8"), notes


def _bytes_as_characters(text: str) -> bool:
    """Whether text of code points <= U+00FF is bytes written one character per byte."""
    if text.isascii():
        return False  # the same bytes either way
    if any(ord(ch) > 0xFF for ch in text):
        return False
    for ch in text:
        code = ord(ch)
        if (code < 0x20 and ch not in "\t\r\n\f") or 0x7F <= code <= 0x9F:
            return True  # control characters: no text exporter writes them
    raw = text.encode("latin-1")
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False  # Latin-1 text such as "Größe": written as text, sent as UTF-8
    return True  # UTF-8 bytes shown as Latin-1 characters ("GrÃ¶ÃŸe")


def _mitmproxy_charset(content_type: str | None, text: str) -> str:
    """The charset mitmproxy's ``Message.get_text`` used for a body of this type, which its
    ``savehar`` writes as ``postData.text`` (mitmproxy.net.http.headers.infer_content_encoding)."""
    from mitmproxy.net.http.headers import infer_content_encoding

    probe = text[:2048].encode("latin-1", "replace")
    return infer_content_encoding(content_type or "", probe)


def _encode(text: str, charset: str) -> bytes | None:
    return encode_back(text, charset)


def params_body(
    params: list[Any], mime_type: str, header_type: str | None
) -> tuple[Body, list[str]]:
    """A request body rebuilt from ``postData.params`` (exporters that write no text):
    multipart when the type says so, else URL-encoded form data."""
    notes: list[str] = []
    declared = header_type or mime_type or ""
    if declared.lower().startswith("multipart/"):
        boundary = _boundary(header_type) or _boundary(mime_type)
        content_type = None if boundary else f"multipart/form-data; boundary={_PARAMS_BOUNDARY}"
        boundary = boundary or _PARAMS_BOUNDARY
        parts = []
        for param in params:
            name, value = _param_text(param, "name"), _param_text(param, "value")
            file_name = param.get("fileName") if isinstance(param, dict) else None
            disposition = f'form-data; name="{_quoted(name)}"'
            if isinstance(file_name, str):
                disposition += f'; filename="{_quoted(file_name)}"'
                if not (isinstance(param, dict) and "value" in param):
                    shown = "".join(ch if ch.isprintable() else "?" for ch in name[:40])
                    notes.append(
                        f"multipart file field {shown!r} without its content in the file "
                        "(only its file name): the file cannot be analysed"
                    )
            head = f"Content-Disposition: {disposition}\r\n"
            if isinstance(param, dict) and isinstance(param.get("contentType"), str):
                head += f"Content-Type: {param['contentType']}\r\n"
            parts.append(f"--{boundary}\r\n{head}\r\n{value}\r\n")
        text = "".join(parts) + f"--{boundary}--\r\n"
        return Body(text.encode("utf-8", "surrogatepass"), content_type=content_type), notes
    pairs = [
        f"{form_part(_param_text(p, 'name'))}={form_part(_param_text(p, 'value'))}" for p in params
    ]
    form_type = None
    if not declared.lower().startswith("application/x-www-form-urlencoded"):
        form_type = "application/x-www-form-urlencoded"
    return Body("&".join(pairs).encode("utf-8", "surrogatepass"), content_type=form_type), notes


def _quoted(text: str) -> str:
    """A name or file name inside a quoted Content-Disposition parameter, escaped as browsers
    write it (WHATWG HTML, multipart/form-data encoding: ``"`` as %22, CR and LF as %0D %0A)."""
    return text.replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")


def _param_text(param: Any, key: str) -> str:
    if isinstance(param, dict):
        value = param.get(key)
    elif isinstance(param, list | tuple) and len(param) == 2:  # [name, value] pairs
        value = param[0 if key == "name" else 1]
    else:
        value = None
    return "" if value is None else str(value)


def form_part(text: str) -> str:
    """A form name or value: as written where it is URL-encoded already (Chrome writes params
    encoded), else encoded (Firefox writes them raw)."""
    if _FORM_ENCODED.fullmatch(text):
        return text
    return quote_plus(text.encode("utf-8", "surrogatepass"), safe="")


def _boundary(content_type: str | None) -> str | None:
    for part in (content_type or "").split(";")[1:]:
        key, _, value = part.partition("=")
        if key.strip().lower() == "boundary" and value.strip():
            return value.strip().strip('"')
    return None


def still_compressed(data: bytes, coding: str | None) -> tuple[bool, str | None]:
    """(kept, note): whether ``data`` verifiably still has the content-coding ``coding`` (a
    ``Content-Encoding`` value, possibly a chain), tried on a bounded prefix of the output.

    A body that decodes as text is taken as decoded, whatever it says: exporters keep the
    header when they write the decoded body, and brotli has no magic number to tell it by.
    The note is set when the body looks compressed but cannot be decompressed.
    """
    codings = [c.strip().lower() for c in (coding or "").split(",") if c.strip()]
    codings = [c for c in codings if c != "identity"]
    if not codings or not data:
        return False, None
    if _is_text(data) and not sniff_coding(data):
        return False, None
    out = data
    try:
        for step in reversed(codings):
            out, _complete = decompress(out, step, PROBE_BYTES)
    except DecodeError as error:
        if sniff_coding(data) or data[:1] == b"\x78":
            return False, (
                f"request body declared Content-Encoding {coding} looks compressed but cannot "
                f"be decompressed ({str(error)[:80]}); analysed as it is"
            )
        return False, None
    return bool(out), None


def _is_text(data: bytes) -> bool:
    sample = data[:1024]
    try:
        text = sample.decode("utf-8")
    except UnicodeDecodeError as error:
        if error.start < len(sample) - 3:  # not just a character cut at the sample's end
            return False
        text = sample[: error.start].decode("utf-8")
    return not any(ord(ch) < 32 and ch not in "\t\r\n\f" for ch in text)
