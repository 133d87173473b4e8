"""1C's web service ``EnterpriseDataExchange_1_0_1_1`` as a message transport: Raccordo is the client, 1C the server.

1C publishes the service at ``<publication>/ws/EnterpriseDataExchange_1_0_1_1.1cws`` (Basic auth, a 1C user with the
rights to synchronise data). Its operations, as SSL's module (WebServices/EnterpriseDataExchange_1_0_1_1) runs them:

* ``Ping`` and ``TestConnection(ExchangePlanName, PeerCode)``: PeerCode is the code of *our* node in 1C's exchange
  plan (1C looks the node up by it); false with ErrorMessage when the user lacks the rights, the base is locked for
  an update or the node is gone. Both are called when the transport opens.
* Incoming: ``PrepareDataForGetting(ExchangePlanName, PeerCode, PartSize in KB)`` starts a background job that writes
  1C's message for our node → OperationID; ``PrepareDataActionResult(OperationID)`` → {Status, FileID, PartCount,
  ErrorMessage}, polled while Status is "Active"; ``GetDataPart(FileID, n)`` for n = 1..PartCount (base64 pieces
  of one zip, cut as 1C's РазделитьФайл cuts: bytes in order); ``ConfirmGettingFile(FileID, ClearDataPool)`` deletes
  1C's temporary files, so it is called as soon as the pieces are here (1C's own HTTP client releases the file
  the same way, before it reads it).
* Outgoing: ``PutFilePart(FileID, n, data)`` for the pieces of a zip holding our message (FileID a GUID we choose,
  pieces numbered from 1 as 1C's own client numbers them), then ``PutData(ExchangePlanName, PeerCode, FileID)`` →
  OperationID, a background job loading it; ``PutDataActionResult(OperationID)`` polled while "Active".

Every answer's ErrorMessage, a SOAP Fault, an HTTP error (401: the login), a broken answer or a job that is not
done within the pace's timeout is a `TransportError` naming the operation. The exchange (`services`) sees a
`MessageTransport`: `listing()` asks 1C for its message (once per session) and lists it as 1C's
``Message_<1C>_<us>.zip``; `download` copies it; `put` uploads ours. The zip is opened by `transport.open_message`,
as hostile as a zip from a folder.
"""

from __future__ import annotations

import base64
import http.client
import shutil
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from django.utils.translation import gettext as _

from raccordo.exchange.formats.enterprisedata import soap

from .transport import CHUNK, Found, TransportError, Writer, message_stem, zipped

SERVICE_PATH = "ws/EnterpriseDataExchange_1_0_1_1.1cws"
PART_SIZE_KB = 1024          # 1C's own clients ask for 1 MB pieces
HTTP_TIMEOUT = 120
MAX_ANSWER = 16 * 1024 ** 2  # one answer (a 1 MB piece is 1.4 MB of base64)
MAX_PACKED = 512 * 1024 ** 2  # the whole zip 1C sends; it unpacks to at most transport.ZIP_MAX_TOTAL
MAX_PARTS = MAX_PACKED // 1024   # even pieces of 1 KB stay under MAX_PACKED
ACTIVE, COMPLETED = "Active", "Completed"


def service_url(url: str) -> str:
    """The service's address from a publication's (``http://server/bp``) or the service's own (``….1cws``)."""
    url = url.strip()
    if url.lower().endswith(".1cws"):
        return url
    return f"{url.rstrip('/')}/{SERVICE_PATH}"


def url_problem(url: str) -> str:
    """Why `url` cannot be the service's address ("" when it can)."""
    scheme, sep, rest = url.strip().partition("://")
    if not sep or scheme.lower() not in ("http", "https") or not rest.split("/")[0]:
        return _("Give the address of 1C's web publication, e.g. https://1c.example.com/bp.")
    return ""


@dataclass(frozen=True)
class WsSettings:
    """How to reach 1C's service: its address, the 1C user and password (kept as given: they are sent to 1C)."""

    url: str
    user: str = ""
    password: str = ""
    timeout: float = HTTP_TIMEOUT

    @property
    def where(self) -> str:
        return service_url(self.url)


@dataclass(frozen=True)
class Pace:
    """How a long operation of 1C is waited for: every `interval` seconds, `timeout` in all; `sleep` and `clock`
    are the time functions (tests give their own, so nothing really waits)."""

    interval: float = 2.0
    timeout: float = 600.0
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic


DEFAULT_PACE = Pace()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is answered as the HTTP error it is: following it would send the 1C password elsewhere."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


class WebServiceTransport:
    """1C's EnterpriseDataExchange_1_0_1_1 service, as a MessageTransport for one exchange (see the module)."""

    def __init__(self, settings: WsSettings, *, exchange_plan: str, our_code: str, peer_code: str,
                 pace: Pace | None = None, part_size_kb: int | None = None):
        self.settings, self.exchange_plan = settings, exchange_plan
        self.our_code, self.peer_code = our_code, peer_code
        self.pace = pace or DEFAULT_PACE
        self.part_size_kb = part_size_kb or PART_SIZE_KB
        self.where = settings.where
        self._received: IO[bytes] | None = None
        self._found: list[Found] | None = None

    # ------------------------------------------------------------------------------------------- calls

    def _post(self, operation: str, body: bytes) -> bytes:
        s = self.settings
        token = base64.b64encode(f"{s.user}:{s.password}".encode()).decode("ascii")
        req = urllib.request.Request(self.where, data=body, method="POST", headers={
            "Content-Type": soap.CONTENT_TYPE, "SOAPAction": f'"{soap.soap_action(operation)}"',
            "Authorization": f"Basic {token}"})
        try:
            with _OPENER.open(req, timeout=s.timeout) as answer:  # http(s) only: url_problem
                return self._read(answer, operation)
        except urllib.error.HTTPError as exc:
            raise self._http_error(operation, exc) from exc
        except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
            reason = getattr(exc, "reason", exc)
            raise TransportError(_("1C's web service %(where)s cannot be reached (%(operation)s): %(error)s") % {
                "where": self.where, "operation": operation, "error": reason}) from exc

    def _read(self, answer, operation: str) -> bytes:
        data = answer.read(MAX_ANSWER + 1)
        if len(data) > MAX_ANSWER:
            raise TransportError(_("1C's web service %(where)s: the answer to %(operation)s is over %(max)s bytes; "
                                   "refused.") % {"where": self.where, "operation": operation, "max": MAX_ANSWER})
        return data

    def _http_error(self, operation: str, exc: urllib.error.HTTPError) -> TransportError:
        if exc.code in (401, 403):
            return TransportError(_("1C's web service %(where)s refused the login for user %(user)s (HTTP %(code)s, "
                                    "%(operation)s).") % {"where": self.where, "user": self.settings.user or "-",
                                                          "code": exc.code, "operation": operation})
        try:
            fault = soap.fault_of(exc.read(MAX_ANSWER))
        except (OSError, http.client.HTTPException):
            fault = None
        if fault is not None:
            return self._error(operation, fault.text or fault.code)
        return TransportError(_("1C's web service %(where)s answered %(operation)s with HTTP %(code)s %(reason)s.") % {
            "where": self.where, "operation": operation, "code": exc.code, "reason": exc.reason})

    def _error(self, operation: str, message: str) -> TransportError:
        return TransportError(_("1C's web service %(where)s: %(operation)s failed: %(error)s") % {
            "where": self.where, "operation": operation, "error": message})

    def call(self, operation: str, params: Sequence[tuple[str, soap.Value]] = ()) -> soap.Answer:
        """Call one operation; its ErrorMessage, a Fault or a broken answer is a TransportError naming it."""
        data = self._post(operation, soap.request(operation, params))
        try:
            answer = soap.parse_answer(data, operation)
        except soap.SoapFault as exc:
            raise self._error(operation, exc.text or exc.code) from exc
        except soap.SoapError as exc:
            raise self._error(operation, _("the answer is not 1C's: %(problem)s") % {"problem": exc}) from exc
        if answer.get("ErrorMessage").strip():
            raise self._error(operation, answer.get("ErrorMessage").strip())
        return answer

    def _wait(self, operation: str, operation_id: str, status_of: Callable[[soap.Answer], str]) -> soap.Answer:
        """Poll `operation` for 1C's background job until it is no longer Active; Completed or a TransportError."""
        if not operation_id:
            raise self._error(operation, _("1C gave no operation id."))
        deadline = self.pace.clock() + self.pace.timeout
        while True:
            answer = self.call(operation, [("OperationID", operation_id)])
            status = status_of(answer)
            if status == COMPLETED:
                return answer
            if status != ACTIVE:
                problem = answer.result.get("ErrorMessage", "").strip() or _("status %(status)s") % {
                    "status": status or "-"}
                raise self._error(operation, problem)
            if self.pace.clock() >= deadline:
                raise self._error(operation, _("1C's job did not finish within %(seconds)s s.") % {
                    "seconds": int(self.pace.timeout)})
            self.pace.sleep(self.pace.interval)

    # --------------------------------------------------------------------------------------- session

    def open(self) -> WebServiceTransport:
        """Ping, then TestConnection for our node: a login, publication or node problem is found here."""
        self.call("Ping")
        answer = self.call("TestConnection", [("ExchangePlanName", self.exchange_plan), ("PeerCode", self.our_code)])
        if answer.get("return").strip().lower() != "true":
            raise self._error("TestConnection", _("1C does not know node %(code)s of exchange plan %(plan)s.") % {
                "code": self.our_code, "plan": self.exchange_plan})
        return self

    def close(self) -> None:
        if self._received is not None:
            self._received.close()
            self._received = None

    # ------------------------------------------------------------------------------------ incoming

    def listing(self) -> list[Found]:
        """1C's message for us, asked for once per session: [Message_<1C>_<us>.zip], or [] when 1C has none."""
        if self._found is None:
            self._found = self._fetch()
        return list(self._found)

    def _fetch(self) -> list[Found]:
        started = self.call("PrepareDataForGetting", [("ExchangePlanName", self.exchange_plan),
                                                      ("PeerCode", self.our_code), ("PartSize", self.part_size_kb)])
        done = self._wait("PrepareDataActionResult", started.get("OperationID"),
                          lambda a: a.result.get("Status", "").strip())
        file_id = done.result.get("FileID", "").strip()
        count_text = done.result.get("PartCount", "").strip() or "0"
        if not count_text.isdigit() or int(count_text) > MAX_PARTS:
            raise self._error("PrepareDataActionResult", _("1C announces %(count)s pieces; refused.") % {
                "count": count_text[:20]})
        if not file_id or int(count_text) == 0:
            return []
        spool = tempfile.TemporaryFile()
        try:
            size = self._download_parts(file_id, int(count_text), spool)
            self.call("ConfirmGettingFile", [("FileID", file_id), ("ClearDataPool", True)])
        except BaseException:
            spool.close()
            raise
        self._received = spool
        return [Found(f"{message_stem(self.peer_code, self.our_code)}.zip", size, time.time())]

    def _download_parts(self, file_id: str, count: int, out: IO[bytes]) -> int:
        size = 0
        for number in range(1, count + 1):
            answer = self.call("GetDataPart", [("FileID", file_id), ("PartNumber", number)])
            try:
                piece = base64.b64decode(answer.get("return"))
            except ValueError as exc:
                raise self._error("GetDataPart", _("piece %(n)s is not base64.") % {"n": number}) from exc
            size += len(piece)
            if size > MAX_PACKED:
                raise self._error("GetDataPart", _("1C's message is over %(max)s bytes packed; refused.") % {
                    "max": MAX_PACKED})
            out.write(piece)
        return size

    def download(self, name: str, out: IO[bytes]) -> None:
        if self._received is None:
            raise TransportError(_("1C's web service %(where)s: %(name)s was not received.") % {
                "where": self.where, "name": name})
        self._received.seek(0)
        shutil.copyfileobj(self._received, out, CHUNK)

    def local_path(self, name: str) -> Path | None:
        return None

    # ------------------------------------------------------------------------------------ outgoing

    def put(self, name: str, write: Writer) -> None:
        """Send our message: zipped (1C's service takes zips only) when `name` is the .xml, cut into pieces,
        put, then loaded by 1C's background job, whose end is waited for."""
        with tempfile.TemporaryFile() as packed:
            (write if name.lower().endswith(".zip") else zipped(name, write))(packed)
            packed.seek(0)
            file_id = str(uuid.uuid4())
            number = 0
            while piece := packed.read(self.part_size_kb * 1024):
                number += 1
                self.call("PutFilePart", [("FileID", file_id), ("PartNumber", number), ("PartData", piece)])
        started = self.call("PutData", [("ExchangePlanName", self.exchange_plan), ("PeerCode", self.our_code),
                                        ("FileID", file_id)])
        self._wait("PutDataActionResult", started.get("OperationID"), lambda a: a.get("return").strip())

    def remove(self, name: str) -> None:
        """Nothing to remove: 1C keeps no file of ours between exchanges."""
