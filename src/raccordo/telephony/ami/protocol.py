"""The AMI line protocol: a banner line, then blocks of `Key: Value` lines (CRLF) ended by an empty line.

    Asterisk Call Manager/5.0.1
    Action: Login            <- client
    ActionID: rc-1
    Username: crm
    Secret: ...

    Response: Success        <- server, echoing the ActionID
    ActionID: rc-1
    Message: Authentication accepted

Pure Python, no I/O: the asyncio client and the one-shot Originate both feed bytes in and take messages out.
"""

from __future__ import annotations

BANNER_PREFIX = "Asterisk Call Manager/"
# A block larger than this is not AMI: the connection is dropped rather than buffered without end.
MAX_BLOCK = 1 << 20


class ProtocolError(ValueError):
    """The peer does not speak AMI (no banner, an endless block)."""


def encode(fields: dict[str, object]) -> bytes:
    """One action block: `Key: Value` lines and the blank line that ends it (CR/LF in values are dropped)."""
    lines = [f"{key}: {str(value).replace(chr(13), ' ').replace(chr(10), ' ')}" for key, value in fields.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8")


class Parser:
    """Feed it bytes as they come; it returns the complete messages (dicts) and keeps the rest."""

    def __init__(self) -> None:
        self.buffer = b""
        self.banner: str | None = None

    def feed(self, data: bytes) -> list[dict[str, str]]:
        self.buffer += data
        messages = []
        if self.banner is None:
            end = self.buffer.find(b"\n")
            if end < 0:
                if len(self.buffer) > 1024:
                    raise ProtocolError("no AMI banner")
                return messages
            banner = self.buffer[:end].decode("utf-8", "replace").strip()
            if not banner.startswith(BANNER_PREFIX):
                raise ProtocolError(f"not an Asterisk manager: {banner[:80]!r}")
            self.banner = banner
            self.buffer = self.buffer[end + 1:]
        text = self.buffer.replace(b"\r\n", b"\n")
        while True:
            end = text.find(b"\n\n")
            if end < 0:
                break
            block, text = text[:end], text[end + 2:]
            message = parse_block(block.decode("utf-8", "replace"))
            if message:
                messages.append(message)
        if len(text) > MAX_BLOCK:
            raise ProtocolError("a message longer than 1 MiB")
        self.buffer = text
        return messages


def parse_block(block: str) -> dict[str, str]:
    """`Key: Value` lines as a dict; lines without a colon (a command's raw output) are skipped. A key given
    twice (`Variable`) keeps its values joined by newlines."""
    message: dict[str, str] = {}
    for line in block.split("\n"):
        key, sep, value = line.partition(":")
        if not sep or not key.strip():
            continue
        key, value = key.strip(), value.strip()
        message[key] = f"{message[key]}\n{value}" if key in message else value
    return message
