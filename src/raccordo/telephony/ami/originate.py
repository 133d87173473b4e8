"""Click-to-call: one short manager session that asks Asterisk to ring the employee's phone, then the client.

The web process does not share the worker's connection: it opens its own, logs in, sends `Originate` with
`Async: true` (Asterisk answers at once; the call's own events then arrive on the worker's connection like any
other call) and logs off. A few milliseconds on a LAN, and nothing to coordinate between processes.
"""

from __future__ import annotations

import socket
import uuid

from .protocol import Parser, ProtocolError, encode

TIMEOUT = 5.0


class AmiError(OSError):
    """Asterisk refused or did not answer."""


def _until(sock: socket.socket, parser: Parser, action_id: str) -> dict[str, str]:
    while True:
        data = sock.recv(65536)
        if not data:
            raise AmiError("Asterisk closed the connection")
        try:
            messages = parser.feed(data)
        except ProtocolError as exc:
            raise AmiError(str(exc)) from exc
        for message in messages:
            if message.get("ActionID") == action_id and "Response" in message:
                if message["Response"].lower() != "success":
                    raise AmiError(message.get("Message", "refused"))
                return message


def originate(config, *, extension: str, number: str) -> str:
    """Ring `extension` (the channel pattern of `config`), then dial `number` in the click-to-call context."""
    tag = uuid.uuid4().hex[:12]
    channel = config.ami_channel.replace("{extension}", extension)
    with socket.create_connection((config.ami_host, config.ami_port), timeout=TIMEOUT) as sock:
        parser = Parser()
        sock.sendall(encode({"Action": "Login", "ActionID": f"{tag}-login", "Username": config.ami_username,
                             "Secret": config.ami_secret, "Events": "off"}))
        _until(sock, parser, f"{tag}-login")
        action_id = f"{tag}-call"
        sock.sendall(encode({"Action": "Originate", "ActionID": action_id, "Channel": channel, "Exten": number,
                             "Context": config.ami_context, "Priority": 1, "CallerID": f"Raccordo <{number}>",
                             "Timeout": 30000, "Async": "true"}))
        _until(sock, parser, action_id)
        sock.sendall(encode({"Action": "Logoff", "ActionID": f"{tag}-bye"}))
        try:
            _until(sock, parser, f"{tag}-bye")
        except AmiError:
            pass  # "Goodbye" is not "Success", and some servers just close: the call is queued either way
    return action_id
