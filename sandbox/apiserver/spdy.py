"""The SPDY/3 framing kubectl's port-forward speaks inside its WebSocket tunnel.

kubectl (`SPDY/3.1+portforward.k8s.io`) sends raw SPDY/3 frames split across binary WebSocket
messages at arbitrary boundaries. Per forwarded connection it opens an `error` stream and a
`data` stream, paired by `requestid`, each naming the pod `port`. Header blocks are zlib
streams with the SPDY/3 dictionary, one compression context per direction for the whole
connection. No flow control is needed (spdystream does none).
"""

from __future__ import annotations

import struct
import zlib

VERSION = 3
SYN_STREAM, SYN_REPLY, RST_STREAM, SETTINGS, PING, GOAWAY = 1, 2, 3, 4, 6, 7
FLAG_FIN = 0x01
PROTOCOL_ERROR, REFUSED_STREAM, CANCEL = 1, 3, 5


def _words(text: str) -> list[str]:
    return text.split()


_WORDS = [
    *_words(
        "options head post put delete trace accept accept-charset accept-encoding "
        "accept-language accept-ranges age allow authorization cache-control connection "
        "content-base content-encoding content-language content-length content-location "
        "content-md5 content-range content-type date etag expect expires from host if-match "
        "if-modified-since if-none-match if-range if-unmodified-since last-modified location "
        "max-forwards pragma proxy-authenticate proxy-authorization range referer retry-after "
        "server te trailer transfer-encoding upgrade user-agent vary via warning "
        "www-authenticate method get status"
    ),
    "200 OK",
    *_words("version HTTP/1.1 url public set-cookie keep-alive origin"),
]
_TAIL = (
    "100101201202205206300302303304305306307402405406407408409410411412413414415416417502504505"
    "203 Non-Authoritative Information204 No Content301 Moved Permanently400 Bad Request401 "
    "Unauthorized403 Forbidden404 Not Found500 Internal Server Error501 Not Implemented503 "
    "Service UnavailableJan Feb Mar Apr May Jun Jul Aug Sept Oct Nov Dec 00:00:00 Mon, Tue, "
    "Wed, Thu, Fri, Sat, Sun, GMTchunked,text/html,image/png,image/jpg,image/gif,"
    "application/xml,application/xhtml+xml,text/plain,text/javascript,publicprivatemax-age="
    "gzip,deflate,sdchcharset=utf-8charset=iso-8859-1,utf-,*,enq=0."
)
# The SPDY/3 header compression dictionary (draft 3, section 2.6.10.1): 1423 bytes.
DICTIONARY = b"".join(len(w).to_bytes(4, "big") + w.encode() for w in _WORDS) + _TAIL.encode()


def control(kind: int, payload: bytes, flags: int = 0) -> bytes:
    """A control frame."""
    return struct.pack(">HHI", 0x8000 | VERSION, kind, (flags << 24) | len(payload)) + payload


def data(stream: int, payload: bytes = b"", flags: int = 0) -> bytes:
    """A data frame."""
    return struct.pack(">II", stream & 0x7FFFFFFF, (flags << 24) | len(payload)) + payload


def rst(stream: int, status: int) -> bytes:
    """RST_STREAM."""
    return control(RST_STREAM, struct.pack(">II", stream & 0x7FFFFFFF, status))


class Frame:
    """One parsed frame: control (kind, flags, payload) or data (stream, flags, payload)."""

    def __init__(self, raw: bytes) -> None:
        """Split the 8-byte header from the payload."""
        self.raw = raw
        self.is_control = bool(raw[0] & 0x80)
        self.kind = int.from_bytes(raw[2:4], "big") if self.is_control else 0
        self.stream = 0 if self.is_control else int.from_bytes(raw[0:4], "big") & 0x7FFFFFFF
        self.flags = raw[4]
        self.payload = raw[8:]

    @property
    def fin(self) -> bool:
        """The FIN flag."""
        return bool(self.flags & FLAG_FIN)


class Framer:
    """Splits the byte stream into frames and (de)compresses header blocks."""

    def __init__(self) -> None:
        """Fresh contexts for one connection."""
        self._buffer = bytearray()
        self._inflate = zlib.decompressobj(zdict=DICTIONARY)
        self._deflate = zlib.compressobj(
            9, zlib.DEFLATED, 15, 9, zlib.Z_DEFAULT_STRATEGY, DICTIONARY
        )

    def feed(self, chunk: bytes) -> list[Frame]:
        """The frames completed by this chunk (message boundaries mean nothing)."""
        self._buffer += chunk
        frames = []
        while len(self._buffer) >= 8:
            end = 8 + int.from_bytes(self._buffer[5:8], "big")
            if len(self._buffer) < end:
                break
            frames.append(Frame(bytes(self._buffer[:end])))
            del self._buffer[:end]
        return frames

    def headers(self, block: bytes) -> dict[str, str]:
        """Decompress one header block: lowercase names, values joined by NUL."""
        raw = self._inflate.decompress(block)
        count, pos, found = int.from_bytes(raw[:4], "big"), 4, {}
        for _ in range(count):
            size = int.from_bytes(raw[pos : pos + 4], "big")
            name = raw[pos + 4 : pos + 4 + size].decode()
            pos += 4 + size
            size = int.from_bytes(raw[pos : pos + 4], "big")
            found[name.lower()] = raw[pos + 4 : pos + 4 + size].decode()
            pos += 4 + size
        return found

    def reply(self, stream: int) -> bytes:
        """SYN_REPLY with an empty header block."""
        block = self._deflate.compress(b"\x00\x00\x00\x00") + self._deflate.flush(zlib.Z_SYNC_FLUSH)
        return control(SYN_REPLY, struct.pack(">I", stream & 0x7FFFFFFF) + block)
