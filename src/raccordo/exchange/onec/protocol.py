"""The vocabulary of the 1C site-exchange protocol (Bitrix's 1c_exchange.php) that every mode shares.

A mode returns an `Answer` (lines of text, or an XML body) or raises `ProtocolError`, which the view
turns into `failure` with the reason. Also here: the node's 1C settings, and the two checks on a
session every mode makes (`require_open`, `session_end`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from raccordo.exchange.models import ExchangeNode

from .models import OneCSession, OneCSettings, SessionStatus

COOKIE_NAME = "raccordo_1c"


def worker_stall() -> int:
    """Seconds after which a run no worker has started means no worker is running (read at call time)."""
    return getattr(settings, "ONEC_WORKER_STALL", 600)


class ProtocolError(Exception):
    """A request 1C must be told `failure` about, with the reason on the next line."""

    def __init__(self, reason: str, *, auth_failed: bool = False):
        super().__init__(reason)
        self.reason = reason
        self.auth_failed = auth_failed


@dataclass
class Answer:
    """What the endpoint answers: lines of text (the first is success/progress/failure), or an XML body."""

    lines: list[str]
    body: bytes | None = None
    content_type: str = "text/plain; charset=utf-8"
    cookie: str | None = None
    extra: dict = field(default_factory=dict)

    @property
    def first(self) -> str:
        return self.lines[0] if self.lines else ""

    def content(self) -> bytes:
        if self.body is not None:
            return self.body
        return "\n".join(line.replace("\n", " ") for line in self.lines).encode("utf-8")


def success(*lines: str) -> Answer:
    """A `success` answer, with its further lines."""
    return Answer(["success", *lines])


def progress(*lines: str) -> Answer:
    """A `progress` answer: 1C asks again, with its further lines."""
    return Answer(["progress", *lines])


def onec_settings(node: ExchangeNode) -> OneCSettings:
    """The node's 1C exchange settings, created with the defaults the first time they are needed."""
    found = OneCSettings.objects.filter(node=node).first()
    if found is None:
        found, _created = OneCSettings.objects.get_or_create(node=node)
    return found



def require_open(session: OneCSession, *, complete_too: bool = False) -> None:
    """The session was initialised and is still open. complete_too: also once complete, for the modes that
    legitimately follow it (sale `file` after `success`, a catalog `complete` repeated after `progress`)."""
    if session.initialised_at is None:
        raise ProtocolError(_("The exchange session was not initialised: send init first."))
    allowed = (SessionStatus.OPEN, SessionStatus.COMPLETE) if complete_too else (SessionStatus.OPEN,)
    if session.status not in allowed:
        raise ProtocolError(_("This exchange is over: authorise again (checkauth)."))


def session_end(*, session: OneCSession) -> None:
    """1C was told its exchange is over: the session is complete and its token stops working (finding M6)."""
    OneCSession.objects.filter(pk=session.pk).update(status=SessionStatus.COMPLETE, ended_at=timezone.now())
