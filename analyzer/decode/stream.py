"""The client-to-server messages of one WebSocket connection, read in order, where a framing
spans messages:

- MQTT: a control packet may span several WebSocket messages and one message may hold several
  packets (MQTT 3.1.1 section 6, [MQTT-6.0.0-2]; MQTT 5.0 section 6). Packets are reassembled
  from their fixed headers, per connection, client direction only (the server's messages are
  never read); a packet declaring more than the decoded-bytes cap is scanned raw piece by piece,
  and one still incomplete when the connection ends is scanned raw, both with a note.
- Socket.IO: a binary event or ack (``451-[...]``) announces attachments that follow as binary
  messages; each is decoded where its placeholder sits in the event (``msg4.1.photo``). Engine.IO
  v3 prefixes binary messages with their packet type (``0x04``), which is taken off.

Everything else goes message by message to :func:`analyzer.decode.body.decode_payload`.
"""

from __future__ import annotations

from analyzer.decode import engineio, mqtt
from analyzer.decode.body import MAX_RAW_CHARS, decode_payload
from analyzer.decode.framed import attachment_paths
from analyzer.decode.walker import Walker

_UNKNOWN, _MAYBE, _YES, _NO = range(4)  # is this connection MQTT?


class ClientStream:
    """Feeds one connection's client messages, in order, to the decoders."""

    def __init__(self, walker: Walker, url: str, subprotocols: frozenset[str]) -> None:
        self.walker = walker
        self.engineio = engineio.engineio_version(url)
        offered = any(protocol.startswith("mqtt") for protocol in subprotocols)
        self.mqtt = _YES if offered else _UNKNOWN
        self.buffer = bytearray()  # MQTT bytes of a packet not yet whole
        self.held: list[tuple[int, bytes]] = []  # messages held while MQTT is undecided
        self.first = 0  # the message where the buffered packet started
        self.skip = 0  # bytes of an oversized MQTT packet still to come
        self.attachments: list[str] = []  # where the next binary messages belong

    def message(self, index: int, content: bytes, is_text: bool) -> None:
        """Decode client message number ``index`` (``msg<index>`` in paths)."""
        if not content:
            return
        if is_text:
            decode_payload(
                self.walker, content, "text/plain", "websocket", f"msg{index}", "websocket", 0
            )
            if content[:2] in (b"45", b"46"):  # Engine.IO message of a binary event or ack
                self._binary_event(index, content)
        elif self.attachments:
            path = self.attachments.pop(0)
            if content[:1] == b"\x04" and self.engineio != 4:
                content = content[1:]  # Engine.IO v3: the message packet type
            self._decode(content, "", path, "websocket>socketio")
        elif self.engineio == 3 and content[:1] == b"\x04":
            self._decode(content[1:], "", f"msg{index}", "websocket>socketio")
        elif self.mqtt == _NO:
            self._decode(content, "", f"msg{index}")
        else:
            self._mqtt(index, content)

    def close(self) -> None:
        """Decode what is left when the connection ends, and note what never came whole."""
        budget = self.walker.budget
        if self.mqtt == _MAYBE:
            self._replay()
        elif self.buffer:
            budget.note(
                f"websocket msg{self.first}: MQTT packet incomplete at the end of the "
                f"connection ({len(self.buffer)} bytes): scanned raw"
            )
            self._raw(bytes(self.buffer), self.first)
            self.buffer.clear()
        elif self.skip:
            budget.note(f"websocket msg{self.first}: oversized MQTT packet cut short")
        if self.attachments:
            budget.note(
                f"websocket {self.attachments[0].split('.')[0]}: {len(self.attachments)} "
                "Socket.IO attachment(s) announced, not sent"
            )

    # --- per kind ---------------------------------------------------------------------------

    def _binary_event(self, index: int, content: bytes) -> None:
        packets = engineio.socketio(content.decode("utf-8", "replace"))
        if not packets or len(packets) != 1 or not packets[0].attachments:
            return
        if self.attachments:
            self.walker.budget.note(
                f"websocket {self.attachments[0].split('.')[0]}: Socket.IO attachment(s) "
                "announced, not sent"
            )
        self.attachments = attachment_paths(packets[0], f"msg{index}")

    def _mqtt(self, index: int, content: bytes) -> None:
        if self.mqtt == _UNKNOWN:
            # Without the subprotocol, only a CONNECT as the first binary bytes says MQTT.
            if content[:1] != b"\x10":
                self.mqtt = _NO
                self._decode(content, "", f"msg{index}")
                return
            self.mqtt = _MAYBE
        if not self.buffer and not self.skip:
            if self.mqtt == _YES and mqtt.packet_end(content, 0) == len(content):
                self._decode(content, "", f"msg{index}")  # the usual: one whole packet
                return
            self.first = index
        self.buffer += content
        if self.mqtt == _MAYBE:
            self.held.append((index, content))
            verdict = mqtt.connect_prefix(self.buffer)
            if verdict is None and len(self.buffer) <= self._cap():
                return
            if not verdict:
                self._replay()
                return
            self.mqtt, self.held = _YES, []
        self._packets(index)

    def _packets(self, index: int) -> None:
        """Cut the whole packets off the buffer and decode them as one payload."""
        buffer, cap, budget = self.buffer, self._cap(), self.walker.budget
        whole: list[bytes] = []
        pos = 0
        while pos < len(buffer):
            if self.skip:
                take = min(self.skip, len(buffer) - pos)
                self._raw(bytes(buffer[pos : pos + take]), index)
                self.skip -= take
                pos += take
                continue
            end = mqtt.packet_end(buffer, pos)
            if end == -1:
                budget.note(f"websocket msg{index}: no MQTT packet where one should start")
                self._decode(bytes(buffer[pos:]), "", f"msg{index}")
                pos = len(buffer)
                break
            if end is None or end > len(buffer):
                if end is not None and end - pos > cap:
                    budget.note(
                        f"websocket msg{index}: MQTT packet of {end - pos} bytes, over the "
                        f"{cap}-byte limit: scanned raw"
                    )
                    self.skip = end - pos
                    continue
                break
            whole.append(bytes(buffer[pos:end]))
            pos = end
        del buffer[:pos]
        if buffer:
            self.first = index if whole or pos else self.first
        if whole:
            self._decode(b"".join(whole), "", f"msg{index}")

    def _replay(self) -> None:
        """The held messages were no MQTT: decode each by itself."""
        held, self.held, self.mqtt = self.held, [], _NO
        self.buffer.clear()
        for index, content in held:
            self._decode(content, "", f"msg{index}")

    # --- helpers ----------------------------------------------------------------------------

    def _cap(self) -> int:
        return self.walker.budget.limits.max_decoded_bytes

    def _decode(
        self, content: bytes, content_type: str, prefix: str, chain: str = "websocket"
    ) -> None:
        decode_payload(self.walker, content, content_type, "websocket", prefix, chain, 0)

    def _raw(self, data: bytes, index: int) -> None:
        text = data[:MAX_RAW_CHARS].decode("utf-8", "replace")
        self.walker.emit("websocket", f"msg{index}", "", text, "websocket>mqtt", raw=True)
