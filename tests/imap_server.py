"""A real IMAP server for the tests: Debian's Dovecot on 127.0.0.1, a free port, a throwaway configuration.

Started by the `imap_server` fixture in a temporary folder (passwd-file users, maildir, no TLS), stopped after
the test. Dovecot advertises CONDSTORE, QRESYNC, IDLE, UIDPLUS and SPECIAL-USE, as a real provider would.
Tests deliver mail with IMAP APPEND and change it (flags, expunge, a recreated folder) over IMAP too.
When the dovecot binary is missing the tests are skipped, except in CI (CI=true), where that is a failure:
scripts/install-system-deps.sh installs it.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from contextlib import contextmanager
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

import pytest

DOVECOT = shutil.which("dovecot") or ("/usr/sbin/dovecot" if Path("/usr/sbin/dovecot").exists() else None)
PASSWORD = "secret-imap-pass"

CONFIG = """\
protocols = imap
listen = 127.0.0.1
base_dir = {d}/run
state_dir = {d}/state
log_path = {d}/dovecot.log
info_log_path = {d}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{d}/mail/%u
first_valid_uid = 1
default_internal_user = {user}
default_internal_group = {group}
default_login_user = {user}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {d}/users
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={d}/mail/%u
}}
namespace inbox {{
  inbox = yes
  separator = /
  mailbox Sent {{
    special_use = \\Sent
    auto = subscribe
  }}
  mailbox Trash {{
    special_use = \\Trash
    auto = create
  }}
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service stats {{
  unix_listener stats-reader {{
    mode = 0666
  }}
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_message(*, sender: str, to: str, subject: str, body: str = "Hello", message_id: str | None = None,
                 in_reply_to: str = "", date=None, cc: str = "", html: str = "") -> bytes:
    """A well-formed message as a mail client would send it."""
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, to, subject
    if cc:
        msg["Cc"] = cc
    msg["Message-ID"] = message_id or make_msgid(domain="test.example")
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
        msg["References"] = in_reply_to
    if date is not None:
        msg["Date"] = format_datetime(date)
    msg.set_content(body)
    if html:
        msg.add_alternative(html, subtype="html")
    return bytes(msg)


class Dovecot:
    """A running Dovecot; `client(user)` opens an IMAP session as that user (to deliver and change mail)."""

    def __init__(self, root: Path):
        self.root = root
        self.port = free_port()
        self.host = "127.0.0.1"
        self.users: list[str] = []
        self.process: subprocess.Popen | None = None

    def add_user(self, user: str) -> None:
        self.users.append(user)
        path = self.root / "users"
        path.write_text("".join(f"{u}:{{PLAIN}}{PASSWORD}\n" for u in self.users))
        path.chmod(0o644)  # Raccordo's settings set umask 077; Dovecot's auth process runs as another user

    def start(self) -> None:
        root = self.root
        for sub in ("run", "state", "mail"):
            (root / sub).mkdir(parents=True, exist_ok=True)
        (root / "mail").chmod(0o777)
        root.chmod(0o755)
        if os.getuid() == 0:
            user, group, uid, gid = "dovecot", "dovecot", 65534, 65534
        else:
            import grp
            import pwd
            user, group = pwd.getpwuid(os.getuid()).pw_name, grp.getgrgid(os.getgid()).gr_name
            uid, gid = os.getuid(), os.getgid()
        (root / "users").touch(mode=0o644)
        (root / "users").chmod(0o644)
        config = root / "dovecot.conf"
        config.write_text(CONFIG.format(d=root, port=self.port, user=user, group=group, uid=uid, gid=gid))
        config.chmod(0o644)
        # -F: in the foreground, a child of the test process, so it is ended by its own id.
        self.process = subprocess.Popen([DOVECOT, "-F", "-c", str(config)], stdout=subprocess.DEVNULL,
                                        stderr=subprocess.PIPE)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"dovecot exited: {self.process.stderr.read().decode()} {self.log()}")
            try:
                with socket.create_connection((self.host, self.port), timeout=1) as s:
                    if s.recv(100).startswith(b"* OK"):
                        return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"dovecot did not answer on port {self.port}: {self.log()}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def log(self) -> str:
        path = self.root / "dovecot.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""

    @contextmanager
    def client(self, user: str):
        from imapclient import IMAPClient

        client = IMAPClient(self.host, port=self.port, ssl=False, timeout=30)
        client.login(user, PASSWORD)
        try:
            yield client
        finally:
            client.logout()

    def deliver(self, user: str, raw: bytes, folder: str = "INBOX", flags=()) -> None:
        with self.client(user) as c:
            c.append(folder, raw, flags=flags)


def dovecot_available() -> bool:
    return DOVECOT is not None


@pytest.fixture
def imap_server():
    """A Dovecot on 127.0.0.1 with a free port; skipped when not installed (a failure in CI)."""
    if not dovecot_available():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("dovecot is not installed: scripts/install-system-deps.sh installs dovecot-imapd")
        pytest.skip("dovecot is not installed (scripts/install-system-deps.sh installs dovecot-imapd)")
    # Not under pytest's tmp_path: its parents are 0700, and Dovecot's mail processes run as another user.
    root = Path(tempfile.mkdtemp(prefix="raccordo-dovecot-"))
    server = Dovecot(root)
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)
