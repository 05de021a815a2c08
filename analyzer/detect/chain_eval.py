"""Transform-chain evaluation: a profile's values hidden under random chains, next to near misses.

:func:`run` generates requests (seeded) that each hide one value of an invented profile under a
random chain of one to three steps, in a random place (query, path, header, cookie, JSON, gzip
JSON, form, text body, WebSocket), next to decoys made the same way from near misses of the
profile's values (one character changed, another address, a hash of a normalisation no platform
prescribes), which must not be found. It prints recall per chain kind and the precision of all
known-value findings, and returns the figures.

Chains are built here with hashlib, zlib, mmh3 and the codecs directly, not with the matcher's
own tables, so that a mistake there is not repeated here. Kinds are written as step classes:
``norm`` (a spelling: lower-case, E.164, first name, ...), ``hash``, ``render`` (base64, base32,
base58 of a digest's bytes), ``checksum``, ``encode`` (URL, base64, hex, HTML, rot13, escapes,
a legacy charset of the bare value) and ``container`` (the value in a JSON object in base64, in
gzip in base64, in a JSON string: decoded by the walker). Kinds marked "outside" lie beyond the
chain grammar of :mod:`analyzer.detect.digests` (a hash of an encoded value, a chain of two rare
hashes): their recall says what is knowingly left out.
"""

from __future__ import annotations

import base64
import codecs
import gzip
import hashlib
import html
import json
import random
import zlib
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any
from urllib.parse import quote, urlencode

import base58
import mmh3

Echo = Callable[[str], Any]

# The invented profile: values, and the spellings a tracker may hash (independent of spellings.py).
PROFILE: dict[str, str] = {
    "email": "Tomasz.Wrobel@Poczta-Example.pl",
    "phoneNumber": "+48 601 234 567",
    "personName": "Tomasz Wróbel",
    "advertisingId": "3f2b9c1e-7d4a-4e8b-9a60-b1c2d3e4f5a6",
    "developerScopedId": "9f1c2b3a4d5e6f70",
    "macAddress": "8c:85:90:4e:11:b2",
    "imei": "353918057342165",
    "deviceName": "陈静的iPad",
    "wifiSsid": "Kawiarnia Mokotów",
    "carrier": "中国移动",  # short: a whole field, or a whole token of its encoding
}


def _digits(text: str) -> str:
    digits = "".join(c for c in text if c.isdigit())
    return digits[2:] if text.strip().startswith("00") else digits


# Spellings a tracker may hash, by property (applied to decoys alike); the invented phone numbers
# are Polish (+48: no trunk prefix, so the national number is the digits after the code).
NORMS: dict[str, dict[str, Callable[[str], str]]] = {
    "email": {"lower": str.lower, "upper": str.upper},
    "phoneNumber": {
        "e164": lambda t: "+" + _digits(t),
        "digits": _digits,
        "national": lambda t: _digits(t)[2:],
    },
    "personName": {
        "lower": str.lower,
        "first": lambda t: t.lower().split()[0],
        "last": lambda t: t.lower().split()[-1],
    },
    "advertisingId": {"upper": str.upper, "compact": lambda t: t.replace("-", "")},
    "macAddress": {"compact": lambda t: t.replace(":", ""), "upper": str.upper},
    "developerScopedId": {"upper": str.upper},
    "deviceName": {"lower": str.lower},
    "wifiSsid": {"lower": str.lower},
    "imei": {},
    "carrier": {},
}

# Near misses of each value (none contains the value or one of its spellings, and none shares a
# spelling such as a first name), and, for chains that hash the value as it is, spellings no
# platform prescribes: none may be found.
DECOYS: dict[str, list[str]] = {
    "email": ["Tomasz.Wrobel@Poczta-Example.com", "tomaszwrobel@poczta-example.pl"],
    "phoneNumber": ["+48601234568", "+48 601 243 567", "0048601234576"],
    "personName": ["Tomek Wrobel", "Tomas Wróbla"],
    "advertisingId": [
        "3f2b9c1e-7d4a-4e8b-9a60-b1c2d3e4f5a7",
        "2f2b9c1e-7d4a-4e8b-9a60-b1c2d3e4f5a6",
    ],
    "developerScopedId": ["9f1c2b3a4d5e6f71", "8f1c2b3a4d5e6f70"],
    "macAddress": ["8c:85:90:4e:11:b3", "9c:85:90:4e:11:b2"],
    "imei": ["353918057342166", "253918057342165"],
    "deviceName": ["陈静的iPhone", "陈晶的iPad"],
    "wifiSsid": ["Kawiarnia Mokotow", "Kawiarnia Mokotuw"],
    "carrier": ["中国联通", "中国移"],
}
HASH_DECOYS: dict[str, list[str]] = {
    "email": ["tomasz.wrobel@poczta-example.pl\n", " tomasz.wrobel@poczta-example.pl"],
    "phoneNumber": ["48 601 234 567", "(0048) 601-234-567"],
    "personName": ["tomasz  wróbel", "Tomasz Wróbel "],
    "deviceName": ["陈静的ipad\n"],
}

_HASHES: dict[str, Callable[[bytes], bytes]] = {
    "md5": lambda d: hashlib.md5(d).digest(),
    "sha1": lambda d: hashlib.sha1(d).digest(),
    "sha256": lambda d: hashlib.sha256(d).digest(),
    "sha224": lambda d: hashlib.sha224(d).digest(),
    "sha384": lambda d: hashlib.sha384(d).digest(),
    "sha512": lambda d: hashlib.sha512(d).digest(),
    "sha3-256": lambda d: hashlib.sha3_256(d).digest(),
    "sha3-512": lambda d: hashlib.sha3_512(d).digest(),
    "blake2b": lambda d: hashlib.blake2b(d).digest(),
    "blake2s": lambda d: hashlib.blake2s(d).digest(),
    "murmur3-128": lambda d: mmh3.hash_bytes(d, 0),
}
_USUAL = ("md5", "sha1", "sha256")
_RARE = ("sha224", "sha384", "sha3-256", "sha3-512", "blake2b", "blake2s")
_RENDERS: dict[str, Callable[[bytes], str]] = {
    "hex-upper": lambda d: d.hex().upper(),
    "base64": lambda d: base64.b64encode(d).decode(),
    "base64url": lambda d: base64.urlsafe_b64encode(d).decode().rstrip("="),
    "base32": lambda d: base64.b32encode(d).decode(),
    "base58": lambda d: base58.b58encode(d).decode(),
}
_CHECKSUMS: dict[str, Callable[[bytes], str]] = {
    "crc32": lambda d: str(zlib.crc32(d)),
    "crc32-hex": lambda d: f"{zlib.crc32(d):08x}",
    "adler32": lambda d: str(zlib.adler32(d)),
    "murmur3-32": lambda d: str(mmh3.hash(d, 0)),
}
_ENCODES: dict[str, Callable[[str], str]] = {
    "url": lambda t: quote(t, safe=""),
    "base64": lambda t: base64.b64encode(t.encode()).decode(),
    "base64url": lambda t: base64.urlsafe_b64encode(t.encode()).decode().rstrip("="),
    "base32": lambda t: base64.b32encode(t.encode()).decode(),
    "base58": lambda t: base58.b58encode(t.encode()).decode(),
    "hex": lambda t: t.encode().hex(),
    "html": lambda t: html.escape(t).encode("ascii", "xmlcharrefreplace").decode(),
    "rot13": lambda t: codecs.encode(t, "rot13"),
    "legacy-charset": lambda t: quote(_legacy(t), safe=""),
}


def _legacy(text: str) -> bytes:
    """The text in the first of GBK, Big5, windows-1250 that can write it (UTF-8 if none)."""
    for codec in ("gbk", "big5", "cp1250"):
        try:
            return text.encode(codec)
        except UnicodeEncodeError:
            continue
    return text.encode()


_CONTAINERS: dict[str, Callable[[str], str]] = {
    "base64-json": lambda t: base64.b64encode(json.dumps({"u": t}).encode()).decode(),
    "gzip-base64-json": lambda t: base64.b64encode(
        gzip.compress(json.dumps({"u": t}).encode())
    ).decode(),
    "json-string": lambda t: json.dumps({"u": t, "n": 1}),
}

# (kind, in grammar): templates of step classes, depth 1 to 3.
KINDS: tuple[tuple[str, bool], ...] = (
    ("hash", True),
    ("encode", True),
    ("checksum", True),
    ("container", True),
    ("norm>hash", True),
    ("hash>hash", True),
    ("hash>render", True),
    ("encode>encode", True),
    ("norm>checksum", True),
    ("hash>container", True),
    ("norm>hash>hash", True),
    ("hash>hash>hash", True),
    ("norm>hash>render", True),
    ("hash>hash>render", True),
    ("hash>render>container", True),
    ("encode>hash", False),
    ("rare-hash>rare-hash", False),
    ("encode>hash>render", False),
)


@dataclass(frozen=True, slots=True)
class Hidden:
    prop: str
    text: str  # what is sent
    kind: str
    chain: str  # the concrete steps, for the sample of misses


def hide(rng: random.Random, kind: str, prop: str, value: str) -> Hidden:
    """``value`` of ``prop`` under a random chain of the given kind."""
    steps = kind.split(">")
    text, names = value, []
    digest: bytes | None = None
    for index, step in enumerate(steps):
        if step == "norm":
            forms = NORMS.get(prop) or {"as-given": str}
            name = rng.choice(sorted(forms))
            text, names = forms[name](value), [name]
        elif step in ("hash", "rare-hash"):
            pool = _hash_pool(steps, index) if step == "hash" else _RARE
            name = rng.choice(pool)
            digest = _HASHES[name](text.encode())
            text = digest.hex()
            names.append(name)
        elif step == "render":
            assert digest is not None
            single = steps.count("hash") == 1
            name = rng.choice(sorted(_RENDERS) if single else ["hex-upper", "base64"])
            if name in ("base32", "base58") and names[-1] not in _USUAL:
                name = "base64"
            text = _RENDERS[name](digest)
            names.append(name)
        elif step == "checksum":
            name = rng.choice(sorted(_CHECKSUMS))
            text = _CHECKSUMS[name](text.encode())
            names.append(name)
        elif step == "encode":
            choices = sorted(_ENCODES)
            if index == 1 and steps[0] == "encode":
                choices = ["url", "base64"]  # URL-encoded base64 or twice URL-encoded
            # Only encodings that change the text (URL-encoding digits leaves them as they are).
            choices = [c for c in choices if _ENCODES[c](text) != text] or ["base64"]
            name = rng.choice(choices)
            text = _ENCODES[name](text)
            names.append(name)
        elif step == "container":
            name = rng.choice(sorted(_CONTAINERS))
            text = _CONTAINERS[name](text)
            names.append(name)
    return Hidden(prop, text, kind, ">".join(names))


def _hash_pool(steps: list[str], index: int) -> tuple[str, ...]:
    """Hashes that keep a chain inside the grammar: nested ones are the usual ones."""
    hashes = [i for i, step in enumerate(steps) if step == "hash"]
    if len(hashes) == 1:
        return tuple(_HASHES)
    return _USUAL


# A carrier puts (key, text) into a request and returns the location the finding will have.
def _place(request: dict[str, Any], where: str, key: str, text: str) -> None:
    if where == "query":
        request["query"].append((key, text))
    elif where == "header":
        request["headers"].append([f"X-{key}", text])
    elif where == "cookie":
        request["cookies"].append(f"{key}={quote(text, safe='')}")
    elif where == "form":
        request["form"].append((key, text))
    elif where == "text":
        request["text"].append(f"{key}: {text}")
    elif where == "websocket":
        request["ws"][key] = text
    else:  # json, gzip-json, path (the hidden value only)
        request["json"][key] = text


PLACES = ("query", "header", "cookie", "json", "gzip-json", "form", "text", "websocket", "path")


def _flow(request: dict[str, Any], where: str, hidden_text: str, flow_id: int) -> SimpleNamespace:
    path = "/v1/e"
    if where == "path":
        path = f"/v1/u/{quote(hidden_text, safe='')}/e"
    headers = [["User-Agent", "okhttp/4.12.0"], *request["headers"]]
    if request["cookies"]:
        headers.append(["Cookie", "; ".join(request["cookies"])])
    encoding = None
    if request["form"]:
        content_type, body = (
            "application/x-www-form-urlencoded",
            urlencode(request["form"]).encode(),
        )
    elif request["text"]:
        content_type, body = "text/plain", " | ".join(request["text"]).encode()
    else:
        content_type, body = "application/json", json.dumps(request["json"]).encode()
        if where == "gzip-json":
            body, encoding = gzip.compress(body), "gzip"
    messages = []
    if request["ws"]:
        messages.append(
            SimpleNamespace(
                from_client=True, is_text=True, content=json.dumps(request["ws"]).encode()
            )
        )
    flow = SimpleNamespace(
        id=flow_id,
        url=f"https://collect.example.org{path}?{urlencode(request['query'])}",
        request_headers=[*headers, ["Content-Type", content_type]],
        request_body=body,
        request_body_truncated=False,
        request_content_encoding=encoding,
        request_content_type=content_type,
    )
    return SimpleNamespace(flow=flow, messages=messages)


def cases(seed: int = 13, per_kind: int = 40) -> list[tuple[Hidden | None, SimpleNamespace]]:
    """Requests: ``per_kind`` per kind hiding one value, each with two decoys made the same way,
    and as many again with decoys only. Returns (what is hidden or None, request)."""
    rng = random.Random(seed)
    out: list[tuple[Hidden | None, SimpleNamespace]] = []
    props = sorted(PROFILE)
    flow_id = 0
    for kind, _ in KINDS:
        for round_ in range(2 * per_kind):
            flow_id += 1
            where = PLACES[rng.randrange(len(PLACES))]
            request: dict[str, Any] = {
                "query": [("sdk", "5.2.0")],
                "headers": [],
                "cookies": [],
                "json": {"event": "open"},
                "form": [],
                "text": [],
                "ws": {},
            }
            hidden = None
            if round_ < per_kind:
                prop = rng.choice(props)
                hidden = hide(rng, kind, prop, PROFILE[prop])
                if where != "path":
                    _place(request, where, "hk", hidden.text)
            for index in range(2):
                prop = rng.choice(props)
                pool = DECOYS[prop]
                if kind.startswith(("hash", "checksum", "rare")):
                    pool = pool + HASH_DECOYS.get(prop, [])
                decoy = hide(rng, kind, prop, rng.choice(pool))
                spot = where if where != "path" else "query"
                _place(request, spot, f"dk{index}", decoy.text)
            text = hidden.text if hidden else ""
            built = _flow(request, where, text, flow_id)
            built.place = where
            out.append((hidden, built))
    return out


def run(echo: Echo = print, seed: int = 13, per_kind: int = 40) -> dict[str, Any]:
    """Detect every generated request with the invented profile; print and return the figures.

    Returns ``{"kinds": {kind: {"labels", "found", "recall", "in_grammar"}}, "recall_in_grammar",
    "recall_outside", "places": {place: recall of in-grammar kinds}, "findings",
    "false_positives", "precision", "misses", "false"}`` (the last two: samples of up to 10
    descriptions). A finding is correct when it names the hidden
    value's property and does not sit at a decoy (``dk*``).
    """
    from analyzer.detect import Detector
    from analyzer.profile import profile_from_dict

    detector = Detector(profile_from_dict({"known": dict(PROFILE)}))
    grammar = dict(KINDS)
    tally: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    places: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    findings = wrong = 0
    misses: list[str] = []
    false: list[str] = []
    for hidden, request in cases(seed, per_kind):
        found = [
            f for f in detector.detect(request.flow, request.messages) if f.method == "known-value"
        ]
        hit = False
        for finding in found:
            findings += 1
            if hidden is not None and finding.property == hidden.prop and "dk" not in finding.path:
                hit = True
            else:
                wrong += 1
                if len(false) < 10:
                    place = f"{finding.location} {finding.path}"
                    false.append(f"{finding.property} at {place} ({finding.encoding})")
        if hidden is not None:
            tally[hidden.kind][0] += 1
            tally[hidden.kind][1] += hit
            if grammar[hidden.kind]:
                places[request.place][0] += 1
                places[request.place][1] += hit
            if not hit and grammar[hidden.kind] and len(misses) < 10:
                misses.append(f"{hidden.kind}: {hidden.prop} as {hidden.chain}")
    kinds = {
        kind: {
            "labels": labels,
            "found": found_count,
            "recall": found_count / labels if labels else 0.0,
            "in_grammar": grammar[kind],
        }
        for kind, (labels, found_count) in tally.items()
    }
    result = {
        "kinds": kinds,
        "recall_in_grammar": _recall(kinds, True),
        "recall_outside": _recall(kinds, False),
        "places": {place: found / labels for place, (labels, found) in sorted(places.items())},
        "findings": findings,
        "false_positives": wrong,
        "precision": (findings - wrong) / findings if findings else 1.0,
        "misses": misses,
        "false": false,
    }
    _print(echo, result)
    return result


def _recall(kinds: dict[str, dict[str, Any]], in_grammar: bool) -> float:
    labels = sum(k["labels"] for k in kinds.values() if k["in_grammar"] == in_grammar)
    found = sum(k["found"] for k in kinds.values() if k["in_grammar"] == in_grammar)
    return found / labels if labels else 0.0


def _print(echo: Echo, result: dict[str, Any]) -> None:
    echo("Known values under transform chains (depth 1-3, random places, with near-miss decoys)")
    echo(f"{'chain kind':26} {'hidden':>6} {'found':>6} {'recall':>7}")
    for kind, row in result["kinds"].items():
        mark = "" if row["in_grammar"] else "  (outside the grammar)"
        echo(f"{kind:26} {row['labels']:6} {row['found']:6} {row['recall']:7.1%}{mark}")
    echo(
        "recall by place (kinds inside the grammar): "
        + ", ".join(f"{place} {recall:.0%}" for place, recall in result["places"].items())
    )
    echo(
        f"recall inside the grammar {result['recall_in_grammar']:.1%}, outside "
        f"{result['recall_outside']:.1%}; precision {result['precision']:.1%} "
        f"({result['false_positives']} of {result['findings']} known-value findings wrong)"
    )
    for line in result["misses"]:
        echo(f"  missed {line}")
    for line in result["false"]:
        echo(f"  false {line}")


if __name__ == "__main__":
    run()
