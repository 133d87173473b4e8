"""SMS.ru, written against its documented HTTP API (sms.ru/api):

    POST {base}/sms/send     api_id, to (digits), msg, json=1[, from]  ->
        {"status": "OK", "status_code": 100, "balance": 4122.56,
         "sms": {"79255070602": {"status": "OK", "status_code": 100, "sms_id": "000000-10000000"}}}
        a refused number: {"status": "ERROR", "status_code": 207, "status_text": "..."} in its place;
        a refused request: {"status": "ERROR", "status_code": 200, "status_text": "Неправильный api_id"}
    GET  {base}/my/balance   api_id, json=1  ->  {"status": "OK", "status_code": 100, "balance": 4122.56}
    the delivery callback: POST data[0..n] = "sms_status\\n<sms_id>\\n<status code>\\n<unix time>", and
        hash = sha256(api_id + the data entries joined as they come); the answer must be "100".

Status codes of a message: 100-102 queued or on the way, 103 delivered, 110 read, 104-108 and 150 not delivered.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import re
import urllib.error
import urllib.parse
import urllib.request
from decimal import Decimal, InvalidOperation

from .base import ProviderConfig, ProviderError, ProviderUnavailable, StatusReport

DEFAULT_BASE_URL = "https://sms.ru"
SENT_CODES = {100, 101, 102}
DELIVERED_CODES = {103, 110}
FAILED_CODES = {104, 105, 106, 107, 108, 150}
_DATA_KEY = re.compile(r"^data\[(\d*)\]$")


class SmsRu:
    """The SMS.ru adapter (stdlib HTTP: one POST per message)."""

    def __init__(self, config: ProviderConfig):
        self.config = config
        self.base_url = (config.base_url or DEFAULT_BASE_URL).rstrip("/")

    def _call(self, path: str, params: dict[str, str], *, post: bool) -> dict:
        params = {"api_id": self.config.api_token, "json": "1", **params}
        body = urllib.parse.urlencode(params).encode()
        url = f"{self.base_url}{path}"
        if post:
            request = urllib.request.Request(url, data=body, method="POST")
        else:
            request = urllib.request.Request(f"{url}?{body.decode()}", method="GET")
        try:
            with urllib.request.urlopen(request, timeout=self.config.timeout) as response:  # noqa: S310 - http(s) only
                raw = response.read()
        except urllib.error.HTTPError as exc:
            raise ProviderUnavailable(f"SMS.ru answered HTTP {exc.code}") from exc
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise ProviderUnavailable(f"SMS.ru could not be reached: {getattr(exc, 'reason', exc)}") from exc
        try:
            answer = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise ProviderUnavailable("SMS.ru answered something that is not JSON") from exc
        if not isinstance(answer, dict):
            raise ProviderUnavailable("SMS.ru answered something that is not its API")
        return answer

    @staticmethod
    def _refused(answer: dict) -> ProviderError:
        code = str(answer.get("status_code", ""))
        text = str(answer.get("status_text") or f"status {code}")
        return ProviderError(f"SMS.ru: {text} ({code})", code=code)

    def send(self, *, to: str, text: str) -> str:
        number = re.sub(r"\D", "", to)
        params = {"to": number, "msg": text}
        if self.config.sender:
            params["from"] = self.config.sender
        answer = self._call("/sms/send", params, post=True)
        if answer.get("status") != "OK":
            raise self._refused(answer)
        result = (answer.get("sms") or {}).get(number)
        if not isinstance(result, dict):
            raise ProviderUnavailable("SMS.ru did not report on the number sent to")
        if result.get("status") != "OK" or not result.get("sms_id"):
            raise self._refused(result)
        return str(result["sms_id"])

    def balance(self) -> Decimal | None:
        answer = self._call("/my/balance", {}, post=False)
        if answer.get("status") != "OK":
            raise self._refused(answer)
        try:
            return Decimal(str(answer.get("balance")))
        except (InvalidOperation, ValueError):
            return None

    @staticmethod
    def _entries(data) -> list[str]:
        """The data entries in the order they were posted: data[0], data[1]... (or data[] repeated)."""
        numbered, plain = [], []
        for key in data:
            match = _DATA_KEY.match(key)
            if match and match.group(1):
                numbered.append((int(match.group(1)), data.get(key)))
            elif match or key == "data":
                plain += list(data.getlist(key)) if hasattr(data, "getlist") else [data.get(key)]
        return [value for _n, value in sorted(numbered)] + plain

    def callback_authentic(self, data) -> bool:
        if not self.config.api_token:
            return False
        entries = self._entries(data)
        expected = hashlib.sha256((self.config.api_token + "".join(entries)).encode("utf-8")).hexdigest()
        return bool(entries) and hmac.compare_digest(expected, str(data.get("hash") or ""))

    def parse_callback(self, data) -> list[StatusReport]:
        reports = []
        for entry in self._entries(data):
            lines = str(entry).replace("\r\n", "\n").split("\n")
            if len(lines) < 3 or lines[0].strip() != "sms_status":
                continue
            try:
                code = int(lines[2].strip())
            except ValueError:
                continue
            status = _status_for(code)
            if status is None:
                continue
            at = None
            if len(lines) > 3 and lines[3].strip().isdigit():
                at = dt.datetime.fromtimestamp(int(lines[3].strip()), tz=dt.UTC)
            reports.append(StatusReport(provider_id=lines[1].strip(), status=status, detail=f"SMS.ru {code}", at=at))
        return reports

    def callback_answer(self) -> str:
        return "100"


def _status_for(code: int) -> str | None:
    if code in SENT_CODES:
        return "sent"
    if code in DELIVERED_CODES:
        return "delivered"
    if code in FAILED_CODES:
        return "failed"
    return None


def callback_hash(api_token: str, entries: list[str]) -> str:
    """The hash SMS.ru signs a callback with (what a fake provider in the tests signs with too)."""
    return hashlib.sha256((api_token + "".join(entries)).encode("utf-8")).hexdigest()
