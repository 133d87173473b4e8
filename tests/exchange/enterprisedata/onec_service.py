"""A scripted 1C web service EnterpriseDataExchange_1_0_1_1 for the tests: a WSGI app on 127.0.0.1.

It answers as SSL's module does (WebServices/EnterpriseDataExchange_1_0_1_1): Basic auth, SOAP 1.1, document/literal
wrapped; PrepareDataForGetting and PutData start "background jobs" that answer Active a set number of times, then
Completed; the message it hands out is the scripted peer's (`OneCPeer.send`) zipped and cut into pieces, and what it
is given is unzipped where `OneCPeer.receive` reads it. Faults, ErrorMessages, a hostile payload and a job that never
ends are switches on the service. Written apart from Raccordo's `soap` module on purpose: both sides built by one
piece of code would agree on its mistakes.
"""

from __future__ import annotations

import base64
import io
import threading
import uuid
import zipfile
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from lxml import etree

from .conftest import OneCPeer

NS = "http://www.1c.ru/SSL/EnterpriseDataExchange_1_0_1_1"
RESULT_NS = "http://v8.1c.ru/SSL/Exchange/EnterpriseDataExchange"
SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
PLAN = "СинхронизацияДанныхЧерезУниверсальныйФормат"


class MemoryOneCPeer(OneCPeer):
    """1C's side whose files live in memory: what its service hands out and what it is given."""

    def __init__(self, schema, **kw):
        super().__init__(None, schema, **kw)
        self.files: dict[str, bytes] = {}

    def write_file(self, name, data):
        # 1C writes one message for us at a time: a new one replaces the old, in either form.
        for old in [n for n in self.files if n[:-4].endswith(f"_{self.code}_{self.ours}")]:
            del self.files[old]
        self.files[name] = data

    def read_file(self, name):
        return self.files[name]

    def file_names(self):
        return sorted(self.files)


class OneCService:
    """The WSGI app. `calls` lists the operations in order; `uploads` the pieces given, by FileID."""

    def __init__(self, peer: MemoryOneCPeer, *, user: str, password: str):
        self.peer, self.user, self.password = peer, user, password
        self.active_polls = 1        # a job answers Active this many times before Completed
        self.stuck = False           # a job that is never done
        self.piece_size: int | None = None   # cut 1C's zip into pieces of this many bytes (else PartSize KB)
        self.faults: dict[str, str] = {}     # operation -> a SOAP Fault's text
        self.errors: dict[str, str] = {}     # operation -> an ErrorMessage
        self.payload: bytes | None = None    # handed out instead of the peer's message (hostile zips)
        self.html_page = False       # every answer a 200 HTML page (a web server's error page)
        self.node_known = True
        self.redirect_to: str | None = None   # every request sent elsewhere (302)
        self.calls: list[str] = []
        self.uploads: dict[str, dict[int, bytes]] = {}
        self.confirmed: list[str] = []
        self._jobs: dict[str, dict] = {}
        self._prepared: dict[str, list[bytes]] = {}
        self._lock = threading.Lock()

    # --------------------------------------------------------------------------------------- http

    def __call__(self, environ, start_response):
        if not self._authorised(environ.get("HTTP_AUTHORIZATION", "")):
            start_response("401 Unauthorized", [("WWW-Authenticate", 'Basic realm="1C"'),
                                                ("Content-Type", "text/plain")])
            return [b"401"]
        if self.redirect_to:
            start_response("302 Found", [("Location", self.redirect_to), ("Content-Type", "text/plain")])
            return [b""]
        if self.html_page:
            start_response("200 OK", [("Content-Type", "text/html")])
            return [b"<html><body>Publication not found</body></html>"]
        size = int(environ.get("CONTENT_LENGTH") or 0)
        request = etree.fromstring(environ["wsgi.input"].read(size))
        call = request.find(f"{{{SOAP}}}Body")[0]
        operation = etree.QName(call).localname
        action = environ.get("HTTP_SOAPACTION", "")
        assert action == f'"{NS}#EnterpriseDataExchange_1_0_1_1:{operation}"', action
        params = {etree.QName(c).localname: c.text or "" for c in call}
        with self._lock:
            self.calls.append(operation)
            if operation in self.faults:
                return self._send(start_response, "500 Internal Server Error", self._fault(self.faults[operation]))
            values = getattr(self, f"op_{operation}")(params)
        values.setdefault("ErrorMessage", self.errors.get(operation, ""))
        return self._send(start_response, "200 OK", self._answer(operation, values))

    def _authorised(self, header: str) -> bool:
        scheme, _sep, token = header.partition(" ")
        if scheme != "Basic":
            return False
        user, _sep, password = base64.b64decode(token).decode("utf-8").partition(":")
        return (user, password) == (self.user, self.password)

    @staticmethod
    def _send(start_response, status, body: bytes):
        start_response(status, [("Content-Type", "text/xml; charset=utf-8"), ("Content-Length", str(len(body)))])
        return [body]

    @staticmethod
    def _envelope():
        env = etree.Element(f"{{{SOAP}}}Envelope", nsmap={"soap": SOAP, "xs": "http://www.w3.org/2001/XMLSchema",
                                                           "xsi": XSI})
        return env, etree.SubElement(env, f"{{{SOAP}}}Body")

    def _fault(self, text: str) -> bytes:
        env, body = self._envelope()
        fault = etree.SubElement(body, f"{{{SOAP}}}Fault")
        etree.SubElement(fault, "faultcode").text = "soap:Server"
        etree.SubElement(fault, "faultstring").text = text
        return etree.tostring(env, xml_declaration=True, encoding="UTF-8")

    def _answer(self, operation: str, values: dict) -> bytes:
        env, body = self._envelope()
        response = etree.SubElement(body, f"{{{NS}}}{operation}Response", nsmap={"m": NS})
        for name, value in values.items():
            el = etree.SubElement(response, f"{{{NS}}}{name}")
            if isinstance(value, dict):        # an XDTO object: PrepareDataOperationResult
                for key, text in value.items():
                    etree.SubElement(el, f"{{{RESULT_NS}}}{key}", nsmap={"d4p1": RESULT_NS}).text = str(text)
            elif value is None:
                el.set(f"{{{XSI}}}nil", "true")
            else:
                el.text = value
        return etree.tostring(env, xml_declaration=True, encoding="UTF-8")

    # ---------------------------------------------------------------------------------- operations

    def _job(self, result) -> str:
        operation_id = str(uuid.uuid4())
        self._jobs[operation_id] = {"polls": self.active_polls, "result": result}
        return operation_id

    def _poll(self, operation_id: str):
        job = self._jobs[operation_id]
        if self.stuck or job["polls"] > 0:
            job["polls"] -= 1
            return None
        return job["result"]

    def op_Ping(self, params):
        return {"return": None}

    def op_TestConnection(self, params):
        ok = self.node_known and params["ExchangePlanName"] == PLAN and params["PeerCode"] == self.peer.ours
        return {"return": "true" if ok else "false",
                "ErrorMessage": "" if ok else "Заданный узел плана обмена не найден."}

    def _message(self) -> bytes | None:
        if self.payload is not None:
            return self.payload
        names = [n for n in self.peer.files if n[:-4].endswith(f"_{self.peer.code}_{self.peer.ours}")]
        if not names:
            return None
        data = self.peer.files[names[0]]
        if names[0].endswith(".zip"):
            return data
        packed = io.BytesIO()
        with zipfile.ZipFile(packed, "w", zipfile.ZIP_DEFLATED) as zf:
            zf.writestr(names[0], data)
        return packed.getvalue()

    def op_PrepareDataForGetting(self, params):
        assert (params["ExchangePlanName"], params["PeerCode"]) == (PLAN, self.peer.ours), params
        data, file_id = self._message(), str(uuid.uuid4())
        size = self.piece_size or int(params["PartSize"]) * 1024
        pieces = [data[i:i + size] for i in range(0, len(data), size)] if data else []
        self._prepared[file_id] = pieces
        return {"return": None, "OperationID": self._job({"FileID": file_id if pieces else "",
                                                          "PartCount": len(pieces)})}

    def op_PrepareDataActionResult(self, params):
        result = self._poll(params["OperationID"])
        if result is None:
            return {"return": {"ErrorMessage": "", "FileID": "", "PartCount": 0, "Status": "Active"}}
        return {"return": {"ErrorMessage": "", **result, "Status": "Completed"}}

    def op_GetDataPart(self, params):
        piece = self._prepared[params["FileID"]][int(params["PartNumber"]) - 1]
        # 1C wraps base64 in lines; the client must not mind.
        text = base64.encodebytes(piece).decode("ascii")
        return {"return": text}

    def op_ConfirmGettingFile(self, params):
        self.confirmed.append(params["FileID"])
        self._prepared.pop(params["FileID"], None)
        return {"return": None}

    def op_PutFilePart(self, params):
        pieces = self.uploads.setdefault(params["FileID"], {})
        pieces[int(params["PartNumber"])] = base64.b64decode(params["PartData"])
        return {"return": None}

    def op_PutData(self, params):
        assert (params["ExchangePlanName"], params["PeerCode"]) == (PLAN, self.peer.ours), params
        pieces = self.uploads[params["FileID"]]
        data = b"".join(pieces[n] for n in sorted(pieces))
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            [member] = zf.namelist()        # 1C takes a zip of one message
            self.peer.files[member] = zf.read(member)
        return {"return": None, "OperationID": self._job("Completed")}

    def op_PutDataActionResult(self, params):
        return {"return": self._poll(params["OperationID"]) or "Active"}


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):   # noqa: A002  # the base class's parameter name
        pass


class ServiceThread:
    """The service served on 127.0.0.1, a free port, until `stop`."""

    def __init__(self, app):
        self.server = make_server("127.0.0.1", 0, app, server_class=_Server, handler_class=_QuietHandler)
        self.base = f"http://127.0.0.1:{self.server.server_port}/bp"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()
