"""An HR exchange node and a client that posts HR-XML documents the way 1C:ZUP does."""

from __future__ import annotations

import base64

import pytest
from lxml import etree

from raccordo.exchange.nodes import node_create

LOGIN, PASSWORD = "zup", "zup-s3cret-pass"
OA = "{http://www.openapplications.org/oagis/9}"


@pytest.fixture
def hr_node(db):
    return node_create(user=None, code="zup", name="ZUP", kind="zup-hr", login=LOGIN, password=PASSWORD)


class Zup:
    """1C:ZUP's side: one POST per document to the Bitrix address, HTTP Basic; the ConfirmBOD parsed."""

    def __init__(self, client, path: str = "/bitrix/admin/1c_intranet_hr.php"):
        self.client, self.path = client, path
        token = base64.b64encode(f"{LOGIN}:{PASSWORD}".encode()).decode()
        self.auth = {"HTTP_AUTHORIZATION": f"Basic {token}"}

    def post(self, body: bytes, **extra):
        response = self.client.generic("POST", self.path, body, content_type="text/xml", **{**self.auth, **extra})
        assert response.status_code == 200
        return response

    def send(self, body: bytes) -> dict:
        """The ConfirmBOD's outcome: {"ok": bool, "errors": [...], "warnings": [...], "bodid": ...}."""
        response = self.post(body)
        root = etree.fromstring(response.content)
        assert root.tag == f"{OA}ConfirmBOD"
        bod = root.find(f"{OA}DataArea/{OA}BOD")
        ok = bod.find(f"{OA}BODSuccessMessage") is not None
        return {"ok": ok,
                "errors": [e.text for e in bod.iter(f"{OA}ErrorProcessMessage") for e in e],
                "warnings": [e.text for e in bod.iter(f"{OA}WarningProcessMessage") for e in e],
                "bodid": root.findtext(f"{OA}DataArea/{OA}Confirm/{OA}OriginalApplicationArea/{OA}BODID"),
                "created": root.findtext(f"{OA}ApplicationArea/{OA}CreationDateTime")}


@pytest.fixture
def zup(client, hr_node):
    return Zup(client)
