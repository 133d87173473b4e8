"""The node page's mapping forms and settings file: problems on the form, administrators only."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from raccordo.exchange.models import ExchangeNode, Mapping
from raccordo.exchange.services import node_create
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def node():
    return node_create(user=None, code="ut", kind="onec-http", login="site", password="secret-1")


def test_a_non_unique_matching_key_is_refused_on_the_form(client, admin_user, node):
    ProductFactory(article="ART-1")
    ProductFactory(article="ART-1")
    client.force_login(admin_user)
    url = reverse("onec:node_mapping", args=[node.pk, "catalog.product"])
    page = client.post(url, {"match_keys": ["article"], "owned_fields": ["prices"], "conflict_policy": "crm"})
    assert page.status_code == 422
    assert "article is not unique: 2 products have ART-1" in page.content.decode()
    assert not Mapping.objects.exists()
    done = client.post(url, {"match_keys": ["barcode"], "conflict_policy": "crm", "allow_create": "on"})
    assert done.status_code == 302
    assert Mapping.objects.get().match_keys == ["barcode"]
    assert "barcode" in client.get(reverse("onec:node_detail", args=[node.pk])).content.decode()


def test_settings_download_and_upload(client, admin_user, node):
    client.force_login(admin_user)
    got = client.get(reverse("onec:node_settings_export", args=[node.pk]))
    data = json.loads(got.content)
    assert data["node"]["code"] == "ut" and "secret-1" not in got.content.decode()
    data["node"]["code"] = "ut-copy"
    upload = SimpleUploadedFile("s.json", json.dumps(data).encode(), content_type="application/json")
    assert client.post(reverse("onec:node_settings_import", args=[node.pk]), {"file": upload}).status_code == 302
    assert ExchangeNode.objects.filter(code="ut-copy").exists()
    data["node"]["kind"] = "pigeon"
    upload = SimpleUploadedFile("s.json", json.dumps(data).encode(), content_type="application/json")
    page = client.post(reverse("onec:node_settings_import", args=[node.pk]), {"file": upload})
    assert page.status_code == 422 and "node.kind" in page.content.decode()


def test_managers_reach_none_of_it(client, manager, node):
    client.force_login(manager)
    assert client.get(reverse("onec:node_settings_export", args=[node.pk])).status_code == 404
    assert client.post(reverse("onec:node_mapping", args=[node.pk, "catalog.product"]),
                       {"match_keys": ["article"]}).status_code == 404
    assert not Mapping.objects.exists()
