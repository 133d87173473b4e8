"""Webhooks in the REST API and on the settings pages: administrators only, the secret never shown back."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from raccordo.parties.services import counterparty_create
from raccordo.webhooks import services
from raccordo.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookSubscription


def _api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.mark.django_db
def test_an_administrator_subscribes_over_the_api_and_the_secret_stays_hidden(admin_user, manager):
    response = _api(admin_user).post("/api/v1/webhooks/", {
        "name": "ERP", "url": "https://erp.example.com/hook", "owner": str(manager.pk),
        "events": ["deal.stage_changed", "invoice.paid"], "secret": "s3cret-value"}, format="json")
    assert response.status_code == 201, response.content
    assert "secret" not in response.json()
    sub = WebhookSubscription.objects.get(name="ERP")
    assert sub.secret == "s3cret-value"
    # Stored encrypted: the column does not hold the secret.
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT secret FROM webhooks_webhooksubscription WHERE name = %s", ["ERP"])
        assert "s3cret-value" not in cursor.fetchone()[0]
    # A manager sees no subscription and cannot create one.
    assert _api(manager).get("/api/v1/webhooks/").json()["results"] == []
    refused = _api(manager).post("/api/v1/webhooks/", {"name": "x", "url": "https://x.example/", "owner": str(
        manager.pk), "events": ["record.created"]}, format="json")
    assert refused.status_code in (403, 404)


@pytest.mark.django_db
def test_the_delivery_log_replays_over_the_api(admin_user):
    sub = services.subscription_create(user=admin_user, data={
        "name": "ERP", "url": "http://127.0.0.1:9/", "owner": admin_user, "events": ["record.created"]})
    counterparty_create(user=admin_user, data={"name": "Logged"})
    services.collect(sub)
    delivery = WebhookDelivery.objects.get(subscription=sub)
    delivery.status = DeliveryStatus.FAILED
    delivery.save()
    listed = _api(admin_user).get(f"/api/v1/webhook-deliveries/?subscription={sub.pk}").json()["results"]
    assert [d["id"] for d in listed] == [delivery.pk]
    assert listed[0]["payload"]["object"]["repr"] == "Logged"
    replayed = _api(admin_user).post(f"/api/v1/webhook-deliveries/{delivery.pk}/replay/")
    assert replayed.status_code == 200 and replayed.json()["status"] == "pending"


@pytest.mark.django_db
def test_the_settings_page_creates_a_webhook_and_shows_its_deliveries(client, admin_user):
    client.force_login(admin_user)
    response = client.post(reverse("web:settings_webhooks_new"), {
        "name": "Warehouse app", "url": "https://wh.example.com/in", "owner": str(admin_user.pk),
        "events": ["record.created", "invoice.paid"], "record_types": ["parties.counterparty"], "is_active": "on"})
    assert response.status_code == 302, response.content.decode()[:2000]
    sub = WebhookSubscription.objects.get(name="Warehouse app")
    assert sub.events == ["record.created", "invoice.paid"] and len(sub.secret) >= 32
    counterparty_create(user=admin_user, data={"name": "Shown in the log"})
    services.collect(sub)
    page = client.get(reverse("web:settings_webhooks_edit", args=[sub.pk])).content.decode()
    assert "Shown in the log" in page and sub.secret not in page
    delivery = WebhookDelivery.objects.get(subscription=sub)
    assert client.post(reverse("web:webhook_replay", args=[delivery.pk])).status_code == 302


@pytest.mark.django_db
def test_a_manager_gets_404_on_the_webhook_pages(client, manager, admin_user):
    sub = services.subscription_create(user=admin_user, data={
        "name": "ERP", "url": "https://erp.example.com/", "owner": admin_user, "events": ["record.created"]})
    client.force_login(manager)
    assert client.get(reverse("web:settings_webhooks")).status_code == 404
    assert client.get(reverse("web:settings_webhooks_edit", args=[sub.pk])).status_code == 404
