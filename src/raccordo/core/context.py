"""Who is writing and from where: set once per request, CLI command or exchange run, read by the journal."""

from __future__ import annotations

import contextvars
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace

from .models import Origin


@dataclass(frozen=True)
class ChangeContext:
    origin: str = Origin.SYSTEM
    node: str = ""
    request_id: str = ""


_DEFAULT = ChangeContext()
_current: contextvars.ContextVar[ChangeContext | None] = contextvars.ContextVar("raccordo_change_context",
                                                                                default=None)


def current() -> ChangeContext:
    return _current.get() or _DEFAULT


@contextmanager
def change_context(*, origin: str | None = None, node: str | None = None,
                   request_id: str | None = None) -> Iterator[ChangeContext]:
    """Run a block with a given origin (ui/api/exchange/cli) and exchange node."""
    base = current()
    ctx = replace(base, **{k: v for k, v in {"origin": origin, "node": node, "request_id": request_id}.items()
                           if v is not None})
    if not ctx.request_id:
        ctx = replace(ctx, request_id=uuid.uuid4().hex)
    token = _current.set(ctx)
    try:
        yield ctx
    finally:
        _current.reset(token)
