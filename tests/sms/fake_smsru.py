"""A fake SMS.ru on loopback: a small HTTP server answering the documented send, status and balance calls the way
SMS.ru does (JSON with status, status_code, the per-number result and sms_id), and signing delivery callbacks the
way SMS.ru posts them (data[N] entries and hash = sha256(api_id + entries))."""

from __future__ import annotations

import json
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from raccordo.sms.providers.smsru import callback_hash


class FakeSmsRu:
    """What the fake received, and how it answers: `refuse` maps a number (digits) to an error code."""

    def __init__(self, api_id: str):
        self.api_id = api_id
        self.sent: list[dict] = []
        self.refuse: dict[str, int] = {}
        self.balance = "1234.50"
        self.statuses: dict[str, int] = {}
        self.server: ThreadingHTTPServer | None = None
        self._counter = 0
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def next_id(self) -> str:
        with self._lock:
            self._counter += 1
            return f"201737-{100000 + self._counter}"

    def callback(self, *reports: tuple[str, int], api_id: str | None = None) -> dict[str, str]:
        """The form SMS.ru posts to the callback address for these (sms_id, status code) reports."""
        entries = [f"sms_status\n{sms_id}\n{code}\n1786346415" for sms_id, code in reports]
        data = {f"data[{i}]": entry for i, entry in enumerate(entries)}
        data["hash"] = callback_hash(self.api_id if api_id is None else api_id, entries)
        return data


def _handler(fake: FakeSmsRu):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # keep the test output clean
            pass

        def _params(self) -> dict[str, str]:
            parsed = urllib.parse.urlparse(self.path)
            params = dict(urllib.parse.parse_qsl(parsed.query))
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                params.update(urllib.parse.parse_qsl(self.rfile.read(length).decode("utf-8")))
            return params

        def _answer(self, body: dict) -> None:
            raw = json.dumps(body, ensure_ascii=False).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def _route(self) -> None:
            path = urllib.parse.urlparse(self.path).path
            params = self._params()
            if params.get("api_id") != fake.api_id:
                return self._answer({"status": "ERROR", "status_code": 200, "status_text": "Неправильный api_id"})
            if path == "/sms/send":
                return self._answer(self._send(params))
            if path == "/sms/status":
                code = fake.statuses.get(params.get("sms_id", ""), -1)
                return self._answer({"status": "OK", "status_code": 100, "sms": {
                    params.get("sms_id", ""): {"status": "OK", "status_code": code}}})
            if path == "/my/balance":
                return self._answer({"status": "OK", "status_code": 100, "balance": float(fake.balance)})
            self.send_response(404)
            self.end_headers()
            return None

        def _send(self, params: dict) -> dict:
            result = {}
            for number in params.get("to", "").split(","):
                if number in fake.refuse:
                    result[number] = {"status": "ERROR", "status_code": fake.refuse[number],
                                      "status_text": "Нет маршрута для доставки сообщения"}
                    continue
                sms_id = fake.next_id()
                fake.statuses[sms_id] = 100
                fake.sent.append({"to": number, "msg": params.get("msg", ""), "from": params.get("from", ""),
                                  "sms_id": sms_id})
                result[number] = {"status": "OK", "status_code": 100, "sms_id": sms_id}
            return {"status": "OK", "status_code": 100, "sms": result, "balance": float(fake.balance)}

        do_GET = _route  # noqa: N815 - http.server's handler names
        do_POST = _route  # noqa: N815

    return Handler


def start(api_id: str) -> FakeSmsRu:
    fake = FakeSmsRu(api_id)
    fake.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    threading.Thread(target=fake.server.serve_forever, daemon=True).start()
    return fake
