"""SockJS frames: a client's JSON array of strings (over WebSocket or an ``xhr_send`` body), each
string a STOMP frame (Spring's stack) or JSON (Vert.x event bus); the server's ``o``, ``h``,
``a[...]``, ``m"..."`` and ``c[...]`` frames; and JSON arrays that are no SockJS at all.

Frames follow the SockJS protocol 0.3.3 (https://github.com/sockjs/sockjs-protocol) and the STOMP
1.2 specification; all values are invented.
"""

from __future__ import annotations

import json

import pytest

from analyzer.decode import framing
from tests.support.decode import by_path, decoded, flow, message, values

EMAIL = "oskar.lindqvist@example.se"
SOCKJS = "wss://live.example-parcel.se/stomp/482/x9k2mw1q/websocket"


def stomp(command: str, headers: dict[str, str], body: str = "") -> str:
    """One STOMP frame as stomp.js writes it (content-length when there is a body)."""
    if body:
        headers = {**headers, "content-length": str(len(body.encode()))}
    head = "".join(f"{name}:{value}\n" for name, value in headers.items())
    return f"{command}\n{head}\n{body}\x00"


SEND = stomp(
    "SEND",
    {"destination": "/app/track", "content-type": "application/json"},
    json.dumps({"driver": {"email": EMAIL}, "at": {"lat": 59.3293, "lng": 18.0686}}),
)


@pytest.mark.parametrize(
    "frames",
    [
        [SEND],
        [stomp("CONNECT", {"accept-version": "1.2", "heart-beat": "0,0"}), SEND],
        ["\n", SEND],  # a heart-beat string first
    ],
)
def test_stomp_frames_inside_a_sockjs_array(frames: list[str]) -> None:
    fields, notes = decoded(flow(url=SOCKJS), [message(json.dumps(frames))])
    found = by_path(fields, "websocket")
    prefix = "msg0" if len(frames) == 1 else "msg0.1"  # array positions kept
    email = found[f"{prefix}.driver.email"]
    assert (email.value, email.encoding) == (EMAIL, "websocket>sockjs>stomp>json")
    assert found[f"{prefix}.at.lng"].value == "18.0686"
    assert found[f"{prefix}.destination"].value == "/app/track"
    assert notes == []


def test_stomp_in_an_xhr_send_body() -> None:
    url = "https://live.example-parcel.se/stomp/482/x9k2mw1q/xhr_send"
    body = json.dumps([SEND]).encode()
    fields, _ = decoded(flow(body, "text/plain;charset=UTF-8", url=url))
    assert values(fields, "driver.email", "body") == {"sockjs>stomp>json": EMAIL}


def test_json_messages_inside_a_sockjs_array() -> None:
    # The Vert.x event bus bridge: each string is a JSON envelope.
    envelope = {"type": "send", "address": "geo.update", "body": {"uid": EMAIL, "lat": 57.7}}
    sent = json.dumps([json.dumps(envelope), json.dumps({"type": "ping"})])
    fields, _ = decoded(flow(url=SOCKJS), [message(sent)])
    assert values(fields, "msg0.0.body.uid") == {"websocket>sockjs>json": EMAIL}


@pytest.mark.parametrize(
    ("frame", "messages"),
    [
        ("o", []),
        ("h", []),
        ('a["one","two"]', ["one", "two"]),
        ('m"solo"', ["solo"]),
        ('c[3000,"Go away!"]', ["Go away!"]),
        ('c[1000,""]', []),
        ('["x\\u00e9"]', ["xé"]),
    ],
)
def test_sockjs_frames(frame: str, messages: list[str]) -> None:
    assert framing.sockjs(frame) == messages


@pytest.mark.parametrize(
    "frame", ["a[1,2]", "a[]", "[]", 'm"open', "c[3000]", "ok", "hello", 'a["x"', "[1]"]
)
def test_not_sockjs(frame: str) -> None:
    assert framing.sockjs(frame) is None


@pytest.mark.parametrize(
    ("body", "path", "value"),
    [
        ('["alpha","beta"]', "0", "alpha"),  # an array of words
        ('["SEND\\nno blank line"]', "0", "SEND\nno blank line"),  # a command, no frame
        ('["CONNECTED to the lobby"]', "0", "CONNECTED to the lobby"),
    ],
)
def test_json_arrays_of_strings_stay_json(body: str, path: str, value: str) -> None:
    fields, _ = decoded(flow(body.encode()))
    assert values(fields, path, "body") == {"json": value}
    fields, _ = decoded(flow(url=SOCKJS), [message(body)])
    assert values(fields, f"msg0.{path}", "websocket") == {"websocket>json": value}


def test_words_that_start_like_server_frames_stay_text() -> None:
    for text in ("hi there", "open", "a[b]", "mango"):
        fields, _ = decoded(flow(url=SOCKJS), [message(text)])
        assert [f.value for f in fields if f.location == "websocket"] == [text]


@pytest.mark.parametrize("beat", ["\n", "\r\n", " ", "\n\n"])
def test_heart_beats_alone_carry_nothing_and_stop_nothing(beat: str) -> None:
    # STOMP over a bare WebSocket sends heart-beats as messages of line breaks; a body may be
    # blank. Decoding goes on with the next message.
    raw_send = stomp("SEND", {"destination": "/app/ping", "user": EMAIL})
    fields, notes = decoded(flow(url=SOCKJS), [message(beat), message(raw_send)])
    assert values(fields, "msg1.user", "websocket") == {"websocket>stomp": EMAIL}
    assert notes == []
    fields, notes = decoded(flow(beat.encode(), "text/plain"))
    assert [f for f in fields if f.location == "body"] == [] and notes == []
