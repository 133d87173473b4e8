"""The orders modes of the 1C protocol (type=sale): orders to 1C (`query`, `success`, `info`), and 1C's order
documents back (`file`), applied at once through the exchange engine."""

from __future__ import annotations

import io
import re
from pathlib import Path
from xml.sax.saxutils import escape as xml_escape

from django.utils import timezone
from django.utils.translation import gettext as _

from raccordo.core.context import change_context
from raccordo.core.models import Origin
from raccordo.exchange.conflicts import CONFLICT
from raccordo.exchange.exporters.orders import STATUS_TEXT, orders_acknowledge, orders_export
from raccordo.exchange.importers.documents import REFUSED, REQUISITES
from raccordo.exchange.models import Run, RunItem
from raccordo.exchange.services import exchange_import
from raccordo.sales.models import InvoiceStatus

from .catalog_import import failure_reason, file_failed
from .files import file_upload, find_file
from .models import FileKind, FileStatus, OneCFile, OneCSession, SessionStatus
from .protocol import Answer, ProtocolError, session_end, success
from .sessions import session_orders_version


def sale_query(*, session: OneCSession) -> Answer:
    """query: the orders new or changed since the last acknowledged export, as CommerceML in the node's encoding."""
    node = session.node
    out = io.BytesIO()
    with change_context(origin=Origin.EXCHANGE, node=node.code):
        count = orders_export(node=node, out=out, acknowledge=False, version=session_orders_version(session=session))
    node.refresh_from_db()
    charset = (node.encoding or "windows-1251").lower()
    answer = Answer(["success", _("%(n)s orders") % {"n": count}], body=out.getvalue(),
                    content_type=f"application/xml; charset={charset}")
    answer.extra["count"] = count
    return answer


def sale_complete(*, session: OneCSession) -> Answer:
    """complete (type=sale): 1C is done with orders for now; the session's token stops working."""
    session_end(session=session)
    return success()


def sale_success(*, session: OneCSession) -> Answer:
    """success: 1C loaded what the last query returned; it will not be sent again."""
    orders_acknowledge(node=session.node)
    OneCSession.objects.filter(pk=session.pk, status=SessionStatus.OPEN).update(status=SessionStatus.COMPLETE)
    return success()


# Element names of Bitrix's sale.export.1c dictionary, as its Russian messages spell them; "Cтатусы" begins
# with a Latin C there, and the 1C-Bitrix module reads what Bitrix writes.
_INFO_ROOT, _INFO_STATUSES, _INFO_PAYMENTS, _INFO_DELIVERIES = "Справочник", "Cтатусы", "ПлатежныеСистемы", \
    "СлужбыДоставки"


def sale_info(*, session: OneCSession) -> Answer:
    """info (type=sale): the dictionary the 1C-Bitrix module maps its own order statuses, payment and delivery to.

    Statuses are the invoice statuses that orders are sent with (named as in the orders' "Статус заказа");
    Raccordo keeps no payment systems or delivery services, so those lists are empty.
    """
    node = session.node
    charset = (node.encoding or "windows-1251").lower()
    items = "".join(
        f"<Элемент><Ид>{xml_escape(status.value)}</Ид><Название>{xml_escape(str(STATUS_TEXT[status]))}</Название>"
        "</Элемент>" for status in InvoiceStatus if status in STATUS_TEXT)
    text = (f'<?xml version="1.0" encoding="{charset}"?>\n<{_INFO_ROOT}><{_INFO_STATUSES}>{items}</{_INFO_STATUSES}>'
            f"<{_INFO_PAYMENTS}></{_INFO_PAYMENTS}><{_INFO_DELIVERIES}></{_INFO_DELIVERIES}></{_INFO_ROOT}>")
    return Answer(["success"], body=text.encode(charset, errors="xmlcharrefreplace"),
                  content_type=f"application/xml; charset={charset}")


def sale_file(*, session: OneCSession, filename: str, stream, length: int | None) -> Answer:
    """file (type=sale): 1C's order documents; stored in the session, then applied at once (they are small)."""
    if session.status == SessionStatus.AUTHORISED:
        session.directory.mkdir(parents=True, exist_ok=True)
        OneCSession.objects.filter(pk=session.pk).update(status=SessionStatus.OPEN, initialised_at=timezone.now())
        session.status, session.initialised_at = SessionStatus.OPEN, timezone.now()
    # 1C sends its order documents after `success` as well as before `query`.
    file_upload(session=session, filename=filename, stream=stream, length=length, complete_too=True)
    record = find_file(session, filename)
    if record.kind == FileKind.XML and _complete_xml(record.path):
        return sale_import(session=session, filename=filename)
    return success()


def _complete_xml(path: Path) -> bool:
    """Whether an uploaded XML ends with its root's closing tag (1C may send a document in chunks)."""
    with path.open("rb") as f:
        f.seek(max(path.stat().st_size - 4096, 0))
        tail = f.read()
    for encoding in ("utf-8", "cp1251"):
        try:
            text = tail.decode(encoding, errors="ignore")
        except LookupError:
            continue
        if re.search(r"</(\w+:)?КоммерческаяИнформация>\s*$", text):
            return True
    return False


def sale_import(*, session: OneCSession, filename: str) -> Answer:
    """Apply 1C's order documents (statuses, 1C numbers, payments, shipments) through the engine, synchronously.

    1C is told the truth: `success` with how many documents and requisites were applied and which were
    refused (a refused requisite does not stop the rest of its document); `failure` with the reason when
    a document was refused whole (outside the node's scope, or it could not be applied at all), so 1C
    sends it again and its log says why. The documents it did apply are unchanged replays next time."""
    record = find_file(session, filename)
    if record.kind != FileKind.XML:
        raise ProtocolError(_("Only CommerceML (.xml) files are imported: %(name)s") % {"name": record.name})
    if record.run_id and record.status in (FileStatus.IMPORTED, FileStatus.FAILED):
        run = record.run
        assert run is not None  # run_id is set
    else:
        run = exchange_import(paths=[record.path], node=session.node, deactivate=False)
        failed = file_failed(run) or bool(_documents_refused(run))
        OneCFile.objects.filter(pk=record.pk).update(
            run=run, status=FileStatus.FAILED if failed else FileStatus.IMPORTED,
            message=(failure_reason(run) if file_failed(run) else _sale_refusal(run) if failed
                     else _sale_summary(run))[:2000])
    if file_failed(run):
        raise ProtocolError(failure_reason(run))
    if _documents_refused(run):
        raise ProtocolError(_sale_refusal(run))
    return success(*_sale_summary(run).split("\n"))


def _documents_refused(run: Run) -> list[RunItem]:
    """The documents of a run not applied at all: refused (outside the node's scope) or failed."""
    return list(run.items.filter(object_type="sales.invoice", outcome__in=(REFUSED, "failed")).order_by("id")[:20])


def _sale_refusal(run: Run) -> str:
    """Why documents were refused whole, one per line, after the counts (1C shows the answer in its log)."""
    lines = [_sale_counts(run)] + [item.message for item in _documents_refused(run)]
    return "\n".join(lines)


def _sale_counts(run: Run) -> str:
    counts = (run.params or {}).get(REQUISITES) or {}
    return (_("documents: created %(created)s, updated %(updated)s, unchanged %(unchanged)s, skipped %(skipped)s, "
              "failed %(failed)s") % run.counters()
            + "; " + _("requisites: applied %(applied)s, refused %(refused)s") % {
                "applied": counts.get("applied", 0), "refused": counts.get("refused", 0)})


def _sale_summary(run: Run) -> str:
    """The counts, then each refused requisite with its reason (a conflict waits on the run's page)."""
    refused = run.items.filter(object_type="sales.invoice", outcome__in=(CONFLICT, "skipped")).order_by("id")[:20]
    return "\n".join([_sale_counts(run)] + [item.message for item in refused])
